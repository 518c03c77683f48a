import { randomUUID } from 'node:crypto';
import { Script } from 'node:vm';
import { type RunningEmulator, startEmulator } from '@switchyard/stripe-emulator';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser, openPhoneContext, type Site, startSite } from '../../../test/browser.js';
import {
  createEmulatorAccount,
  type EmulatorAccount,
  emulatorGateway,
} from '../../../test/emulator.js';
import type { StepContent } from '../../catalog/catalog.schema.js';
import { isKnownCurrency } from '../../catalog/money.js';
import { cardDeclinedMessage, cardProblemMessage, cardProblemWords } from '../card-problems.js';
import { renderContent } from './blocks.js';
import { cardFormSource, cardScript } from './card-script.js';
import { countryCurrencies, countryNames, currencyForCountry, isCountryCode } from './countries.js';
import { faviconDataUrl } from './favicon.js';
import * as icons from './icons.js';
import { pageScripts } from './scripts.js';
import {
  renderCheckoutNotice,
  renderContactStep,
  renderContentStep,
  renderPaymentStep,
  renderThankYouStep,
  renderUpsellStep,
} from './step-pages.js';
import { checkoutStylesheet, checkoutStylesheetEtag } from './stylesheet.js';
import type {
  CardFormView,
  ContactStepView,
  OfferView,
  PageFrame,
  PaymentStepView,
  UpsellStepView,
} from './views.js';

const sampleFrame: PageFrame = {
  funnelName: 'Launch',
  title: 'Launch · Order',
  mode: 'test',
  secure: true,
};

const sampleOffer: OfferView = {
  product: 'course',
  name: 'The Course',
  description: 'Thirty lessons, from first idea to first sale.',
  image: 'https://cdn.example.com/course.png',
  price: '$49.00',
  amount: 4900,
  currency: 'usd',
  recurring: false,
};

const sampleBump: OfferView = {
  product: 'checklist',
  name: 'Quick-start checklist',
  description: 'The one-page list we use for every launch.',
  image: null,
  price: '$19.00',
  amount: 1900,
  currency: 'usd',
  recurring: false,
};

const sampleCard: CardFormView = {
  stripeJsUrl: 'https://js.stripe.com/v3/',
  publishableKey: 'pk_test_123',
  stripeAccount: null,
  clientSecret: 'pi_123_secret_456',
  returnUrl: 'https://shop.example.com/f/launch/order/return',
  payLabel: 'Pay $49.00',
  error: null,
};

/** Every content block, about as long as a merchant's real order form. */
const fullContent: StepContent = {
  headline: 'Launch your course in 30 days',
  subheadline: 'The step-by-step plan 2,000 creators used to sell their first course.',
  body: [
    '## Why this works',
    'Most courses never launch because the plan is **too big**. This one is *thirty small steps*, each one an afternoon of work, in the order that gets you paid first.',
    '- Pick a topic people already pay for',
    '- Pre-sell before you record',
    '- Launch to a small list, then grow it',
    'Questions? Read [the FAQ](https://example.com/faq).',
  ].join('\n\n'),
  bullets: [
    '30 video lessons you can watch on your phone',
    'Templates for your sales page, emails and course outline',
    'A private community of course creators',
    'Lifetime access and every future update',
  ],
  image: 'https://cdn.example.com/cover.png',
  video: 'https://player.example.com/embed/42',
  testimonials: [
    {
      quote: 'I sold 40 seats before I recorded a single lesson.',
      author: 'Ana Lima',
      role: 'Yoga teacher',
      image: 'https://cdn.example.com/ana.jpg',
    },
    { quote: 'Clear, short and it works. My first launch made $8,000.', author: 'Tom Berg' },
  ],
  guarantee: {
    days: 30,
    text: 'Try the whole course. If it is not for you, write to us within 30 days for a full refund.',
  },
  trustBadges: true,
  buttonText: 'Get instant access',
};

function paymentStep(): PaymentStepView {
  return {
    ...sampleFrame,
    content: { headline: 'Get the course', trustBadges: true },
    offer: sampleOffer,
    bump: sampleBump,
    bumpChosen: false,
    bumpAction: '/f/launch/order/bump',
    total: '$49.00',
    email: 'ana@example.com',
    country: 'DE',
    editContactUrl: '/f/launch/order?edit=contact',
    currencies: [
      { currency: 'usd', url: '/f/launch/order?currency=usd', current: true },
      { currency: 'eur', url: '/f/launch/order?currency=eur', current: false },
    ],
    card: sampleCard,
  };
}

const evil = '<script>alert(1)</script>';
const evilShown = '&lt;script&gt;alert(1)&lt;/script&gt;';
/** Breaks out of a double-quoted attribute if it were not escaped. */
const evilUrl = 'https://x.test/a" onmouseover="alert(1)';

