import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, isAppError } from '../errors.js';
import type { App } from '../http/app.js';
import { escapeHtml } from '../http/pages.js';
import type { RoutingAccount } from '../routing/index.js';
import { roleAllows } from '../users/roles.js';
import {
  type ConsoleDependencies,
  type ConsoleVisit,
  consoleActor,
  redirectWithNotice,
  requireRole,
  sendPage,
  visitOf,
} from './console-app.js';
import { errorSummary, type FieldErrors, fieldErrorsOf } from './forms.js';
import { renderConsolePage } from './layout.js';
import { problemList, renderSimulation } from './routing-decision.js';
import { documentText, renderDocumentEditor } from './routing-document.js';
import { renderEditor } from './routing-editor.js';
import {
  documentOf,
  emptyPin,
  emptyRule,
  type FormBody,
  type FormProblem,
  formFieldOf,
  inWords,
  pathOf,
  pinKinds,
  type RoutingForm,
  routingFormFrom,
  routingFormOf,
  type TryForm,
  tryFormOf,
} from './routing-form.js';
import { reviewDraft, type Simulation, simulate } from './routing-simulator.js';
import { renderVersionList, renderVersionPage } from './routing-versions.js';

const byVersion = z.object({ version: z.coerce.number().int().min(1).max(2_147_483_647) });

