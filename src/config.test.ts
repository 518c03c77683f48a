import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { AppError } from './errors.js';

function configError(env: Record<string, string>): AppError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to refuse the environment');
}

describe('configuration from the environment', () => {
  it('starts with sensible defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: 'sqlite:./data/switchyard.db',
      publicUrl: 'http://127.0.0.1:3000',
      logLevel: 'info',
      masterKey: null,
      stripeApi: null,
      stripeJsUrl: 'https://js.stripe.com/v3/',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every variable it documents', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/switchyard',
      PUBLIC_URL: 'https://pay.example.com/',
      LOG_LEVEL: 'warn',
      SWITCHYARD_MASTER_KEY: 'ab'.repeat(32),
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: '12111',
      STRIPE_API_PROTOCOL: 'http',
      STRIPE_JS_URL: 'http://127.0.0.1:12111/v3/',
    });
    expect(config.port).toBe(8080);
    expect(config.publicUrl).toBe('https://pay.example.com');
    expect(config.masterKey?.length).toBe(32);
    expect(config.stripeApi).toEqual({ host: '127.0.0.1', port: 12111, protocol: 'http' });
    expect(config.stripeJsUrl).toBe('http://127.0.0.1:12111/v3/');
  });

  it('refuses a port that is not a number, naming PORT, the value and what it needs', () => {
    const error = configError({ PORT: 'abc' });
    expect(error.code).toBe('config_invalid');
    expect(error.message).toBe('PORT: got "abc", needs a whole number from 0 to 65535.');
  });

  it('gives one line per bad variable', () => {
    const error = configError({ PORT: '70000', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    const lines = error.message.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.map((line) => line.split(':')[0]).sort()).toEqual([
      'DATABASE_URL',
      'LOG_LEVEL',
      'PORT',
    ]);
    expect(lines.find((line) => line.startsWith('LOG_LEVEL'))).toContain('needs one of fatal');
  });

  it('never repeats the master key in its error', () => {
    const error = configError({ SWITCHYARD_MASTER_KEY: 'hunter2-not-a-key' });
    expect(error.message).toContain('SWITCHYARD_MASTER_KEY');
    expect(error.message).toContain('a value of 17 characters');
    expect(error.message).not.toContain('hunter2');
  });

  it('needs a Stripe API host when only the port or protocol is given', () => {
    const error = configError({ STRIPE_API_PORT: '12111' });
    expect(error.message).toMatch(/^STRIPE_API_HOST: got nothing/);
  });

  it('accepts a base64 master key and refuses a short one', () => {
    expect(
      loadConfig({ SWITCHYARD_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') }).masterKey,
    ).toEqual(Buffer.alloc(32, 7));
    expect(configError({ SWITCHYARD_MASTER_KEY: 'ab'.repeat(16) }).message).toContain(
      'needs 32 random bytes',
    );
  });

  it('reads the circuit breaker thresholds, 5 / 20 / 0.5 / 30 s by default', () => {
    expect(loadConfig({}).breaker).toEqual({
      consecutiveFailures: 5,
      windowSize: 20,
      failureRate: 0.5,
      cooldownSeconds: 30,
    });
    expect(
      loadConfig({
        BREAKER_CONSECUTIVE_FAILURES: '3',
        BREAKER_WINDOW_SIZE: '50',
        BREAKER_FAILURE_RATE: '0.25',
        BREAKER_COOLDOWN_SECONDS: '60',
      }).breaker,
    ).toEqual({ consecutiveFailures: 3, windowSize: 50, failureRate: 0.25, cooldownSeconds: 60 });
    const error = configError({ BREAKER_FAILURE_RATE: '50%', BREAKER_COOLDOWN_SECONDS: '0' });
    expect(error.message).toContain('BREAKER_FAILURE_RATE: got "50%", needs a fraction');
    expect(error.message).toContain('BREAKER_COOLDOWN_SECONDS: got "0", needs a whole number');
  });

  it('reads how often reconciliation runs and its grace, 60 s and 120 s by default', () => {
    expect(loadConfig({}).reconciliation).toEqual({ intervalSeconds: 60, graceSeconds: 120 });
    expect(
      loadConfig({ RECONCILE_INTERVAL_SECONDS: '5', RECONCILE_GRACE_SECONDS: '0' }).reconciliation,
    ).toEqual({ intervalSeconds: 5, graceSeconds: 0 });
    expect(configError({ RECONCILE_INTERVAL_SECONDS: '0' }).message).toContain(
      'RECONCILE_INTERVAL_SECONDS: got "0", needs a whole number of seconds from 1 to 3600',
    );
  });

  it('trusts no proxy by default, and the addresses TRUST_PROXY lists', () => {
    expect(loadConfig({}).trustedProxies).toEqual([]);
    expect(
      loadConfig({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,loopback,::1' }).trustedProxies,
    ).toEqual(['127.0.0.1', '10.0.0.0/8', 'loopback', '::1']);
    expect(configError({ TRUST_PROXY: 'true' }).message).toBe(
      'TRUST_PROXY: got "true", needs the addresses of the proxies in front of this server, separated by commas: IPs, CIDR ranges (10.0.0.0/8) or loopback, linklocal, uniquelocal.',
    );
    expect(configError({ TRUST_PROXY: '10.0.0.0/33' }).message).toContain('TRUST_PROXY: got');
  });

  it('serves no metrics by default, and checks METRICS_TOKEN and METRICS_PORT', () => {
    expect(loadConfig({}).metrics).toEqual({ token: null, port: null });
    expect(loadConfig({ METRICS_TOKEN: 'a'.repeat(32), METRICS_PORT: '9464' }).metrics).toEqual({
      token: 'a'.repeat(32),
      port: 9464,
    });
    const short = configError({ METRICS_TOKEN: 'secret' }).message;
    expect(short).toBe(
      'METRICS_TOKEN: got a value of 6 characters, needs at least 16 printable characters without spaces (openssl rand -hex 32).',
    );
    expect(configError({ METRICS_PORT: '0' }).message).toBe(
      'METRICS_PORT: got "0", needs a whole number from 1 to 65535, other than PORT.',
    );
    expect(configError({ PORT: '9464', METRICS_PORT: '9464' }).message).toContain(
      'METRICS_PORT: got "9464", needs a port other than PORT',
    );
  });
});
