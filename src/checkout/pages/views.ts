import type { StepContent, StepKind } from '../../catalog/catalog.schema.js';

/**
 * What the visitor pages show, as plain data. The checkout routes build these; the renderers in
 * this folder turn them into HTML and know nothing of the database or of Stripe's SDK.
 */

/** Every page: where it belongs and whether real money moves. */
export interface PageFrame {
  funnelName: string;
  /** Test-mode pages say so in a banner: no real card is charged. */
  mode: 'test' | 'live';
  /** The browser tab's title. */
  title: string;
  /** Served over https (PUBLIC_URL's scheme; a TLS proxy may sit in front): the SSL badge shows. */
  secure: boolean;
}

export interface OfferView {
  product: string;
  name: string;
  description: string;
  image: string | null;
  /** Formatted for its currency: `$49.00`, `¥4,900`, `€19.00 / month`. */
  price: string;
  amount: number;
  currency: string;
  recurring: boolean;
}

/** A content step without a form of ours beyond one button: sales, opt-in. */
export interface ContentStepView extends PageFrame {
  kind: Extract<StepKind, 'sales' | 'optin'>;
  content: StepContent;
  /** Sales: a link to the next step. Opt-in: the form posts here (fields `email`, `name`). */
  action: string;
  form: FormState | null;
}

/** What a visitor typed and what was wrong with it; re-rendered beside each field. */
export interface FormState {
  values: Record<string, string>;
  /** Field name -> message, e.g. `email` -> "enter an email address such as ana@example.com". */
  errors: Record<string, string>;
}

/** Order form, first step: contact and country (so routing on country works before the card). */
export interface ContactStepView extends PageFrame {
  content: StepContent;
  offer: OfferView;
  bump: OfferView | null;
  /** POST target; fields `email`, `name`, `country` (ISO alpha-2). */
  action: string;
  form: FormState;
  /** Countries for the select, in display order: [code, name]. */
  countries: Array<[string, string]>;
  /** The prices in each currency, so the page can follow the country the buyer picks. */
  prices: ContactPrices;
}

/** What the contact step shows in which currency; `offer` and `bump` are already shown in one. */
export interface ContactPrices {
  /** Currency -> the offer's and the bump's price in it, formatted. */
  byCurrency: Record<string, { offer: string; bump: string | null }>;
  /** Country -> the currency the payment step charges there, where it is not `fallback`. */
  byCountry: Record<string, string>;
  /** The currency for any other country, and before one is chosen. */
  fallback: string;
}

/** Where a card form talks to: the account that owns the PaymentIntent. */
export interface CardFormView {
  /** STRIPE_JS_URL: Stripe's own, or the emulator's stand-in. */
  stripeJsUrl: string;
  /** The publishable key of the account that owns the PaymentIntent. */
  publishableKey: string;
  /** Set when the account is connected through a platform (OAuth). */
  stripeAccount: string | null;
  clientSecret: string;
  /** Stripe.js sends the visitor here after confirming (`payment_intent` is appended). */
  returnUrl: string;
  /** Shown on the pay button, e.g. "Pay $49.00". */
  payLabel: string;
  /** Stripe's message from the last try, e.g. "Your card was declined.", or null. */
  error: string | null;
}

/** Order form, second step: the summary, the bump, the currency and the card form. */
export interface PaymentStepView extends PageFrame {
  content: StepContent;
  offer: OfferView;
  bump: OfferView | null;
  bumpChosen: boolean;
  /** POST target for ticking the bump: JSON `{ "bump": true|false }` answers `{ total, payLabel }`. */
  bumpAction: string;
  /** The coupon code field (coupons/coupon-field.ts), as HTML. */
  couponField?: string;
  total: string;
  email: string;
  country: string;
  /** Link back to the contact step to change email or country. */
  editContactUrl: string;
  /** Other currencies the offer is sold in: [currency, link that switches to it]. */
  currencies: Array<{ currency: string; url: string; current: boolean }>;
  card: CardFormView;
}

/** Upsell or downsell: one click charges the saved card; or a card form when one is needed. */
export interface UpsellStepView extends PageFrame {
  kind: Extract<StepKind, 'upsell' | 'downsell'>;
  content: StepContent;
  offer: OfferView;
  /** POST target of "Yes" (one click); the form carries nothing but the click. */
  acceptAction: string;
  /** POST target of "No thanks". */
  declineAction: string;
  /** Set when the saved card cannot be used: the card form for this offer's PaymentIntent. */
  card: CardFormView | null;
  /** Why the card form is shown, or why the charge failed, in the visitor's words. */
  notice: string | null;
}

export interface PurchasedLine {
  name: string;
  /** `$49.00`, or `€19.00 / month` for a subscription. */
  price: string;
  /** `paid`, `refunded`… as a visitor reads it. */
  status: string;
}

export interface ThankYouStepView extends PageFrame {
  content: StepContent;
  lines: PurchasedLine[];
  /** Per currency, formatted: ["$68.00"]. */
  totals: string[];
  receiptEmail: string | null;
  orderId: string | null;
}

/** A page that only says what happened and what to do, in the funnel's frame. */
export interface CheckoutNoticeView extends PageFrame {
  heading: string;
  message: string;
  /** A way on, e.g. back to the order form. */
  link: { href: string; label: string } | null;
  /** Reloads itself (or goes on) after a few seconds, without script: a payment being confirmed. */
  refresh?: { url: string; seconds: number };
}
