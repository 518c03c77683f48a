import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { runInProcess } from './cli-in-process.test-helper.js';

describeEachDatabase('`switchyard coupons …`', (database) => {
  let store: TestStore;
  let dataDir: string;
  let env: Record<string, string>;
  beforeEach(async () => {
    store = await database.openMigrated();
    dataDir = mkdtempSync(join(tmpdir(), 'switchyard-coupons-cli-'));
    env = {
      DATABASE_URL: store.url,
      DATA_DIR: dataDir,
      PUBLIC_URL: 'https://pay.example.com',
      SWITCHYARD_MASTER_KEY: randomBytes(32).toString('hex'),
    };
  });
  afterEach(async () => {
    await store.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('adds, lists and removes coupons, naming a bad option', async () => {
    const added = await runInProcess(
      ['coupons', 'add', 'launch5', '--amount', 'usd:500', '--amount', 'eur:400', '--limit', '100'],
      env,
    );
    expect([added.code, added.stderr]).toEqual([0, '']);
    expect(added.stdout).toContain('Added LAUNCH5: $5.00 off, €4.00 off.');
    const percent = await runInProcess(
      ['coupons', 'add', 'TEN', '--percent', '10', '--product', 'course'],
      env,
    );
    expect(percent.code).toBe(0);

    const listed = await runInProcess(['coupons', 'list'], env);
    expect(listed.stdout).toMatch(/LAUNCH5\s+\$5\.00 off, €4\.00 off\s+0\s+0\s+100\s+-\s+all/);
    expect(listed.stdout).toMatch(/TEN\s+10% off\s+0\s+0\s+-\s+-\s+course/);

    const bad = await runInProcess(['coupons', 'add', 'BAD', '--percent', '200'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('percentOff');

    const removed = await runInProcess(['coupons', 'remove', 'ten'], env);
    expect([removed.code, removed.stdout.trim()]).toEqual([0, 'Removed the coupon TEN.']);
    const json = JSON.parse((await runInProcess(['coupons', 'list', '--json'], env)).stdout);
    expect(json.map((coupon: { code: string }) => coupon.code)).toEqual(['LAUNCH5']);
  });
});
