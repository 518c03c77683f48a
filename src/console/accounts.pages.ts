import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { accountChangesSchema, handleSchema } from '../accounts/accounts.routes.js';
import type { AccountView } from '../accounts/accounts.service.js';
import type { ModeHealth } from '../accounts/health.service.js';
import type { Mode } from '../accounts/key-verification.js';
import { AppError, fieldPath, isAppError } from '../errors.js';
import type { App } from '../http/app.js';
import type { AccountCap } from '../routing/index.js';
import { listReferencesTo } from '../routing-config/references.js';
import { capFormBody, capOfForm, capRemovalBody, capsWith, capsWithout } from './account-caps.js';
import { type AccountDetail, type EndpointReading, renderAccountDetail } from './account-detail.js';
import {
  emptyKeysForm,
  type KeysForm,
  keyFormCodes,
  keyFormProblems,
  keysFormBody,
  newAccountOf,
  renderAddForm,
  renderReplaceKeysForm,
  replacementKeysOf,
} from './account-form.js';
import { accountPath, renderAccountList } from './account-list.js';
import { type RemovalBlocks, renderConnectPage, renderRemovePage } from './account-remove.js';
import { describeCap, healthWord, secondariesInOrder } from './account-words.js';
import {
  type ConsoleDependencies,
  type ConsoleVisit,
  consoleActor,
  redirectWithNotice,
  requireRole,
  sendPage,
  visitOf,
} from './console-app.js';
import { csrfField, csrfInput, type FieldErrors } from './forms.js';
import { renderConsolePage } from './layout.js';

const byHandle = z.object({ handle: handleSchema });
const csrf = csrfField;
/** Where a one-button change was pressed, so the browser goes back there. */
const back = z.enum(['list', 'detail']).default('list');

/** How long the detail page waits for Stripe when it reads a webhook endpoint. */
const endpointReadTimeoutMs = 3_000;

