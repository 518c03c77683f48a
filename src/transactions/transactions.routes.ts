import { parseInput } from '../catalog/catalog.schema.js';
import { type AdminApp, actorOf } from '../http/app.js';
import {
  accountsReportQuery,
  transactionFilters,
  transactionQuery,
} from './transactions.schema.js';
import type { TransactionsService } from './transactions.service.js';

/** The transaction log, its CSV, and the accounts report: read-only, admin token. */
export function registerTransactionRoutes(app: AdminApp, transactions: TransactionsService): void {
  app.get('/api/transactions', async function listTransactions(request) {
    const query = parseInput(transactionQuery, request.query ?? {}, 'query');
    return transactions.listTransactions(actorOf(request).workspaceId, query);
  });

  app.get('/api/transactions.csv', async function exportTransactions(request, reply) {
    const filters = parseInput(transactionFilters, request.query ?? {}, 'query');
    const csv = await transactions.exportCsv(actorOf(request).workspaceId, filters);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="transactions.csv"')
      .send(csv);
  });

  app.get('/api/reports/accounts', async function reportAccounts(request) {
    const query = parseInput(accountsReportQuery, request.query ?? {}, 'query');
    return transactions.accountsReport(actorOf(request).workspaceId, query);
  });
}
