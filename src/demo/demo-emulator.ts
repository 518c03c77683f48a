import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  type EmulatorOptions,
  type RunningEmulator,
  startEmulator,
  UnreadableStateError,
} from '@switchyard/stripe-emulator';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type Account, listLiveAccounts } from '../accounts/accounts.repository.js';
import type { Config } from '../config.js';
import type { Database } from '../db/schema.js';
import { DEFAULT_WORKSPACE_ID } from '../db/workspace.js';
import { AppError } from '../errors.js';

/**
 * The demo's emulator runs inside the `npm start` process; a `switchyard` command runs in another.
 * The demo writes where its emulator listens under DATA_DIR, and commands on the demo's accounts
 * send their Stripe calls there.
 */

/** The `purpose` that marks the demo's own accounts. */
export const demoPurpose = 'Demo account on the built-in Stripe emulator';

export function isDemoAccount(account: Account): boolean {
  return account.purpose === demoPurpose;
}

const addressFile = 'demo-emulator.json';
const stateFile = 'demo-emulator-state.json';

export interface DemoEmulator {
  emulator: RunningEmulator;
  /** For the person who ran `npm start`: whether the emulator's accounts and objects came back. */
  state: string;
}

/**
 * The demo's emulator, with its state kept in DATA_DIR so a restart (or a crash) brings back the
 * same accounts, keys, customers and PaymentIntents. A state file it cannot read is set aside
 * and the demo starts over, saying so.
 */
export async function startDemoEmulator(dataDir: string, logger: Logger): Promise<DemoEmulator> {
  mkdirSync(dataDir, { recursive: true });
  const other = await findRunningDemoEmulator(dataDir);
  if (other && other.pid !== process.pid) {
    // Two emulators saving one state file would each overwrite what the other made.
    throw new AppError(
      'conflict',
      `Another demo (process ${other.pid}) is running on DATA_DIR ${dataDir}. Stop it first, or give this one its own DATA_DIR and DATABASE_URL.`,
      { pid: other.pid },
    );
  }
  const path = join(dataDir, stateFile);
  const options = {
    host: '127.0.0.1',
    stateFile: path,
    onStateError(error: Error) {
      logger.warn(
        { path, err: error.message },
        "could not save the demo emulator's state; a restart now would lose the latest changes",
      );
    },
  };
  // The last run's port when it is free: a card form open in a browser still reaches Stripe.js.
  const previousPort = readAddress(join(dataDir, addressFile))?.port;
  try {
    const emulator = await startOnPort(options, previousPort);
    return {
      emulator,
      state: emulator.restored ? `restored from ${path}` : `new; kept in ${path} from now on`,
    };
  } catch (error) {
    if (!(error instanceof UnreadableStateError)) throw error;
    const setAside = `${path}.unreadable-${Date.now()}`;
    renameSync(path, setAside);
    logger.warn({ path, setAside, err: error.message }, 'demo emulator state unreadable');
    return {
      emulator: await startOnPort(options, previousPort),
      state: `STARTED OVER: ${path} could not be read and is kept as ${setAside}; the demo accounts get new emulator accounts and what was made on the old ones cannot be reconciled`,
    };
  }
}

async function startOnPort(
  options: EmulatorOptions,
  port: number | undefined,
): Promise<RunningEmulator> {
  if (port === undefined) return startEmulator(options);
  try {
    return await startEmulator({ ...options, port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return startEmulator(options);
  }
}

interface DemoEmulatorAddress {
  /** The demo's process: a file left by a crash names a process that is gone. */
  pid: number;
  host: string;
  port: number;
}

/** Writes where the emulator listens; the returned function removes the file again. */
export function recordDemoEmulator(
  dataDir: string,
  emulator: { host: string; port: number },
): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, addressFile);
  const address: DemoEmulatorAddress = {
    pid: process.pid,
    host: emulator.host,
    port: emulator.port,
  };
  // A reader never sees half a file: write aside, then rename over.
  writeFileSync(`${path}.${process.pid}.tmp`, `${JSON.stringify(address)}\n`);
  renameSync(`${path}.${process.pid}.tmp`, path);
  return function forgetDemoEmulator() {
    if (readAddress(path)?.pid === process.pid) rmSync(path, { force: true });
  };
}

/**
 * The emulator of the demo running on this DATA_DIR, or null when no demo runs: the recorded
 * process must live and the port answer (a crash can leave the file, and its pid can be reused).
 */
async function findRunningDemoEmulator(dataDir: string): Promise<DemoEmulatorAddress | null> {
  const address = readAddress(join(dataDir, addressFile));
  if (!address || !isProcessRunning(address.pid)) return null;
  return (await answers(address)) ? address : null;
}

function answers(address: DemoEmulatorAddress): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address.host, port: address.port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function readAddress(path: string): DemoEmulatorAddress | null {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<DemoEmulatorAddress>;
    if (
      typeof parsed.pid === 'number' &&
      typeof parsed.host === 'string' &&
      typeof parsed.port === 'number'
    ) {
      return { pid: parsed.pid, host: parsed.host, port: parsed.port };
    }
    return null;
  } catch {
    return null;
  }
}

export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The config a command runs with. In a workspace whose accounts are all the demo's (and the demo
 * not turned off), Stripe is the demo's emulator: its address when the demo runs; when it does
 * not, a command that calls Stripe is refused with what to do, instead of a connection error.
 */
export async function configForCommand(input: {
  config: Config;
  db: Kysely<Database>;
  callsStripe: boolean;
}): Promise<Config> {
  const { config } = input;
  if (config.demo === 'off' || (config.demo === 'auto' && config.stripeApi !== null)) {
    return config;
  }
  const accounts = await listLiveAccounts(input.db, DEFAULT_WORKSPACE_ID);
  if (accounts.length === 0 || !accounts.every(isDemoAccount)) return config;
  const running = await findRunningDemoEmulator(config.dataDir);
  if (running) {
    return Object.freeze({
      ...config,
      stripeApi: Object.freeze({
        host: running.host,
        port: running.port,
        protocol: 'http' as const,
      }),
    });
  }
  if (input.callsStripe) {
    throw new AppError(
      'upstream_unavailable',
      `The demo is not running, and its accounts (${accounts.map((account) => account.handle).join(', ')}) live on the Stripe emulator inside it. To use real Stripe accounts instead, set SWITCHYARD_DEMO=off.`,
      { next: 'demo.start' },
    );
  }
  return config;
}
