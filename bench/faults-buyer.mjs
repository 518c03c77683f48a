// One buyer of the fault run (`npm run test:faults`): a whole order over HTTP, as a browser makes
// it. The order form (contact, then payment), the order bump, the card confirmed at the emulator
// the way its Stripe.js stand-in does (packages/stripe-emulator/src/stripe-js.ts), the return
// page, the one-click upsell or the downsell, and the thank-you page. A request that gets no
// answer is sent again like a person pressing reload; a 5xx is noted, reloaded twice, then the
// buyer gives up.
import { setTimeout as sleep } from 'node:timers/promises';

const goodCard = '4242424242424242';
/** Steps before the sale is placed on an account: a 5xx there turns away a sale another could take. */
const beforeThePayment = new Set(['order', 'contact', 'pay', 'bump']);
/** How long a buyer keeps reloading a page that does not answer (the server may be restarting). */
const reloadForMs = 90_000;
/** How long a browser waits for one answer before the person reloads. */
const answerTimeoutMs = 60_000;
const confirmTimeoutMs = 15_000;

/**
 * `run` is shared with the orchestrator: `serverDown` (true between the kill and the restart),
 * `timings` (step -> latencies in ms) and `answers5xx` (every 5xx a buyer got).
 */
export async function visitFunnel({ run, serverUrl, emulatorUrl, funnel, buyer, choices }) {
  const browser = createBrowser({ run, serverUrl, buyer });
  const page = (step) => `/f/${funnel}/${step}`;

  const form = await browser.request('order', 'GET', page('order'));
  if (form.status !== 200) return buyer.giveUp(`order form answered ${form.status}`);
  const contact = await browser.request('contact', 'POST', page('order/contact'), {
    form: { email: buyer.email, name: buyer.name, country: buyer.country },
  });
  if (contact.status !== 303) return buyer.giveUp(`contact step answered ${contact.status}`);
  buyer.orderId = browser.orderId(funnel);

  let location = contact.location;
  for (let visits = 0; visits < 3 && location?.endsWith('/pay'); visits += 1) {
    location = await payOrderStep({ browser, run, emulatorUrl, buyer, choices, path: location });
  }
  if (location === null) return buyer;
  if (location.includes('/order')) return buyer.giveUp('still on the order form after paying');

  for (let steps = 0; steps < 4; steps += 1) {
    if (location.endsWith('/thanks')) break;
    location = await answerOffer({ browser, run, emulatorUrl, buyer, choices, path: location });
    if (location === null) return buyer;
  }
  const thanks = await browser.request('thanks', 'GET', location);
  if (thanks.status !== 200) return buyer.giveUp(`thank-you page answered ${thanks.status}`);
  buyer.finished = true;
  return buyer;
}

/** The payment step of the order form: card form, bump, card, return page. Where it goes next. */
async function payOrderStep({ browser, run, emulatorUrl, buyer, choices, path }) {
  const pay = await browser.request('pay', 'GET', path);
  if (pay.status === 303) return pay.location;
  const card = pay.status === 200 ? cardConfigOf(pay.text) : null;
  if (card === null) {
    buyer.giveUp(`payment step answered ${pay.status} without a card form`);
    return null;
  }
  if (choices.bump && card.bumpAction && !buyer.bumpChosen) {
    const bump = await browser.request('bump', 'POST', card.bumpAction, { json: { bump: true } });
    const answer = bump.status === 200 ? JSON.parse(bump.text) : null;
    buyer.bumpChosen = answer?.bump === true;
    // The card script keeps Pay off until the page is loaded again (the total at Stripe is unknown).
    if (answer?.reload === true) return path;
  }
  const cards = choices.declineFirst ? [choices.declinedCard, goodCard] : [goodCard];
  // Typing the card: in the kill phase some buyers are at the form when the server goes.
  run.atCardForm += 1;
  await sleep(choices.typingMs);
  run.atCardForm -= 1;
  return confirmAndReturn({ browser, run, emulatorUrl, buyer, card, cards, step: 'return' });
}

