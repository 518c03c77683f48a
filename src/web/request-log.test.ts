import { expect, it } from 'vitest';
import { appForEachTest } from '../../test/app.js';
import { describeEachDatabase } from '../../test/databases.js';

describeEachDatabase('the request log', (database) => {
  const app = appForEachTest(database);
  function loggedUrls(): string[] {
    return app()
      .logLines()
      .map((line) => (line.req as { url?: string } | undefined)?.url)
      .filter((url): url is string => url !== undefined);
  }

  it("keeps Stripe.js's client secret out of the return URL it logs", async () => {
    const secret = 'pi_3Abc_secret_Xyz123';
    await app().app.inject({
      method: 'GET',
      url: `/f/launch/order/return?payment_intent=pi_3Abc&payment_intent_client_secret=${secret}&redirect_status=succeeded`,
    });
    expect(loggedUrls()).toContain(
      '/f/launch/order/return?payment_intent=pi_3Abc&payment_intent_client_secret=[redacted]&redirect_status=succeeded',
    );
    expect(JSON.stringify(app().logLines())).not.toContain(secret);
  });

  it('redacts every secret-bearing query parameter, and keeps the others', async () => {
    const secrets = {
      client_secret: 'seti_1_secret_a',
      setup_intent_client_secret: 'seti_1_secret_b',
      code: 'ac_oauthcode',
      state: 'csrfstate',
      access_token: 'sk_test_token',
      'api%5Fkey': 'apikeyvalue',
      webhookSecret: 'whsec_value',
      session_id: 'cs_test_value',
    };
    const query = Object.entries(secrets)
      .map(([name, value]) => `${name}=${value}`)
      .join('&');
    await app().app.inject({ method: 'GET', url: `/connect/stripe/callback?${query}&scope=x` });
    const expected = Object.keys(secrets).map((name) => `${name}=[redacted]`);
    expect(loggedUrls()).toContain(`/connect/stripe/callback?${expected.join('&')}&scope=x`);
    const everything = JSON.stringify(app().logLines());
    for (const value of Object.values(secrets)) expect(everything).not.toContain(value);
  });
});
