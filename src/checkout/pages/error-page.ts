import type { AppError, ErrorCode } from '../../errors.js';
import { renderCheckoutNotice } from './step-pages.js';

/**
 * What a buyer reads when a visitor URL fails, by the error's code. The error's own message is
 * written for merchants and developers (routes, commands, field paths); a buyer gets these words.
 */
export interface VisitorProblem {
  heading: string;
  message: string;
}

const problems: Partial<Record<ErrorCode, VisitorProblem>> = {
  not_found: {
    heading: 'Page not found',
    message: 'There is no page at this address. Check the link, or start again from the beginning.',
  },
  method_not_allowed: {
    heading: 'This page cannot do that',
    message:
      'This address does not take that kind of request. Go back and use the buttons on the page.',
  },
  payload_too_large: {
    heading: 'That was too much to send',
    message:
      'What was sent is larger than this page accepts. Go back, shorten what you typed and try again.',
  },
  uri_too_long: {
    heading: 'That address is too long',
    message: 'Check the link, or start again from the beginning.',
  },
  headers_too_large: {
    heading: 'That address is too long',
    message:
      "The link, or the cookies your browser keeps for this shop, are too long to read. Check the link, or clear this site's cookies and start again.",
  },
  unsupported_media_type: {
    heading: 'Something was sent the wrong way',
    message: 'This page takes what its own forms send. Go back and use the form on the page.',
  },
  conflict: {
    heading: 'Your order is being updated',
    message:
      'This payment is already being confirmed, or your order is changing right now. Wait a moment, then reload the page.',
  },
  card_error: {
    heading: 'Your card was not charged',
    message: 'The payment did not go through. Try another card, or ask your bank why.',
  },
  upstream_unavailable: {
    heading: 'The payment service did not answer',
    message: 'Please try again in a moment.',
  },
  no_account_available: {
    heading: 'We cannot take payments right now',
    message: 'Nothing was charged. Please try again in a few minutes.',
  },
  not_ready: {
    heading: 'We cannot take payments right now',
    message: 'Nothing was charged. Please try again in a few minutes.',
  },
};

const badRequest: VisitorProblem = {
  heading: 'Something in that request was not right',
  message: 'Your browser sent something this page cannot use. Go back and try again.',
};

/**
 * The words for a failure: by its code, except a rate limit, whose message
 * (checkout/rate-limits.ts) is written for the buyer it stops. `reference` is what to quote to the
 * shop.
 */
export function visitorProblem(
  error: Pick<AppError, 'code' | 'status' | 'message'>,
  reference: string,
): VisitorProblem {
  const { code, status } = error;
  if (code === 'rate_limited') return { heading: 'Too many attempts', message: error.message };
  const known = problems[code];
  if (known) return known;
  if (status < 500) return badRequest;
  return {
    heading: 'Something went wrong on our side',
    message: `Please try again in a moment. If it keeps happening, tell the shop this reference: ${reference}.`,
  };
}

/** The whole page for a failed visitor request, in the checkout's style. */
export function renderVisitorErrorPage(
  problem: VisitorProblem,
  link: { href: string; label: string } | null,
): string {
  return renderCheckoutNotice({
    funnelName: 'Checkout',
    mode: 'live',
    title: problem.heading,
    secure: false,
    heading: problem.heading,
    message: problem.message,
    link,
  });
}
