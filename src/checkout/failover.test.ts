import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import {
  control,
  createEmulatorAccount,
  type EmulatorAccount,
  emulatorEnv,
  emulatorGateway,
  useEmulator,
} from '../../test/emulator.js';
import { capturedLogger } from '../../test/log-capture.js';
import { loadConfig } from '../config.js';
import { AppError } from '../errors.js';
import { createServices, type Services } from '../services.js';
import { StripeGatewayError } from '../stripe/errors.js';
import type { StripeGateway } from '../stripe/gateway.js';
import { outcomeUnknown, type PaymentRequest } from './failover.js';

const emulator = useEmulator();

const workspaceId = 'default';
const start = Date.parse('2030-01-01T00:00:00.000Z');

function sdkFor(account: EmulatorAccount): Stripe {
  return new Stripe(account.keys.test.secret, {
    host: emulator().host,
    port: emulator().port,
    protocol: 'http',
  });
}

/** The PaymentIntents payments made on an account (not the key check's), once faults are cleared. */
async function intentsOn(account: EmulatorAccount) {
  await control(emulator(), 'DELETE', 'faults');
  const intents = (await sdkFor(account).paymentIntents.list({ limit: 100 })).data;
  return intents.filter((intent) => intent.metadata.switchyard_payment !== undefined);
}

async function succeededOn(account: EmulatorAccount) {
  return (await intentsOn(account)).filter((intent) => intent.status === 'succeeded');
}

/** The AppError a payment is refused with; fails the test when it succeeds. */
async function refusalOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the payment to be refused');
}