/** Every `<script…>` the page itself puts there; merchant or visitor text must add none. */
function scriptTags(html: string): string[] {
  return html.match(/<script\b[^>]*>/g) ?? [];
}

function contactStep(changes: Partial<ContactStepView> = {}): ContactStepView {
  return {
    ...sampleFrame,
    content: { headline: 'Get the course', trustBadges: true },
    offer: sampleOffer,
    bump: sampleBump,
    action: '/f/launch/order',
    form: { values: {}, errors: {} },
    countries: countryNames(),
    prices: {
      byCurrency: {
        usd: { offer: '$49.00', bump: '$19.00' },
        eur: { offer: '€45.00', bump: '€17.00' },
      },
      byCountry: { DE: 'eur' },
      fallback: 'usd',
    },
    ...changes,
  };
}

function upsellStep(changes: Partial<UpsellStepView> = {}): UpsellStepView {
  return {
    ...sampleFrame,
    kind: 'upsell',
    content: { headline: 'Add coaching?', trustBadges: true },
    offer: { ...sampleOffer, product: 'coaching', name: 'Coaching call', price: '$99.00' },
    acceptAction: '/f/launch/coaching/accept',
    declineAction: '/f/launch/coaching/decline',
    card: null,
    notice: null,
    ...changes,
  };
}

