import { settleInvoiceFor } from './billing.js';
import { type ControlEnvironment, findPaymentIntentAnywhere } from './control.js';
import { escapeHtml, renderPage } from './html.js';
import type { Ledger } from './ledger.js';
import type { PageResponse } from './oauth.js';
import type { PaymentIntentObject } from './objects.js';
import { completeAuthentication } from './payments.js';

/*
 * The bank's page of a redirect payment method (iDEAL): `next_action.redirect_to_url.url` points
 * here. The buyer approves or fails the payment, and the page sends the browser to `return_url`
 * with Stripe's query parameters, as a bank's page does through Stripe.
 */

interface WaitingPayment {
  ledger: Ledger;
  paymentIntent: PaymentIntentObject;
  returnUrl: string;
}

/** The PaymentIntent the page is for, while it waits for the bank; undefined otherwise. */
function findWaitingPayment(
  environment: ControlEnvironment,
  id: string,
  clientSecret: string,
): WaitingPayment | undefined {
  const found = findPaymentIntentAnywhere(environment, id);
  if (found === undefined || found.paymentIntent.client_secret !== clientSecret) return undefined;
  const action = found.paymentIntent.next_action;
  if (found.paymentIntent.status !== 'requires_action' || action?.type !== 'redirect_to_url') {
    return undefined;
  }
  const redirect = action.redirect_to_url;
  const returnUrl =
    redirect !== null && typeof redirect === 'object' && !Array.isArray(redirect)
      ? redirect.return_url
      : undefined;
  if (typeof returnUrl !== 'string') return undefined;
  return { ...found, returnUrl };
}

function htmlPage(status: number, title: string, body: string): PageResponse {
  return {
    status,
    headers: { 'Content-Type': 'text/html; charset=utf-8' },
    body: renderPage(title, body),
  };
}

function notWaiting(): PageResponse {
  return htmlPage(
    404,
    'No payment waiting',
    `<h1>No payment waiting</h1>
<p>This payment is not waiting for the bank: it was answered already, or the link is wrong.</p>`,
  );
}

function formatAmount(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).format(amount / 100);
  } catch {
    return `${amount / 100} ${currency.toUpperCase()}`;
  }
}

/** `GET /_emulator/redirect/:id?client_secret=…`: the bank asks the buyer to approve. */
export function renderBankPage(
  environment: ControlEnvironment,
  id: string,
  clientSecret: string,
): PageResponse {
  const waiting = findWaitingPayment(environment, id, clientSecret);
  if (waiting === undefined) return notWaiting();
  const { paymentIntent } = waiting;
  const amount = formatAmount(paymentIntent.amount, paymentIntent.currency);
  return htmlPage(
    200,
    'Approve your payment',
    `<p class="note">Test bank · iDEAL</p>
<h1>Approve your payment</h1>
<p>Your bank asks you to approve the payment of <strong>${escapeHtml(amount)}</strong>.</p>
<form method="post" action="/_emulator/redirect/${encodeURIComponent(paymentIntent.id)}">
<input type="hidden" name="client_secret" value="${escapeHtml(clientSecret)}">
<button type="submit" name="outcome" value="complete">Approve payment</button>
<button type="submit" name="outcome" value="fail" class="secondary">Fail payment</button>
</form>
<p class="note">This is a test page of the Stripe emulator. Choose whether the bank approves the payment.</p>`,
  );
}

/** `POST /_emulator/redirect/:id`: the buyer's answer, then back to `return_url` as Stripe does. */
export function answerBankPage(
  environment: ControlEnvironment,
  id: string,
  formText: string,
): PageResponse {
  const form = new URLSearchParams(formText);
  const clientSecret = form.get('client_secret') ?? '';
  const waiting = findWaitingPayment(environment, id, clientSecret);
  if (waiting === undefined) return notWaiting();
  const attempt = completeAuthentication(
    environment,
    waiting.ledger,
    waiting.paymentIntent,
    form.get('outcome') === 'complete',
  );
  settleInvoiceFor(environment, waiting.ledger, attempt.paymentIntent);
  const status = attempt.paymentIntent.status;
  const target = new URL(waiting.returnUrl);
  target.searchParams.set('payment_intent', attempt.paymentIntent.id);
  target.searchParams.set('payment_intent_client_secret', clientSecret);
  target.searchParams.set(
    'redirect_status',
    status === 'succeeded' || status === 'requires_capture' ? 'succeeded' : 'failed',
  );
  return { status: 303, headers: { Location: target.toString() }, body: '' };
}
