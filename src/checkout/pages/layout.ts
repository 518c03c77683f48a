import { escapeHtml } from '../../http/pages.js';
import { faviconDataUrl } from './favicon.js';
import { lockIcon } from './icons.js';
import type { PageFrame } from './views.js';

export interface LayoutOptions {
  /** Extra markup for `<head>`, already safe HTML. */
  head?: string;
  /** A wider page, for the order form's two columns on large screens. */
  wide?: boolean;
}

/** The whole document around a visitor page: one stylesheet, the funnel's name, Stripe's lock. */
export function renderLayout(frame: PageFrame, body: string, options: LayoutOptions = {}): string {
  const banner =
    frame.mode === 'test'
      ? '<p class="test-banner" role="note">Test mode: no real card is charged. Use card 4242 4242 4242 4242.</p>\n'
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(frame.title)}</title>
<link rel="icon" type="image/svg+xml" href="${faviconDataUrl}">
<link rel="stylesheet" href="/assets/checkout.css">
${options.head ?? ''}</head>
<body${options.wide ? ' class="wide"' : ''}>
${banner}<header class="site-header"><p>${escapeHtml(frame.funnelName)}</p></header>
<main>
${body}
</main>
<footer class="site-footer">${lockIcon} Secured by Stripe</footer>
</body>
</html>
`;
}
