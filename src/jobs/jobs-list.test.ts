import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type AdminCall, adminClient, buildTestApp, type TestApp } from '../../test/app.js';
import { describeEachDatabase, type TestStore } from '../../test/databases.js';
import { runInProcess } from '../cli/cli-in-process.test-helper.js';

const now = new Date('2026-12-01T10:05:00.000Z');

describeEachDatabase('the jobs list: `switchyard jobs list` and GET /api/jobs', (database) => {
  let store: TestStore;
  let testApp: TestApp;
  let api: AdminCall;
  let dataDir: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    store = await database.openMigrated();
    testApp = await buildTestApp(store, { clock: () => now });
    api = await adminClient(testApp);
    dataDir = mkdtempSync(join(tmpdir(), 'switchyard-jobs-cli-'));
    env = { DATABASE_URL: store.url, DATA_DIR: dataDir, SWITCHYARD_MASTER_KEY: testApp.masterKey };
  });
  afterEach(async () => {
    await testApp.app.close();
    await store.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows each job’s interval and next slot, and the runs every instance made', async () => {
    const empty = await api('GET', '/api/jobs');
    expect(empty.status).toBe(200);
    expect(empty.body.runs).toEqual([]);
    expect(empty.body.jobs).toContainEqual({
      name: 'verify',
      intervalMinutes: 15,
      nextSlot: '2026-12-01T10:15:00.000Z',
    });
    const before = await runInProcess(['jobs', 'list'], env);
    expect(before.code).toBe(0);
    // The command reads the time of day for itself.
    expect(before.stdout).toMatch(/verify\s+15 min\s+\d{4}-\d\d-\d\dT\d\d:(00|15|30|45):00.000Z/);
    expect(before.stdout).toContain('No runs yet.');

    await testApp.services.jobs.runDue();
    const listed = await api('GET', '/api/jobs?job=verify&limit=5');
    expect(listed.status).toBe(200);
    expect(listed.body.jobs.map((job: { name: string }) => job.name)).toEqual(['verify']);
    expect(listed.body.runs).toEqual([
      expect.objectContaining({
        job: 'verify',
        slotStart: '2026-12-01T10:00:00.000Z',
        instance: testApp.services.jobs.instanceId,
        startedAt: now.toISOString(),
        finishedAt: now.toISOString(),
        outcome: 'ok',
        summary: 'No accounts to verify.',
        error: null,
      }),
    ]);

    const table = await runInProcess(['jobs', 'list', '--job', 'verify'], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('OUTCOME');
    expect(table.stdout).toMatch(
      /verify\s+2026-12-01T10:00:00.000Z\s+\S+\s+2026-12-01T10:05:00.000Z\s+2026-12-01T10:05:00.000Z\s+ok\s+No accounts to verify./,
    );
    const json = await runInProcess(
      ['jobs', 'list', '--json', '--job', 'verify', '--limit', '1'],
      env,
    );
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).runs).toEqual(listed.body.runs);
  });

  it('names the bad field: 400 for the API, exit 2 for the command line', async () => {
    const anonymous = await testApp.app.inject({ method: 'GET', url: '/api/jobs' });
    expect(anonymous.statusCode).toBe(401);
    for (const [query, field] of [
      ['job=nightly', 'query.job'],
      ['limit=0', 'query.limit'],
      ['limit=many', 'query.limit'],
      ['limit=201', 'query.limit'],
      ['sort=slot', 'query.sort'],
    ]) {
      const answer = await api('GET', `/api/jobs?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.error.code).toBe('validation_failed');
      expect(answer.body.error.message).toContain(field);
    }
    const unknownJob = await api('GET', '/api/jobs?job=nightly');
    expect(unknownJob.body.error.message).toContain('verify');

    const badJob = await runInProcess(['jobs', 'list', '--job', 'nightly'], env);
    expect(badJob.code).toBe(2);
    expect(badJob.stderr).toContain('--job: got "nightly", needs one of verify');
    for (const limit of ['0', '201', 'ten']) {
      const badLimit = await runInProcess(['jobs', 'list', '--limit', limit], env);
      expect(badLimit.code, limit).toBe(2);
      expect(badLimit.stderr).toContain(
        `--limit: got "${limit}", needs a whole number from 1 to 200.`,
      );
    }
    const unknownOption = await runInProcess(['jobs', 'list', '--sort', 'slot'], env);
    expect(unknownOption.code).toBe(2);
  });
});
