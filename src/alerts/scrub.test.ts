import { describe, expect, it } from 'vitest';
import { maskSmtpUrl, maskWebhookUrl, scrubSecrets } from './scrub.js';

/** Put together at run time, so no string in the repository looks like a live key. */
const liveKey = ['sk', 'live', '51HabcdefghijKLMN4242'].join('_');

describe('no secret in an alert', () => {
  it.each([
    [`key ${liveKey} refused`, 'key sk_live_…4242 refused'],
    ['rk_test_abcdefghijklmnop9999', 'rk_test_…9999'],
    ['pk_test_abcdefghijklmnop1234', 'pk_test_…1234'],
    ['secret whsec_0123456789abcdefABCDEF.', 'secret whsec_….'],
    ['refresh rt_abcdefghijklmnopqr', 'refresh rt_…'],
    [
      'hook https://hooks.slack.com/services/T00/B00/XXXXsecretXXXXab1c here',
      'hook https://hooks.slack.com/…ab1c here',
    ],
    [
      'relay smtp://alerts:hunter22@mail.example.com:587',
      'relay smtp://alerts:…@mail.example.com:587',
    ],
    ['Authorization: Bearer abcdefghijklmnopqrstuvwxyz', 'Authorization: Bearer …'],
    [
      'a short sk_test_ab stays, as do words like risk_live_free',
      'a short sk_test_ab stays, as do words like risk_live_free',
    ],
  ])('%s', (text, scrubbed) => {
    expect(scrubSecrets(text)).toBe(scrubbed);
  });

  it('hides the channel secrets it is given wherever they appear', () => {
    expect(
      scrubSecrets('POST http://127.0.0.1:9/s3cretPath failed', ['http://127.0.0.1:9/s3cretPath']),
    ).toBe('POST … failed');
  });

  it('masks channel settings for show', () => {
    expect(maskWebhookUrl('https://hooks.slack.com/services/T00/B00/abcd1234')).toBe(
      'https://hooks.slack.com/…1234',
    );
    expect(maskSmtpUrl('smtps://alerts:p%40ss@mail.example.com:465')).toBe(
      'smtps://alerts:…@mail.example.com:465',
    );
    expect(maskSmtpUrl('smtp://mail.example.com:25')).toBe('smtp://mail.example.com:25');
  });
});