/** The console's routing screens: the rules and pins as a form, the simulator, the versions. */
export function registerRoutingScreens(app: App, deps: ConsoleDependencies): void {
  const routing = deps.services.routingConfig;

  async function showRoutingPage(
    request: FastifyRequest,
    reply: FastifyReply,
    input: {
      form?: RoutingForm;
      payment?: TryForm;
      simulation?: Simulation | null;
      errors?: FormProblem[];
      refusal?: string;
      status?: number;
    },
  ) {
    const visit = visitOf(request);
    const workspaceId = visit.user.workspaceId;
    const [active, versions] = await Promise.all([
      routing.showActive(workspaceId),
      routing.listVersions(workspaceId, 25),
    ]);
    const accounts = active.document.accounts;
    const form = input.form ?? routingFormFrom(active.document, active.version);
    const payment = input.payment ?? defaultPayment(accounts);
    const simulation =
      input.simulation === undefined
        ? await simulate(routing, workspaceId, form, payment)
        : input.simulation;
    const errors = errorsByField([
      ...(input.errors ?? []),
      ...(simulation && simulation.kind !== 'decided' ? simulation.errors : []),
    ]);
    const canChange = roleAllows(visit.user.role, 'admin');
    const { warnings } = reviewDraft(form, active.document);
    const worthALook =
      warnings.length === 0
        ? ''
        : `<div class="routing-warnings" role="note"><p><strong>Worth a look before saving:</strong></p>${problemList(warnings)}</div>`;
    const summary =
      input.refusal !== undefined
        ? errorSummary(input.refusal, errors, labelsOf(errors, form))
        : Object.keys(errors).length > 0
          ? errorSummary(
              'Some fields need a look before these rules can be tried or saved.',
              errors,
              labelsOf(errors, form),
            )
          : '';
    const body = `${summary}${accounts.length === 0 ? '<p class="empty">No payment gateway is connected yet. <a href="/admin/accounts">Connect one</a> first: rules and pins choose between your accounts.</p>' : ''}
<p class="muted">${active.version === null ? 'No routing saved yet.' : `Active: version ${active.version}${active.message ? `, “${escapeHtml(active.message)}”` : ''}.`}</p>
${worthALook}${renderEditor({ visit, accounts, form, payment, simulation, errors, canSave: canChange })}
${renderVersionList(visit, versions, canChange)}`;
    return sendPage(
      reply,
      renderConsolePage({
        visit,
        title: 'Routing',
        section: 'routing',
        body,
        htmx: true,
        actions: '<a class="button secondary" href="/admin/routing/document">Edit as JSON</a>',
      }),
      input.status ?? 200,
    );
  }

  app.get('/admin/routing', async function routingPage(request, reply) {
    return showRoutingPage(request, reply, {});
  });

  // Edits (add, remove, move) and tries: nothing is saved, so every role may use it.
  app.post('/admin/routing/draft', async function routingDraft(request, reply) {
    const visit = visitOf(request);
    const body = formBodyOf(request);
    const active = await routing.showActive(visit.user.workspaceId);
    const accounts = active.document.accounts;
    const form = edited(routingFormOf(body), String(body.intent ?? 'try'), accounts);
    const payment = tryFormOf(
      body,
      accounts.map((account) => account.handle),
    );
    const simulation = await simulate(routing, visit.user.workspaceId, form, payment);
    if (request.headers['hx-request'] === 'true') {
      return sendPage(reply, renderSimulation(simulation));
    }
    return showRoutingPage(request, reply, { form, payment, simulation });
  });

  app.post('/admin/routing', async function saveRouting(request, reply) {
    const visit = requireRole(request, 'admin', 'change the routing rules');
    const body = formBodyOf(request);
    const workspaceId = visit.user.workspaceId;
    const active = await routing.showActive(workspaceId);
    const form = routingFormOf(body);
    const payment = tryFormOf(
      body,
      active.document.accounts.map((account) => account.handle),
    );
    const refused = (errors: FormProblem[], refusal: string, status: number) =>
      showRoutingPage(request, reply, { form, payment, errors, refusal, status });

    const review = reviewDraft(form, active.document);
    if (review.errors.length > 0) {
      return refused(review.errors, problemsHeading(review.errors.length), 422);
    }
    try {
      const applied = await routing.applyDocument(workspaceId, documentOf(form).document, {
        actor: consoleActor(visit),
        message: form.message.trim() || 'Changed in the console',
        basedOn: /^\d+$/.test(form.basedOn) ? Number(form.basedOn) : undefined,
        root: 'document',
      });
      const notice = applied.changed
        ? `Saved as version ${applied.version}.`
        : 'Nothing to save: the rules and pins are the same as the active version.';
      return redirectWithNotice(reply, '/admin/routing', notice);
    } catch (error) {
      const fields = fieldErrorsOf(error);
      if (fields) {
        const errors = Object.entries(fields).map(([field, message]) => ({
          field: formFieldOf(pathOf(field, 'document'), form) ?? 'document',
          message: inWords(message),
        }));
        return refused(errors, problemsHeading(errors.length), 422);
      }
      if (isAppError(error) && error.code === 'conflict') {
        return refused(
          [],
          'Someone saved the routing while you were editing, so yours was not saved. Your edits are still below: open Routing again in another tab to see their version, then save yours again with their changes included.',
          409,
        );
      }
      throw error;
    }
  });

  function showDocumentPage(
    reply: FastifyReply,
    visit: ConsoleVisit,
    input: { text: string; message: string; basedOn: string; problems: string[] },
    status = 200,
  ) {
    const body = renderDocumentEditor({
      visit,
      ...input,
      canSave: roleAllows(visit.user.role, 'admin'),
    });
    return sendPage(
      reply,
      renderConsolePage({
        visit,
        title: 'Routing as JSON',
        section: 'routing',
        body,
        breadcrumbs: [{ href: '/admin/routing', label: 'Routing' }],
      }),
      status,
    );
  }

  app.get('/admin/routing/document', async function routingDocumentPage(request, reply) {
    const visit = visitOf(request);
    const active = await routing.showActive(visit.user.workspaceId);
    return showDocumentPage(reply, visit, {
      text: documentText(active.document),
      message: '',
      basedOn: String(active.version ?? 0),
      problems: [],
    });
  });

  app.post('/admin/routing/document', async function saveRoutingDocument(request, reply) {
    const visit = requireRole(request, 'admin', 'change the routing rules');
    const body = formBodyOf(request);
    const text = typeof body.document === 'string' ? body.document : '';
    const message = typeof body.message === 'string' ? body.message : '';
    const basedOn = typeof body.basedOn === 'string' ? body.basedOn : '';
    const refused = (problems: string[], status: number) =>
      showDocumentPage(reply, visit, { text, message, basedOn, problems }, status);
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      return refused([`This is not valid JSON (${(error as Error).message}).`], 422);
    }
    try {
      const applied = await routing.applyDocument(visit.user.workspaceId, document, {
        actor: consoleActor(visit),
        message: message.trim() || 'Changed in the console',
        basedOn: /^\d+$/.test(basedOn) ? Number(basedOn) : undefined,
        root: 'document',
      });
      return redirectWithNotice(
        reply,
        '/admin/routing',
        applied.changed
          ? `Saved as version ${applied.version}.`
          : 'Nothing to save: the rules and pins are the same as the active version.',
      );
    } catch (error) {
      const fields = fieldErrorsOf(error);
      if (fields) {
        return refused(
          Object.entries(fields).map(
            ([field, problem]) =>
              `${field.replace(/^document\.?/, '') || 'the document'}: ${problem}`,
          ),
          422,
        );
      }
      if (isAppError(error) && error.code === 'conflict') {
        return refused([error.message], 409);
      }
      throw error;
    }
  });

  app.get(
    '/admin/routing/versions/:version',
    { schema: { params: byVersion } },
    async function routingVersionPage(request, reply) {
      const visit = visitOf(request);
      const { version } = byVersion.parse(request.params);
      const found = await routing.showVersion(visit.user.workspaceId, version);
      if (!found) {
        throw new AppError('not_found', `There is no routing version ${version}.`, { version });
      }
      const active = await routing.showActive(visit.user.workspaceId);
      const body = renderVersionPage({
        visit,
        version: found.version,
        previous: found.previous,
        active: active.version === version,
        canRollBack: roleAllows(visit.user.role, 'admin'),
      });
      return sendPage(
        reply,
        renderConsolePage({
          visit,
          title: `Routing version ${version}`,
          section: 'routing',
          body,
          breadcrumbs: [{ href: '/admin/routing', label: 'Routing' }],
        }),
      );
    },
  );

  app.post(
    '/admin/routing/versions/:version/rollback',
    { schema: { params: byVersion } },
    async function rollbackRouting(request, reply) {
      const visit = requireRole(request, 'admin', 'roll back the routing');
      const { version } = byVersion.parse(request.params);
      const applied = await routing.rollback(visit.user.workspaceId, version, consoleActor(visit));
      return redirectWithNotice(
        reply,
        '/admin/routing',
        `Rolled back: version ${applied.version} restores version ${version}.`,
      );
    },
  );
}

