import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, expect, it } from 'vitest';
import { isProcessRunning } from '../src/demo/demo-emulator.js';
import { freePort } from './server.js';

const projectRoot = new URL('..', import.meta.url).pathname;

let serverPid: number | undefined;
let dataDir: string | undefined;
afterEach(() => {
  // Before the fix the server outlived npm: stop the process this test started.
  if (serverPid !== undefined && isProcessRunning(serverPid)) process.kill(serverPid, 'SIGKILL');
  serverPid = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

// npm forwards SIGTERM to the script's shell; dash does not pass it on (nor exec a lone command),
// so the script execs node itself.
it('stops the server when `npm start` gets SIGTERM: the port is free and the process gone', async () => {
  const start = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).scripts.start;
  expect(start).toContain('bin/switchyard.js serve');
  dataDir = mkdtempSync(join(tmpdir(), 'switchyard-npm-start-'));
  const port = await freePort();
  const npm = spawn('npm', ['start', '--silent'], {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dataDir,
      PORT: String(port),
      DATA_DIR: dataDir,
      DATABASE_URL: `sqlite:${join(dataDir, 'switchyard.db')}`,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    npm.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const listening = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
    const lines = createInterface({ input: npm.stdout });
    lines.on('line', (line) => {
      if (line.includes('"msg":"switchyard listening"')) resolve(JSON.parse(line));
    });
    void exited.then(({ code }) =>
      reject(new Error(`npm start exited with ${code} before listening`)),
    );
  });
  serverPid = listening.pid;
  expect((await fetch(`${listening.url}/healthz`)).status).toBe(200);

  npm.kill('SIGTERM');
  expect(await exited).toEqual({ code: 0, signal: null });
  expect(isProcessRunning(listening.pid), 'the server process is gone').toBe(false);
  await expect(fetch(`${listening.url}/healthz`)).rejects.toThrow();
}, 60_000);