/** The console's "Payment gateways": `/admin/accounts` and `/admin/accounts/{handle}`. */
export function registerAccountScreens(app: App, { services, config }: ConsoleDependencies): void {
  const { accounts, health } = services;

  async function healthByHandle(workspaceId: string) {
    const byHandle = new Map<string, Partial<Record<Mode, ModeHealth>>>();
    for (const mode of ['test', 'live'] as const) {
      for (const account of await health.listHealth(workspaceId, mode)) {
        const modes = byHandle.get(account.handle) ?? {};
        const modeHealth = account.modes[mode];
        if (modeHealth) modes[mode] = modeHealth;
        byHandle.set(account.handle, modes);
      }
    }
    return byHandle;
  }

  async function referencesOf(workspaceId: string, handle: string): Promise<string[]> {
    const active = await services.routingConfig.showActive(workspaceId);
    return active.version === null ? [] : listReferencesTo(active.document, handle);
  }

  async function endpointOf(accountId: string, mode: Mode): Promise<EndpointReading> {
    try {
      const secretKey = await accounts.secretKeyOf(accountId, mode);
      if (!secretKey) return { mode, problem: 'No key is stored for this mode.' };
      const state = await services.endpointUpkeep.inspect({
        accountId,
        mode,
        secretKey,
        timeoutMs: endpointReadTimeoutMs,
      });
      return { mode, state };
    } catch {
      // The page still shows; Stripe's answer (which may quote a request) is not repeated here.
      return {
        mode,
        problem:
          'Stripe did not answer in time, so its side of the endpoint is unknown. Reload to try again.',
      };
    }
  }

  async function detailOf(workspaceId: string, handle: string): Promise<AccountDetail> {
    const account = await accounts.showAccount(workspaceId, handle);
    const [all, accountHealth, audit, payments, testPayments, references, capReadings] =
      await Promise.all([
        accounts.listAccounts(workspaceId),
        health.showHealth(workspaceId, handle),
        services.audit.list({ workspaceId, limit: 30, subject: `account:${handle}` }),
        services.transactions.listTransactions(workspaceId, { account: handle, limit: 10 }),
        services.testPayments.list(workspaceId, handle, { limit: 10 }),
        referencesOf(workspaceId, handle),
        services.doctor.readCaps(workspaceId, handle),
      ]);
    const endpoints = await Promise.all(
      (['live', 'test'] as const)
        .filter((mode) => account.modes[mode])
        .map((mode) => endpointOf(accountHealth.accountId, mode)),
    );
    return {
      account,
      accounts: all,
      health: accountHealth,
      audit,
      payments: payments.transactions,
      testPayments,
      endpoints,
      references,
      capReadings,
    };
  }

  async function blocksOf(workspaceId: string, account: AccountView): Promise<RemovalBlocks> {
    const all = await accounts.listAccounts(workspaceId);
    return {
      references: await referencesOf(workspaceId, account.handle),
      isPrimaryOfOthers: account.role === 'primary' && all.length > 1,
    };
  }

  function afterChange(
    reply: FastifyReply,
    handle: string,
    from: 'list' | 'detail',
    notice: string,
    warnings: string[] = [],
  ) {
    return redirectWithNotice(
      reply,
      from === 'detail' ? accountPath(handle) : '/admin/accounts',
      [notice, ...warnings].join(' '),
    );
  }

  function keysPage(
    visit: ConsoleVisit,
    title: string,
    body: string,
    crumbs: Array<{ href: string; label: string }>,
  ) {
    return renderConsolePage({ visit, title, section: 'accounts', breadcrumbs: crumbs, body });
  }

  const gateways = { href: '/admin/accounts', label: 'Payment gateways' };

  app.get('/admin/accounts', async function showGateways(request, reply) {
    const visit = visitOf(request);
    const workspaceId = visit.user.workspaceId;
    const [list, healthOf] = await Promise.all([
      accounts.listAccounts(workspaceId),
      healthByHandle(workspaceId),
    ]);
    return sendPage(
      reply,
      renderAccountList(visit, {
        accounts: list,
        health: healthOf,
        connectConfigured: config.stripeConnect !== null,
      }),
    );
  });

  app.get('/admin/accounts/new', async function showAddForm(request, reply) {
    const visit = requireRole(request, 'admin', 'add a payment gateway');
    return sendPage(
      reply,
      keysPage(visit, 'Add by API keys', renderAddForm(visit, emptyKeysForm, null), [gateways]),
    );
  });

  app.post(
    '/admin/accounts',
    { schema: { body: keysFormBody } },
    async function addByKeys(request, reply) {
      const visit = requireRole(request, 'admin', 'add a payment gateway');
      const form: KeysForm = request.body;
      try {
        const result = await accounts.connectWithKeys(
          visit.user.workspaceId,
          newAccountOf(form),
          consoleActor(visit),
        );
        return afterChange(
          reply,
          result.account.handle,
          'detail',
          `${result.account.label} is connected.`,
          result.warnings,
        );
      } catch (error) {
        if (!isAppError(error) || !keyFormCodes.has(error.code)) throw error;
        const page = keysPage(
          visit,
          'Add by API keys',
          renderAddForm(visit, form, keyFormProblems(error, form)),
          [gateways],
        );
        return sendPage(reply, page, error.status);
      }
    },
  );

  app.get('/admin/accounts/connect', async function showConnect(request, reply) {
    const visit = requireRole(request, 'admin', 'connect a payment gateway');
    return sendPage(
      reply,
      renderConnectPage(visit, {
        configured: config.stripeConnect !== null,
        handle: '',
        csrf: csrfInput(visit),
      }),
    );
  });

  app.post(
    '/admin/accounts/connect',
    { schema: { body: z.object({ ...csrf, handle: z.string().max(200).default('') }) } },
    async function startConnect(request, reply) {
      const visit = requireRole(request, 'admin', 'connect a payment gateway');
      const handle = request.body.handle.trim();
      const configured = config.stripeConnect !== null;
      const refuse = (message: string, status: number) =>
        sendPage(
          reply,
          renderConnectPage(visit, { configured, handle, error: message, csrf: csrfInput(visit) }),
          status,
        );
      const parsed = handleSchema.safeParse(handle);
      if (!parsed.success)
        return refuse(`Use ${parsed.error.issues[0]?.message ?? 'a valid handle'}.`, 400);
      try {
        const url = await services.connect.startConnect({
          workspaceId: visit.user.workspaceId,
          handle: parsed.data,
          actor: consoleActor(visit),
        });
        return reply.redirect(url, 303);
      } catch (error) {
        if (
          !isAppError(error) ||
          !['duplicate_handle', 'validation_failed', 'config_invalid', 'unprocessable'].includes(
            error.code,
          )
        )
          throw error;
        return refuse(error.message, error.status);
      }
    },
  );

  app.get(
    '/admin/accounts/:handle',
    { schema: { params: byHandle } },
    async function showGateway(request, reply) {
      const visit = visitOf(request);
      const detail = await detailOf(visit.user.workspaceId, request.params.handle);
      return sendPage(reply, renderAccountDetail(visit, detail));
    },
  );

  app.post(
    '/admin/accounts/:handle/purpose',
    {
      schema: {
        params: byHandle,
        body: z.object({
          ...csrf,
          label: z.string().max(400).default(''),
          purpose: z.string().max(4000).default(''),
        }),
      },
    },
    async function savePurpose(request, reply) {
      const visit = requireRole(request, 'admin', "change an account's purpose");
      const { handle } = request.params;
      const parsed = accountChangesSchema.safeParse({
        label: request.body.label,
        purpose: request.body.purpose,
      });
      if (!parsed.success) {
        const errors: FieldErrors = {};
        for (const issue of parsed.error.issues) {
          errors[fieldPath(issue.path)] ??=
            issue.code === 'too_small' ? 'Give the account a name.' : issue.message;
        }
        const detail = await detailOf(visit.user.workspaceId, handle);
        const typed = {
          ...detail,
          account: { ...detail.account, label: request.body.label, purpose: request.body.purpose },
        };
        return sendPage(reply, renderAccountDetail(visit, typed, { purpose: errors }), 400);
      }
      const result = await accounts.updateAccount(
        visit.user.workspaceId,
        handle,
        parsed.data,
        consoleActor(visit),
      );
      return afterChange(reply, handle, 'detail', 'Saved the name and purpose.', result.warnings);
    },
  );

  /** Writes the account's caps as `change` makes them from the current ones. */
  async function changeCaps(
    visit: ConsoleVisit,
    handle: string,
    change: (account: AccountView) => AccountCap[],
  ) {
    const workspaceId = visit.user.workspaceId;
    const account = await accounts.showAccount(workspaceId, handle);
    return accounts.updateAccount(
      workspaceId,
      handle,
      { caps: change(account) },
      consoleActor(visit),
    );
  }

  app.post(
    '/admin/accounts/:handle/caps',
    { schema: { params: byHandle, body: capFormBody } },
    async function saveCap(request, reply) {
      const visit = requireRole(request, 'admin', "change an account's volume caps");
      const workspaceId = visit.user.workspaceId;
      const { handle } = request.params;
      const asked = capOfForm(request.body);
      if (asked.cap === null) {
        const detail = await detailOf(workspaceId, handle);
        const page = renderAccountDetail(visit, detail, {
          caps: { form: request.body, errors: asked.errors },
        });
        return sendPage(reply, page, 400);
      }
      const cap = asked.cap;
      const result = await changeCaps(visit, handle, (account) => capsWith(account, cap));
      const notice = `${result.account.label} takes at most ${describeCap(asked.cap)} of new payments.`;
      return afterChange(reply, handle, 'detail', notice, result.warnings);
    },
  );

  app.post(
    '/admin/accounts/:handle/caps/remove',
    { schema: { params: byHandle, body: capRemovalBody } },
    async function removeCap(request, reply) {
      const visit = requireRole(request, 'admin', "change an account's volume caps");
      const { handle } = request.params;
      const result = await changeCaps(visit, handle, (account) =>
        capsWithout(account, request.body),
      );
      return afterChange(
        reply,
        handle,
        'detail',
        `Removed the ${request.body.period === 'day' ? 'daily' : 'monthly'} ${request.body.currency.toUpperCase()} cap of ${result.account.label}.`,
        result.warnings,
      );
    },
  );

  app.post(
    '/admin/accounts/:handle/primary',
    { schema: { params: byHandle, body: z.object({ ...csrf, back }) } },
    async function makePrimary(request, reply) {
      const visit = requireRole(request, 'admin', 'make an account primary');
      const result = await accounts.makePrimary(
        visit.user.workspaceId,
        request.params.handle,
        consoleActor(visit),
      );
      return afterChange(
        reply,
        request.params.handle,
        request.body.back,
        `${result.account.label} is now the primary account.`,
        result.warnings,
      );
    },
  );

  app.post(
    '/admin/accounts/:handle/move',
    {
      schema: {
        params: byHandle,
        body: z.object({ ...csrf, back, direction: z.enum(['up', 'down']) }),
      },
    },
    async function moveSecondary(request, reply) {
      const visit = requireRole(request, 'admin', 'change the order of the secondaries');
      const { handle } = request.params;
      const workspaceId = visit.user.workspaceId;
      const secondaries = secondariesInOrder(await accounts.listAccounts(workspaceId));
      const from = secondaries.findIndex((account) => account.handle === handle);
      if (from < 0) {
        throw new AppError(
          'conflict',
          `"${handle}" is the primary account; only secondaries have an order.`,
        );
      }
      const to = request.body.direction === 'up' ? from - 1 : from + 1;
      const moved = secondaries[from];
      const neighbour = secondaries[to];
      if (moved && neighbour) {
        const order = [...secondaries];
        order[from] = neighbour;
        order[to] = moved;
        const current = secondaries.map((account) => account.priority);
        const distinct = current.every(
          (priority, index) => index === 0 || priority > (current[index - 1] ?? 0),
        );
        // Distinct priorities are kept and swapped; ties (0, 0) are numbered so the order holds.
        const priorities = distinct ? current : secondaries.map((_, index) => index + 1);
        for (const [index, account] of order.entries()) {
          const priority = priorities[index] ?? index + 1;
          if (account.priority !== priority) {
            await accounts.updateAccount(
              workspaceId,
              account.handle,
              { priority },
              consoleActor(visit),
            );
          }
        }
      }
      return afterChange(
        reply,
        handle,
        request.body.back,
        `${moved?.label ?? handle} is now tried ${to < 0 || !neighbour ? 'where it was' : `${to === 0 ? 'first' : `number ${to + 1}`} among the secondaries`}.`,
      );
    },
  );

  app.post(
    '/admin/accounts/:handle/drain',
    {
      schema: {
        params: byHandle,
        body: z.object({ ...csrf, back, drain: z.enum(['true', 'false']) }),
      },
    },
    async function drain(request, reply) {
      const visit = requireRole(request, 'admin', 'drain an account');
      const drain = request.body.drain === 'true';
      const result = await accounts.updateAccount(
        visit.user.workspaceId,
        request.params.handle,
        { drain },
        consoleActor(visit),
      );
      const notice = drain
        ? `${result.account.label} is draining: it takes no new payments. Upsells, renewals and refunds of its orders still go to it.`
        : `${result.account.label} takes new payments again.`;
      return afterChange(reply, request.params.handle, request.body.back, notice, result.warnings);
    },
  );

  app.post(
    '/admin/accounts/:handle/enabled',
    {
      schema: {
        params: byHandle,
        body: z.object({ ...csrf, back, enabled: z.enum(['true', 'false']) }),
      },
    },
    async function enable(request, reply) {
      const visit = requireRole(request, 'admin', 'enable or disable an account');
      const enabled = request.body.enabled === 'true';
      const result = await accounts.updateAccount(
        visit.user.workspaceId,
        request.params.handle,
        { enabled },
        consoleActor(visit),
      );
      const notice = enabled
        ? `${result.account.label} is enabled.`
        : `${result.account.label} is disabled: routing sends it nothing.`;
      return afterChange(reply, request.params.handle, request.body.back, notice, result.warnings);
    },
  );

  app.post(
    '/admin/accounts/:handle/verify',
    { schema: { params: byHandle, body: z.object({ ...csrf, back }) } },
    async function verify(request, reply) {
      const visit = requireRole(request, 'admin', 'verify an account');
      const result = await accounts.verifyAccount(
        visit.user.workspaceId,
        request.params.handle,
        consoleActor(visit),
      );
      return afterChange(
        reply,
        request.params.handle,
        request.body.back,
        `Verified ${result.account.label} with Stripe: ${healthWord(result.account.health)}.`,
        result.warnings,
      );
    },
  );

  app.post(
    '/admin/accounts/:handle/test-payment',
    { schema: { params: byHandle, body: z.object({ ...csrf, mode: z.enum(['test', 'live']) }) } },
    async function runTestPayment(request, reply) {
      const visit = requireRole(request, 'admin', 'run a test payment');
      const { handle } = request.params;
      const run = await services.testPayments.run({
        workspaceId: visit.user.workspaceId,
        handle,
        mode: request.body.mode,
        actor: consoleActor(visit),
      });
      const notice =
        run.outcome === 'succeeded'
          ? `The ${run.mode}-mode test payment went through${run.latencyMs === null ? '' : ` in ${run.latencyMs} ms`}.`
          : `The ${run.mode}-mode test payment failed: ${run.errorMessage ?? run.errorCode ?? 'no reason given'}.`;
      return afterChange(reply, handle, 'detail', notice);
    },
  );

  app.get(
    '/admin/accounts/:handle/keys',
    { schema: { params: byHandle } },
    async function showReplaceKeys(request, reply) {
      const visit = requireRole(request, 'admin', "replace an account's keys");
      const account = await accounts.showAccount(visit.user.workspaceId, request.params.handle);
      const crumbs = [gateways, { href: accountPath(account.handle), label: account.label }];
      return sendPage(
        reply,
        keysPage(
          visit,
          `Replace the keys of ${account.label}`,
          renderReplaceKeysForm(visit, account.handle, emptyKeysForm, null),
          crumbs,
        ),
      );
    },
  );

  app.post(
    '/admin/accounts/:handle/keys',
    { schema: { params: byHandle, body: keysFormBody } },
    async function replaceKeys(request, reply) {
      const visit = requireRole(request, 'admin', "replace an account's keys");
      const account = await accounts.showAccount(visit.user.workspaceId, request.params.handle);
      const form: KeysForm = request.body;
      try {
        const result = await accounts.replaceKeys(
          visit.user.workspaceId,
          account.handle,
          replacementKeysOf(form),
          consoleActor(visit),
        );
        return afterChange(
          reply,
          account.handle,
          'detail',
          `The keys of ${result.account.label} are replaced.`,
          result.warnings,
        );
      } catch (error) {
        if (!isAppError(error) || !keyFormCodes.has(error.code)) throw error;
        const crumbs = [gateways, { href: accountPath(account.handle), label: account.label }];
        const body = renderReplaceKeysForm(
          visit,
          account.handle,
          form,
          keyFormProblems(error, form),
        );
        return sendPage(
          reply,
          keysPage(visit, `Replace the keys of ${account.label}`, body, crumbs),
          error.status,
        );
      }
    },
  );

  app.get(
    '/admin/accounts/:handle/remove',
    { schema: { params: byHandle } },
    async function showRemove(request, reply) {
      const visit = requireRole(request, 'admin', 'remove an account');
      const account = await accounts.showAccount(visit.user.workspaceId, request.params.handle);
      return sendPage(
        reply,
        renderRemovePage(visit, account, await blocksOf(visit.user.workspaceId, account), false),
      );
    },
  );

  app.post(
    '/admin/accounts/:handle/remove',
    { schema: { params: byHandle, body: z.object(csrf) } },
    async function remove(request, reply) {
      const visit = requireRole(request, 'admin', 'remove an account');
      const workspaceId = visit.user.workspaceId;
      const account = await accounts.showAccount(workspaceId, request.params.handle);
      try {
        await accounts.removeAccount(workspaceId, account.handle, consoleActor(visit));
      } catch (error) {
        if (!isAppError(error) || !['account_in_use', 'conflict'].includes(error.code)) throw error;
        const references = (error.details as { references?: string[] } | null)?.references;
        const blocks = await blocksOf(workspaceId, account);
        const page = renderRemovePage(
          visit,
          account,
          { ...blocks, references: references ?? blocks.references },
          true,
        );
        return sendPage(reply, page, error.status);
      }
      return redirectWithNotice(
        reply,
        '/admin/accounts',
        `Removed ${account.label}. Its past payments keep its name.`,
      );
    },
  );
}
