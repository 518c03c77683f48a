import { endTestWithWinner } from '../analytics/ab-winner.js';
import { periodOf, statsQuery } from '../analytics/stats.schema.js';
import type { FunnelStats, Revenue, StepStats } from '../analytics/stats.service.js';
import { parseInput } from '../catalog/catalog.schema.js';
import { formatMoney } from '../catalog/money.js';
import type { App } from '../http/app.js';
import { escapeHtml } from '../http/pages.js';
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
import {
  dataTable,
  errorSummary,
  type FieldErrors,
  fieldErrorsOf,
  postButton,
  textField,
} from './forms.js';
import { renderConsolePage } from './layout.js';
import { dailyChart, funnelChart } from './stats-charts.js';

const labels: Record<string, string> = { from: 'From', to: 'To' };

function percent(share: number | null): string {
  return share === null ? '—' : `${Math.round(share * 1000) / 10}%`;
}

function revenueText(revenue: Revenue[]): string {
  if (revenue.length === 0) return '—';
  return revenue
    .map(
      (entry) =>
        `${escapeHtml(formatMoney(entry.amount, entry.currency))} on ${escapeHtml(entry.account ?? 'no account')}`,
    )
    .join('<br>');
}

function rowOf(step: StepStats): string[] {
  const take = step.kind === 'order' ? `${percent(step.takeRate)} bump` : percent(step.takeRate);
  return [
    step.kind === step.step
      ? escapeHtml(step.step)
      : `${escapeHtml(step.step)} <span class="muted">(${escapeHtml(step.kind)})</span>`,
    step.views.toLocaleString('en-US'),
    step.visitors.toLocaleString('en-US'),
    step.contacts.toLocaleString('en-US'),
    step.payments.toLocaleString('en-US'),
    revenueText(step.revenue),
    percent(step.toNext),
    step.kind === 'order' ? percent(step.paidRate) : '—',
    step.takeRate === null ? '—' : take,
  ];
}

/** Each A/B test: the variants' figures, the z-test in words, and (for admins) "End with …". */
function testsHtml(stats: FunnelStats, visit: ConsoleVisit): string {
  const tested = stats.steps.filter((step) => step.test !== null);
  if (tested.length === 0) return '';
  const canEnd = roleAllows(visit.user.role, 'admin');
  const sections = tested.map((step) => {
    const test = step.test;
    if (!test) return '';
    const goal = test.goal === 'accepted' ? 'said yes to the offer' : 'went on to the next step';
    const rows = test.variants.map((variant) => [
      escapeHtml(variant.variant),
      String(variant.weight),
      variant.visitors.toLocaleString('en-US'),
      variant.converted.toLocaleString('en-US'),
      percent(variant.rate),
      ...(canEnd
        ? [
            postButton({
              action: `/admin/stats/${encodeURIComponent(stats.funnel)}/steps/${encodeURIComponent(step.step)}/winner`,
              label: `End with ${variant.variant}`,
              visit,
              fields: { variant: variant.variant },
              tone: 'secondary',
              context: `on step ${step.step}`,
            }),
          ]
        : []),
    ]);
    const notes = test.comparisons
      .map((comparison) => `<li>${escapeHtml(comparison.note)}</li>`)
      .join('');
    return `<section class="panel ab-test" aria-labelledby="test-${escapeHtml(step.step)}">
<h3 id="test-${escapeHtml(step.step)}">A/B test on ${escapeHtml(step.step)}</h3>
<p>Converted: visitors who ${goal}. Ending the test makes the chosen variant's blocks the step's own for every visitor.</p>
${dataTable({
  caption: `Variants of ${step.step}`,
  headers: [
    'Variant',
    'Weight',
    'Visitors',
    'Converted',
    'Rate',
    ...(canEnd ? ['End the test'] : []),
  ],
  rows,
  empty: 'No variants.',
})}
<ul class="plain">${notes}</ul>
</section>`;
  });
  return `<h2>A/B tests</h2>\n${sections.join('\n')}`;
}

function statsHtml(stats: FunnelStats, visit: ConsoleVisit): string {
  const bars = stats.steps.map((step) => ({
    label: step.step,
    visitors: step.visitors,
    note: step.toNext === null ? null : `${percent(step.toNext)} go on`,
  }));
  const views = stats.days.map((day) => ({
    day: day.day,
    value: day.steps.reduce((sum, step) => sum + step.views, 0),
  }));
  const paid = stats.days.map((day) => ({
    day: day.day,
    value: day.steps.reduce((sum, step) => sum + step.payments, 0),
  }));
  return [
    '<div class="charts">',
    funnelChart(`Unique visitors per step, ${stats.from} to ${stats.to}`, bars),
    dailyChart('Page views per day, all steps', views, 'views'),
    dailyChart('Paid payments per day (orders and offers)', paid, 'paid'),
    '</div>',
    testsHtml(stats, visit),
    '<h2>Each step over the period</h2>',
    '<div class="stats-table">',
    dataTable({
      caption: 'Each step over the period',
      headers: [
        'Step',
        'Views',
        'Visitors',
        'Contacts',
        'Payments',
        'Revenue',
        'To next step',
        'Paid rate',
        'Take rate',
      ],
      rows: stats.steps.map(rowOf),
      empty: 'This funnel has no steps.',
    }),
    '</div>',
  ].join('\n');
}