function formBodyOf(request: FastifyRequest): FormBody {
  const body = request.body;
  return body !== null && typeof body === 'object' ? (body as FormBody) : {};
}

function problemsHeading(count: number): string {
  return `The routing was not saved: ${count === 1 ? 'one field needs' : `${count} fields need`} a change. Your edits are kept below.`;
}

function errorsByField(problems: readonly FormProblem[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const problem of problems) errors[problem.field] ??= problem.message;
  return errors;
}

const fieldLabels: Record<string, string> = {
  name: 'Name',
  use: 'Account',
  fallback: 'Fallback',
  fallbackList: 'Fallback accounts',
  split: 'Split between accounts',
  splitKey: 'Split by',
  prefer: 'Keep returning customers on their account',
  slug: 'Slug',
  'when.currency': 'Currencies',
  'when.country': 'Buyer countries',
  'when.amount.min': 'Amount from',
  'when.amount.max': 'Amount up to',
  'when.products': 'Products',
  'when.tags': 'Product tags',
  'when.funnel': 'Funnels',
};

const pinLabels = { products: 'Product pin', steps: 'Step pin', funnels: 'Funnel pin' } as const;

/** How the error summary names each field: "Rule 2 (euro-sales), Account". */
function labelsOf(errors: FieldErrors, form: RoutingForm): Record<string, string> {
  const labels: Record<string, string> = { document: 'Routing', message: 'Message' };
  for (const field of Object.keys(errors)) {
    const rule = /^rules\[(\d+)\]\.(.+)$/.exec(field);
    if (rule) {
      const index = Number(rule[1]);
      const name = form.rules[index]?.name;
      labels[field] =
        `Rule ${index + 1}${name ? ` (${name})` : ''}, ${fieldLabels[rule[2] ?? ''] ?? rule[2]}`;
      continue;
    }
    const pin = /^(products|steps|funnels)\[(\d+)\]\.(.+)$/.exec(field);
    if (pin) {
      const kind = pin[1] as keyof typeof pinLabels;
      labels[field] =
        `${pinLabels[kind]} ${Number(pin[2]) + 1}, ${fieldLabels[pin[3] ?? ''] ?? pin[3]}`;
      continue;
    }
    if (field.startsWith('try.')) {
      const name = field.slice(4);
      labels[field] =
        `Try a payment, ${name.startsWith('health.') ? `health of ${name.slice(7)}` : name}`;
    }
  }
  return labels;
}

/** The form after one edit button: add, remove or move a rule, add or remove a pin. */
function edited(
  form: RoutingForm,
  intent: string,
  accounts: readonly RoutingAccount[],
): RoutingForm {
  const primary =
    accounts.find((account) => account.role === 'primary')?.handle ?? accounts[0]?.handle ?? '';
  const [action, first, second] = intent.split(':');
  const rules = [...form.rules];
  const at = Number(first);
  switch (action) {
    case 'add-rule':
      return { ...form, rules: [...rules, emptyRule(primary)] };
    case 'remove-rule':
      rules.splice(at, 1);
      return { ...form, rules };
    case 'up':
    case 'down': {
      const to = action === 'up' ? at - 1 : at + 1;
      const moving = rules[at];
      const other = rules[to];
      if (moving === undefined || other === undefined) return form;
      rules[to] = moving;
      rules[at] = other;
      return { ...form, rules };
    }
    case 'add-pin':
    case 'remove-pin': {
      const kind = pinKinds.find((candidate) => candidate === first);
      if (kind === undefined) return form;
      const pins = [...form.pins[kind]];
      if (action === 'add-pin') pins.push(emptyPin(primary));
      else pins.splice(Number(second), 1);
      return { ...form, pins: { ...form.pins, [kind]: pins } };
    }
    default:
      return form;
  }
}

function defaultPayment(accounts: readonly RoutingAccount[]): TryForm {
  const primary = accounts.find((account) => account.role === 'primary');
  return {
    mode: 'test',
    kind: 'initial',
    parent: '',
    currency: (primary?.currencies?.[0] ?? 'usd').toUpperCase(),
    country: '',
    amount: '4900',
    products: '',
    tags: '',
    funnel: '',
    step: '',
    order: '',
    customer: '',
    customerAccounts: '',
    usage: Object.fromEntries(accounts.map((account) => [account.handle, { day: '', month: '' }])),
    health: Object.fromEntries(accounts.map((account) => [account.handle, ''])),
  };
}
