import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EmulatorAccount, useEmulator } from '../../test/emulator.js';
import { type EmulatorCommandOptions, runEmulator } from './emulator.command.js';

const emulator = useEmulator();

/**
 * Runs `switchyard emulator` with `options`, printing into `lines`, until the first line that
 * `ready` accepts (or its end); `stop()` then stops it.
 */
async function runUntil(
  ready: (line: string) => boolean,
  options: EmulatorCommandOptions,
  lines: string[],
) {
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  let announce = () => {};
  const announced = new Promise<void>((resolve) => {
    announce = resolve;
  });
  const output = {
    out(text: string) {
      lines.push(text);
      if (ready(text)) announce();
    },
    err(text: string) {
      lines.push(text);
    },
  };
  const running = runEmulator(options, output, stopped);
  await Promise.race([announced, running]);
  const url = lines[0]?.match(/http:\/\/127\.0\.0\.1:\d+/)?.[0] ?? '';
  return {
    url,
    stop() {
      stop();
      return running;
    },
  };
}

describe('switchyard emulator', () => {
  it('prints its URL once it accepts connections, and stops when told to', async () => {
    const lines: string[] = [];
    const running = await runUntil(() => true, { port: 0, host: '127.0.0.1' }, lines);
    expect(running.url).not.toBe('');
    const response = await fetch(`${running.url}/_emulator/accounts`, {
      method: 'POST',
      body: '{}',
    });
    expect(response.status).toBe(200);
    await running.stop();
    expect(lines.at(-1)).toBe('Stripe emulator stopped.');
    await expect(fetch(`${running.url}/_emulator/clock`)).rejects.toThrow();
  });

  it('explains a port that is taken', async () => {
    const taken = emulator().port;
    await expect(
      runEmulator(
        { port: taken, host: '127.0.0.1' },
        { out: () => {}, err: () => {} },
        Promise.resolve(),
      ),
    ).rejects.toThrow(`could not listen on 127.0.0.1:${taken}`);
  });
});

describe('`switchyard emulator --state-file`', () => {
  let folder: string;
  let stateFile: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'emulator-state-'));
    stateFile = join(folder, 'state.json');
  });
  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  function runUntilListening(lines: string[]) {
    return runUntil(
      (line) => line.startsWith('State '),
      { port: 0, host: '127.0.0.1', stateFile },
      lines,
    );
  }

  it('keeps accounts across runs, and says where', async () => {
    const firstLines: string[] = [];
    const first = await runUntilListening(firstLines);
    expect(firstLines[1]).toBe(
      `State kept in ${stateFile} (saved a moment after each change and on stop).`,
    );
    const made = await fetch(`${first.url}/_emulator/accounts`, { method: 'POST', body: '{}' });
    const account = (await made.json()) as EmulatorAccount;
    await first.stop();

    const secondLines: string[] = [];
    const second = await runUntilListening(secondLines);
    expect(secondLines[1]).toBe(
      `State restored from ${stateFile} (saved a moment after each change and on stop).`,
    );
    const { port } = new URL(second.url);
    const stripe = new Stripe(account.keys.test.secret, {
      host: '127.0.0.1',
      port: Number(port),
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    expect((await stripe.accounts.retrieveCurrent()).id).toBe(account.id);
    await second.stop();
  });

  it('refuses a state file it cannot read, as bad configuration', async () => {
    writeFileSync(stateFile, 'not json');
    await expect(runUntilListening([])).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringMatching(/^--state-file: The emulator's state file .* cannot be read/),
    });
  });
});
