import { z } from 'zod';
import type { DoctorReport } from '../doctor/doctor.service.js';
import type { Finding } from '../doctor/finding.js';
import { AppError } from '../errors.js';
import type { App } from '../http/app.js';
import { escapeHtml } from '../http/pages.js';
import { type ConsoleDependencies, sendPage, visitOf } from './console-app.js';
import {
  findingBadge,
  findingPlace,
  findingScreenLink,
  findingTitle,
  fixHtml,
} from './finding-words.js';
import { formatWhen, selectField } from './forms.js';
import { renderConsolePage } from './layout.js';

/** `run=all` runs every check; `run=<handle>` only that account's. */
const doctorQuery = z.object({ run: z.string().max(40).optional() }).passthrough();

/**
 * `/admin/doctor`: runs doctor when asked (it calls Stripe, so a plain visit does not) and shows
 * every finding, failures first, each with its fix and the console screen that mends it.
 */
export function registerDoctorScreens(app: App, { services }: ConsoleDependencies): void {
  app.get('/admin/doctor', async function doctorScreen(request, reply) {
    const visit = visitOf(request);
    const workspaceId = visit.user.workspaceId;
    const { run } = doctorQuery.parse(request.query ?? {});
    const accounts = await services.accounts.listAccounts(workspaceId);
    const handles = accounts.map((account) => account.handle);
    let report: DoctorReport | null = null;
    let problem: string | null = null;
    if (run !== undefined && run !== '') {
      if (run !== 'all' && !handles.includes(run)) {
        problem = `No payment gateway has the handle "${run}". Choose one from the list.`;
      } else {
        try {
          report = await services.doctor.run(workspaceId, run === 'all' ? {} : { account: run });
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          problem = error.message;
        }
      }
    }
    const form = `<form method="get" action="/admin/doctor" class="panel doctor-run">
${selectField({
  name: 'run',
  label: 'Check',
  value: run && run !== '' ? run : 'all',
  options: [
    { value: 'all', label: 'Everything' },
    ...handles.map((handle) => ({ value: handle, label: `Only ${handle}` })),
  ],
  hint: 'The whole setup and every account, or one account only. Doctor asks Stripe, so it can take a few seconds.',
  ...(problem ? { error: problem } : {}),
})}
<button type="submit" class="button primary">Run doctor now</button>
</form>`;
    const body = `<p class="muted">Doctor checks the keys, webhooks, routing and the state of each Stripe account, and says how to mend what it finds. The scheduled alerts job runs it too and tells your alert channels.</p>
${form}
${report ? reportHtml(report, run === 'all' ? null : (run ?? null)) : ''}`;
    return sendPage(reply, renderConsolePage({ visit, title: 'Doctor', section: 'doctor', body }));
  });
}

function reportHtml(report: DoctorReport, account: string | null): string {
  const { counts } = report;
  const summary =
    report.status === 'pass'
      ? 'Every check passed.'
      : `${counts.fail} failing, ${counts.warn} warning${counts.warn === 1 ? '' : 's'}, ${counts.pass} passed.`;
  const problems = report.findings.filter((finding) => finding.status !== 'pass');
  const passes = report.findings.filter((finding) => finding.status === 'pass');
  return `<section aria-labelledby="report-heading">
<h2 id="report-heading">${account ? `Findings for ${escapeHtml(account)}` : 'Findings'}</h2>
<p role="status">${findingBadge(report.status)} ${escapeHtml(summary)} <span class="muted">Checked ${formatWhen(report.generatedAt)}.</span></p>
${problems.length ? `<ol class="findings">${problems.map(findingHtml).join('\n')}</ol>` : ''}
${
  passes.length
    ? `<details class="panel passes"><summary>${passes.length} check${passes.length === 1 ? '' : 's'} passed</summary><ul>${passes
        .map(
          (finding) =>
            `<li><strong>${escapeHtml(findingTitle(finding.code))}</strong> <span class="muted">· ${escapeHtml(findingPlace(finding))}</span>: ${escapeHtml(finding.detail)}</li>`,
        )
        .join('')}</ul></details>`
    : ''
}
</section>`;
}

function findingHtml(finding: Finding): string {
  const link = findingScreenLink(finding);
  return `<li class="finding ${finding.status}">
<h3>${findingBadge(finding.status)} ${escapeHtml(findingTitle(finding.code))} <span class="muted">· ${escapeHtml(findingPlace(finding))}</span></h3>
<p>${escapeHtml(finding.detail)}</p>
${finding.fix ? `<p><strong>How to mend it:</strong> ${fixHtml(finding.fix)}</p>` : ''}
${link ? `<p>${link}</p>` : ''}
<p class="muted code-name">Code: <code>${escapeHtml(finding.code)}</code></p>
</li>`;
}
