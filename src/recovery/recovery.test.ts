import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { buyOrder, cardConfigOf, clockAhead, payCardForm, visitorOf } from '../../test/checkout.js';
import { describeEachDatabase } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';
import { type MailReceiver, startMailReceiver } from '../alerts/alert-receivers.test-helper.js';

const emulator = useEmulator();
let mail: MailReceiver;
beforeAll(async () => {
  mail = await startMailReceiver();
});
afterAll(() => mail.close());

describeEachDatabase('the recovery email of an abandoned checkout', (database) => {
  const clock = clockAhead();
  beforeEach(() => {
    clock.reset();
    mail.messages.length = 0;
    mail.down = false;
  });
  // The mail server is known once `beforeAll` ran: the env is read when each test's shop opens.
  const shop = launchShopForEachTest(database, emulator, {
    clock,
    get env() {
      return { SMTP_URL: mail.url, EMAIL_FROM: 'shop@example.com', PUBLIC_URL: 'http://shop.test' };
    },
  });

  async function leaveAtCardForm(email: string, consent: boolean) {
    const visitor = visitorOf(shop().testApp.app);
    const contacted = await visitor.post('/f/launch/order/contact', {
      email,
      name: `Buyer ${email.split('@')[0]}`,
      country: 'US',
      ...(consent ? { consent: 'yes' } : {}),
    });
    expect(contacted.statusCode, contacted.body).toBe(303);
    const pay = await visitor.get('/f/launch/order/pay');
    expect(pay.statusCode).toBe(200);
    return { visitor, card: cardConfigOf(pay.body) };
  }

  const recovery = () => shop().testApp.services.recovery;

  function linkIn(text: string): string {
    const link = /http:\/\/shop\.test(\/f\/launch\/order\/resume\?token=\S+)/.exec(text)?.[1];
    expect(link, text).toBeDefined();
    return link ?? '';
  }

  it('goes once, to the buyer who ticked consent and did not pay, even when two instances run at once', async () => {
    await leaveAtCardForm('ana@example.com', true);
    await leaveAtCardForm('ben@example.com', false);
    const paysLater = await leaveAtCardForm('cy@example.com', true);
    await buyOrder(emulator(), visitorOf(shop().testApp.app), {
      email: 'dee@example.com',
      name: 'Dee',
      country: 'US',
      consent: 'yes',
    });
    // Cy pays at the card form after all, before the wait is over.
    await payCardForm(emulator(), paysLater.visitor, '/f/launch/order/return', paysLater.card);

    // Within the 30 minutes nobody is written to.
    expect((await recovery().sendDue('default')).sent).toBe(0);
    clock.advance(31 * 60);
    const runs = await Promise.all([recovery().sendDue('default'), recovery().sendDue('default')]);
    expect(runs.map((run) => run.sent).sort()).toEqual([0, 1]);
    expect((await recovery().sendDue('default')).sent).toBe(0);

    expect(mail.messages).toHaveLength(1);
    const [sent] = mail.messages;
    expect(sent?.to).toEqual(['ana@example.com']);
    expect(sent?.subject).toBe('Your order is waiting for you');
    expect(sent?.text).toContain('Hi Buyer ana,');
    expect(sent?.text).not.toMatch(/pi_\w+_secret|sk_test|whsec_/);

    const listed = await shop().api('GET', '/api/checkouts/abandoned');
    const ana = listed.body.abandonedCheckouts.find(
      (one: { email: string }) => one.email === 'ana@example.com',
    );
    expect(ana.recoveryEmailSentAt).not.toBeNull();
  });

  it('brings the buyer back to the payment step of their own order from any browser, until it expires', async () => {
    await leaveAtCardForm('ana@example.com', true);
    clock.advance(31 * 60);
    await recovery().sendDue('default');
    const link = linkIn(mail.messages[0]?.text ?? '');

    // Another browser (no visit cookie): the link alone opens Ana's order.
    const elsewhere = visitorOf(shop().testApp.app);
    const back = await elsewhere.get(link);
    expect(back.statusCode).toBe(303);
    expect(back.headers.location).toBe('/f/launch/order/pay');
    const contact = await elsewhere.get('/f/launch/order');
    expect(contact.body).toContain('value="ana@example.com"');
    const pay = await elsewhere.get('/f/launch/order/pay');
    expect(pay.statusCode).toBe(200);
    const { back: paid } = await payCardForm(
      emulator(),
      elsewhere,
      '/f/launch/order/return',
      cardConfigOf(pay.body),
    );
    expect(paid.statusCode).toBe(303);
    const orders = await shop().api('GET', '/api/orders');
    const anas = orders.body.orders.filter(
      (one: { email: string }) => one.email === 'ana@example.com',
    );
    expect(anas).toHaveLength(1);
    expect(anas[0].status).toBe('paid');

    // Paid: the link says so and takes nobody to a card form.
    const again = await visitorOf(shop().testApp.app).get(link);
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('This order is already paid');

    // A changed link opens nothing; an old one has expired.
    const changed = await visitorOf(shop().testApp.app).get(`${link.slice(0, -2)}xx`);
    expect(changed.statusCode).toBe(400);
    expect(changed.body).toContain('This link does not work');
    clock.advance(73 * 3600);
    const expired = await visitorOf(shop().testApp.app).get(link);
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toContain('This link has expired');
  });

  it('forgets the consent when the buyer unticks it on the same order', async () => {
    const { visitor } = await leaveAtCardForm('ana@example.com', true);
    const back = await visitor.post('/f/launch/order/contact', {
      email: 'ana@example.com',
      name: 'Ana',
      country: 'US',
    });
    expect(back.statusCode).toBe(303);
    clock.advance(31 * 60);
    expect((await recovery().sendDue('default')).sent).toBe(0);
    expect(mail.messages).toHaveLength(0);
  });

  it('does not try again when the mail server refused, and the job says which order went without', async () => {
    await leaveAtCardForm('ana@example.com', true);
    clock.advance(31 * 60);
    mail.down = true;
    const refused = await recovery().sendDue('default');
    expect(refused.sent).toBe(0);
    expect(refused.failed).toHaveLength(1);
    expect(refused.failed[0]?.message).not.toContain(mail.password);
    mail.down = false;
    expect((await recovery().sendDue('default')).sent).toBe(0);
    expect(mail.messages).toHaveLength(0);
  });
});
