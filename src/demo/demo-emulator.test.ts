import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { capturedLogger } from '../../test/log-capture.js';
import { startDemoEmulator } from './demo-emulator.js';

let dataDir: string;
let listener: Server | undefined;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'switchyard-demo-emulator-'));
});
afterEach(async () => {
  await new Promise((resolve) => (listener ? listener.close(resolve) : resolve(undefined)));
  listener = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

/** An address file as a demo in another live process (the test runner's parent) leaves it. */
function recordOtherDemo(port: number): void {
  writeFileSync(
    join(dataDir, 'demo-emulator.json'),
    JSON.stringify({ pid: process.ppid, host: '127.0.0.1', port }),
  );
}

async function listening(): Promise<number> {
  listener = createServer();
  await new Promise<void>((resolve) => listener?.listen(0, '127.0.0.1', resolve));
  const address = listener.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

it('refuses to start a second demo on a DATA_DIR whose demo still runs', async () => {
  recordOtherDemo(await listening());
  await expect(startDemoEmulator(dataDir, capturedLogger().logger)).rejects.toMatchObject({
    code: 'conflict',
    message: expect.stringMatching(
      new RegExp(`^Another demo \\(process ${process.ppid}\\) is running on DATA_DIR`),
    ),
  });
});

it('starts over an address file whose emulator no longer answers (left by a crash)', async () => {
  const port = await listening();
  await new Promise((resolve) => listener?.close(resolve));
  listener = undefined;
  recordOtherDemo(port);
  const { emulator, state } = await startDemoEmulator(dataDir, capturedLogger().logger);
  try {
    expect(state).toMatch(/^new; kept in /);
  } finally {
    await emulator.close();
  }
});
