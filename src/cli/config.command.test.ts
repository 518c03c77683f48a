import { afterAll, describe, expect, it } from 'vitest';
import { scenariosUnderTest } from '../../test/routing-scenarios.js';
import { createScratchFolder, runInProcess } from './cli-in-process.test-helper.js';

const scratch = createScratchFolder();
afterAll(() => scratch.remove());

const scenarios = scenariosUnderTest();

const accounts = [
  { handle: 'us', role: 'primary', currencies: ['usd', 'cad'] },
  { handle: 'eu', priority: 1, currencies: ['eur'] },
  { handle: 'backup', priority: 2 },
];

describe('switchyard config validate', () => {
  it('accepts a sound config and says what it holds', async () => {
    const file = scratch.write('sound.json', {
      accounts,
      rules: [{ name: 'euro', when: { currency: ['eur'] }, use: 'eu' }],
      products: { coaching: { use: 'eu', fallback: ['backup'] } },
    });
    const result = await runInProcess(['config', 'validate', file]);
    expect(result).toEqual({
      code: 0,
      stdout: `${file} is valid: 3 accounts, 1 rule, 1 pin.\n`,
      stderr: '',
    });
  });

  it('accepts the config of every routing scenario', async () => {
    for (const [index, scenario] of scenarios.entries()) {
      const result = await runInProcess([
        'config',
        'validate',
        scratch.write(`scenario-${index}.json`, scenario.config),
      ]);
      expect(result.code, scenario.name).toBe(0);
    }
  });

  it('prints warnings but still exits 0', async () => {
    const file = scratch.write('warnings.json', {
      accounts,
      rules: [
        { name: 'everything', when: {}, use: 'backup' },
        { name: 'euro', when: { currency: ['eur'] }, use: 'eu' },
      ],
      funnels: { webinar: { use: 'us', fallback: 'none' } },
    });
    const result = await runInProcess(['config', 'validate', file]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'warning: config.rules[1]: rule "euro" can never match: rule "everything" (rules[0]) has an empty "when" and matches every payment; move it above or narrow rule "everything"',
      'warning: config.funnels.webinar.fallback: funnel webinar pins us with fallback "none", but us accepts only USD, CAD: payments in other currencies get no account; use "auto" or a fallback list',
      `${file} is valid: 3 accounts, 2 rules, 1 pin.`,
      '',
    ]);
  });

  it('lists every error with its path and exits 2', async () => {
    const file = scratch.write('errors.json', {
      accounts: [...accounts, { handle: 'eu' }, { handle: 'two', role: 'primary' }],
      rules: [
        { name: 'r', when: { currency: ['eur'] }, use: 'eu', fallback: ['spare'] },
        { name: 'r', when: { currency: ['usd'] }, use: 'uk' },
      ],
    });
    const result = await runInProcess(['config', 'validate', file]);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')).toEqual([
      `switchyard: ${file} is not a valid routing config (5 errors):`,
      'switchyard:   config.accounts[3].handle: duplicate handle "eu" (accounts[1] has it too): give each account its own handle',
      'switchyard:   config.accounts[4].role: "two" is a second primary ("us" is primary already): make one of them "secondary"',
      'switchyard:   config.rules[1].name: duplicate rule name "r" (rules[0] has it too): decisions name the rule that matched, so each name must be unique',
      'switchyard:   config.rules[0].fallback[0]: unknown fallback account "spare" in rule r: use one of us, eu, backup, two',
      'switchyard:   config.rules[1].use: unknown account "uk" in rule r: use one of us, eu, backup, two',
      `switchyard: Fix them and run "switchyard config validate ${file}" again.`,
      '',
    ]);
  });

  it('reports a config without a primary', async () => {
    const file = scratch.write('no-primary.json', { accounts: [{ handle: 'a' }] });
    const result = await runInProcess(['config', 'validate', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('config.accounts: no primary account');
  });

  it('gives scripts JSON with --json, for valid and invalid files alike', async () => {
    const valid = await runInProcess([
      'config',
      'validate',
      scratch.write('json-valid.json', { accounts }),
      '--json',
    ]);
    expect(valid.code).toBe(0);
    expect(JSON.parse(valid.stdout)).toEqual({ valid: true, errors: [], warnings: [] });

    const file = scratch.write('json-invalid.json', {
      accounts: [{ handle: 'us', role: 'primary', curencies: ['usd'] }],
    });
    const invalid = await runInProcess(['config', 'validate', file, '--json']);
    expect(invalid.code).toBe(2);
    expect(JSON.parse(invalid.stdout)).toEqual({
      valid: false,
      errors: [
        {
          path: 'config.accounts[0].curencies',
          message: 'unknown field: did you mean "currencies"?',
        },
      ],
      warnings: [],
    });
    expect(invalid.stderr).toBe(
      `switchyard: ${file} is not a valid routing config (1 error, listed in the JSON output).\n`,
    );
  });

  it('names a file it cannot read', async () => {
    const folder = scratch.write('x.json', {}).replace(/x\.json$/, '');
    const result = await runInProcess(['config', 'validate', folder]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `switchyard: Cannot read the routing config file ${folder}: it is a folder, not a file.\n`,
    );
  });

  it('prints each split error at its own path: a negative weight, an unknown account, a split product pin', async () => {
    const file = scratch.write('split-errors.json', {
      accounts,
      rules: [
        {
          name: 'ramp',
          when: {},
          use: {
            split: [
              { account: 'us', weight: 80 },
              { account: 'eu', weight: -20 },
            ],
          },
        },
      ],
      products: { coaching: { use: { split: [{ account: 'us', weight: 1 }] } } },
    });
    const result = await runInProcess(['config', 'validate', file]);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')).toEqual([
      `switchyard: ${file} is not a valid routing config (2 errors):`,
      'switchyard:   config.rules[0].use.split[1].weight: a weight cannot be negative',
      'switchyard:   config.products.coaching.use: a product pin names one account: products cannot be split (split the funnel or step pin, or a rule, instead)',
      `switchyard: Fix them and run "switchyard config validate ${file}" again.`,
      '',
    ]);
    const unknown = scratch.write('split-unknown.json', {
      accounts,
      funnels: {
        webinar: {
          use: {
            split: [
              { account: 'us', weight: 50 },
              { account: 'us2', weight: 50 },
            ],
          },
        },
      },
    });
    const second = await runInProcess(['config', 'validate', unknown]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(
      'switchyard:   config.funnels.webinar.use.split[1].account: unknown account "us2" in the split of funnel webinar: use one of us, eu, backup',
    );
  });
});
