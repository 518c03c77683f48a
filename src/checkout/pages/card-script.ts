import { escapeHtml } from '../../http/pages.js';
import { cardDeclinedMessage, cardProblemWords } from '../card-problems.js';
import type { CardFormView } from './views.js';

/** What the card form script reads from the page; never the secret key, only what Stripe.js needs. */
interface CardConfig {
  publishableKey: string;
  stripeAccount: string | null;
  clientSecret: string;
  returnUrl: string;
  bumpAction: string | null;
  /** Stripe's decline or error code -> the buyer's words (card-problems.ts), and the fallback. */
  cardProblems: Readonly<Record<string, string>>;
  cardDeclined: string;
}

/**
 * Stripe.js and the script that runs the card form (`#payment-form`): it mounts the Payment
 * Element for the account that owns the PaymentIntent, confirms on submit, shows a decline and
 * lets the visitor try another card on the same PaymentIntent. With `bumpAction`, ticking `#bump`
 * asks the server for the new total before the visitor pays; an answer with a `notice` says the
 * order stayed as it was (the box follows `bump`), and `reload` keeps Pay off until a reload.
 */
export function cardScript(card: CardFormView, options: { bumpAction?: string } = {}): string {
  const config: CardConfig = {
    publishableKey: card.publishableKey,
    stripeAccount: card.stripeAccount,
    clientSecret: card.clientSecret,
    returnUrl: card.returnUrl,
    bumpAction: options.bumpAction ?? null,
    cardProblems: cardProblemWords,
    cardDeclined: cardDeclinedMessage,
  };
  return `<script src="${escapeHtml(card.stripeJsUrl)}"></script>
<script type="application/json" id="card-config">${jsonForScriptElement(config)}</script>
<script src="${cardFormPath}"></script>`;
}

/** Served, not inline: the pages' Content-Security-Policy runs no inline script. */
export const cardFormPath = '/assets/card-form.js';

/** JSON that stays inside its `<script>` element: no `<` can start `</script>` or `<!--`. */
export function jsonForScriptElement(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * Plain ES2019 for older phones: no optional chaining, no modules, no framework. `wordsFor` keeps
 * the Payment Element's own checks (they speak to the buyer) and maps every other Stripe outcome.
 */
export const cardFormSource = `(function () {
  var config = JSON.parse(document.getElementById('card-config').textContent);
  var form = document.getElementById('payment-form');
  var pay = document.getElementById('pay');
  var message = document.getElementById('payment-message');
  var bump = document.getElementById('bump');
  var total = document.getElementById('total');
  if (typeof Stripe !== 'function') {
    message.textContent = 'The card form could not load. Check your connection and reload the page.';
    pay.disabled = true;
    return;
  }
  var stripe = Stripe(config.publishableKey, config.stripeAccount ? { stripeAccount: config.stripeAccount } : undefined);
  var elements = stripe.elements({ clientSecret: config.clientSecret });
  elements.create('payment').mount('#payment-element');
  var busy = false;
  // The server could not tell the total at Stripe: Pay waits for a reload that reads it again.
  var stale = false;

  function setBusy(value) {
    busy = value;
    pay.disabled = value || stale;
    if (bump) bump.disabled = value;
  }

  function wordsFor(problem) {
    if (problem.type === 'validation_error' && problem.message) return problem.message;
    return config.cardProblems[problem.decline_code] || config.cardProblems[problem.code] || config.cardDeclined;
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    message.textContent = '';
    stripe.confirmPayment({ elements: elements, confirmParams: { return_url: config.returnUrl } }).then(function (result) {
      // Success leaves for return_url; an error keeps the same PaymentIntent for another card.
      if (result.error) {
        // An earlier Pay whose answer was lost may have paid it: the return page says what happened.
        var paid = result.error.code === 'payment_intent_unexpected_state' && result.error.payment_intent;
        if (paid && ['succeeded', 'processing', 'requires_capture'].indexOf(paid.status) >= 0) {
          window.location.assign(config.returnUrl + (config.returnUrl.indexOf('?') < 0 ? '?' : '&') + 'payment_intent=' + encodeURIComponent(paid.id));
          return;
        }
        message.textContent = wordsFor(result.error);
        setBusy(false);
      }
    }, function () {
      message.textContent = 'The payment could not be sent. Check your connection and try again.';
      setBusy(false);
    });
  });

  if (config.bumpAction && bump) {
    bump.addEventListener('change', function () {
      var chosen = bump.checked;
      setBusy(true);
      message.textContent = '';
      fetch(config.bumpAction, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ bump: chosen })
      }).then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) throw answer;
          return answer;
        });
      }).then(function (answer) {
        total.textContent = answer.total;
        pay.textContent = answer.payLabel;
        var discount = document.getElementById('discount');
        if (discount && typeof answer.discount === 'string') discount.textContent = answer.discount;
        // A 200 with a notice: the order stayed as it was, and the box shows what it holds.
        if (typeof answer.bump === 'boolean') bump.checked = answer.bump;
        if (typeof answer.notice === 'string') message.textContent = answer.notice;
        if (answer.reload === true) stale = true;
        if (elements.fetchUpdates) return elements.fetchUpdates().catch(function () {});
      }).catch(function (problem) {
        bump.checked = !chosen;
        // The server's message is written for the buyer; a browser's own ("Failed to fetch") is not.
        var said = problem && problem.error && problem.error.message;
        message.textContent = typeof said === 'string' ? said : 'Your order could not be updated. Please try again.';
      }).then(function () {
        setBusy(false);
      });
    });
  }
})();`;