describe('visitor pages', () => {
  it('shows every merchant and visitor string as text, never as markup', () => {
    const content: StepContent = {
      headline: evil,
      subheadline: evil,
      body: evil,
      bullets: [evil],
      image: evilUrl,
      video: evilUrl,
      testimonials: [{ quote: evil, author: evil, role: evil, image: evilUrl }],
      guarantee: { days: 30, text: evil },
      trustBadges: true,
      buttonText: evil,
    };
    const frame = { funnelName: evil, title: evil, mode: 'live' as const, secure: true };
    const offer = { ...sampleOffer, name: evil, description: evil, price: evil, image: evilUrl };
    const form = { values: { email: evil, name: evil, country: evil }, errors: { email: evil } };
    const pages = [
      renderContentStep({ ...frame, kind: 'optin', content, action: evilUrl, form }),
      renderContentStep({ ...frame, kind: 'sales', content, action: evilUrl, form: null }),
      renderContactStep({ ...contactStep(), ...frame, content, offer, bump: offer, form }),
      renderPaymentStep({
        ...paymentStep(),
        ...frame,
        content,
        offer,
        bump: offer,
        bumpAction: evilUrl,
        total: evil,
        email: evil,
        country: evil,
        editContactUrl: evilUrl,
        currencies: [
          { currency: evil, url: evilUrl, current: false },
          { currency: 'usd', url: evilUrl, current: true },
        ],
        card: { ...sampleCard, payLabel: evil, error: evil, returnUrl: evilUrl },
      }),
      renderUpsellStep({
        ...upsellStep(),
        ...frame,
        content,
        offer,
        acceptAction: evilUrl,
        declineAction: evilUrl,
        notice: evil,
      }),
      renderThankYouStep({
        ...frame,
        content,
        lines: [{ name: evil, price: evil, status: evil }],
        totals: [evil],
        receiptEmail: evil,
        orderId: evil,
      }),
      renderCheckoutNotice({
        ...frame,
        heading: evil,
        message: evil,
        link: { href: evilUrl, label: evil },
      }),
    ];
    for (const page of pages) {
      // The card configuration is JSON in a script element: its quotes are JSON's, tested below.
      const html = page.replace(/<script type="application\/json"[\s\S]*?<\/script>/, '');
      expect(html).toContain(evilShown);
      expect(html).not.toContain('<script>alert');
      expect(html).not.toContain('" onmouseover=');
      expect(html).toContain('&quot; onmouseover=&quot;alert(1)');
      for (const tag of scriptTags(html)) {
        expect(tag).toMatch(
          /^<script( src="https:\/\/js\.stripe\.com\/v3\/"| src="\/assets\/(card-form|follow-country|accept-once)\.js"| type="application\/json" id="(card-config|contact-prices)")>$/,
        );
      }
    }
  });

  it('renders Markdown without raw HTML or script links, and keeps the headline the only h1', () => {
    const html = renderContent({
      headline: 'The Course',
      body: [
        '# What you get',
        '<img src=x onerror=alert(1)>',
        '[click me](javascript:alert(1)) and [data](data:text/html;base64,PHNjcmlwdD4=)',
        'Read [the syllabus](https://example.com/syllabus) or https://example.com/faq',
      ].join('\n\n'),
      trustBadges: false,
    });
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toMatch(/<img[^>]*onerror/);
    expect(html).toContain('[click me](javascript:alert(1))');
    expect(html).not.toMatch(/href="(javascript|data):/i);
    expect(html).toContain(
      '<a href="https://example.com/syllabus" rel="nofollow noopener">the syllabus</a>',
    );
    expect(html).toContain(
      '<a href="https://example.com/faq" rel="nofollow noopener">https://example.com/faq</a>',
    );
    expect(html.match(/<h1>/g)).toEqual(['<h1>']);
    expect(html).toContain('<h2>What you get</h2>');
  });

  it('shows each content block, the video sandboxed, in reading order', () => {
    const html = renderContent(fullContent);
    const order = [
      '<h1>Launch your course in 30 days</h1>',
      '<p class="sub">',
      '<img class="hero" src="https://cdn.example.com/cover.png"',
      '<iframe src="https://player.example.com/embed/42"',
      '<div class="body">',
      '<ul class="bullets">',
      '<figure class="testimonial">',
      '<h2>30-day money-back guarantee</h2>',
      '<ul class="badges"',
    ].map((marker) => html.indexOf(marker));
    expect(order.every((position) => position >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(html).toMatch(
      /<iframe [^>]*title="Video: Launch your course in 30 days" sandbox="allow-scripts allow-same-origin allow-presentation"[^>]*loading="lazy"/,
    );
    expect(html).toContain('Ana Lima</strong>, Yoga teacher');
  });

  it('shows prices as formatted for their currency, zero-decimal ones included', () => {
    const yen = { ...sampleOffer, currency: 'jpy', amount: 4900, price: '¥4,900' };
    const html = renderPaymentStep({
      ...paymentStep(),
      offer: yen,
      bump: null,
      total: '¥4,900',
      card: { ...sampleCard, payLabel: 'Pay ¥4,900' },
    });
    expect(html).toContain('<b>¥4,900</b>');
    expect(html).toContain('<strong id="total">¥4,900</strong>');
    expect(html).toMatch(/<button id="pay" class="button" type="submit">Pay ¥4,900<\/button>/);
  });

  it('puts each error beside its field, marks the field invalid and lists all errors on top', () => {
    const html = renderContactStep(
      contactStep({
        form: {
          values: { email: 'ana@', name: 'Ana "Lima"', country: 'ZZ' },
          errors: {
            email: 'enter an email address such as ana@example.com',
            country: 'choose your country from the list',
          },
        },
      }),
    );
    expect(html).toMatch(
      /<input id="email" name="email" type="email" autocomplete="email" required maxlength="320" value="ana@" aria-invalid="true" aria-describedby="email-error">\n<p class="field-error" id="email-error">enter an email address such as ana@example.com<\/p>/,
    );
    expect(html).toMatch(
      /<select id="country" name="country" autocomplete="country" required aria-invalid="true" aria-describedby="country-error">.*<\/select>\n<p class="field-error" id="country-error">choose your country from the list<\/p>/,
    );
    expect(html).toMatch(/<input id="name" [^>]*value="Ana &quot;Lima&quot;">/);
    expect(html).not.toMatch(/<input id="name" [^>]*aria-invalid/);
    expect(html).toContain('<option value="">Choose your country</option>');
    const summary = html.match(/<div class="error-summary" role="alert">.*?<\/div>/)?.[0] ?? '';
    expect(summary).toContain(
      '<a href="#email">Email: enter an email address such as ana@example.com</a>',
    );
    expect(summary).toContain('<a href="#country">Country: choose your country from the list</a>');

    const clean = renderContactStep(
      contactStep({ form: { values: { country: 'DE' }, errors: {} } }),
    );
    expect(clean).not.toContain('error-summary');
    expect(clean).not.toContain('aria-invalid');
    expect(clean).toContain('<option value="DE" selected>Germany</option>');
    expect(clean).not.toContain('Choose your country');
  });

  it('asks for contact and country first, with the order summary and a way on to payment', () => {
    const html = renderContactStep(contactStep());
    expect(html).toContain('<form method="post" action="/f/launch/order">');
    expect(html).toContain('<li aria-current="step">1. Your details</li>');
    expect(html).toMatch(/The Course<\/span><b data-price="offer">\$49\.00<\/b>/);
    expect(html).toMatch(
      /Quick-start checklist<small>Optional: .*<\/small><\/span><b data-price="bump">\$19\.00<\/b>/,
    );
    expect(html).toContain('autocomplete="name"');
    expect(html).toContain('<button class="button" type="submit">Continue to payment</button>');
    expect(html).toContain('<p class="secure">');
  });

  it('shows the test-mode banner on test pages only', () => {
    const banner = 'Test mode: no real card is charged. Use card 4242 4242 4242 4242.';
    expect(renderPaymentStep(paymentStep())).toContain(banner);
    expect(renderPaymentStep({ ...paymentStep(), mode: 'live' })).not.toContain(banner);
    expect(
      renderCheckoutNotice({ ...sampleFrame, heading: 'Gone', message: 'x', link: null }),
    ).toContain(banner);
  });

  it('shows trust badges only when the merchant keeps them on', () => {
    const withGuarantee = renderContent({ ...fullContent, trustBadges: true }, { secure: true });
    expect(withGuarantee).toContain('SSL secured');
    expect(withGuarantee).toContain('Payments by Stripe');
    expect(withGuarantee).toContain('Money-back guarantee</li>');
    const noGuarantee = renderContent({ headline: 'Hi', trustBadges: true }, { secure: true });
    expect(noGuarantee).toContain('SSL secured');
    expect(noGuarantee).not.toContain('Money-back guarantee');
    const off = renderPaymentStep({
      ...paymentStep(),
      content: { ...fullContent, trustBadges: false },
    });
    expect(off).not.toContain('SSL secured');
    expect(off).not.toContain('Payments by Stripe');
    // The lock line beside the pay button is part of the form, not a badge.
    expect(off).toContain('Payments are encrypted and processed by Stripe');
  });

  it('claims "SSL secured" only on a page served over https', () => {
    const content: StepContent = { ...fullContent, trustBadges: true };
    for (const secure of [true, false]) {
      const pages = [
        renderPaymentStep({ ...paymentStep(), content, secure }),
        renderContactStep(contactStep({ content, secure })),
        renderUpsellStep(upsellStep({ content, secure })),
        renderContentStep({
          ...sampleFrame,
          secure,
          kind: 'sales',
          content,
          action: '/next',
          form: null,
        }),
        renderThankYouStep({
          ...sampleFrame,
          secure,
          content,
          lines: [],
          totals: [],
          receiptEmail: null,
          orderId: null,
        }),
      ];
      for (const page of pages) {
        expect(page.includes('SSL secured'), `secure: ${secure}`).toBe(secure);
        expect(page).toContain('Payments by Stripe');
      }
    }
  });

  it('keeps the card configuration inside its script element whatever it holds', () => {
    const clientSecret = 'pi_123_secret_</script><script>alert(1)</script><!--';
    const html = cardScript(
      { ...sampleCard, clientSecret, stripeAccount: 'acct_1</script>' },
      { bumpAction: '/f/launch/order/bump' },
    );
    const element = html.match(
      /<script type="application\/json" id="card-config">([\s\S]*?)<\/script>/,
    );
    expect(element).not.toBeNull();
    const config = JSON.parse(element?.[1] ?? 'null');
    expect(config).toEqual({
      publishableKey: sampleCard.publishableKey,
      stripeAccount: 'acct_1</script>',
      clientSecret,
      returnUrl: sampleCard.returnUrl,
      bumpAction: '/f/launch/order/bump',
      cardProblems: cardProblemWords,
      cardDeclined: cardDeclinedMessage,
    });
    expect(element?.[1]).not.toContain('<');
    expect(scriptTags(html)).toHaveLength(3);
    expect(html).toContain('<script src="https://js.stripe.com/v3/"></script>');
  });

  it('runs the card form on plain ES2019, for older phones', () => {
    expect(() => new Script(cardFormSource)).not.toThrow();
    expect(cardFormSource).not.toMatch(/\?\.[^\d]|\?\?|\bimport\b|\bexport\b|=>|`/);
  });

  it('shows the order form: summary, bump, total, contact, currencies and the card form', () => {
    const html = renderPaymentStep(paymentStep());
    expect(html).toContain('<li aria-current="step">2. Payment</li>');
    expect(html).toMatch(
      /<input type="checkbox" id="bump" name="bump"><span><strong>Yes, add Quick-start checklist for \$19\.00<\/strong>/,
    );
    expect(html).toContain('<strong id="total">$49.00</strong>');
    expect(html).toContain('<dd>ana@example.com</dd><dt>Country</dt><dd>Germany</dd>');
    expect(html).toContain(
      '<a href="/f/launch/order?edit=contact" aria-label="Edit email or country">Edit</a>',
    );
    expect(html).toContain('<a href="/f/launch/order?currency=eur">EUR</a>');
    expect(html).toContain('<strong aria-current="true">USD</strong>');
    expect(html).toContain('<div id="payment-element"></div>');
    expect(html).toContain('<div id="payment-message" class="payment-message" role="alert"></div>');
    expect(html).toContain('<form id="payment-form">');

    const declined = renderPaymentStep({
      ...paymentStep(),
      bumpChosen: true,
      currencies: [{ currency: 'usd', url: '/f/launch/order', current: true }],
      card: { ...sampleCard, error: 'Your card was declined.' },
    });
    expect(declined).toContain('id="bump" name="bump" checked>');
    expect(declined).toContain('role="alert">Your card was declined.</div>');
    expect(declined).not.toContain('aria-label="Currency"');
  });

  it('keeps the order form with every content block and a bump under 40 KB with its stylesheet', () => {
    const html = renderPaymentStep({ ...paymentStep(), content: fullContent });
    const bytes = Buffer.byteLength(html) + Buffer.byteLength(checkoutStylesheet);
    expect(bytes).toBeLessThan(40 * 1024);
    const contact = renderContactStep(contactStep({ content: fullContent }));
    expect(Buffer.byteLength(contact) + Buffer.byteLength(checkoutStylesheet)).toBeLessThan(
      40 * 1024,
    );
  });

  it('offers an upsell with one click, or with a card form when the saved card cannot pay', () => {
    const oneClick = renderUpsellStep(
      upsellStep({ notice: 'Your last payment needs a new card.' }),
    );
    expect(oneClick).toContain(
      '<form id="accept-form" method="post" action="/f/launch/coaching/accept"><button id="accept" class="button" type="submit">Yes, add it to my order</button></form>',
    );
    expect(oneClick).toContain(
      '<form method="post" action="/f/launch/coaching/decline"><button id="decline" class="link-button" type="submit">No thanks</button></form>',
    );
    expect(oneClick).toContain('<b class="price">$99.00</b>');
    expect(oneClick.indexOf('Your last payment needs a new card.')).toBeLessThan(
      oneClick.indexOf('id="accept"'),
    );
    expect(oneClick).not.toContain('payment-element');
    expect(
      renderUpsellStep(upsellStep({ content: { buttonText: 'Yes!', trustBadges: false } })),
    ).toContain('type="submit">Yes!</button>');

    const withCard = renderUpsellStep(
      upsellStep({
        card: { ...sampleCard, payLabel: 'Pay $99.00' },
        notice: 'Your card could not be charged again. Enter a card to add coaching.',
      }),
    );
    expect(withCard).toContain('Enter a card to add coaching.');
    expect(withCard).toContain('<div id="payment-element"></div>');
    expect(withCard).toContain('type="submit">Pay $99.00</button>');
    expect(withCard).toContain('id="decline"');
    expect(withCard).not.toContain('id="accept"');
    expect(withCard).toContain('id="card-config"');
  });

  it('thanks the buyer with what was bought, the totals, the receipt address and the order', () => {
    const html = renderThankYouStep({
      ...sampleFrame,
      content: { trustBadges: false },
      lines: [
        { name: 'The Course', price: '$49.00', status: 'paid' },
        { name: 'Coaching', price: '€19.00 / month', status: 'paid' },
      ],
      totals: ['$49.00', '€19.00'],
      receiptEmail: 'ana@example.com',
      orderId: 'ord_123',
    });
    expect(html).toContain('<h1>Thank you for your order</h1>');
    expect(html).toContain('<tr><td>The Course</td><td>paid</td><td>$49.00</td></tr>');
    expect(html).toContain('<td>€19.00 / month</td>');
    expect(html).toContain('<td>$49.00<br>€19.00</td>');
    expect(html).toContain('A receipt goes to <strong>ana@example.com</strong>.');
    expect(html).toContain('Order number: ord_123');
  });

  it('says what happened on a notice page, with a way on', () => {
    const html = renderCheckoutNotice({
      ...sampleFrame,
      heading: 'This offer has ended',
      message: 'The order form is closed.',
      link: { href: '/f/launch', label: 'Back to the start' },
    });
    expect(html).toContain('<h1>This offer has ended</h1><p>The order form is closed.</p>');
    expect(html).toContain('<a class="button" href="/f/launch">Back to the start</a>');
  });

  it('posts the opt-in form without JavaScript and links a sales page to its next step', () => {
    const optin = renderContentStep({
      ...sampleFrame,
      kind: 'optin',
      content: { headline: 'Free guide', buttonText: 'Send me the guide', trustBadges: false },
      action: '/f/launch/guide',
      form: { values: { email: 'x' }, errors: { email: 'enter an email address' } },
    });
    expect(optin).toContain('<form class="panel actions" method="post" action="/f/launch/guide">');
    expect(optin).toContain('aria-describedby="email-error"');
    expect(optin).toContain('<button class="button" type="submit">Send me the guide</button>');
    const sales = renderContentStep({
      ...sampleFrame,
      kind: 'sales',
      content: { trustBadges: false },
      action: '/f/launch/order',
      form: null,
    });
    expect(sales).toContain('<h1>Launch · Order</h1>');
    expect(sales).toContain('<a class="button" href="/f/launch/order">Continue</a>');
  });

  it('is a whole document with one stylesheet, the funnel name and the Stripe lock', () => {
    const html = renderPaymentStep(paymentStep());
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('<title>Launch · Order</title>');
    expect(html.match(/<link [^>]*>/g)).toEqual([
      `<link rel="icon" type="image/svg+xml" href="${faviconDataUrl}">`,
      '<link rel="stylesheet" href="/assets/checkout.css">',
    ]);
    // The tab icon is inline: a page view asks the server for no favicon.
    expect(faviconDataUrl.startsWith('data:image/svg+xml,')).toBe(true);
    expect(html).not.toContain('<style');
    expect(html).toContain('<header class="site-header"><p>Launch</p></header>');
    expect(html).toMatch(
      /<footer class="site-footer"><svg [^>]*>.*<\/svg> Secured by Stripe<\/footer>/,
    );
  });

  it('draws icons inline, hidden from screen readers, with no outside reference', () => {
    const all = Object.values(icons);
    expect(all).toHaveLength(7);
    for (const icon of all) {
      expect(icon).toMatch(/^<svg [^>]*aria-hidden="true" focusable="false">.*<\/svg>$/);
      expect(icon).not.toMatch(/href|url\(|<script|<image/);
    }
  });

  it('fingerprints the stylesheet for caching', () => {
    expect(checkoutStylesheetEtag).toMatch(/^"[A-Za-z0-9_-]{16}"$/);
    expect(checkoutStylesheet).toContain('@media (min-width:768px)');
  });
});

describe('what a buyer reads when the card is not taken', () => {
  it('has plain words for every Stripe outcome, and a plain decline for anything unknown', () => {
    const outcomes: Array<[{ code?: string; declineCode?: string }, RegExp]> = [
      [{ code: 'card_declined', declineCode: 'generic_decline' }, /^Your card was declined\./],
      [{ code: 'card_declined', declineCode: 'insufficient_funds' }, /insufficient funds/],
      [{ code: 'card_declined', declineCode: 'lost_card' }, /^Your card was declined\./],
      [{ code: 'card_declined', declineCode: 'stolen_card' }, /^Your card was declined\./],
      [{ code: 'card_declined', declineCode: 'fraudulent' }, /^Your card was declined\./],
      [{ code: 'expired_card' }, /has expired/],
      [{ code: 'incorrect_cvc' }, /security code/],
      [{ code: 'processing_error' }, /could not be processed just now/],
      [{ code: 'payment_intent_authentication_failure' }, /could not confirm it was you/],
      [
        { code: 'authentication_required', declineCode: 'authentication_required' },
        /confirm this payment/,
      ],
      [{ code: 'card_declined', declineCode: 'card_velocity_exceeded' }, /limit set by your bank/],
      [{ code: 'card_declined', declineCode: 'something_new' }, /^Your card was declined\./],
      [{}, /^Your card was declined\./],
    ];
    for (const [failure, words] of outcomes) {
      expect(cardProblemMessage(failure), JSON.stringify(failure)).toMatch(words);
    }
    for (const message of Object.values(cardProblemWords)) {
      // Sentences for people: no Stripe object names, parameters or codes.
      expect(message).toMatch(/^[A-Z][^_]*\.$/);
      expect(message).not.toMatch(/PaymentMethod|PaymentIntent|payment_method|\bAPI\b|Stripe/);
    }
  });
});

describe('countries and the currency an order starts in', () => {
  it('lists the countries a buyer can pay from by name', () => {
    const names = countryNames();
    expect(names).toContainEqual(['DE', 'Germany']);
    expect(names).toContainEqual(['CI', 'Côte d’Ivoire']);
    expect(names.map(([code]) => code)).not.toContain('KP');
    expect(new Set(names.map(([code]) => code)).size).toBe(names.length);
    const sorted = [...names].sort(([, a], [, b]) => a.localeCompare(b, 'en'));
    expect(names).toEqual(sorted);
    expect(names.length).toBeGreaterThan(240);
  });

  it('knows upper-case ISO codes only', () => {
    expect(isCountryCode('DE')).toBe(true);
    expect(isCountryCode('de')).toBe(false);
    expect(isCountryCode('ZZ')).toBe(false);
    expect(isCountryCode('CU')).toBe(false);
    expect(isCountryCode('')).toBe(false);
  });

  it('maps only listed countries to real currencies', () => {
    for (const [country, currency] of Object.entries(countryCurrencies)) {
      expect(isCountryCode(country), country).toBe(true);
      expect(isKnownCurrency(currency), currency).toBe(true);
      expect(currency).toBe(currency.toLowerCase());
    }
  });

  it.each([
    ['DE', ['usd', 'eur'], 'eur'],
    ['DE', ['usd', 'gbp'], 'usd'],
    ['de', ['usd', 'eur'], 'eur'],
    ['BG', ['usd', 'eur'], 'eur'],
    ['AT', ['eur'], 'eur'],
    ['GB', ['usd', 'eur', 'gbp'], 'gbp'],
    ['GB', ['eur', 'jpy'], 'eur'],
    ['US', ['eur', 'usd'], 'usd'],
    ['CA', ['usd', 'cad'], 'cad'],
    ['AU', ['usd', 'aud'], 'aud'],
    ['JP', ['usd', 'jpy'], 'jpy'],
    ['CH', ['eur', 'chf'], 'chf'],
    ['SE', ['eur', 'sek'], 'sek'],
    ['NO', ['nok', 'eur'], 'nok'],
    ['DK', ['usd', 'dkk'], 'dkk'],
    ['PL', ['eur', 'pln'], 'pln'],
    ['NZ', ['aud', 'nzd'], 'nzd'],
    ['SG', ['usd', 'sgd'], 'sgd'],
    ['HK', ['usd', 'hkd'], 'hkd'],
    ['MX', ['usd', 'mxn'], 'mxn'],
    ['BR', ['usd', 'brl'], 'brl'],
    ['IN', ['usd', 'inr'], 'inr'],
    ['KE', ['gbp', 'usd'], 'usd'],
    ['JP', ['gbp', 'aud'], 'gbp'],
  ])('%s buying an offer sold in %j pays in %s', (country, available, expected) => {
    expect(currencyForCountry(country, available)).toBe(expected);
  });

  it('refuses an offer without any currency', () => {
    expect(() => currencyForCountry('DE', [])).toThrow(/no price/);
  });
});

/** Two digits of a year safely in the future, for expiry dates. */
const futureYear = String((new Date().getFullYear() + 5) % 100).padStart(2, '0');

describe('the order form in a phone browser, with Stripe.js from the emulator', () => {
  let emulator: RunningEmulator;
  let account: EmulatorAccount;
  let site: Site;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** The PaymentIntent the page being served pays, made fresh for each test. */
  let intent: { id: string; clientSecret: string };

  function orderPage(): string {
    return renderPaymentStep({
      ...paymentStep(),
      content: fullContent,
      card: {
        ...sampleCard,
        stripeJsUrl: `${emulator.url}/v3/`,
        publishableKey: account.keys.test.publishable,
        clientSecret: intent.clientSecret,
        returnUrl: `${site.url}/f/launch/order/return`,
      },
    });
  }

  beforeAll(async () => {
    emulator = await startEmulator();
    account = await createEmulatorAccount(emulator, { name: 'Launch LLC' });
    site = await startSite({
      '/f/launch/order': () => orderPage(),
      '/f/launch/order/bump': () => JSON.stringify({ total: '$68.00', payLabel: 'Pay $68.00' }),
      '/f/launch/order/return': () => '<!doctype html><title>Paid</title><h1>Paid</h1>',
      '/f/launch/coaching': () => renderUpsellStep(upsellStep()),
      '/f/launch/coaching/accept': () => '<!doctype html><title>Added</title><h1>Added</h1>',
    });
    browser = await launchBrowser();
    context = await openPhoneContext(browser);
    // The merchant's images and video live elsewhere; tests stay off the network.
    await context.route(
      (url) => url.hostname !== '127.0.0.1',
      (route) => route.abort(),
    );
    // The test site answers HTML only; Chromium applies a stylesheet only when it is text/css.
    await context.route(`${site.url}/assets/checkout.css`, (route) =>
      route.fulfill({ contentType: 'text/css; charset=utf-8', body: checkoutStylesheet }),
    );
    // The pages' own scripts are files, as the app serves them.
    for (const script of pageScripts) {
      await context.route(`${site.url}${script.path}`, (route) =>
        route.fulfill({ contentType: 'text/javascript; charset=utf-8', body: script.source }),
      );
    }
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await emulator?.close();
  });
  beforeEach(async () => {
    const created = await emulatorGateway(emulator).createPaymentIntent({
      credentials: { secretKey: account.keys.test.secret },
      idempotencyKey: randomUUID(),
      amount: 4900,
      currency: 'usd',
    });
    intent = { id: created.id, clientSecret: created.clientSecret ?? '' };
  });

  async function openOrderForm(): Promise<void> {
    await page.goto(`${site.url}/f/launch/order`);
    await page.getByLabel('Card number').waitFor();
  }

  async function payWith(number: string): Promise<void> {
    await page.getByLabel('Card number').fill(number);
    await page.getByLabel('Expiration date').fill(`12 / ${futureYear}`);
    await page.getByLabel('Security code').fill('123');
    const postal = page.getByLabel('Postal code');
    if ((await postal.count()) > 0) await postal.fill('10115');
    await page.locator('#pay').click();
  }

  it('fits a 360 px phone without sideways scrolling, the pay button in reach', async () => {
    await openOrderForm();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(360);
    const pay = page.getByRole('button', { name: 'Pay $49.00' });
    await expect(pay.isVisible()).resolves.toBe(true);
    const box = await pay.boundingBox();
    // Styled: a full-width, thumb-sized button inside the screen.
    expect(box?.width).toBeGreaterThan(280);
    expect(box?.height).toBeGreaterThanOrEqual(48);
    expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(360);
  });

  it('updates the total and the pay button when the order bump is ticked', async () => {
    await openOrderForm();
    const sent = page.waitForRequest(`${site.url}/f/launch/order/bump`);
    await page.getByLabel(/Yes, add Quick-start checklist/).check();
    expect((await sent).postDataJSON()).toEqual({ bump: true });
    await page.getByRole('button', { name: 'Pay $68.00' }).waitFor();
    await expect(page.locator('#total').textContent()).resolves.toBe('$68.00');
    await expect(page.locator('#pay').isEnabled()).resolves.toBe(true);
  });

  it('unticks the bump and says why when the order cannot change', async () => {
    await page.route(`${site.url}/f/launch/order/bump`, (route) =>
      route.fulfill({
        status: 409,
        contentType: 'application/json',
        body: JSON.stringify({
          error: { code: 'conflict', message: 'This order is already paid.' },
        }),
      }),
    );
    try {
      await openOrderForm();
      await page.getByLabel(/Yes, add Quick-start checklist/).click();
      await page.getByText('This order is already paid.').waitFor();
      await expect(page.locator('#bump').isChecked()).resolves.toBe(false);
      await expect(page.locator('#total').textContent()).resolves.toBe('$49.00');
      await expect(page.locator('#pay').isEnabled()).resolves.toBe(true);
    } finally {
      await page.unroute(`${site.url}/f/launch/order/bump`);
    }
  });

  it.each([
    [false, true],
    [true, false],
  ])(
    'keeps the bump unticked and says why when the add-on cannot be added now (reload %s)',
    async (reload, payable) => {
      const notice = 'The add-on could not be added just now.';
      await page.route(`${site.url}/f/launch/order/bump`, (route) =>
        route.fulfill({
          status: 200,
          contentType: 'application/json',
          body: JSON.stringify({
            total: '$49.00',
            payLabel: 'Pay $49.00',
            amount: 4900,
            bump: false,
            notice,
            reload,
          }),
        }),
      );
      try {
        await openOrderForm();
        await page.getByLabel(/Yes, add Quick-start checklist/).click();
        await page.getByText(notice).waitFor();
        await expect(page.locator('#bump').isChecked()).resolves.toBe(false);
        await expect(page.locator('#total').textContent()).resolves.toBe('$49.00');
        await expect(page.locator('#pay').isEnabled()).resolves.toBe(payable);
      } finally {
        await page.unroute(`${site.url}/f/launch/order/bump`);
      }
    },
  );

  it("shows Stripe's decline, then pays with another card on the same PaymentIntent", async () => {
    await openOrderForm();
    await payWith('4000 0000 0000 0002');
    await page.getByRole('alert').filter({ hasText: 'Your card was declined.' }).waitFor();
    await expect(page.locator('#pay').isEnabled()).resolves.toBe(true);

    await payWith('4242 4242 4242 4242');
    await page.waitForURL(/\/f\/launch\/order\/return\?/);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('payment_intent')).toBe(intent.id);
    expect(landed.searchParams.get('redirect_status')).toBe('succeeded');
  });

  it('moves on to the return page when Stripe says the PaymentIntent is already paid', async () => {
    await openOrderForm();
    // The first Pay's answer was lost after Stripe charged the card; the buyer presses Pay again.
    await new Stripe(account.keys.test.secret, {
      host: emulator.host,
      port: emulator.port,
      protocol: 'http',
    }).paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' });
    await payWith('4242 4242 4242 4242');
    await page.waitForURL(/\/f\/launch\/order\/return\?/);
    expect(new URL(page.url()).searchParams.get('payment_intent')).toBe(intent.id);
  });

  it('sends "Yes" to an upsell once, however often it is tapped', async () => {
    await page.goto(`${site.url}/f/launch/coaching`);
    // Count the submissions that would leave the page, and keep it here to tap again.
    await page.evaluate(() => {
      let sent = 0;
      document.addEventListener('submit', (event) => {
        if (!event.defaultPrevented) sent += 1;
        event.preventDefault();
      });
      Reflect.set(window, 'submissions', () => sent);
    });
    const yes = page.getByRole('button', { name: 'Yes, add it to my order' });
    await yes.click();
    await expect(yes.isDisabled()).resolves.toBe(true);
    await yes.click({ force: true });
    await expect(
      page.evaluate(() => (Reflect.get(window, 'submissions') as () => number)()),
    ).resolves.toBe(1);

    await page.goto(`${site.url}/f/launch/coaching`);
    await yes.click();
    await page.waitForURL(`${site.url}/f/launch/coaching/accept`);
    await page.goBack();
    await expect(yes.isEnabled()).resolves.toBe(true);
  });
});