/** An upsell or downsell page: "Yes" or "No thanks". Where the buyer goes next. */
async function answerOffer({ browser, run, emulatorUrl, buyer, choices, path }) {
  const kind = path.endsWith('/coaching') ? 'upsell' : 'downsell';
  const offer = await browser.request(kind, 'GET', path);
  if (offer.status !== 200) {
    buyer.giveUp(`${kind} page answered ${offer.status}`);
    return null;
  }
  const accept = kind === 'upsell' ? choices.acceptUpsell : choices.acceptDownsell;
  if (accept) {
    for (let tries = 0; tries < 3; tries += 1) {
      const answer = await browser.request('accept', 'POST', `${path}/accept`, { form: {} });
      buyer.offers.push({ kind, status: answer.status });
      if (answer.status === 303) return answer.location;
      const card = answer.status === 200 ? cardConfigOf(answer.text) : null;
      if (card) {
        buyer.offerCardForms += 1;
        return confirmAndReturn({
          browser,
          run,
          emulatorUrl,
          buyer,
          card,
          cards: [goodCard],
          step: 'offer return',
        });
      }
      // 409: "already being processed, reload in a moment". A 5xx was reloaded already.
      if (answer.status !== 409) break;
      await sleep(1000);
    }
  }
  const decline = await browser.request('decline', 'POST', `${path}/decline`, { form: {} });
  if (decline.status !== 303) {
    buyer.giveUp(`"No thanks" answered ${decline.status}`);
    return null;
  }
  return decline.location;
}

/** Confirms at the emulator card after card, then follows Stripe.js's redirect to the return page. */
async function confirmAndReturn({ browser, run, emulatorUrl, buyer, card, cards, step }) {
  let intent = null;
  for (const number of cards) {
    const result = await confirmAtStripe(emulatorUrl, card, number);
    buyer.confirms.push({ card: number.slice(-4), outcome: result.outcome, tries: result.tries });
    if (result.outcome === 'declined') continue;
    if (result.outcome !== 'confirmed') {
      // Stripe.js shows the error; on the order form the person reloads the payment step.
      buyer.confirmErrors.push(`${result.outcome.slice(0, 90)} (try ${result.tries})`);
      if (step === 'return' && buyer.confirmErrors.length < 3)
        return new URL(card.returnUrl).pathname.replace(/\/return$/, '/pay');
      buyer.giveUp(`Stripe.js confirm failed: ${result.outcome}`);
      return null;
    }
    intent = result.intent;
    break;
  }
  if (intent === null) {
    buyer.giveUp('every card was declined');
    return null;
  }
  if (run.serverDown) buyer.confirmedWhileDown += 1;
  const target = new URL(card.returnUrl);
  target.searchParams.set('payment_intent', intent.id);
  target.searchParams.set('payment_intent_client_secret', card.clientSecret);
  target.searchParams.set(
    'redirect_status',
    intent.status === 'succeeded' ? 'succeeded' : 'failed',
  );
  let back = await browser.request(step, 'GET', `${target.pathname}${target.search}`, {
    abandonWhenUnanswered: buyer.abandonsWhenUnanswered,
  });
  // "Your payment is being confirmed" reloads itself (<meta http-equiv="refresh">), as a browser does.
  for (let refreshes = 0; back.status === 200 && refreshes < 10; refreshes += 1) {
    const refresh = /<meta http-equiv="refresh" content="(\d+);url=([^"]+)">/.exec(back.text);
    if (!refresh) break;
    buyer.confirmingPages += 1;
    await sleep(Number(refresh[1]) * 1000);
    back = await browser.request(step, 'GET', refresh[2].replaceAll('&amp;', '&'));
  }
  if (back.status === 303) return back.location;
  buyer.giveUp(
    back.status === 0
      ? 'closed the tab: the return page did not load'
      : `return page answered ${back.status}`,
  );
  return null;
}

/** What the card form script reads from the page (src/checkout/pages/card-script.ts). */
function cardConfigOf(html) {
  const match = /<script type="application\/json" id="card-config">([^<]*)<\/script>/.exec(html);
  return match ? JSON.parse(match[1]) : null;
}

/**
 * POST /v1/payment_intents/{id}/confirm with the publishable key, as the Stripe.js stand-in sends
 * it. A 402 is a decline; an error or no answer is retried like a person pressing Pay again.
 */
