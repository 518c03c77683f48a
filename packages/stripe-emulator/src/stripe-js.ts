// biome-ignore-all lint/complexity/useOptionalChain: the served script must stay ES2019, without `?.`.
/**
 * The emulator's stand-in for Stripe.js (`GET /v3/`): `Stripe(pk)`, `elements()`, the Payment
 * Element as a plain-DOM card form (with iDEAL beside the card where the PaymentIntent offers
 * it), `confirmPayment()`, `retrievePaymentIntent()` and an in-page 3-D Secure challenge. It
 * talks to the emulator that served it, with the publishable key only.
 *
 * The script is `installStripeJs` below, served as its own source text: it is type-checked like the
 * rest of the code but must stay self-contained (it may not use anything outside its body) and
 * stay within ES2019, so no `?.`, `??`, class fields or other newer syntax inside it.
 */
export function stripeJsSource(): string {
  return `/* Stripe.js stand-in served by the Switchyard Stripe emulator. */\n(${installStripeJs.toString()})(window);\n`;
}

type Json = Record<string, unknown>;

interface StripeJsError {
  type: string;
  message: string;
  code?: string;
  decline_code?: string;
  param?: string;
  payment_intent?: Json;
  [key: string]: unknown;
}

type IntentResult = { paymentIntent: Json } | { error: StripeJsError };

interface ApiAnswer {
  status: number;
  body: Json | null;
  /** No HTTP answer at all: network failure, CORS refusal, emulator down. */
  unreachable: boolean;
}

type CardField = 'number' | 'expiry' | 'cvc' | 'postal';

interface FieldProblem {
  field: CardField;
  code: string;
  message: string;
}

interface CardInputs {
  number: HTMLInputElement;
  expiry: HTMLInputElement;
  cvc: HTMLInputElement;
  postal: HTMLInputElement | null;
}

interface CardDetails {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
  postal: string;
}

type ElementHandler = (event: Json) => void;

interface PublicElement {
  mount(target: string | HTMLElement): void;
  unmount(): void;
  destroy(): void;
  on(name: string, handler: ElementHandler): PublicElement;
  once(name: string, handler: ElementHandler): PublicElement;
  off(name: string, handler?: ElementHandler): PublicElement;
  update(options: Json): void;
  focus(): void;
  blur(): void;
  clear(): void;
}

/** How the buyer pays in the Payment Element: by card, or at their bank (a redirect). */
type PaymentMethodChoice = 'card' | 'ideal';

interface CardController {
  type: string;
  /** The payment method the buyer picked; always `card` in the Card Element. */
  chosenMethod(): PaymentMethodChoice;
  /** Problems of the fields; `strict` also reports empty fields, as confirming does. */
  findProblems(strict: boolean): FieldProblem[];
  showProblems(problems: FieldProblem[]): void;
  readCard(): CardDetails;
  isMounted(): boolean;
}

interface ElementsOptions {
  clientSecret?: string;
  appearance?: Appearance;
}

interface Appearance {
  theme?: string;
  variables?: Record<string, string>;
}

interface PublicElements {
  create(type: string, options?: Json): PublicElement;
  getElement(type: string): PublicElement | null;
  update(options: ElementsOptions): void;
  submit(): Promise<{ error?: StripeJsError }>;
  fetchUpdates(): Promise<Json>;
}

interface ElementsState {
  clientSecret: string | null;
  appearance: Appearance;
  elements: Record<string, PublicElement>;
  /** Re-applies the appearance to each mounted Element after `elements.update()`. */
  restylers: Array<() => void>;
  /** The payment method types the PaymentIntent offers (`card` when it cannot be read). */
  offeredTypes(): Promise<string[]>;
}

interface ConfirmPaymentParams {
  elements?: PublicElements;
  clientSecret?: string;
  confirmParams?: {
    return_url?: string;
    receipt_email?: string;
    payment_method_data?: { billing_details?: Json };
  };
  redirect?: 'always' | 'if_required';
}

interface ConfirmCardPaymentData {
  payment_method?: string | { card?: PublicElement; billing_details?: Json };
  return_url?: string;
  receipt_email?: string;
}

interface MethodChoice {
  /** The single "Card" tab shown while the card is the only method. */
  tab: HTMLElement;
  methods: HTMLFieldSetElement;
  card: HTMLDivElement;
  bankNote: HTMLElement;
}

type StripeWindow = Window & { Stripe?: unknown };