function periodForm(slug: string, values: Record<string, string>, errors: FieldErrors | null) {
  return `<form method="get" action="/admin/stats/${encodeURIComponent(slug)}" class="stats-period">
${textField({ name: 'from', label: 'From', type: 'date', value: values.from, error: errors?.from })}
${textField({ name: 'to', label: 'To', type: 'date', value: values.to, error: errors?.to })}
<p class="buttons"><button type="submit" class="button secondary">Show</button></p>
</form>`;
}

/** `/admin/stats`: the funnels; `/admin/stats/{funnel}`: its steps' counts, charts and rates. */
export function registerStatsScreens(app: App, { services }: ConsoleDependencies): void {
  app.get('/admin/stats', async function statsIndex(request, reply) {
    const visit = visitOf(request);
    const funnels = await services.catalog.listFunnels(visit.user.workspaceId);
    const body = [
      `<p>Views, unique visitors, contact submissions, payments and revenue of each funnel's steps. ${services.funnelCounter.enabled ? '' : '<strong>Counting is off on this instance (FUNNEL_STATS=off): views and contacts are not counted.</strong>'}</p>`,
      dataTable({
        caption: 'Funnels',
        headers: ['Funnel', 'Steps', 'Mode'],
        rows: funnels.map((funnel) => [
          `<a href="/admin/stats/${encodeURIComponent(funnel.slug)}">${escapeHtml(funnel.name)}</a>`,
          String(funnel.steps),
          escapeHtml(funnel.mode),
        ]),
        empty: 'No funnels yet.',
      }),
    ].join('\n');
    return sendPage(
      reply,
      renderConsolePage({ visit, title: 'Funnel stats', section: 'stats', body }),
    );
  });

  app.get<{ Params: { funnel: string }; Querystring: Record<string, string> }>(
    '/admin/stats/:funnel',
    async function funnelStats(request, reply) {
      const visit = visitOf(request);
      const workspaceId = visit.user.workspaceId;
      const values: Record<string, string> = {};
      for (const field of ['from', 'to']) {
        const given = request.query?.[field];
        if (typeof given === 'string' && given !== '') values[field] = given;
      }
      const funnel = await services.catalog.showFunnel(workspaceId, request.params.funnel);
      let stats: FunnelStats | null = null;
      let errors: FieldErrors | null = null;
      try {
        const period = periodOf(
          parseInput(statsQuery, values),
          services.clock().toISOString().slice(0, 10),
        );
        stats = await services.funnelStats.stats(workspaceId, funnel.slug, period);
      } catch (error) {
        errors = fieldErrorsOf(error);
        if (!errors) throw error;
      }
      const shown = stats ? { from: stats.from, to: stats.to } : values;
      const body = [
        errors
          ? errorSummary(
              'That period could not be used. Check the fields marked below.',
              errors,
              labels,
            )
          : '',
        periodForm(funnel.slug, { ...shown, ...values }, errors),
        stats ? statsHtml(stats, visit) : '',
      ].join('\n');
      return sendPage(
        reply,
        renderConsolePage({
          visit,
          title: `${funnel.name}: stats`,
          section: 'stats',
          body,
          breadcrumbs: [{ href: '/admin/stats', label: 'Funnel stats' }],
        }),
        errors ? 400 : 200,
      );
    },
  );

  app.post<{ Params: { funnel: string; step: string } }>(
    '/admin/stats/:funnel/steps/:step/winner',
    async function endAbTest(request, reply) {
      const visit = requireRole(request, 'admin', 'end an A/B test');
      const body = (request.body ?? {}) as Record<string, unknown>;
      const winner = typeof body.variant === 'string' ? body.variant : '';
      const { funnel, step } = request.params;
      await endTestWithWinner(services.catalog, {
        workspaceId: visit.user.workspaceId,
        funnel,
        step,
        winner,
        actor: consoleActor(visit),
      });
      return redirectWithNotice(
        reply,
        `/admin/stats/${encodeURIComponent(funnel)}`,
        `The A/B test on ${step} ended: every visitor now sees ${winner}.`,
      );
    },
  );
}