async function confirmAtStripe(emulatorUrl, card, number) {
  const id = /^(pi_[A-Za-z0-9]+)_secret_/.exec(card.clientSecret)?.[1];
  const body = new URLSearchParams([
    ['client_secret', card.clientSecret],
    ['payment_method_data[type]', 'card'],
    ['payment_method_data[card][number]', number],
    ['payment_method_data[card][exp_month]', '12'],
    ['payment_method_data[card][exp_year]', '2034'],
    ['payment_method_data[card][cvc]', '123'],
    ['payment_method_data[billing_details][address][postal_code]', '10001'],
    ['return_url', card.returnUrl],
  ]);
  const headers = {
    Authorization: `Bearer ${card.publishableKey}`,
    'Content-Type': 'application/x-www-form-urlencoded',
  };
  if (card.stripeAccount) headers['Stripe-Account'] = card.stripeAccount;
  let tries = 0;
  let last = 'no answer';
  while (tries < 6) {
    tries += 1;
    try {
      const response = await fetch(`${emulatorUrl}/v1/payment_intents/${id}/confirm`, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(confirmTimeoutMs),
      });
      const answer = await response.json().catch(() => null);
      if (response.status === 200) return { outcome: 'confirmed', intent: answer, tries };
      if (response.status === 402) return { outcome: 'declined', tries };
      last = `HTTP ${response.status} ${answer?.error?.message ?? ''}`.trim();
      if (response.status < 429) return { outcome: last, tries };
    } catch (error) {
      last = error?.name === 'TimeoutError' ? 'no answer in 15 s' : 'connection failed';
    }
    await sleep(300 * tries);
  }
  return { outcome: last, tries };
}

/** A browser tab of one buyer: cookies, manual redirects, reloads, and what each answer took. */
function createBrowser({ run, serverUrl, buyer }) {
  const cookies = new Map();

  function remember(response) {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
  }

  async function send(method, path, options) {
    const headers = { accept: 'text/html' };
    if (cookies.size > 0) {
      headers.cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    let body;
    if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    } else if (options.json) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const response = await fetch(new URL(path, serverUrl), {
      method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(answerTimeoutMs),
    });
    remember(response);
    const text = await response.text();
    const location = response.headers.get('location');
    return {
      status: response.status,
      text,
      location: location === null ? null : new URL(location, serverUrl).pathname,
    };
  }

  return {
    orderId(funnel) {
      const value = cookies.get(`sy_order_${funnel}`);
      return value ? decodeURIComponent(value).split('.')[0] : null;
    },

    /** Status 0 when no answer came before the buyer stopped reloading. */
    async request(step, method, path, options = {}) {
      const startedAt = Date.now();
      for (let reloads = 0; ; ) {
        const sentAt = Date.now();
        let answer;
        try {
          answer = await send(method, path, options);
        } catch (error) {
          buyer.unanswered += 1;
          if (error?.name === 'TimeoutError') buyer.slowestWait = answerTimeoutMs;
          if (options.abandonWhenUnanswered || Date.now() - startedAt > reloadForMs) {
            return { status: 0, text: '', location: null };
          }
          await sleep(1000);
          continue;
        }
        const took = Date.now() - sentAt;
        buyer.slowestWait = Math.max(buyer.slowestWait, took);
        if (!run.timings[step]) run.timings[step] = [];
        run.timings[step].push(took);
        if (answer.status < 500) return answer;
        run.answers5xx.push({
          phase: buyer.phase,
          buyer: buyer.n,
          order: buyer.orderId,
          step,
          path: path.split('?')[0],
          status: answer.status,
          currency: buyer.currency,
          anotherAccountCould: beforeThePayment.has(step) && run.accountsTaking(buyer.currency) > 1,
          said: pageMessage(answer.text),
          took,
        });
        reloads += 1;
        if (reloads > 2) return answer;
        await sleep(1000);
      }
    },
  };
}

/** The words a visitor sees on an error page (its heading and first paragraph), or the JSON error. */
function pageMessage(text) {
  const notice = /<h1[^>]*>([^<]*)<\/h1>(?:<p>([^<]*)<\/p>)?/.exec(text);
  if (notice) return [notice[1], notice[2]].filter(Boolean).join(': ').slice(0, 200);
  return text.slice(0, 200);
}
