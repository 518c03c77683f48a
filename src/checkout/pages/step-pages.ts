import { escapeHtml } from '../../http/pages.js';
import { contactLimits } from '../contact-form.js';
import { contentSections, renderContent } from './blocks.js';
import { cardScript, jsonForScriptElement } from './card-script.js';
import { countryName } from './countries.js';
import { lockIcon } from './icons.js';
import { renderLayout } from './layout.js';
import type {
  CardFormView,
  CheckoutNoticeView,
  ContactStepView,
  ContentStepView,
  FormState,
  OfferView,
  PaymentStepView,
  ThankYouStepView,
  UpsellStepView,
} from './views.js';

/**
 * One function per visitor page: each takes its view and returns the whole HTML document. Every
 * form that can work without JavaScript is a plain POST form; only paying by card needs Stripe.js.
 */

export function renderContentStep(view: ContentStepView): string {
  const buttonText = view.content.buttonText || (view.kind === 'optin' ? 'Sign me up' : 'Continue');
  const action =
    view.kind === 'optin'
      ? `<form class="panel actions" method="post" action="${escapeHtml(view.action)}">
${renderErrorSummary(view.form, optinLabels)}
${renderTextField(emailField, view.form)}
${renderTextField(nameField, view.form)}
<button class="button" type="submit">${escapeHtml(buttonText)}</button>
</form>`
      : `<p class="actions"><a class="button" href="${escapeHtml(view.action)}">${escapeHtml(buttonText)}</a></p>`;
  return renderLayout(
    view,
    renderContent(view.content, {
      headline: view.title,
      action: { html: action },
      secure: view.secure,
    }),
  );
}

export function renderContactStep(view: ContactStepView): string {
  const { intro, pitch, proof } = contentSections(view.content, {
    headline: view.offer.name,
    secure: view.secure,
  });
  const form = view.form;
  const checkout = `<section class="checkout panel" aria-label="Order form">
${renderProgress(1)}
<h2>Your order</h2>
${renderOfferLine(view.offer, undefined, 'offer')}
${view.bump ? renderOfferLine(view.bump, 'Optional: you can add it on the next step', 'bump') : ''}
<form method="post" action="${escapeHtml(view.action)}">
${renderErrorSummary(form, contactLabels)}
${renderTextField(emailField, form)}
${renderTextField(nameField, form)}
${renderCountryField(view.countries, form)}
${view.content.consent ? renderConsent(view.content.consent, form) : ''}
<button class="button" type="submit">Continue to payment</button>
</form>
<p class="secure">${lockIcon}Payments are encrypted and processed by Stripe</p>
</section>`;
  const prices = `<script type="application/json" id="contact-prices">${jsonForScriptElement(view.prices)}</script>
<script src="${followCountryPath}"></script>`;
  return renderLayout(view, `${renderOrderForm(intro, checkout, pitch + proof)}\n${prices}`, {
    wide: true,
  });
}

/** Shows the prices in the currency the payment step will charge for the country picked. */
export const followCountryPath = '/assets/follow-country.js';
export const followCountrySource = `(function () {
  var prices = JSON.parse(document.getElementById('contact-prices').textContent);
  var country = document.getElementById('country');
  var shown = document.querySelectorAll('[data-price]');
  country.addEventListener('change', function () {
    var inCurrency = prices.byCurrency[prices.byCountry[country.value] || prices.fallback];
    if (!inCurrency) return;
    for (var index = 0; index < shown.length; index += 1) {
      var price = inCurrency[shown[index].getAttribute('data-price')];
      if (price) shown[index].textContent = price;
    }
  });
})();`;

export function renderPaymentStep(view: PaymentStepView): string {
  const { intro, pitch, proof } = contentSections(view.content, {
    headline: view.offer.name,
    secure: view.secure,
  });
  const checkout = `<section class="checkout panel" aria-label="Order form">
${renderProgress(2)}
<h2>Your order</h2>
${renderOfferLine(view.offer)}
${view.bump ? renderBump(view.bump, view.bumpChosen) : ''}
${view.couponField ?? ''}
<p class="total"><span>Total</span><strong id="total">${escapeHtml(view.total)}</strong></p>
${renderCurrencySwitcher(view.currencies)}
<div class="contact"><dl><dt>Email</dt><dd>${escapeHtml(view.email)}</dd><dt>Country</dt><dd>${escapeHtml(countryName(view.country))}</dd></dl><a href="${escapeHtml(view.editContactUrl)}" aria-label="Edit email or country">Edit</a></div>
${renderCardForm(view.card)}
<p class="secure">${lockIcon}Payments are encrypted and processed by Stripe</p>
</section>`;
  return renderLayout(
    view,
    `${renderOrderForm(intro, checkout, pitch + proof)}\n${cardScript(view.card, { bumpAction: view.bumpAction })}`,
    { wide: true },
  );
}

