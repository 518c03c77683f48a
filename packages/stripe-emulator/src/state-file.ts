import { readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import type { AccountDirectoryState } from './accounts.js';
import type { WebhookHubState } from './webhooks.js';

/**
 * The emulator's state on disk, for an emulator that must outlive its process (the demo's): the
 * accounts with their keys and every object, the clock's offset, webhook endpoints and events.
 * Written a moment after each change (0.2 s, or twice the last save's time when the state is
 * large) and on close, atomically (a temp file renamed over the old), so a crash leaves the
 * last complete save: a kill -9 loses at most that last moment.
 * Faults, chaos settings and the request log are for tests and start empty.
 */
export interface EmulatorState {
  version: 1;
  clockOffsetSeconds: number;
  accounts: AccountDirectoryState;
  webhooks: WebhookHubState;
}

/** How long after a change the state is written: one checkout's calls land in one write. */
const saveDelayMs = 200;

/** The saved state, or null when there is none yet; a file that cannot be read is an error. */
export function readStateFile(path: string): EmulatorState | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw unreadable(path, (error as Error).message);
  }
  let state: Partial<EmulatorState>;
  try {
    state = JSON.parse(text) as Partial<EmulatorState>;
  } catch (error) {
    throw unreadable(path, (error as Error).message);
  }
  if (state.version !== 1 || !state.accounts || !state.webhooks) {
    throw unreadable(path, 'it is not an emulator state file of version 1');
  }
  return {
    version: 1,
    clockOffsetSeconds: Number(state.clockOffsetSeconds ?? 0),
    accounts: state.accounts,
    webhooks: state.webhooks,
  };
}

/** The state file is there but is not a state this emulator can load. */
export class UnreadableStateError extends Error {
  override readonly name = 'UnreadableStateError';
}

function unreadable(path: string, reason: string): Error {
  return new UnreadableStateError(
    `The emulator's state file ${path} cannot be read (${reason}). Move it away to start with an empty emulator.`,
  );
}

export interface StateWriter {
  /** Something changed: the state is written shortly, together with what else changes meanwhile. */
  changed(): void;
  /** Writes now (on close) and resolves once the file is on disk. */
  flush(): Promise<void>;
}

export function createStateWriter(options: {
  path: string;
  snapshot: () => EmulatorState;
  onError?: ((error: Error) => void) | undefined;
}): StateWriter {
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  /** How long the last save took: a large state waits longer, so saving stays a small share. */
  let lastSaveMs = 0;

  function save(): Promise<void> {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const started = performance.now();
    // Taken now, in one go: the request handlers cannot change it halfway through.
    const text = JSON.stringify(options.snapshot());
    writing = writing.then(() =>
      writeAtomically(options.path, text).then(
        () => {
          lastSaveMs = performance.now() - started;
        },
        (error: Error) => options.onError?.(error),
      ),
    );
    return writing;
  }

  return {
    changed: function changed() {
      if (timer !== undefined) return;
      timer = setTimeout(save, Math.max(saveDelayMs, 2 * lastSaveMs));
      // A save must not keep a finished process alive; close() flushes.
      timer.unref();
    },
    flush: save,
  };
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp`;
  // Mode 0600: the file holds the emulated accounts' secret keys.
  const file = await open(temporary, 'w', 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
}
