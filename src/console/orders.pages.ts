import { z } from 'zod';
import { minorUnitDigitsOf } from '../catalog/money.js';
import { AppError } from '../errors.js';
import type { App } from '../http/app.js';
import {
  type ConsoleDependencies,
  consoleActor,
  redirectWithNotice,
  requireRole,
  sendPage,
  visitOf,
} from './console-app.js';
import { orderHref, type RefundProblem, renderOrderDetail } from './order-detail.js';
import { orderListFormOf, renderOrderList } from './order-list.js';
import {
  checkRefund,
  paymentOf,
  refundFormOf,
  refundNotice,
  refundProblemOf,
  renderRefundConfirmation,
} from './order-refund.js';

const orderParams = z.object({ id: z.string().min(1).max(100) });

/** A refund's amount as the confirmation posts it: minor units, checked once more by the service. */
const minorUnits = /^\d{1,9}$/;

/** The console's orders screens (issue 15): the list, one order, and refunding its payments. */
export function registerOrderScreens(app: App, deps: ConsoleDependencies): void {
  const { services } = deps;

  app.get('/admin/orders', async function orderListScreen(request, reply) {
    const visit = visitOf(request);
    const query = (request.query ?? {}) as Record<string, unknown>;
    const cursor = typeof query.cursor === 'string' && query.cursor ? query.cursor : undefined;
    const { html, status } = await renderOrderList(
      visit,
      deps,
      orderListFormOf(query),
      cursor?.slice(0, 500),
    );
    return sendPage(reply, html, status);
  });

  app.get(
    '/admin/orders/:id',
    { schema: { params: orderParams } },
    async function orderScreen(request, reply) {
      const visit = visitOf(request);
      const { id } = request.params as z.infer<typeof orderParams>;
      const order = await services.orders.showOrder(visit.user.workspaceId, id);
      // Back from the confirmation to change it: the form filled in as it was.
      const query = (request.query ?? {}) as Record<string, unknown>;
      const filled: RefundProblem | null =
        typeof query.payment === 'string'
          ? { form: refundFormOf(query), message: null, errors: null }
          : null;
      return sendPage(reply, renderOrderDetail(visit, order, filled));
    },
  );

  app.post(
    '/admin/orders/:id/refunds',
    { schema: { params: orderParams } },
    async function reviewRefund(request, reply) {
      const visit = requireRole(request, 'admin', 'refund a payment');
      const { id } = request.params as z.infer<typeof orderParams>;
      const order = await services.orders.showOrder(visit.user.workspaceId, id);
      const form = refundFormOf(request.body);
      const payment = paymentOf(order, form.payment);
      const checked = checkRefund(payment, form);
      if ('problem' in checked) {
        return sendPage(reply, renderOrderDetail(visit, order, checked.problem), 400);
      }
      return sendPage(reply, renderRefundConfirmation(visit, order, payment, form, checked.amount));
    },
  );

  app.post(
    '/admin/orders/:id/refunds/confirm',
    { schema: { params: orderParams } },
    async function makeRefund(request, reply) {
      const visit = requireRole(request, 'admin', 'refund a payment');
      const { id } = request.params as z.infer<typeof orderParams>;
      const workspaceId = visit.user.workspaceId;
      const order = await services.orders.showOrder(workspaceId, id);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const form = refundFormOf(body);
      const payment = paymentOf(order, form.payment);
      const resend = typeof body.refund === 'string' && body.refund ? body.refund : undefined;
      let amount: number | undefined;
      if (!resend) {
        if (!minorUnits.test(form.amount)) {
          throw new AppError(
            'validation_failed',
            'This confirmation had no amount, so nothing was refunded. Go back to the order and review the refund again.',
          );
        }
        amount = Number(form.amount);
        // Shown again if refused: the amount as the person typed it, in major units.
        form.amount = (amount / 10 ** minorUnitDigitsOf(payment.currency)).toFixed(
          minorUnitDigitsOf(payment.currency),
        );
      }
      try {
        const refund = await services.orders.refundPayment({
          workspaceId,
          paymentId: payment.id,
          amount,
          reason: form.reason || undefined,
          refundId: resend,
          actor: consoleActor(visit),
        });
        return redirectWithNotice(
          reply,
          `${orderHref(order.id)}#${encodeURIComponent(payment.id)}`,
          refundNotice(refund),
        );
      } catch (error) {
        const after = await services.orders.showOrder(workspaceId, id);
        const problem = refundProblemOf(error, paymentOf(after, payment.id), form);
        const status = error instanceof AppError && error.status >= 400 ? error.status : 500;
        return sendPage(reply, renderOrderDetail(visit, after, problem), status);
      }
    },
  );
}