export function renderUpsellStep(view: UpsellStepView): string {
  const notice = view.notice
    ? `<p class="notice" role="status">${escapeHtml(view.notice)}</p>`
    : '';
  const price = `<p class="line"><span>${escapeHtml(view.offer.name)}</span><b class="price">${escapeHtml(view.offer.price)}</b></p>`;
  const decline = `<form method="post" action="${escapeHtml(view.declineAction)}"><button id="decline" class="link-button" type="submit">No thanks</button></form>`;
  const actions = view.card
    ? `<div class="actions panel">${notice}\n${price}\n${renderCardForm(view.card)}\n${decline}</div>\n${cardScript(view.card)}`
    : `<div class="actions">${notice}\n${price}
<form id="accept-form" method="post" action="${escapeHtml(view.acceptAction)}"><button id="accept" class="button" type="submit">${escapeHtml(view.content.buttonText || 'Yes, add it to my order')}</button></form>
${decline}</div>
<script src="${acceptOncePath}"></script>`;
  return renderLayout(
    view,
    renderContent(view.content, {
      headline: view.offer.name,
      action: { html: actions },
      secure: view.secure,
    }),
  );
}

/** A second tap on "Yes" while the first is on its way sends nothing; the server charges once anyway. */
export const acceptOncePath = '/assets/accept-once.js';
export const acceptOnceSource = `(function () {
  var button = document.getElementById('accept');
  document.getElementById('accept-form').addEventListener('submit', function (event) {
    if (button.disabled) event.preventDefault();
    button.disabled = true;
  });
  window.addEventListener('pageshow', function () { button.disabled = false; });
})();`;

export function renderThankYouStep(view: ThankYouStepView): string {
  const rows = view.lines.map(
    (line) =>
      `<tr><td>${escapeHtml(line.name)}</td><td>${escapeHtml(line.status)}</td><td>${escapeHtml(line.price)}</td></tr>`,
  );
  const table =
    rows.length > 0
      ? `<table>
<thead><tr><th scope="col">Item</th><th scope="col">Status</th><th scope="col">Price</th></tr></thead>
<tbody>${rows.join('\n')}</tbody>
<tfoot><tr><th scope="row" colspan="2">Total</th><td>${view.totals.map(escapeHtml).join('<br>')}</td></tr></tfoot>
</table>`
      : '';
  const receipt = view.receiptEmail
    ? `<p>A receipt goes to <strong>${escapeHtml(view.receiptEmail)}</strong>.</p>`
    : '';
  const order = view.orderId
    ? `<p class="order-id">Order number: ${escapeHtml(view.orderId)}</p>`
    : '';
  const summary =
    table || receipt || order
      ? `<section class="panel" aria-label="Your order">${[table, receipt, order].filter(Boolean).join('\n')}</section>`
      : '';
  const headline = view.lines.length > 0 ? 'Thank you for your order' : 'Thank you';
  return renderLayout(
    view,
    renderContent(view.content, {
      headline,
      action: { html: summary, after: 'intro' },
      secure: view.secure,
    }),
  );
}

export function renderCheckoutNotice(view: CheckoutNoticeView): string {
  const link = view.link
    ? `<p><a class="button" href="${escapeHtml(view.link.href)}">${escapeHtml(view.link.label)}</a></p>`
    : '';
  const head = view.refresh
    ? `<meta http-equiv="refresh" content="${view.refresh.seconds};url=${escapeHtml(view.refresh.url)}">\n`
    : '';
  return renderLayout(
    view,
    `<section class="panel"><h1>${escapeHtml(view.heading)}</h1><p>${escapeHtml(view.message)}</p>${link}</section>`,
    { head },
  );
}

// ---- pieces ------------------------------------------------------------------------------

/** On a phone: headline, the form, then the rest of the pitch. From 768 px: pitch left, form right. */
function renderOrderForm(intro: string, checkout: string, more: string): string {
  return `<div class="order">
<div class="intro">${intro}</div>
${checkout}
<div class="more">${more}</div>
</div>`;
}

function renderProgress(current: 1 | 2): string {
  const steps = ['Your details', 'Payment'].map(
    (name, index) =>
      `<li${index + 1 === current ? ' aria-current="step"' : ''}>${index + 1}. ${name}</li>`,
  );
  return `<ol class="steps" aria-label="Checkout steps">${steps.join('')}</ol>`;
}

function renderOfferLine(offer: OfferView, note?: string, priceOf?: 'offer' | 'bump'): string {
  const image = offer.image
    ? `<img src="${escapeHtml(offer.image)}" alt="" width="48" height="48">`
    : '';
  const small = note ? `<small>${escapeHtml(note)}</small>` : '';
  const price = priceOf ? ` data-price="${priceOf}"` : '';
  return `<p class="line">${image}<span>${escapeHtml(offer.name)}${small}</span><b${price}>${escapeHtml(offer.price)}</b></p>`;
}