describeEachDatabase('failing a payment over to another account', (database) => {
  let store: TestStore;
  let services: Services;
  let now: number;
  let primary: EmulatorAccount;
  let secondary: EmulatorAccount;
  let testGateway: StripeGateway;

  async function connect(handle: string, account: EmulatorAccount) {
    await services.accounts.connectWithKeys(
      workspaceId,
      {
        handle,
        credentials: {
          test: {
            secretKey: account.keys.test.secret,
            publishableKey: account.keys.test.publishable,
          },
        },
      },
      'test',
    );
  }

  function fault(account: EmulatorAccount, kind: string, times?: number) {
    return control(emulator(), 'POST', 'faults', {
      account: account.id,
      fault: kind,
      path: '/v1/payment_intents',
      ...(times === undefined ? {} : { times }),
    });
  }

  /**
   * A payment of $49 as these tests make it: a bare PaymentIntent of the card, confirmed by the
   * request unless `confirms` is false (then the card comes later, as at checkout).
   */
  function paymentOf(
    paymentId: string,
    overrides: {
      amount?: number;
      confirms?: boolean;
      paymentMethod?: string;
      gateway?: Pick<StripeGateway, 'createPaymentIntent'>;
    } & Pick<Partial<PaymentRequest>, 'recordCreated'> = {},
  ): PaymentRequest {
    const { amount = 4900, confirms = true, gateway = testGateway, ...rest } = overrides;
    const paymentMethod = overrides.paymentMethod ?? (confirms ? 'pm_card_visa' : undefined);
    return {
      workspaceId,
      paymentId,
      context: {
        mode: 'test',
        kind: 'initial',
        products: [],
        tags: [],
        currency: 'usd',
        amount,
        health: {},
      },
      confirms,
      createOn: (target) =>
        gateway.createPaymentIntent({
          credentials: target.credentials,
          idempotencyKey: target.idempotencyKey,
          amount,
          currency: 'usd',
          ...(paymentMethod ? { paymentMethod } : {}),
          confirm: confirms,
          metadata: target.metadata,
        }),
      ...(rest.recordCreated ? { recordCreated: rest.recordCreated } : {}),
    };
  }

  const masterKey = randomBytes(32).toString('hex');

  /** Payments whose first PaymentIntent is made at Stripe, and whose answer is then lost. */
  function losingFirstAnswer(lost: StripeGatewayError, meanwhile?: () => Promise<unknown>) {
    let loseNextAnswer = true;
    return {
      createPaymentWithFailover(request: PaymentRequest) {
        return services.payments.createPaymentWithFailover({
          ...request,
          async createOn(target) {
            const created = await request.createOn(target);
            if (!loseNextAnswer) return created;
            loseNextAnswer = false;
            await meanwhile?.();
            throw lost;
          },
        });
      },
    };
  }

  beforeEach(async () => {
    now = start;
    // Short enough that a held request fails fast, long enough for a loaded machine.
    testGateway = emulatorGateway(emulator(), 500);
    store = await database.openMigrated();
    services = createServices({
      config: loadConfig({ SWITCHYARD_MASTER_KEY: masterKey, ...emulatorEnv(emulator()) }),
      store,
      logger: capturedLogger().logger,
      clock: () => new Date(now),
      gateway: testGateway,
    });
    primary = await createEmulatorAccount(emulator(), { name: 'US LLC' });
    secondary = await createEmulatorAccount(emulator(), { name: 'EU Ltd' });
    await connect('us', primary);
    await connect('eu', secondary);
  });
  afterEach(async () => {
    await control(emulator(), 'DELETE', 'faults');
    await store.dispose();
  });

  it.each([
    ['returns 500s', 'server_error', 'stripe_error', 500],
    ['times out', 'timeout', 'connection', null],
    ['resets the connection', 'connection_reset', 'connection', null],
    ['rate-limits', 'rate_limit', 'rate_limit', 429],
  ] as const)(
    'takes the payment on the secondary when the primary %s',
    async (_title, kind, failureKind, status) => {
      await fault(primary, kind);

      // As at checkout: the PaymentIntent is made before the card is entered, then confirmed.
      const beforeCard = { confirms: false };
      const created = await services.payments.createPaymentWithFailover(
        paymentOf('pay_1', beforeCard),
      );
      expect(created.paymentIntent.status).toBe('requires_payment_method');
      await sdkFor(secondary).paymentIntents.confirm(created.paymentIntent.id, {
        payment_method: 'pm_card_visa',
      });

      expect(created.account).toBe('eu');
      expect(created.decision).toMatchObject({
        outcome: 'fallback',
        account: 'eu',
        fallbackFrom: 'us',
      });
      expect(created.decision.explanation[0]).toMatch(
        /^Attempt 1 on us failed .*; us is set aside/,
      );
      expect(created.decision.explanation).toContain('eu takes the payment.');
      expect(created.attempts).toMatchObject([
        {
          number: 1,
          account: 'us',
          status: 'failed',
          failureKind,
          httpStatus: status,
          idempotencyKey: 'pay_1:attempt:1',
        },
        {
          number: 2,
          account: 'eu',
          status: 'created',
          paymentIntentId: created.paymentIntent.id,
          idempotencyKey: 'pay_1:attempt:2',
        },
      ]);
      expect(created.attempts[1]?.latencyMs).toBeGreaterThanOrEqual(0);
      if (status !== null) expect(created.attempts[0]?.requestId).toMatch(/^req_/);

      expect(await succeededOn(primary)).toEqual([]);
      const taken = await succeededOn(secondary);
      expect(taken.map((intent) => intent.id)).toEqual([created.paymentIntent.id]);
      expect(taken[0]?.metadata).toMatchObject({
        switchyard_payment: 'pay_1',
        switchyard_attempt: '2',
      });

      // Asking again for the same payment gives the same PaymentIntent, not a second charge.
      const again = await services.payments.createPaymentWithFailover(
        paymentOf('pay_1', beforeCard),
      );
      expect(again.paymentIntent.id).toBe(created.paymentIntent.id);
      expect(await succeededOn(secondary)).toHaveLength(1);
    },
  );

  it('keeps every try of an attempt: a reset and a 429 retried on the primary, then its 500', async () => {
    await fault(primary, 'connection_reset', 1);
    await fault(primary, 'rate_limit', 1);
    await fault(primary, 'server_error', 1);

    const created = await services.payments.createPaymentWithFailover(
      paymentOf('pay_tries', { confirms: false }),
    );

    expect(created.account).toBe('eu');
    const stored = await services.payments.listAttempts(workspaceId, 'pay_tries');
    expect(stored).toMatchObject([
      {
        account: 'us',
        status: 'failed',
        httpStatus: 500,
        tries: [
          { number: 1, outcome: 'failed', failureKind: 'connection', message: /reset/ },
          { number: 2, outcome: 'failed', failureKind: 'rate_limit', httpStatus: 429 },
          { number: 3, outcome: 'failed', failureKind: 'stripe_error', httpStatus: 500 },
        ],
      },
      { account: 'eu', status: 'created', tries: [{ number: 1, outcome: 'created' }] },
    ]);
    expect(stored[0]?.tries.every((tried) => tried.latencyMs >= 0)).toBe(true);
  });

  it.each([
    ['rate-limits once', 'rate_limit', 'rate_limit'],
    ['resets the connection once', 'connection_reset', 'connection'],
  ] as const)(
    'retries on the primary when it %s, instead of counting it as failing',
    async (_title, kind, failureKind) => {
      await fault(primary, kind, 1);

      const created = await services.payments.createPaymentWithFailover(
        paymentOf(`pay_${kind}`, { confirms: false }),
      );

      expect(created.account).toBe('us');
      expect(created.attempts).toMatchObject([
        {
          number: 1,
          account: 'us',
          status: 'created',
          tries: [
            { number: 1, outcome: 'failed', failureKind },
            { number: 2, outcome: 'created' },
          ],
        },
      ]);
      expect(await intentsOn(secondary)).toEqual([]);
      const health = await services.health.showHealth(workspaceId, 'us');
      expect(health.modes.test?.breaker).toBe('closed');
    },
  );

  it('answers a payment it knows to be new with the same log as the one stored, read or not', async () => {
    await fault(primary, 'rate_limit', 1);
    const created = await services.payments.createPaymentWithFailover({
      ...paymentOf('pay_new', { confirms: false }),
      noAttemptsYet: true,
    });
    expect(created.attempts).toHaveLength(1);
    expect(created.attempts[0]?.tries).toHaveLength(2);
    expect(created.attempts).toEqual(await services.payments.listAttempts(workspaceId, 'pay_new'));
  });

  it('gives up on the primary after three tries of a lasting 429, and fails over', async () => {
    await fault(primary, 'rate_limit');
    const created = await services.payments.createPaymentWithFailover(
      paymentOf('pay_429s', { confirms: false }),
    );
    expect(created.account).toBe('eu');
    expect(created.attempts[0]?.tries.map((tried) => tried.httpStatus)).toEqual([429, 429, 429]);
  });

  it('moves the sale to the secondary after STRIPE_CHECKOUT_TIMEOUT_MS of a hung primary', async () => {
    // The gateway production builds from the configuration, not the tests' short-timeout one.
    const configured = createServices({
      config: loadConfig({
        SWITCHYARD_MASTER_KEY: masterKey,
        STRIPE_CHECKOUT_TIMEOUT_MS: '300',
        ...emulatorEnv(emulator()),
      }),
      store,
      logger: capturedLogger().logger,
      clock: () => new Date(now),
    });
    await fault(primary, 'timeout');

    const created = await configured.payments.createPaymentWithFailover(
      paymentOf('pay_hung', { confirms: false, gateway: configured.gateway }),
    );

    expect(created.account).toBe('eu');
    // One try on the hung account, cut at the configured timeout, and not sent to it again.
    expect(created.attempts).toMatchObject([
      {
        account: 'us',
        status: 'failed',
        tries: [{ number: 1, failureKind: 'connection', message: /timeout .*\(300ms\)/ }],
      },
      { account: 'eu', status: 'created' },
    ]);
    const requests = await control<{ data: Array<{ account: string; fault: string | null }> }>(
      emulator(),
      'GET',
      'requests',
    );
    const held = requests.data.filter(
      (request) => request.account === primary.id && request.fault === 'timeout',
    );
    expect(held).toHaveLength(1);
  });

  it.each([
    ['times out', 'timeout'],
    ['returns a 500', 'server_error'],
  ] as const)(
    'does not fail over a confirming payment when the primary %s: it may have been charged',
    async (_title, kind) => {
      await fault(primary, kind);
      const refusal = await refusalOf(
        services.payments.createPaymentWithFailover(paymentOf('pay_2')),
      );
      expect(refusal.code).toBe('upstream_unavailable');
      expect(refusal.message).toContain('It was not tried on another account');
      expect(await intentsOn(secondary)).toEqual([]);
    },
  );

  it('sends an attempt that got no answer again on retry, so the card is charged once', async () => {
    await fault(primary, 'timeout', 1);
    const first = await refusalOf(
      services.payments.createPaymentWithFailover(paymentOf('pay_retry')),
    );
    expect(first.code).toBe('upstream_unavailable');

    const retried = await services.payments.createPaymentWithFailover(paymentOf('pay_retry'));
    expect(retried.account).toBe('us');
    expect(retried.attempts).toMatchObject([
      { number: 1, status: 'created', idempotencyKey: 'pay_retry:attempt:1' },
    ]);
    // The try that got no answer is kept beside the one that made it, not overwritten by it.
    const [attempt] = retried.attempts;
    expect(attempt?.tries).toMatchObject([
      { number: 1, outcome: 'failed', failureKind: 'connection', message: /timeout/ },
      { number: 2, outcome: 'created' },
    ]);
    expect(attempt?.latencyMs).toBe(
      attempt?.tries.reduce((sum, tried) => sum + tried.latencyMs, 0),
    );
    expect(attempt?.latencyMs).toBeGreaterThanOrEqual(attempt?.tries[0]?.latencyMs ?? Infinity);
    expect((await succeededOn(primary)).map((intent) => intent.id)).toEqual([
      retried.paymentIntent.id,
    ]);
    expect(await intentsOn(secondary)).toEqual([]);
  });

  it.each([
    ['the connection was reset', false],
    ['our timeout ran out', true],
  ] as const)(
    'gets the same PaymentIntent back when Stripe charged but %s before the answer',
    async (_title, timedOut) => {
      const lossy = losingFirstAnswer(
        new StripeGatewayError({ kind: 'connection', message: 'lost', timedOut }),
      );
      if (timedOut) {
        // A hung account is not retried at once: the buyer is told, and asking again resends it.
        const lost = await refusalOf(lossy.createPaymentWithFailover(paymentOf('pay_lost')));
        expect(lost.code).toBe('upstream_unavailable');
      }
      const again = await lossy.createPaymentWithFailover(paymentOf('pay_lost'));
      expect(again.attempts).toHaveLength(1);
      expect(again.attempts[0]?.tries.map((tried) => tried.outcome)).toEqual(['failed', 'created']);
      const charged = await succeededOn(primary);
      expect(charged.map((intent) => intent.id)).toEqual([again.paymentIntent.id]);
    },
  );

  it('keeps a charge whose answer was lost unknown when the retries after it are rate-limited, so the card is charged once', async () => {
    // Stripe charged the card; the answer is lost, and the two resends meet 429s.
    const lossy = losingFirstAnswer(
      new StripeGatewayError({ kind: 'connection', message: 'socket hang up' }),
      () => fault(primary, 'rate_limit', 2),
    );

    const unclear = await refusalOf(lossy.createPaymentWithFailover(paymentOf('pay_unclear')));
    expect(unclear.code).toBe('upstream_unavailable');
    const attempts = await services.payments.listAttempts(workspaceId, 'pay_unclear');
    expect(attempts).toMatchObject([
      {
        account: 'us',
        status: 'failed',
        failureKind: 'connection',
        tries: [
          { number: 1, failureKind: 'connection' },
          { number: 2, failureKind: 'rate_limit' },
          { number: 3, failureKind: 'rate_limit' },
        ],
      },
    ]);
    expect(outcomeUnknown(attempts)).toBe(true);
    expect(await intentsOn(secondary)).toEqual([]);

    // Asked again, the same attempt goes out under the same key and Stripe answers the first charge.
    const again = await lossy.createPaymentWithFailover(paymentOf('pay_unclear'));
    expect([again.account, again.attempts.length]).toEqual(['us', 1]);
    expect((await succeededOn(primary)).map((intent) => intent.id)).toEqual([
      again.paymentIntent.id,
    ]);
    expect(await intentsOn(secondary)).toEqual([]);
  });

  it("commits the caller's record with the attempt, or neither, and a retry records the same PaymentIntent", async () => {
    const recorded: string[] = [];
    let failRecord = true;
    const request = paymentOf('pay_record', {
      async recordCreated(executor, created) {
        await executor
          .insertInto('audit_log')
          .values({
            audit_id: `aud_${recorded.length}_${created.paymentIntent.id}`,
            workspace_id: workspaceId,
            at: new Date(now).toISOString(),
            actor: 'test',
            action: 'payment.recorded',
            subject: created.paymentIntent.id,
            before: null,
            after: null,
          })
          .execute();
        if (failRecord) throw new Error('the disk is full');
        recorded.push(created.paymentIntent.id);
      },
    });
    await expect(services.payments.createPaymentWithFailover(request)).rejects.toThrow(
      'the disk is full',
    );
    // Neither the attempt's success nor the caller's row was kept.
    const attempts = await services.payments.listAttempts(workspaceId, 'pay_record');
    expect(attempts.map((attempt) => attempt.status)).toEqual(['pending']);
    const auditRows = () =>
      store.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'payment.recorded')
        .execute();
    expect(await auditRows()).toEqual([]);

    failRecord = false;
    const again = await services.payments.createPaymentWithFailover(request);
    expect(recorded).toEqual([again.paymentIntent.id]);
    expect((await auditRows()).map((row) => row.subject)).toEqual([again.paymentIntent.id]);
    expect((await succeededOn(primary)).map((intent) => intent.id)).toEqual([
      again.paymentIntent.id,
    ]);
    const settled = await services.payments.listAttempts(workspaceId, 'pay_record');
    expect(settled).toMatchObject([{ number: 1, status: 'created' }]);
  });

  it('takes one payment once when two requests for it race', async () => {
    const results = await Promise.allSettled([
      services.payments.createPaymentWithFailover(paymentOf('pay_race')),
      services.payments.createPaymentWithFailover(paymentOf('pay_race')),
    ]);
    const created = results.flatMap((result) =>
      result.status === 'fulfilled' ? [result.value] : [],
    );
    const refused = results.flatMap((result) =>
      result.status === 'rejected' ? [(result.reason as AppError).code] : [],
    );
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(refused.every((code) => code === 'conflict')).toBe(true);
    expect(new Set(created.map((payment) => payment.paymentIntent.id)).size).toBe(1);
    expect(await succeededOn(primary)).toHaveLength(1);
  });

  it('refuses a payment id reused for another amount, and ids or amounts Stripe cannot take', async () => {
    await services.payments.createPaymentWithFailover(paymentOf('pay_terms'));
    const other = await refusalOf(
      services.payments.createPaymentWithFailover(paymentOf('pay_terms', { amount: 99_999 })),
    );
    expect(other.code).toBe('conflict');
    expect(other.message).toContain('Use a new payment id');
    const badId = await refusalOf(
      services.payments.createPaymentWithFailover(paymentOf('x'.repeat(150))),
    );
    expect(badId.message).toContain('paymentId');
    const huge = await refusalOf(
      services.payments.createPaymentWithFailover(paymentOf('pay_huge', { amount: 2 ** 31 })),
    );
    expect(huge.message).toContain('amount');
    expect(await succeededOn(primary)).toHaveLength(1);
  });

  it('fails over when the primary key was rolled, and marks the primary disconnected', async () => {
    await control(emulator(), 'POST', `accounts/${primary.id}/roll_keys`);

    const created = await services.payments.createPaymentWithFailover(paymentOf('pay_rolled'));

    expect(created.decision).toMatchObject({
      outcome: 'fallback',
      account: 'eu',
      fallbackFrom: 'us',
    });
    expect(created.attempts[0]).toMatchObject({
      account: 'us',
      failureKind: 'authentication',
      httpStatus: 401,
    });
    expect((await succeededOn(secondary)).length).toBe(1);
    const health = await services.health.showHealth(workspaceId, 'us');
    expect(health.modes.test?.health).toBe('disconnected');
    expect(health.modes.test?.reason).toContain('Replace it with a working key');
    expect(health.modes.test?.reason).not.toContain('switchyard');

    // The next payment does not try the rejected key again.
    const next = await services.payments.createPaymentWithFailover(paymentOf('pay_after_roll'));
    expect(next.attempts.map((attempt) => attempt.account)).toEqual(['eu']);
    expect(next.decision.candidates[0]).toMatchObject({
      account: 'us',
      reasons: ['health_disconnected'],
    });
  });

  it('fails over when Stripe has disabled charges on the primary', async () => {
    await control(emulator(), 'POST', `accounts/${primary.id}/status`, {
      charges_enabled: false,
      disabled_reason: 'requirements.past_due',
    });

    const created = await services.payments.createPaymentWithFailover(paymentOf('pay_restricted'));

    expect(created.decision).toMatchObject({
      outcome: 'fallback',
      account: 'eu',
      fallbackFrom: 'us',
    });
    expect(created.attempts[0]).toMatchObject({
      account: 'us',
      stripeCode: 'account_invalid',
      httpStatus: 400,
    });
    expect(created.decision.explanation[0]).toContain('the account cannot take charges');
    expect(await succeededOn(primary)).toEqual([]);
    expect((await succeededOn(secondary)).length).toBe(1);
    expect((await services.health.showHealth(workspaceId, 'us')).modes.test?.health).toBe(
      'restricted',
    );
  });

  it('never retries a declined card on another account', async () => {
    const refusal = await refusalOf(
      services.payments.createPaymentWithFailover(
        paymentOf('pay_declined', { paymentMethod: 'pm_card_chargeDeclined' }),
      ),
    );

    expect(refusal.code).toBe('card_error');
    expect(refusal.status).toBe(402);
    expect(refusal.message).toContain('not tried on another account');
    expect(refusal.details).toMatchObject({ account: 'us', stripeCode: 'card_declined' });
    expect(await intentsOn(secondary)).toEqual([]);
    expect(await services.payments.listAttempts(workspaceId, 'pay_declined')).toMatchObject([
      { number: 1, account: 'us', status: 'failed', failureKind: 'card', httpStatus: 402 },
    ]);
    // A decline says nothing bad about the account.
    expect((await services.health.showHealth(workspaceId, 'us')).modes.test?.health).toBe(
      'healthy',
    );
  });

  it('gives no_account instead of failing over when the policy is "none"', async () => {
    await services.routingConfig.applyDocument(
      workspaceId,
      {
        accounts: [
          { handle: 'us', role: 'primary' },
          { handle: 'eu', priority: 1 },
        ],
        rules: [
          { name: 'dollars-stay-home', when: { currency: ['usd'] }, use: 'us', fallback: 'none' },
        ],
      },
      { actor: 'test' },
    );
    await fault(primary, 'rate_limit');

    const refusal = await refusalOf(
      services.payments.createPaymentWithFailover(paymentOf('pay_strict')),
    );

    expect(refusal.code).toBe('no_account_available');
    expect(refusal.details).toMatchObject({
      decision: {
        outcome: 'no_account',
        account: null,
        matched: { level: 'rule', ref: 'dollars-stay-home' },
      },
    });
    expect(refusal.message).toContain('Attempt 1 on us failed');
    expect(await services.payments.listAttempts(workspaceId, 'pay_strict')).toHaveLength(1);
    expect(await intentsOn(secondary)).toEqual([]);
  });

  it('opens the breaker after repeated failures, then routes straight to the secondary', async () => {
    await fault(primary, 'rate_limit');
    for (let payment = 1; payment <= 5; payment++) {
      const created = await services.payments.createPaymentWithFailover(
        paymentOf(`pay_${payment}`),
      );
      expect(created.attempts.map((attempt) => attempt.account)).toEqual(['us', 'eu']);
    }
    const health = await services.health.showHealth(workspaceId, 'us');
    expect(health.modes.test).toMatchObject({
      health: 'down',
      breaker: 'open',
      consecutiveFailures: 5,
    });
    expect(health.modes.test?.recentFailures).toHaveLength(5);
    expect(health.modes.test?.recentFailures[0]).toMatchObject({
      httpStatus: 429,
      kind: 'rate_limit',
    });

    const requestsBefore = await control<{ data: unknown[] }>(emulator(), 'GET', 'requests');
    const sixth = await services.payments.createPaymentWithFailover(paymentOf('pay_6'));
    expect(sixth.attempts.map((attempt) => attempt.account)).toEqual(['eu']);
    expect(sixth.decision).toMatchObject({
      outcome: 'fallback',
      account: 'eu',
      fallbackFrom: 'us',
    });
    expect(sixth.decision.explanation).toContain('us is down.');
    const requestsAfter = await control<{ data: Array<{ account?: string | null }> }>(
      emulator(),
      'GET',
      'requests',
    );
    const newRequests = requestsAfter.data.slice(requestsBefore.data.length);
    expect(newRequests.some((request) => request.account === primary.id)).toBe(false);
    expect(await succeededOn(secondary)).toHaveLength(6);
  });

  it('lets exactly one trial through after the cooldown, and closes again when it succeeds', async () => {
    await fault(primary, 'rate_limit');
    for (let payment = 1; payment <= 5; payment++) {
      await services.payments.createPaymentWithFailover(paymentOf(`pay_${payment}`));
    }
    now += 29_000;
    expect((await services.health.showHealth(workspaceId, 'us')).modes.test?.breaker).toBe('open');

    // After the cooldown the trial fails: the breaker opens again and the payment still succeeds.
    now += 1_000;
    const failedTrial = await services.payments.createPaymentWithFailover(paymentOf('pay_trial_1'));
    expect(failedTrial.attempts.map((attempt) => [attempt.account, attempt.status])).toEqual([
      ['us', 'failed'],
      ['eu', 'created'],
    ]);
    expect((await services.health.showHealth(workspaceId, 'us')).modes.test?.breaker).toBe('open');

    now += 30_000;
    await control(emulator(), 'DELETE', 'faults');
    const usId = (await services.health.showHealth(workspaceId, 'us')).accountId;
    // Another instance holds the trial: this payment must not be a second one.
    expect(await services.health.admitCall(usId, 'test')).toBe('trial');
    const whileTrial = await services.payments.createPaymentWithFailover(
      paymentOf('pay_during_trial'),
    );
    expect(whileTrial.account).toBe('eu');
    expect(await services.health.admitCall(usId, 'test')).toBe('refused');

    // That trial never reports back; after another cooldown a new trial goes, succeeds and closes.
    now += 30_000;
    const recovered = await services.payments.createPaymentWithFailover(paymentOf('pay_recovered'));
    expect(recovered.decision).toMatchObject({ outcome: 'selected', account: 'us' });
    expect(recovered.attempts.map((attempt) => attempt.account)).toEqual(['us']);
    expect((await services.health.showHealth(workspaceId, 'us')).modes.test).toMatchObject({
      health: 'healthy',
      breaker: 'closed',
    });
    expect(await succeededOn(primary)).toHaveLength(1);
  });
});
