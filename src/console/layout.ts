import { escapeHtml } from '../http/pages.js';
import { roleDescriptions } from '../users/roles.js';
import type { ConsoleVisit } from './console-app.js';
import { csrfInput } from './forms.js';

/** The console's sections, in the order the menu shows them. */
export const consoleSections = [
  { key: 'dashboard', href: '/admin', label: 'Dashboard' },
  { key: 'accounts', href: '/admin/accounts', label: 'Payment gateways' },
  { key: 'routing', href: '/admin/routing', label: 'Routing' },
  { key: 'products', href: '/admin/products', label: 'Products' },
  { key: 'funnels', href: '/admin/funnels', label: 'Funnels' },
  { key: 'orders', href: '/admin/orders', label: 'Orders' },
  { key: 'abandoned', href: '/admin/checkouts/abandoned', label: 'Abandoned checkouts' },
  { key: 'stats', href: '/admin/stats', label: 'Funnel stats' },
  { key: 'transactions', href: '/admin/transactions', label: 'Transactions' },
  { key: 'doctor', href: '/admin/doctor', label: 'Doctor' },
  { key: 'alerts', href: '/admin/settings/alerts', label: 'Alerts' },
  { key: 'audit', href: '/admin/audit', label: 'Audit log' },
  { key: 'users', href: '/admin/users', label: 'People' },
] as const;

export type ConsoleSection = (typeof consoleSections)[number]['key'];

export interface ConsolePage {
  visit: ConsoleVisit;
  /** The page's heading and the start of the tab's title. */
  title: string;
  section: ConsoleSection;
  /** The page's content under its heading, already safe HTML. */
  body: string;
  /** Links back up, e.g. [{href:'/admin/accounts', label:'Payment gateways'}]. */
  breadcrumbs?: Array<{ href: string; label: string }>;
  /** Buttons or links beside the heading, already safe HTML. */
  actions?: string;
  /** Loads htmx (served by Switchyard) for pages that update part of themselves. */
  htmx?: boolean;
}

const head = (title: string, htmx: boolean) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)} · Switchyard</title>
<link rel="icon" href="/admin/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/admin/assets/console.css">
${htmx ? '<script src="/admin/assets/htmx.min.js" defer></script>\n' : ''}</head>`;

/** A signed-in console page: the menu, who is signed in, the notice of the last change. */
export function renderConsolePage(page: ConsolePage): string {
  const { visit } = page;
  const menu = consoleSections
    .map(
      (section) =>
        `<li><a href="${section.href}"${section.key === page.section ? ' aria-current="page"' : ''}>${escapeHtml(section.label)}</a></li>`,
    )
    .join('');
  const crumbs = page.breadcrumbs?.length
    ? `<nav class="crumbs" aria-label="Breadcrumb"><ol>${page.breadcrumbs
        .map(
          (crumb) => `<li><a href="${escapeHtml(crumb.href)}">${escapeHtml(crumb.label)}</a></li>`,
        )
        .join('')}<li aria-current="page">${escapeHtml(page.title)}</li></ol></nav>`
    : '';
  const notice = visit.notice
    ? `<p class="notice" role="status">${escapeHtml(visit.notice)}</p>`
    : '';
  return `${head(page.title, page.htmx ?? false)}
<body>
<a class="skip" href="#content">Skip to content</a>
<header class="topbar">
<a class="brand" href="/admin">Switchyard</a>
<details class="menu">
<summary>Menu</summary>
<nav aria-label="Console"><ul>${menu}</ul></nav>
</details>
<div class="who">
<span class="person" title="${escapeHtml(roleDescriptions[visit.user.role])}">${escapeHtml(visit.user.name)} <span class="role">${escapeHtml(visit.user.role)}</span></span>
<form method="post" action="/admin/sign-out">${csrfInput(visit)}<button type="submit" class="link">Sign out</button></form>
</div>
</header>
<div class="frame">
<nav class="sidebar" aria-label="Sections"><ul>${menu}</ul></nav>
<main id="content">
${crumbs}<div class="page-head"><h1>${escapeHtml(page.title)}</h1>${page.actions ? `<div class="actions">${page.actions}</div>` : ''}</div>
${notice}${page.body}
</main>
</div>
</body>
</html>
`;
}

/** A page outside the signed-in console (sign-in, setup, an invite): one small card. */
export function renderWelcomePage(input: { title: string; body: string }): string {
  return `${head(input.title, false)}
<body class="welcome">
<main id="content" class="card">
<p class="brand">Switchyard</p>
<h1>${escapeHtml(input.title)}</h1>
${input.body}
</main>
</body>
</html>
`;
}