function renderBump(bump: OfferView, chosen: boolean): string {
  const description = bump.description ? `<small>${escapeHtml(bump.description)}</small>` : '';
  return `<label class="bump" for="bump"><input type="checkbox" id="bump" name="bump"${chosen ? ' checked' : ''}><span><strong>Yes, add ${escapeHtml(bump.name)} for ${escapeHtml(bump.price)}</strong>${description}</span></label>`;
}

function renderCurrencySwitcher(currencies: PaymentStepView['currencies']): string {
  if (currencies.length <= 1) return '';
  const choices = currencies.map(({ currency, url, current }) => {
    const code = escapeHtml(currency.toUpperCase());
    return current
      ? `<strong aria-current="true">${code}</strong>`
      : `<a href="${escapeHtml(url)}">${code}</a>`;
  });
  return `<nav class="currencies" aria-label="Currency">Pay in ${choices.join(' ')}</nav>`;
}

/** The Payment Element's place, the pay button and where Stripe's message about the card goes. */
function renderCardForm(card: CardFormView): string {
  return `<form id="payment-form">
<div id="payment-element"></div>
<div id="payment-message" class="payment-message" role="alert">${escapeHtml(card.error ?? '')}</div>
<button id="pay" class="button" type="submit">${escapeHtml(card.payLabel)}</button>
<noscript><p class="notice">Paying by card needs JavaScript. Turn it on and reload this page.</p></noscript>
</form>`;
}

interface TextField {
  name: string;
  label: string;
  type: 'email' | 'text';
  autocomplete: string;
  required: boolean;
  maxLength: number;
}

const emailField: TextField = {
  name: 'email',
  label: 'Email',
  type: 'email',
  autocomplete: 'email',
  ...contactLimits.email,
};
const nameField: TextField = {
  name: 'name',
  label: 'Name',
  type: 'text',
  autocomplete: 'name',
  ...contactLimits.name,
};

const optinLabels: Record<string, string> = { email: 'Email', name: 'Name' };
const contactLabels: Record<string, string> = { ...optinLabels, country: 'Country' };

function renderTextField(field: TextField, form: FormState | null): string {
  const value = form?.values[field.name] ?? '';
  const required = field.required ? ' required' : '';
  return `<div class="field">${renderLabel(field.name, field.label, field.required)}
<input id="${field.name}" name="${field.name}" type="${field.type}" autocomplete="${field.autocomplete}"${required} maxlength="${field.maxLength}" value="${escapeHtml(value)}"${renderInvalid(field.name, form)}>${renderFieldError(field.name, form)}</div>`;
}

function renderCountryField(countries: Array<[string, string]>, form: FormState): string {
  const chosen = form.values.country ?? '';
  const known = countries.some(([code]) => code === chosen);
  const options = countries.map(
    ([code, name]) =>
      `<option value="${escapeHtml(code)}"${code === chosen ? ' selected' : ''}>${escapeHtml(name)}</option>`,
  );
  const placeholder = known ? '' : '<option value="">Choose your country</option>';
  return `<div class="field">${renderLabel('country', 'Country', contactLimits.country.required)}
<select id="country" name="country" autocomplete="country"${contactLimits.country.required ? ' required' : ''}${renderInvalid('country', form)}>${placeholder}${options.join('')}</select>${renderFieldError('country', form)}</div>`;
}

/** The merchant's consent checkbox: unticked until the buyer ticks it, kept on a re-shown form. */
function renderConsent(wording: string, form: FormState): string {
  const ticked = form.values.consent === 'yes' ? ' checked' : '';
  return `<label class="consent" for="consent"><input type="checkbox" id="consent" name="consent" value="yes"${ticked}><span>${escapeHtml(wording)}</span></label>`;
}

function renderLabel(name: string, label: string, required: boolean): string {
  const optional = required ? '' : ' <span class="hint">(optional)</span>';
  return `<label for="${name}">${label}${optional}</label>`;
}

function renderInvalid(name: string, form: FormState | null): string {
  return form?.errors[name] ? ` aria-invalid="true" aria-describedby="${name}-error"` : '';
}

function renderFieldError(name: string, form: FormState | null): string {
  const message = form?.errors[name];
  return message ? `\n<p class="field-error" id="${name}-error">${escapeHtml(message)}</p>` : '';
}

/** Lists every problem at the top of the form, each linking to its field when it has one. */
function renderErrorSummary(form: FormState | null, labels: Record<string, string>): string {
  const problems = Object.entries(form?.errors ?? {});
  if (problems.length === 0) return '';
  const items = problems.map(([field, message]) => {
    const label = labels[field];
    return label
      ? `<li><a href="#${field}">${label}: ${escapeHtml(message)}</a></li>`
      : `<li>${escapeHtml(message)}</li>`;
  });
  return `<div class="error-summary" role="alert"><p><strong>Please check what you entered:</strong></p><ul>${items.join('')}</ul></div>`;
}