function installStripeJs(win: StripeWindow): void {
  if (typeof win.Stripe === 'function') return;
  const doc = win.document;
  const apiOrigin = findApiOrigin();
  const controllers = new WeakMap<object, CardController>();
  const groups = new WeakMap<object, ElementsState>();
  let elementCount = 0;

  const messages = {
    incomplete_number: 'Your card number is incomplete.',
    invalid_number: 'Your card number is invalid.',
    incomplete_expiry: "Your card's expiration date is incomplete.",
    invalid_expiry_month: "Your card's expiration month is invalid.",
    invalid_expiry_month_past: "Your card's expiration date is in the past.",
    invalid_expiry_year_past: "Your card's expiration year is in the past.",
    invalid_expiry_year: "Your card's expiration year is invalid.",
    incomplete_cvc: "Your card's security code is incomplete.",
    incomplete_zip: 'Your postal code is incomplete.',
  };
  const zeroDecimalCurrencies = [
    'bif',
    'clp',
    'djf',
    'gnf',
    'jpy',
    'kmf',
    'krw',
    'mga',
    'pyg',
    'rwf',
    'ugx',
    'vnd',
    'vuv',
    'xaf',
    'xof',
    'xpf',
  ];

  function findApiOrigin(): string {
    const current = doc.currentScript;
    const source =
      current instanceof HTMLScriptElement && current.src
        ? current.src
        : findScriptSource(doc.querySelectorAll('script[src]'));
    return source ? new URL(source, doc.baseURI).origin : win.location.origin;
  }

  function findScriptSource(scripts: NodeListOf<Element>): string {
    for (let index = scripts.length - 1; index >= 0; index -= 1) {
      const script = scripts[index];
      const src = script ? script.getAttribute('src') || '' : '';
      if (/\/v3\/?(\?|#|$)/.test(src)) return src;
    }
    return '';
  }

  function integrationError(message: string): Error {
    const error = new Error(message);
    error.name = 'IntegrationError';
    return error;
  }

  // ---- talking to the emulator -------------------------------------------------------------

  function createApi(publishableKey: string, stripeAccount: string | null) {
    function call(method: string, path: string, body: string | null, contentType: string) {
      const headers: Record<string, string> = { Authorization: `Bearer ${publishableKey}` };
      if (stripeAccount) headers['Stripe-Account'] = stripeAccount;
      if (body !== null) headers['Content-Type'] = contentType;
      return win
        .fetch(apiOrigin + path, {
          method,
          headers,
          body,
          mode: 'cors',
          credentials: 'omit',
        })
        .then(
          (response) =>
            response.text().then((text): ApiAnswer => {
              let parsed: Json | null = null;
              try {
                const value: unknown = JSON.parse(text);
                parsed = value && typeof value === 'object' ? (value as Json) : null;
              } catch {
                parsed = null;
              }
              return { status: response.status, body: parsed, unreachable: false };
            }),
          (): ApiAnswer => ({ status: 0, body: null, unreachable: true }),
        );
    }
    return {
      get: (path: string) => call('GET', path, null, ''),
      postForm: (path: string, fields: Array<[string, string]>) => {
        const form = new URLSearchParams();
        for (const [name, value] of fields) form.append(name, value);
        return call('POST', path, form.toString(), 'application/x-www-form-urlencoded');
      },
      postJson: (path: string, body: Json) =>
        call('POST', path, JSON.stringify(body), 'application/json'),
    };
  }

  type Api = ReturnType<typeof createApi>;

  /** Stripe.js's error for an answer that is not the PaymentIntent. */
  function errorFrom(answer: ApiAnswer): StripeJsError {
    if (answer.unreachable) {
      return {
        type: 'api_connection_error',
        message: 'An error occurred with our connection to Stripe. Please try again.',
      };
    }
    const body = answer.body;
    const reported =
      body && body.error && typeof body.error === 'object' ? (body.error as Json) : {};
    const error: StripeJsError = {
      ...reported,
      type: typeof reported.type === 'string' ? reported.type : 'api_error',
      message:
        typeof reported.message === 'string'
          ? reported.message
          : `Unexpected answer from Stripe (HTTP ${answer.status}).`,
    };
    return error;
  }

  function intentIdOf(clientSecret: unknown, method: string): string {
    const match =
      typeof clientSecret === 'string'
        ? /^(pi_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+$/.exec(clientSecret)
        : null;
    if (!match || !match[1]) {
      throw integrationError(
        `Invalid value for ${method}: clientSecret should be a client secret of the form \${id}_secret_\${secret}. You specified: ${String(clientSecret)}.`,
      );
    }
    return match[1];
  }

  function retrieveIntent(api: Api, clientSecret: string, method: string): Promise<IntentResult> {
    const id = intentIdOf(clientSecret, method);
    const query = `?client_secret=${encodeURIComponent(clientSecret)}`;
    return api.get(`/v1/payment_intents/${id}${query}`).then((answer): IntentResult => {
      if (answer.status === 200 && answer.body) return { paymentIntent: answer.body };
      return { error: errorFrom(answer) };
    });
  }

  /** Turns a confirmed (or authenticated) PaymentIntent into Stripe.js's answer, running 3-D Secure. */
  function settleIntent(api: Api, intent: Json, clientSecret: string): Promise<IntentResult> {
    const nextAction =
      intent.next_action && typeof intent.next_action === 'object'
        ? (intent.next_action as Json)
        : null;
    if (intent.status === 'requires_action' && nextAction) {
      if (nextAction.type === 'redirect_to_url') {
        const redirect = nextAction.redirect_to_url as Json | undefined;
        if (redirect && typeof redirect.url === 'string') {
          win.location.assign(redirect.url);
          return new Promise<IntentResult>(() => undefined);
        }
      }
      if (nextAction.type === 'use_stripe_sdk') {
        return runChallenge(intent).then((outcome) =>
          api
            .postJson(`/_emulator/payment_intents/${String(intent.id)}/authenticate`, {
              client_secret: clientSecret,
              outcome,
            })
            .then((answer) => {
              if (answer.status !== 200 || !answer.body) return { error: errorFrom(answer) };
              const authenticated = answer.body;
              // A second challenge would loop forever; report the intent as it stands instead.
              if (authenticated.status === 'requires_action')
                return { paymentIntent: authenticated };
              return settleIntent(api, authenticated, clientSecret);
            }),
        );
      }
    }
    const lastError =
      intent.last_payment_error && typeof intent.last_payment_error === 'object'
        ? (intent.last_payment_error as Json)
        : null;
    if (intent.status === 'requires_payment_method' && lastError) {
      const error: StripeJsError = {
        ...lastError,
        type: typeof lastError.type === 'string' ? lastError.type : 'card_error',
        message:
          typeof lastError.message === 'string' ? lastError.message : 'Your card was declined.',
        payment_intent: intent,
      };
      return Promise.resolve({ error });
    }
    return Promise.resolve({ paymentIntent: intent });
  }

  function confirmIntent(
    api: Api,
    clientSecret: string,
    fields: Array<[string, string]>,
    method: string,
    handleActions: boolean,
  ): Promise<IntentResult> {
    const id = intentIdOf(clientSecret, method);
    const body: Array<[string, string]> = [['client_secret', clientSecret]];
    return api.postForm(`/v1/payment_intents/${id}/confirm`, body.concat(fields)).then((answer) => {
      if (answer.status !== 200 || !answer.body) {
        const error = errorFrom(answer);
        return { error };
      }
      if (!handleActions) return { paymentIntent: answer.body };
      return settleIntent(api, answer.body, clientSecret);
    });
  }

  function cardFields(
    card: CardDetails,
    billingDetails: Json | undefined,
  ): Array<[string, string]> {
    const fields: Array<[string, string]> = [
      ['payment_method_data[type]', 'card'],
      ['payment_method_data[card][number]', card.number],
      ['payment_method_data[card][exp_month]', String(card.expMonth)],
      ['payment_method_data[card][exp_year]', String(card.expYear)],
      ['payment_method_data[card][cvc]', card.cvc],
    ];
    if (card.postal) {
      fields.push(['payment_method_data[billing_details][address][postal_code]', card.postal]);
    }
    return fields.concat(billingFields(billingDetails));
  }

  /** A bank payment (iDEAL): the bank's page asks the buyer, so there is nothing to read here. */
  function bankFields(billingDetails: Json | undefined): Array<[string, string]> {
    const fields: Array<[string, string]> = [['payment_method_data[type]', 'ideal']];
    return fields.concat(billingFields(billingDetails));
  }

  function billingFields(billingDetails: Json | undefined): Array<[string, string]> {
    const fields: Array<[string, string]> = [];
    const details = billingDetails || {};
    for (const name of ['name', 'email', 'phone']) {
      const value = details[name];
      if (typeof value === 'string' && value !== '') {
        fields.push([`payment_method_data[billing_details][${name}]`, value]);
      }
    }
    return fields;
  }

  /** Checks the card form like Stripe.js: shows the problems in the form, makes no request. */
  function validateCard(controller: CardController): StripeJsError | null {
    if (controller.chosenMethod() !== 'card') return null;
    const problems = controller.findProblems(true);
    controller.showProblems(problems);
    const first = problems[0];
    return first ? { type: 'validation_error', code: first.code, message: first.message } : null;
  }

  function redirectToReturnUrl(returnUrl: string, intent: Json, clientSecret: string): void {
    const target = new URL(returnUrl, win.location.href);
    target.searchParams.set('payment_intent', String(intent.id));
    target.searchParams.set('payment_intent_client_secret', clientSecret);
    const status = String(intent.status);
    const redirectStatus =
      status === 'succeeded' || status === 'requires_capture'
        ? 'succeeded'
        : status === 'processing'
          ? 'processing'
          : 'failed';
    target.searchParams.set('redirect_status', redirectStatus);
    win.location.assign(target.toString());
  }

  // ---- the 3-D Secure challenge ------------------------------------------------------------

  function formatAmount(amount: unknown, currency: unknown): string {
    if (typeof amount !== 'number' || typeof currency !== 'string') return '';
    const zeroDecimal = zeroDecimalCurrencies.indexOf(currency.toLowerCase()) >= 0;
    const major = zeroDecimal ? amount : amount / 100;
    try {
      return new Intl.NumberFormat(undefined, {
        style: 'currency',
        currency: currency.toUpperCase(),
      }).format(major);
    } catch {
      return `${major} ${currency.toUpperCase()}`;
    }
  }

  function runChallenge(intent: Json): Promise<'complete' | 'fail'> {
    injectStyles();
    return new Promise((resolve) => {
      const previousFocus = doc.activeElement;
      const backdrop = make('div', 'sy-3ds-backdrop');
      const dialog = make('div', 'sy-3ds');
      dialog.setAttribute('role', 'dialog');
      dialog.setAttribute('aria-modal', 'true');
      dialog.setAttribute('aria-labelledby', 'sy-3ds-title');
      dialog.setAttribute('aria-describedby', 'sy-3ds-description');

      const issuer = make('p', 'sy-3ds-issuer');
      issuer.textContent = 'Test bank · 3D Secure';
      const title = make('h2', 'sy-3ds-title');
      title.id = 'sy-3ds-title';
      title.textContent = 'Confirm your payment';
      const description = make('p', 'sy-3ds-text');
      description.id = 'sy-3ds-description';
      const amount = formatAmount(intent.amount, intent.currency);
      description.textContent = `Your bank asks you to approve this payment${amount ? ` of ${amount}` : ''}.`;
      const note = make('p', 'sy-3ds-note');
      note.textContent =
        'This is a test page of the Stripe emulator. Choose whether the authentication succeeds.';

      const complete = make('button', 'sy-3ds-button sy-3ds-complete');
      complete.setAttribute('type', 'button');
      complete.textContent = 'Complete authentication';
      const fail = make('button', 'sy-3ds-button sy-3ds-fail');
      fail.setAttribute('type', 'button');
      fail.textContent = 'Fail authentication';
      const actions = make('div', 'sy-3ds-actions');
      actions.appendChild(complete);
      actions.appendChild(fail);

      dialog.appendChild(issuer);
      dialog.appendChild(title);
      dialog.appendChild(description);
      dialog.appendChild(note);
      dialog.appendChild(actions);
      backdrop.appendChild(dialog);
      doc.body.appendChild(backdrop);
      complete.focus();

      function close(outcome: 'complete' | 'fail'): void {
        doc.removeEventListener('keydown', onKey, true);
        if (backdrop.parentNode) backdrop.parentNode.removeChild(backdrop);
        if (previousFocus instanceof HTMLElement) previousFocus.focus();
        resolve(outcome);
      }
      function onKey(event: KeyboardEvent): void {
        // Closing the bank's window is a failed authentication, as on Stripe.
        if (event.key === 'Escape') close('fail');
        if (event.key === 'Tab') {
          event.preventDefault();
          (doc.activeElement === complete ? fail : complete).focus();
        }
      }
      doc.addEventListener('keydown', onKey, true);
      complete.addEventListener('click', () => close('complete'));
      fail.addEventListener('click', () => close('fail'));
    });
  }

  // ---- the card form -----------------------------------------------------------------------

  function make<K extends keyof HTMLElementTagNameMap>(
    tag: K,
    className: string,
  ): HTMLElementTagNameMap[K] {
    const element = doc.createElement(tag);
    element.className = className;
    return element;
  }

  function digitsOf(value: string): string {
    return value.replace(/\D/g, '');
  }

  function brandOf(digits: string): string {
    if (/^4/.test(digits)) return 'visa';
    if (/^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/.test(digits)) return 'mastercard';
    if (/^3[47]/.test(digits)) return 'amex';
    if (/^(6011|65|64[4-9])/.test(digits)) return 'discover';
    if (/^3(0[0-5]|[689])/.test(digits)) return 'diners';
    if (/^35/.test(digits)) return 'jcb';
    if (/^62/.test(digits)) return 'unionpay';
    return 'unknown';
  }

  function numberLength(brand: string): number {
    if (brand === 'amex') return 15;
    if (brand === 'diners') return 14;
    return 16;
  }

  function passesLuhn(digits: string): boolean {
    let sum = 0;
    for (let index = 0; index < digits.length; index += 1) {
      let digit = Number(digits.charAt(digits.length - 1 - index));
      if (index % 2 === 1) {
        digit *= 2;
        if (digit > 9) digit -= 9;
      }
      sum += digit;
    }
    return sum % 10 === 0;
  }

  function formatNumber(digits: string): string {
    const brand = brandOf(digits);
    const groups = brand === 'amex' ? [4, 6, 5] : brand === 'diners' ? [4, 6, 4] : [4, 4, 4, 4];
    const parts: string[] = [];
    let start = 0;
    for (const size of groups) {
      if (start >= digits.length) break;
      parts.push(digits.slice(start, start + size));
      start += size;
    }
    return parts.join(' ');
  }

  function expiryDigits(value: string): string {
    let digits = digitsOf(value);
    // "4" can only be April: Stripe.js writes it as "04".
    if (/^[2-9]/.test(digits)) digits = `0${digits}`;
    return digits.slice(0, 4);
  }

  function formatExpiry(digits: string, inserting: boolean): string {
    if (digits.length > 2) return `${digits.slice(0, 2)} / ${digits.slice(2)}`;
    if (digits.length === 2 && inserting) return `${digits} / `;
    return digits;
  }

  function checkNumber(digits: string, strict: boolean): FieldProblem | null {
    if (digits === '') {
      return strict
        ? { field: 'number', code: 'incomplete_number', message: messages.incomplete_number }
        : null;
    }
    if (digits.length < numberLength(brandOf(digits))) {
      return strict
        ? { field: 'number', code: 'incomplete_number', message: messages.incomplete_number }
        : null;
    }
    if (!passesLuhn(digits))
      return { field: 'number', code: 'invalid_number', message: messages.invalid_number };
    return null;
  }

  function checkExpiry(digits: string, strict: boolean): FieldProblem | null {
    const month = Number(digits.slice(0, 2));
    if (digits.length >= 2 && (month < 1 || month > 12)) {
      return {
        field: 'expiry',
        code: 'invalid_expiry_month',
        message: messages.invalid_expiry_month,
      };
    }
    if (digits.length < 4) {
      return strict
        ? { field: 'expiry', code: 'incomplete_expiry', message: messages.incomplete_expiry }
        : null;
    }
    const year = 2000 + Number(digits.slice(2, 4));
    const today = new Date();
    const thisYear = today.getFullYear();
    if (year < thisYear) {
      return {
        field: 'expiry',
        code: 'invalid_expiry_year_past',
        message: messages.invalid_expiry_year_past,
      };
    }
    if (year === thisYear && month < today.getMonth() + 1) {
      return {
        field: 'expiry',
        code: 'invalid_expiry_month_past',
        message: messages.invalid_expiry_month_past,
      };
    }
    if (year > thisYear + 50) {
      return {
        field: 'expiry',
        code: 'invalid_expiry_year',
        message: messages.invalid_expiry_year,
      };
    }
    return null;
  }

  function checkCvc(digits: string, brand: string, strict: boolean): FieldProblem | null {
    const needed = brand === 'amex' ? 4 : 3;
    if (digits.length < needed && strict) {
      return { field: 'cvc', code: 'incomplete_cvc', message: messages.incomplete_cvc };
    }
    return null;
  }

  function checkPostal(value: string, strict: boolean): FieldProblem | null {
    if (value.trim() === '' && strict) {
      return { field: 'postal', code: 'incomplete_zip', message: messages.incomplete_zip };
    }
    return null;
  }

  function hidesPostal(type: string, options: Json): boolean {
    if (type === 'card') return options.hidePostalCode === true;
    const fields = options.fields as Json | undefined;
    const billing = fields && (fields.billingDetails as Json | string | undefined);
    if (billing === 'never') return true;
    const address =
      billing && typeof billing === 'object'
        ? (billing.address as Json | string | undefined)
        : undefined;
    if (address === 'never') return true;
    return Boolean(address && typeof address === 'object' && address.postalCode === 'never');
  }

  function createCardElement(group: ElementsState, type: string, options: Json): PublicElement {
    elementCount += 1;
    const prefix = `sy-stripe-${elementCount}`;
    const handlers: Record<string, ElementHandler[]> = {};
    let container: HTMLElement | null = null;
    let root: HTMLDivElement | null = null;
    let inputs: CardInputs | null = null;
    let errorNodes: Record<string, HTMLElement> = {};
    let brandNode: HTMLElement | null = null;
    let currentOptions: Json = options;
    let destroyed = false;
    let chosen: PaymentMethodChoice = 'card';
    let choice: MethodChoice | null = null;
    /** Fields the customer has left at least once: their problems show from then on. */
    const touched: Record<string, boolean> = {};

    function emit(name: string, event: Json): void {
      const listeners = (handlers[name] || []).slice();
      for (const listener of listeners) listener({ elementType: type, ...event });
    }

    function buildField(
      field: CardField,
      label: string,
      attributes: Record<string, string>,
    ): { wrapper: HTMLDivElement; input: HTMLInputElement } {
      const wrapper = make('div', `sy-pe-field sy-pe-field-${field}`);
      const labelNode = make('label', 'sy-pe-label');
      const input = make('input', 'sy-pe-input');
      const errorNode = make('p', 'sy-pe-error');
      input.id = `${prefix}-${field}`;
      errorNode.id = `${prefix}-${field}-error`;
      labelNode.htmlFor = input.id;
      labelNode.textContent = label;
      input.type = 'text';
      input.spellcheck = false;
      input.setAttribute('aria-describedby', errorNode.id);
      input.setAttribute('aria-invalid', 'false');
      for (const name of Object.keys(attributes)) input.setAttribute(name, attributes[name] || '');
      errorNodes[field] = errorNode;
      wrapper.appendChild(labelNode);
      const inputWrap = make('div', 'sy-pe-control');
      inputWrap.appendChild(input);
      if (field === 'number') {
        brandNode = make('span', 'sy-pe-brand');
        brandNode.setAttribute('aria-hidden', 'true');
        inputWrap.appendChild(brandNode);
      }
      wrapper.appendChild(inputWrap);
      wrapper.appendChild(errorNode);
      return { wrapper, input };
    }

    function buildMethodOption(value: PaymentMethodChoice, label: string): HTMLLabelElement {
      const option = make('label', 'sy-pe-method');
      const radio = make('input', 'sy-pe-method-radio');
      radio.type = 'radio';
      radio.name = `${prefix}-method`;
      radio.value = value;
      radio.checked = value === chosen;
      radio.addEventListener('change', () => {
        if (radio.checked) choose(value);
      });
      const text = make('span', 'sy-pe-method-text');
      text.textContent = label;
      option.appendChild(radio);
      option.appendChild(text);
      return option;
    }

    /** Card, or the buyer's bank: shown once the PaymentIntent says the bank is offered. */
    function buildMethodChoice(form: HTMLDivElement, card: HTMLDivElement): MethodChoice {
      const tab = make('div', 'sy-pe-tab');
      tab.setAttribute('aria-hidden', 'true');
      const icon = make('span', 'sy-pe-tab-icon');
      const text = make('span', 'sy-pe-tab-text');
      text.textContent = 'Card';
      tab.appendChild(icon);
      tab.appendChild(text);
      const methods = make('fieldset', 'sy-pe-methods');
      methods.hidden = true;
      const legend = make('legend', 'sy-pe-legend');
      legend.textContent = 'Payment method';
      const list = make('div', 'sy-pe-method-list');
      list.appendChild(buildMethodOption('card', 'Card'));
      list.appendChild(buildMethodOption('ideal', 'iDEAL'));
      methods.appendChild(legend);
      methods.appendChild(list);
      const bankNote = make('p', 'sy-pe-bank');
      bankNote.hidden = true;
      bankNote.textContent =
        'You will go to your bank to approve the payment, then come back here.';
      form.appendChild(tab);
      form.appendChild(methods);
      form.appendChild(card);
      form.appendChild(bankNote);
      return { tab, methods, card, bankNote };
    }

    function offerMethods(types: string[]): void {
      if (!choice || types.indexOf('ideal') < 0) return;
      if (choice.tab.parentNode) choice.tab.parentNode.removeChild(choice.tab);
      choice.methods.hidden = false;
    }

    function choose(method: PaymentMethodChoice): void {
      chosen = method;
      if (choice) {
        choice.card.hidden = method !== 'card';
        choice.bankNote.hidden = method !== 'ideal';
      }
      refresh();
    }

    function build(): { root: HTMLDivElement; inputs: CardInputs } {
      const form = make('div', 'sy-pe');
      const card = make('div', 'sy-pe-card');
      card.setAttribute('role', 'group');
      card.setAttribute('aria-label', 'Card details');
      if (type === 'payment') choice = buildMethodChoice(form, card);
      else form.appendChild(card);
      const number = buildField('number', 'Card number', {
        name: 'cardnumber',
        autocomplete: 'cc-number',
        inputmode: 'numeric',
        placeholder: '1234 1234 1234 1234',
      });
      const expiry = buildField('expiry', 'Expiration date', {
        name: 'exp-date',
        autocomplete: 'cc-exp',
        inputmode: 'numeric',
        placeholder: 'MM / YY',
      });
      const cvc = buildField('cvc', 'Security code', {
        name: 'cvc',
        autocomplete: 'cc-csc',
        inputmode: 'numeric',
        placeholder: 'CVC',
      });
      card.appendChild(number.wrapper);
      const row = make('div', 'sy-pe-row');
      row.appendChild(expiry.wrapper);
      row.appendChild(cvc.wrapper);
      card.appendChild(row);
      let postal: HTMLInputElement | null = null;
      if (!hidesPostal(type, currentOptions)) {
        const built = buildField('postal', 'Postal code', {
          name: 'postal',
          autocomplete: 'postal-code',
          placeholder: '12345',
        });
        postal = built.input;
        card.appendChild(built.wrapper);
      }
      return {
        root: form,
        inputs: { number: number.input, expiry: expiry.input, cvc: cvc.input, postal },
      };
    }

    function findProblems(strict: boolean): FieldProblem[] {
      if (!inputs) return [];
      const numberDigits = digitsOf(inputs.number.value);
      const brand = brandOf(numberDigits);
      const found = [
        checkNumber(numberDigits, strict || touched.number === true),
        checkExpiry(expiryDigits(inputs.expiry.value), strict || touched.expiry === true),
        checkCvc(digitsOf(inputs.cvc.value), brand, strict || touched.cvc === true),
        inputs.postal ? checkPostal(inputs.postal.value, strict || touched.postal === true) : null,
      ];
      const problems: FieldProblem[] = [];
      for (const problem of found) if (problem) problems.push(problem);
      return problems;
    }

    function showProblems(problems: FieldProblem[]): void {
      if (!inputs || !container) return;
      const byField: Record<string, FieldProblem> = {};
      for (const problem of problems) byField[problem.field] = problem;
      const all: Array<[CardField, HTMLInputElement | null]> = [
        ['number', inputs.number],
        ['expiry', inputs.expiry],
        ['cvc', inputs.cvc],
        ['postal', inputs.postal],
      ];
      for (const [field, input] of all) {
        if (!input) continue;
        const problem = byField[field];
        const errorNode = errorNodes[field];
        input.setAttribute('aria-invalid', problem ? 'true' : 'false');
        if (errorNode) {
          errorNode.textContent = problem ? problem.message : '';
          if (problem) errorNode.setAttribute('role', 'alert');
          else errorNode.removeAttribute('role');
        }
      }
      container.classList.toggle('StripeElement--invalid', problems.length > 0);
    }

    function isEmpty(): boolean {
      if (!inputs) return true;
      const values = [inputs.number.value, inputs.expiry.value, inputs.cvc.value];
      if (inputs.postal) values.push(inputs.postal.value);
      return values.every((value) => value.trim() === '');
    }

    function refresh(): void {
      if (!inputs || !container) return;
      const brand = brandOf(digitsOf(inputs.number.value));
      if (brandNode) {
        const labels: Record<string, string> = {
          visa: 'VISA',
          mastercard: 'MC',
          amex: 'AMEX',
          discover: 'DISC',
        };
        brandNode.textContent = labels[brand] || '';
      }
      const shown = findProblems(false);
      showProblems(shown);
      const complete = chosen !== 'card' || findProblems(true).length === 0;
      const empty = isEmpty();
      container.classList.toggle('StripeElement--complete', complete);
      container.classList.toggle('StripeElement--empty', empty);
      const first = shown[0];
      const event: Json = {
        empty,
        complete,
        value:
          type === 'card'
            ? { postalCode: inputs.postal ? inputs.postal.value : '' }
            : { type: chosen },
      };
      if (type === 'card') {
        event.brand = brand;
        event.error = first
          ? { type: 'validation_error', code: first.code, message: first.message }
          : undefined;
      } else {
        event.collapsed = false;
      }
      emit('change', event);
    }

    function reformat(input: HTMLInputElement, field: CardField, inserting: boolean): void {
      const before = input.value;
      const caret = input.selectionStart === null ? before.length : input.selectionStart;
      const digitsBeforeCaret = digitsOf(before.slice(0, caret)).length;
      let formatted = before;
      if (field === 'number') {
        const digits = digitsOf(before);
        formatted = formatNumber(digits.slice(0, numberLength(brandOf(digits))));
      } else if (field === 'expiry') {
        formatted = formatExpiry(expiryDigits(before), inserting);
      } else if (field === 'cvc') {
        const brand = inputs ? brandOf(digitsOf(inputs.number.value)) : 'unknown';
        formatted = digitsOf(before).slice(0, brand === 'amex' ? 4 : 3);
      }
      if (formatted === before) return;
      input.value = formatted;
      if (doc.activeElement !== input) return;
      // Keep the caret after the same digit it followed, wherever the spaces moved.
      let position = 0;
      let seen = 0;
      while (position < formatted.length && seen < digitsBeforeCaret) {
        if (/\d/.test(formatted.charAt(position))) seen += 1;
        position += 1;
      }
      if (caret >= before.length) position = formatted.length;
      input.setSelectionRange(position, position);
    }

    function attach(field: CardField, input: HTMLInputElement | null): void {
      if (!input) return;
      input.addEventListener('input', (event) => {
        const inputType = event instanceof InputEvent ? event.inputType : 'insertText';
        reformat(input, field, inputType.indexOf('insert') === 0);
        refresh();
      });
      input.addEventListener('focus', () => {
        if (container) container.classList.add('StripeElement--focus');
        emit('focus', {});
      });
      input.addEventListener('blur', () => {
        if (container) container.classList.remove('StripeElement--focus');
        if (input.value.trim() !== '') touched[field] = true;
        refresh();
        emit('blur', {});
      });
    }

    function applyAppearance(): void {
      if (!root) return;
      const appearance = group.appearance || {};
      const variables = appearance.variables || {};
      const night = appearance.theme === 'night';
      const flat = appearance.theme === 'flat';
      const values: Record<string, string> = {
        '--sy-color-primary': variables.colorPrimary || (night ? '#0085ff' : '#0570de'),
        '--sy-color-background':
          variables.colorBackground || (night ? '#30313d' : flat ? '#f6f8fa' : '#ffffff'),
        '--sy-color-text': variables.colorText || (night ? '#ffffff' : '#30313d'),
        '--sy-color-text-secondary':
          variables.colorTextSecondary || (night ? '#d5d5d5' : '#6d6e78'),
        '--sy-color-danger': variables.colorDanger || (night ? '#fe87a1' : '#df1b41'),
        '--sy-color-border': night ? '#424353' : flat ? '#f6f8fa' : '#e6e6e6',
        '--sy-font-family':
          variables.fontFamily ||
          '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Ubuntu, sans-serif',
        '--sy-border-radius': variables.borderRadius || '5px',
        '--sy-spacing-unit': variables.spacingUnit || '4px',
      };
      for (const name of Object.keys(values)) root.style.setProperty(name, values[name] || '');
    }

    const element: PublicElement = {
      mount(target) {
        if (destroyed)
          throw integrationError(
            'This Element has already been destroyed. Please create a new one.',
          );
        if (container) {
          throw integrationError(
            'This Element is already mounted. Use `unmount()` to unmount the Element before re-mounting.',
          );
        }
        const found = typeof target === 'string' ? doc.querySelector(target) : target;
        if (!(found instanceof HTMLElement)) {
          throw integrationError(
            `The selector you specified (${String(target)}) applies to no DOM elements that are currently on the page.\nMake sure the element exists on the page before calling mount().`,
          );
        }
        injectStyles();
        const built = build();
        container = found;
        root = built.root;
        inputs = built.inputs;
        applyAppearance();
        container.classList.add('StripeElement', 'StripeElement--empty');
        container.appendChild(root);
        attach('number', inputs.number);
        attach('expiry', inputs.expiry);
        attach('cvc', inputs.cvc);
        attach('postal', inputs.postal);
        // Like Stripe's, the Payment Element is ready once it knows the PaymentIntent's methods.
        const offered = type === 'payment' ? group.offeredTypes() : Promise.resolve(['card']);
        offered.then((types) => {
          offerMethods(types);
          if (root) emit('ready', {});
        });
      },
      unmount() {
        if (!container || !root) return;
        container.removeChild(root);
        container.classList.remove(
          'StripeElement',
          'StripeElement--empty',
          'StripeElement--focus',
          'StripeElement--invalid',
          'StripeElement--complete',
        );
        container = null;
        root = null;
        inputs = null;
        errorNodes = {};
        brandNode = null;
        choice = null;
        chosen = 'card';
      },
      destroy() {
        element.unmount();
        destroyed = true;
        delete group.elements[type];
      },
      on(name, handler) {
        handlers[name] = (handlers[name] || []).concat([handler]);
        return element;
      },
      once(name, handler) {
        function onceHandler(event: Json): void {
          element.off(name, onceHandler);
          handler(event);
        }
        return element.on(name, onceHandler);
      },
      off(name, handler) {
        handlers[name] = handler ? (handlers[name] || []).filter((each) => each !== handler) : [];
        return element;
      },
      update(changes) {
        currentOptions = { ...currentOptions, ...changes };
      },
      focus() {
        if (inputs) inputs.number.focus();
      },
      blur() {
        const active = doc.activeElement;
        if (active instanceof HTMLElement && root && root.contains(active)) active.blur();
      },
      clear() {
        if (!inputs) return;
        for (const input of [inputs.number, inputs.expiry, inputs.cvc, inputs.postal]) {
          if (input) input.value = '';
        }
        for (const field of Object.keys(touched)) delete touched[field];
        refresh();
      },
    };

    controllers.set(element, {
      type,
      chosenMethod: () => chosen,
      findProblems,
      showProblems(problems) {
        for (const problem of problems) touched[problem.field] = true;
        showProblems(problems);
        const first = problems[0];
        if (first && inputs) {
          const input = inputs[first.field];
          if (input) input.focus();
        }
      },
      readCard() {
        const current = inputs;
        if (!current) return { number: '', expMonth: 0, expYear: 0, cvc: '', postal: '' };
        const expiry = expiryDigits(current.expiry.value);
        return {
          number: digitsOf(current.number.value),
          expMonth: Number(expiry.slice(0, 2)),
          expYear: 2000 + Number(expiry.slice(2, 4)),
          cvc: digitsOf(current.cvc.value),
          postal: current.postal ? current.postal.value.trim() : '',
        };
      },
      isMounted: () => container !== null,
    });
    group.restylers.push(applyAppearance);
    return element;
  }

  function createElements(options: ElementsOptions, api: Api): PublicElements {
    const state: ElementsState = {
      clientSecret: typeof options.clientSecret === 'string' ? options.clientSecret : null,
      appearance: options.appearance || {},
      elements: {},
      restylers: [],
      offeredTypes() {
        const clientSecret = state.clientSecret;
        if (!clientSecret || !/^pi_[A-Za-z0-9]+_secret_[A-Za-z0-9]+$/.test(clientSecret)) {
          return Promise.resolve(['card']);
        }
        return retrieveIntent(api, clientSecret, 'elements()').then((result) => {
          const types = 'error' in result ? null : result.paymentIntent.payment_method_types;
          return Array.isArray(types) ? types.map(String) : ['card'];
        });
      },
    };
    const elements: PublicElements = {
      create(type, elementOptions) {
        if (type !== 'payment' && type !== 'card') {
          throw integrationError(
            `The Stripe emulator's Stripe.js supports the "payment" and "card" Elements only, not "${type}".`,
          );
        }
        if (state.elements[type])
          throw integrationError(`Can only create one Element of type ${type}.`);
        const element = createCardElement(state, type, elementOptions || {});
        state.elements[type] = element;
        return element;
      },
      getElement(type) {
        return state.elements[type] || null;
      },
      update(changes) {
        if (changes.appearance) state.appearance = changes.appearance;
        if (typeof changes.clientSecret === 'string') state.clientSecret = changes.clientSecret;
        for (const restyle of state.restylers) restyle();
      },
      submit() {
        const controller = cardControllerOf(elements);
        const error = controller ? validateCard(controller) : null;
        return Promise.resolve(error ? { error } : {});
      },
      fetchUpdates() {
        return Promise.resolve({});
      },
    };
    groups.set(elements, state);
    return elements;
  }

  function cardControllerOf(elements: PublicElements): CardController | null {
    const state = groups.get(elements);
    if (!state) return null;
    const element = state.elements.payment || state.elements.card;
    const controller = element ? controllers.get(element) : undefined;
    return controller && controller.isMounted() ? controller : null;
  }

  // ---- Stripe() ----------------------------------------------------------------------------

  function createStripe(publishableKey: string, stripeAccount: string | null) {
    const api = createApi(publishableKey, stripeAccount);

    function confirmPayment(params: ConfirmPaymentParams): Promise<IntentResult> {
      const elements = params ? params.elements : undefined;
      const state = elements ? groups.get(elements) : undefined;
      if (!elements || !state) {
        return Promise.reject(
          integrationError(
            'Invalid value for confirmPayment(): elements should be an Elements group.',
          ),
        );
      }
      const confirmParams = params.confirmParams || {};
      const redirect = params.redirect || 'always';
      if (redirect === 'always' && typeof confirmParams.return_url !== 'string') {
        return Promise.reject(
          integrationError(
            "stripe.confirmPayment(): the `confirmParams.return_url` argument is required unless passing `redirect: 'if_required'`",
          ),
        );
      }
      const clientSecret = params.clientSecret || state.clientSecret;
      const controller = cardControllerOf(elements);
      if (!clientSecret || !controller) {
        return Promise.reject(
          integrationError(
            clientSecret
              ? 'stripe.confirmPayment(): the Payment Element is not mounted.'
              : 'stripe.confirmPayment(): pass `clientSecret` to elements() or to confirmPayment().',
          ),
        );
      }
      const invalid = validateCard(controller);
      if (invalid) return Promise.resolve({ error: invalid });

      const billing = confirmParams.payment_method_data
        ? confirmParams.payment_method_data.billing_details
        : undefined;
      const fields =
        controller.chosenMethod() === 'ideal'
          ? bankFields(billing)
          : cardFields(controller.readCard(), billing);
      if (typeof confirmParams.return_url === 'string')
        fields.push(['return_url', confirmParams.return_url]);
      if (typeof confirmParams.receipt_email === 'string')
        fields.push(['receipt_email', confirmParams.receipt_email]);
      return confirmIntent(api, clientSecret, fields, 'confirmPayment()', true).then((result) => {
        if (
          'error' in result ||
          redirect === 'if_required' ||
          typeof confirmParams.return_url !== 'string'
        ) {
          return result;
        }
        redirectToReturnUrl(confirmParams.return_url, result.paymentIntent, clientSecret);
        // The page is leaving for return_url: like Stripe.js, never settle.
        return new Promise<IntentResult>(() => undefined);
      });
    }

    function confirmCardPayment(
      clientSecret: string,
      paymentData?: ConfirmCardPaymentData,
      options?: { handleActions?: boolean },
    ): Promise<IntentResult> {
      const data = paymentData || {};
      const handleActions = !options || options.handleActions !== false;
      const fields: Array<[string, string]> = [];
      const method = data.payment_method;
      if (typeof method === 'string') {
        fields.push(['payment_method', method]);
      } else if (method && method.card) {
        const controller = controllers.get(method.card);
        if (!controller || !controller.isMounted()) {
          return Promise.reject(
            integrationError(
              'confirmCardPayment(): payment_method.card should be a mounted Element.',
            ),
          );
        }
        const invalid = validateCard(controller);
        if (invalid) return Promise.resolve({ error: invalid });
        fields.push(...cardFields(controller.readCard(), method.billing_details));
      }
      if (typeof data.return_url === 'string') fields.push(['return_url', data.return_url]);
      if (typeof data.receipt_email === 'string')
        fields.push(['receipt_email', data.receipt_email]);
      try {
        return confirmIntent(api, clientSecret, fields, 'confirmCardPayment()', handleActions);
      } catch (error) {
        return Promise.reject(error);
      }
    }

    function handleNextAction(params: { clientSecret: string }): Promise<IntentResult> {
      const clientSecret = params ? params.clientSecret : '';
      try {
        return retrieveIntent(api, clientSecret, 'handleNextAction()').then((result) =>
          'error' in result ? result : settleIntent(api, result.paymentIntent, clientSecret),
        );
      } catch (error) {
        return Promise.reject(error);
      }
    }

    return {
      elements(options?: ElementsOptions) {
        return createElements(options || {}, api);
      },
      confirmPayment(params: ConfirmPaymentParams) {
        try {
          return confirmPayment(params);
        } catch (error) {
          return Promise.reject(error);
        }
      },
      confirmCardPayment,
      retrievePaymentIntent(clientSecret: string) {
        try {
          return retrieveIntent(api, clientSecret, 'retrievePaymentIntent()');
        } catch (error) {
          return Promise.reject(error);
        }
      },
      handleNextAction,
      handleCardAction(clientSecret: string) {
        return handleNextAction({ clientSecret });
      },
      // Called by @stripe/stripe-js and plugins; nothing to record here.
      registerAppInfo() {},
      _registerWrapper() {},
    };
  }

  function Stripe(publishableKey: unknown, options?: { stripeAccount?: string }) {
    if (typeof publishableKey !== 'string' || publishableKey === '') {
      throw integrationError(
        'Please call Stripe() with your publishable key. You used an empty string.',
      );
    }
    if (/^(sk|rk)_/.test(publishableKey)) {
      throw integrationError(
        'You should not use your secret key with Stripe.js. Please pass a publishable key instead.',
      );
    }
    const account =
      options && typeof options.stripeAccount === 'string' ? options.stripeAccount : null;
    return createStripe(publishableKey, account);
  }
  Stripe.version = 3;
  win.Stripe = Stripe;

  // ---- styles ------------------------------------------------------------------------------

  let stylesAdded = false;

  /**
   * A constructed stylesheet, not a <style> element: a page whose Content-Security-Policy allows
   * no inline style (as Stripe's own iframes need none of the page's) still styles the form.
   */
  function injectStyles(): void {
    if (stylesAdded || doc.getElementById('sy-stripe-styles')) return;
    stylesAdded = true;
    const css = [
      '.sy-pe{font-family:var(--sy-font-family);color:var(--sy-color-text);font-size:15px;line-height:1.4;width:100%;max-width:100%;text-align:left}',
      '.sy-pe *,.sy-pe *::before,.sy-pe *::after{box-sizing:border-box}',
      '.sy-pe-tab{display:inline-flex;align-items:center;gap:8px;padding:8px 14px;margin:0 0 14px;border:2px solid var(--sy-color-primary);border-radius:var(--sy-border-radius);color:var(--sy-color-primary);font-size:14px;font-weight:600;background:var(--sy-color-background)}',
      '.sy-pe-tab-icon{display:inline-block;width:20px;height:14px;border:2px solid currentColor;border-radius:3px;background:linear-gradient(currentColor,currentColor) 0 3px/100% 2px no-repeat}',
      '.sy-pe-methods{min-width:0;margin:0 0 14px;padding:0;border:0}',
      '.sy-pe-legend{padding:0;margin:0 0 6px;font-size:14px;color:var(--sy-color-text-secondary)}',
      '.sy-pe-method-list{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:8px}',
      '.sy-pe-method{display:flex;align-items:center;gap:8px;min-height:44px;padding:10px 12px;border:1px solid var(--sy-color-border);border-radius:var(--sy-border-radius);background:var(--sy-color-background);font-size:15px;font-weight:600;cursor:pointer}',
      '.sy-pe-method:has(input:checked){border-color:var(--sy-color-primary);box-shadow:0 0 0 1px var(--sy-color-primary)}',
      '.sy-pe .sy-pe-method-radio{width:18px;height:18px;margin:0;flex:none;accent-color:var(--sy-color-primary)}',
      '.sy-pe-bank{margin:0 0 12px;font-size:14px;color:var(--sy-color-text-secondary)}',
      '.sy-pe [hidden]{display:none}',
      '.sy-pe-field{display:flex;flex-direction:column;min-width:0;margin:0 0 12px}',
      '.sy-pe-row{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:12px}',
      '.sy-pe-label{display:block;margin:0 0 4px;font-size:14px;color:var(--sy-color-text-secondary)}',
      '.sy-pe-control{position:relative}',
      '.sy-pe .sy-pe-input{display:block;width:100%;margin:0;padding:11px 12px;font-family:inherit;font-size:16px;line-height:1.3;color:var(--sy-color-text);background:var(--sy-color-background);border:1px solid var(--sy-color-border);border-radius:var(--sy-border-radius);box-shadow:0 1px 1px rgba(0,0,0,.03),0 3px 6px rgba(0,0,0,.02);outline:none;-webkit-appearance:none;appearance:none;transition:border-color .15s,box-shadow .15s}',
      '.sy-pe-field-number .sy-pe-input{padding-right:60px}',
      '.sy-pe .sy-pe-input::placeholder{color:#87889a;opacity:1}',
      '.sy-pe .sy-pe-input:focus{border-color:var(--sy-color-primary);box-shadow:0 0 0 1px var(--sy-color-primary)}',
      '.sy-pe .sy-pe-input[aria-invalid="true"]{border-color:var(--sy-color-danger);color:var(--sy-color-danger);box-shadow:0 0 0 1px var(--sy-color-danger)}',
      '.sy-pe-brand{position:absolute;right:10px;top:50%;transform:translateY(-50%);font-size:11px;font-weight:700;letter-spacing:.04em;color:var(--sy-color-primary);pointer-events:none}',
      '.sy-pe-error{margin:4px 0 0;font-size:14px;color:var(--sy-color-danger)}',
      '.sy-pe-error:empty{display:none}',
      '.sy-3ds-backdrop{position:fixed;inset:0;z-index:2147483647;display:flex;align-items:center;justify-content:center;padding:16px;background:rgba(10,20,40,.55);font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,sans-serif}',
      '.sy-3ds{width:100%;max-width:400px;padding:24px;border-radius:10px;background:#fff;color:#30313d;box-shadow:0 12px 40px rgba(0,0,0,.3)}',
      '.sy-3ds-issuer{margin:0 0 8px;font-size:12px;font-weight:600;letter-spacing:.06em;text-transform:uppercase;color:#6d6e78}',
      '.sy-3ds-title{margin:0 0 12px;font-size:20px;line-height:1.3}',
      '.sy-3ds-text{margin:0 0 8px;font-size:15px;line-height:1.5}',
      '.sy-3ds-note{margin:0 0 20px;font-size:13px;line-height:1.5;color:#6d6e78}',
      '.sy-3ds-actions{display:flex;flex-direction:column;gap:10px}',
      '.sy-3ds-button{display:block;width:100%;padding:12px 16px;font:inherit;font-size:15px;font-weight:600;border-radius:6px;cursor:pointer}',
      '.sy-3ds-complete{border:1px solid #0570de;background:#0570de;color:#fff}',
      '.sy-3ds-fail{border:1px solid #c0c1cc;background:#fff;color:#30313d}',
      '.sy-3ds-button:focus-visible{outline:3px solid rgba(5,112,222,.45);outline-offset:2px}',
    ].join('\n');
    if (typeof CSSStyleSheet === 'function' && 'adoptedStyleSheets' in doc) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
      return;
    }
    const style = doc.createElement('style');
    style.id = 'sy-stripe-styles';
    style.textContent = css;
    (doc.head || doc.documentElement).appendChild(style);
  }
}
