import { afterAll, describe, expect, it, vi } from 'vitest';
import { type RoutingScenario, scenariosUnderTest } from '../../test/routing-scenarios.js';
import { runCli } from '../../test/run-cli.js';
import type { RoutingDecision } from '../routing/index.js';
import { createScratchFolder, runInProcess } from './cli-in-process.test-helper.js';

const scenarios = scenariosUnderTest();

const scratch = createScratchFolder();
afterAll(() => scratch.remove());

function filesFor(scenario: RoutingScenario, index: number): { config: string; context: string } {
  return {
    config: scratch.write(`config-${index}.json`, scenario.config),
    context: scratch.write(`context-${index}.json`, scenario.context),
  };
}

function summaryOf(stdout: string) {
  const decision = JSON.parse(stdout) as RoutingDecision;
  return {
    outcome: decision.outcome,
    account: decision.account,
    matched: decision.matched,
    fallbackFrom: decision.fallbackFrom,
  };
}

describe('switchyard route explain --json, for every routing scenario', () => {
  it.each(scenarios.map((scenario, index) => [scenario.name, scenario, index] as const))(
    '%s',
    async (_name, scenario, index) => {
      const files = filesFor(scenario, index);
      const result = await runInProcess([
        'route',
        'explain',
        '--config',
        files.config,
        '--context',
        files.context,
        '--json',
      ]);
      expect(result.code).toBe(0);
      expect(summaryOf(result.stdout)).toEqual(scenario.expect);
    },
  );

  it('works the same from the installed binary', async () => {
    const scenario = scenarios.find((candidate) => candidate.expect.outcome === 'fallback');
    if (scenario === undefined) throw new Error('the scenarios have no fallback example');
    const files = filesFor(scenario, 1000);
    const result = await runCli([
      'route',
      'explain',
      '--config',
      files.config,
      '--context',
      files.context,
      '--json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(summaryOf(result.stdout)).toEqual(scenario.expect);
  });
});

describe('switchyard route explain for people', () => {
  const config = {
    accounts: [
      { handle: 'us', role: 'primary', currencies: ['usd'] },
      { handle: 'eu', priority: 1, currencies: ['eur'] },
      { handle: 'backup', priority: 2 },
    ],
    products: { coaching: { use: 'eu', fallback: ['backup'] } },
  };

  it('prints the explanation and a table of the accounts it looked at', async () => {
    const result = await runInProcess([
      'route',
      'explain',
      '--config',
      scratch.write('people-config.json', config),
      '--context',
      scratch.write('people-context.json', {
        mode: 'live',
        currency: 'eur',
        products: ['coaching'],
        health: { eu: 'down' },
      }),
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'Outcome: fallback (backup)',
        'Matched: product coaching',
        'Instead of: eu',
        '',
        'Product coaching pins account eu.',
        'eu is down.',
        'Fallback list: backup.',
        'backup takes the payment.',
        '',
        'ACCOUNT  ELIGIBLE  REASONS',
        'eu       no        health_down',
        'backup   yes       -',
        '',
      ].join('\n'),
    );
  });

  it('exits 0 when no account can take the payment: that is an answer, not a failure', async () => {
    const result = await runInProcess([
      'route',
      'explain',
      '--config',
      scratch.write('none-config.json', config),
      '--context',
      scratch.write('none-context.json', {
        mode: 'live',
        currency: 'usd',
        health: { us: 'down', backup: 'down' },
      }),
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Outcome: no_account \(no account\)/);
    expect(result.stdout).toMatch(/No account can take the payment\./);
  });

  it('warns on stderr about a currency no account accepts, keeping stdout pure JSON', async () => {
    const result = await runInProcess([
      'route',
      'explain',
      '--config',
      scratch.write('limited-config.json', {
        accounts: [{ handle: 'us', role: 'primary', currencies: ['usd'] }],
      }),
      '--context',
      scratch.write('yen-context.json', { mode: 'live', currency: 'jpy' }),
      '--json',
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^warning: context\.currency: no account accepts JPY/);
    expect(JSON.parse(result.stdout).outcome).toBe('no_account');
  });
});

describe('switchyard route explain with bad input', () => {
  const goodConfig = scratch.write('good-config.json', {
    accounts: [{ handle: 'us', role: 'primary' }],
  });
  const goodContext = scratch.write('good-context.json', { mode: 'live', currency: 'usd' });

  async function explain(config: string, context: string) {
    return runInProcess(['route', 'explain', '--config', config, '--context', context, '--json']);
  }

  it('names the JSON path of a missing context field', async () => {
    const context = scratch.write('no-currency.json', { mode: 'live' });
    const result = await explain(goodConfig, context);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${context} is not a valid payment context:`);
    expect(result.stderr).toContain('context.currency: required');
  });

  it('names the JSON path of a bad account in the config', async () => {
    const config = scratch.write('bad-handle.json', {
      accounts: [{ handle: 'us', role: 'primary' }, { handle: 'EU' }],
    });
    const result = await explain(config, goodContext);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('config.accounts[1].handle: a handle is 1 to 40 lowercase');
  });

  it('refuses a config with errors and points to config validate', async () => {
    const config = scratch.write('unknown-use.json', {
      accounts: [{ handle: 'us', role: 'primary' }],
      rules: [{ name: 'euro', when: { currency: ['eur'] }, use: 'eu' }],
    });
    const result = await explain(config, goodContext);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'config.rules[0].use: unknown account "eu" in rule euro: use one of us',
    );
    expect(result.stderr).toContain(`switchyard config validate ${config}`);
  });

  it('names a file that does not exist', async () => {
    const missing = scratch.write('placeholder.json', {}).replace('placeholder', 'missing');
    const result = await explain(missing, goodContext);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `switchyard: Cannot read the routing config file ${missing}: there is no such file; check the path.\n`,
    );
  });

  it('names a file that is not JSON', async () => {
    const broken = scratch.write('broken.json', '{"mode": "live",}');
    const result = await explain(goodConfig, broken);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`The payment context file ${broken} is not valid JSON`);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('explains against the live workspace when --config is left out', async () => {
    // An empty workspace of its own; src/routing-config tests cover a workspace with accounts.
    vi.stubEnv('DATABASE_URL', `sqlite:${scratch.write('live.db', '')}`);
    vi.stubEnv('SWITCHYARD_MASTER_KEY', 'ab'.repeat(32));
    try {
      const result = await runInProcess(['route', 'explain', '--context', goodContext]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Outcome: no_account (no account)');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('explains a split with customer and usage in the context: the split sentence, the bucket and the cap', async () => {
    const result = await runInProcess([
      'route',
      'explain',
      '--config',
      scratch.write('split-config.json', {
        accounts: [
          { handle: 'us', role: 'primary' },
          { handle: 'us2', caps: [{ currency: 'usd', period: 'day', amount: 100000 }] },
        ],
        rules: [
          {
            name: 'ramp',
            when: {},
            use: {
              split: [
                { account: 'us', weight: 80 },
                { account: 'us2', weight: 20 },
              ],
            },
          },
        ],
      }),
      '--context',
      scratch.write('split-context.json', {
        mode: 'live',
        currency: 'usd',
        amount: 4900,
        customer: { key: 'Ann@Example.com', accounts: [] },
        usage: { us2: { usd: { day: 98000 } } },
      }),
    ]);
    expect(result.code).toBe(0);
    // SHA-256("ramp|ann@example.com") starts 71 0a 4a 8f: bucket 9855, in us2's 20 %.
    expect(result.stdout).toContain('The rule splits new payments by weight: us 80, us2 20.');
    expect(result.stdout).toContain(
      "The customer's bucket is 9855 of 10,000 (from the customer's email), which falls on us2.",
    );
    expect(result.stdout).toContain('us2 has reached its daily USD cap of');
    expect(result.stdout).toContain('Outcome: fallback (us)');
    expect(result.stdout).toMatch(/us2 +no +cap_reached/);
  });
});
