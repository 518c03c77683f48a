import { expect, it } from 'vitest';
import { cardConfigOf, payCardForm, visitorOf } from '../../test/checkout.js';
import { parseCsv } from '../../test/csv.js';
import { describeEachDatabase } from '../../test/databases.js';
import { useEmulator } from '../../test/emulator.js';
import { launchShopForEachTest } from '../../test/workspace.js';

const emulator = useEmulator();

describeEachDatabase('coupons', (database) => {
  const shop = launchShopForEachTest(database, emulator);

  async function addCoupon(coupon: Record<string, unknown>) {
    const created = await shop().api('POST', '/api/coupons', coupon);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.coupon;
  }

  /** A buyer at the launch order's card form (the course, $49.00), in `currency`. */
  async function atCardForm(email: string, currency = 'usd') {
    const visitor = visitorOf(shop().testApp.app);
    const contacted = await visitor.post('/f/launch/order/contact', {
      email,
      name: 'Buyer',
      country: currency === 'eur' ? 'DE' : 'US',
    });
    expect(contacted.statusCode, contacted.body).toBe(303);
    const pay = await visitor.get(`/f/launch/order/pay?currency=${currency}`);
    expect(pay.statusCode, pay.body).toBe(200);
    return visitor;
  }

  async function applyCode(visitor: ReturnType<typeof visitorOf>, code: string, currency = 'usd') {
    const applied = await visitor.post('/f/launch/order/coupon', { code, currency });
    expect(applied.statusCode, applied.body).toBe(303);
    const location = String(applied.headers.location);
    const page = await visitor.get(location);
    expect(page.statusCode, page.body).toBe(200);
    return { location, page: page.body };
  }

  async function payFor(visitor: ReturnType<typeof visitorOf>, page: string) {
    return payCardForm(emulator(), visitor, '/f/launch/order/return', cardConfigOf(page));
  }

  const couponNamed = async (code: string) =>
    (await shop().api('GET', '/api/coupons')).body.coupons.find(
      (coupon: { code: string }) => coupon.code === code,
    );

  it('takes 10% off the card payment before it is confirmed, and shows it on the form, the thank-you page, the order and the CSV', async () => {
    await addCoupon({ code: 'launch10', percentOff: 10, products: ['course'], limit: 5 });
    const visitor = await atCardForm('ana@example.com');
    const { location, page } = await applyCode(visitor, 'Launch10');
    expect(location).toBe('/f/launch/order/pay?currency=usd');
    expect(page).toContain('Coupon LAUNCH10');
    expect(page).toContain('−$4.90');
    expect(page).toMatch(/id="total">\$44\.10</);
    expect(page).toContain('Remove code LAUNCH10');

    const { intent, back } = await payFor(visitor, page);
    expect(intent.status).toBe('succeeded');
    expect(intent.amount).toBe(4410);
    expect(back.statusCode).toBe(303);
    const thanks = await visitor.get('/f/launch/thanks');
    expect(thanks.body).toContain('Coupon LAUNCH10');
    expect(thanks.body).toContain('$44.10');

    const orders = await shop().api('GET', '/api/orders');
    const [order] = orders.body.orders;
    expect(order.paid).toBe(4410);
    const detail = await shop().api('GET', `/api/orders/${order.id}`);
    expect(JSON.stringify(detail.body)).toContain('"coupon":"LAUNCH10"');
    const csv = await shop().testApp.app.inject({
      method: 'GET',
      url: '/api/orders.csv',
      headers: { authorization: await tokenHeader() },
    });
    const [header, row] = parseCsv(csv.body);
    expect(row?.[header?.indexOf('coupon') ?? -1]).toBe('LAUNCH10');
    expect(row?.[header?.indexOf('discount') ?? -1]).toBe('490');
    expect(await couponNamed('LAUNCH10')).toMatchObject({ redeemed: 1, held: 1, limit: 5 });
  });

  async function tokenHeader() {
    const { token } = await shop().testApp.services.tokens.createToken({
      workspaceId: 'default',
      name: 'csv',
      actor: 'test',
    });
    return `Bearer ${token}`;
  }

  it('gives one paid order the last redemption when two buyers race for it; the other is told before paying and pays the full price', async () => {
    await addCoupon({ code: 'LAST', amountsOff: { usd: 1000 }, limit: 1 });
    const buyers = await Promise.all([
      atCardForm('ana@example.com'),
      atCardForm('ben@example.com'),
    ]);
    const tries = await Promise.all(buyers.map((buyer) => applyCode(buyer, 'last')));
    const refused = tries.filter((attempt) => attempt.location.includes('refused=used_up'));
    expect(refused).toHaveLength(1);
    expect(refused[0]?.page).toContain('The code LAST has been used up.');
    expect(refused[0]?.page).toMatch(/id="total">\$49\.00</);

    const paid = await Promise.all(
      buyers.map(async (buyer, index) => (await payFor(buyer, tries[index]?.page ?? '')).intent),
    );
    expect(paid.map((intent) => intent.status)).toEqual(['succeeded', 'succeeded']);
    expect(paid.map((intent) => intent.amount).sort()).toEqual([3900, 4900]);
    const orders = (await shop().api('GET', '/api/orders')).body.orders;
    expect(orders.map((order: { paid: number }) => order.paid).sort()).toEqual([3900, 4900]);
    expect(await couponNamed('LAST')).toMatchObject({ redeemed: 1, held: 1 });
  });

  it('says beside the field why a code gives nothing, keeps what was typed, and charges the full price', async () => {
    await addCoupon({ code: 'OLD', percentOff: 20, expiresAt: '2020-01-01T00:00:00Z' });
    await addCoupon({ code: 'GONE', percentOff: 20, limit: 1 });
    await addCoupon({ code: 'COACH', percentOff: 20, products: ['coaching'] });
    await addCoupon({ code: 'DOLLARS', amountsOff: { usd: 500 } });
    const taker = await atCardForm('first@example.com');
    await applyCode(taker, 'GONE');

    const cases = [
      ['nope', 'usd', 'unknown', 'We don’t know the code NOPE. Check it for typos.'],
      ['old', 'usd', 'expired', 'The code OLD has expired.'],
      ['gone', 'usd', 'used_up', 'The code GONE has been used up.'],
      ['coach', 'usd', 'not_for_product', 'The code COACH does not apply to Launch Masterclass.'],
      ['dollars', 'eur', 'not_for_currency', 'The code DOLLARS does not apply in this currency.'],
    ] as const;
    for (const [code, currency, reason, message] of cases) {
      const visitor = await atCardForm(`${code}@example.com`, currency);
      const { location, page } = await applyCode(visitor, code, currency);
      expect(location, code).toContain(`refused=${reason}`);
      expect(page).toContain(message);
      expect(page).toContain(`value="${code}"`);
      expect(page).toContain('aria-invalid="true"');
      const { intent } = await payFor(visitor, page);
      expect(intent.amount, code).toBe(currency === 'eur' ? 4500 : 4900);
    }
  });

  it('gives the redemption back when the buyer removes the code, and keeps the code across a currency switch', async () => {
    await addCoupon({ code: 'ONCE', percentOff: 50, limit: 1 });
    const visitor = await atCardForm('ana@example.com');
    await applyCode(visitor, 'ONCE');
    const switched = await visitor.get('/f/launch/order/pay?currency=eur');
    expect(switched.body).toContain('Coupon ONCE');
    expect(switched.body).toMatch(/id="total">€22\.50</);
    const removed = await visitor.post('/f/launch/order/coupon', {
      currency: 'eur',
      remove: 'yes',
    });
    expect(removed.statusCode).toBe(303);
    const page = await visitor.get(String(removed.headers.location));
    expect(page.body).toMatch(/id="total">€45\.00</);
    expect(await couponNamed('ONCE')).toMatchObject({ held: 0, redeemed: 0 });
    const other = await atCardForm('ben@example.com');
    expect((await applyCode(other, 'ONCE')).page).toContain('Coupon ONCE');
  });

  it('follows the order bump: a percent off every product is taken from the add-on too', async () => {
    await addCoupon({ code: 'ALL10', percentOff: 10 });
    const visitor = await atCardForm('ana@example.com');
    const { page } = await applyCode(visitor, 'all10');
    expect(page).toContain('<b id="discount">−$4.90</b>');
    const ticked = await visitor.postJson('/f/launch/order/bump?currency=usd', { bump: true });
    expect(ticked.statusCode, ticked.body).toBe(200);
    expect(ticked.json()).toMatchObject({ total: '$61.20', discount: '−$6.80', bump: true });
    const { intent } = await payFor(visitor, (await visitor.get('/f/launch/order/pay')).body);
    expect(intent.amount).toBe(6120);
  });

  it('manages coupons through the admin API: fields named in a 400, a taken code 409, audit entries', async () => {
    const bad = await shop().api('POST', '/api/coupons', {
      code: 'x',
      percentOff: 150,
      amountsOff: { USD: 5 },
    });
    expect(bad.status).toBe(400);
    const fields = bad.body.error.details.fields.map((field: { field: string }) => field.field);
    expect(fields).toEqual(expect.arrayContaining(['code', 'percentOff', 'amountsOff.USD']));
    const neither = await shop().api('POST', '/api/coupons', { code: 'NONE' });
    expect(neither.status).toBe(400);
    expect(JSON.stringify(neither.body)).toContain('percentOff');

    await addCoupon({ code: 'SPRING', percentOff: 15 });
    expect(
      (await shop().api('POST', '/api/coupons', { code: 'spring', percentOff: 5 })).status,
    ).toBe(409);
    expect((await shop().api('GET', '/api/coupons')).body.coupons).toMatchObject([
      { code: 'SPRING', percentOff: 15, amountsOff: null, limit: null, products: [], redeemed: 0 },
    ]);
    expect((await shop().api('DELETE', '/api/coupons/spring')).status).toBe(204);
    expect((await shop().api('DELETE', '/api/coupons/spring')).status).toBe(404);
    expect((await shop().api('GET', '/api/coupons')).body.coupons).toEqual([]);
    const audit = await shop().api('GET', '/api/audit?subject=coupon:SPRING');
    expect(JSON.stringify(audit.body)).toContain('coupon.created');
    expect(JSON.stringify(audit.body)).toContain('coupon.removed');
  });
});
