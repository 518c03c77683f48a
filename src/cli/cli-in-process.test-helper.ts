import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { vi } from 'vitest';
import { createProgram } from './main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** What `process.exit` throws here instead of ending the test worker. */
class ExitCalled extends Error {
  constructor(readonly code: number) {
    super(`process.exit(${code})`);
  }
}

/**
 * Runs `switchyard …` inside the test process, capturing what it prints and its exit code: what
 * the binary does without the cost of starting a process. With `env`, the command sees only PATH
 * and those variables, as `runCli` gives the binary; with `input`, that is its standard input.
 */
export async function runInProcess(
  args: string[],
  env?: Record<string, string>,
  input?: string,
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const exit = vi.spyOn(process, 'exit').mockImplementation((code) => {
    throw new ExitCalled(Number(code ?? 0));
  });
  const stdin =
    input === undefined
      ? undefined
      : vi
          .spyOn(process, 'stdin', 'get')
          .mockReturnValue(Readable.from([Buffer.from(input)]) as typeof process.stdin);
  const before = process.exitCode;
  const environment = process.env;
  if (env) process.env = { PATH: environment.PATH ?? '', ...env };
  process.exitCode = undefined;
  try {
    await createProgram().parseAsync(['node', 'switchyard', ...args]);
    return { code: Number(process.exitCode ?? 0), stdout, stderr };
  } catch (error) {
    if (error instanceof ExitCalled) return { code: error.code, stdout, stderr };
    throw error;
  } finally {
    process.env = environment;
    process.exitCode = before;
    out.mockRestore();
    err.mockRestore();
    exit.mockRestore();
    stdin?.mockRestore();
  }
}

/** A scratch folder for input files, removed by the returned function. */
export function createScratchFolder(): {
  write(name: string, content: unknown): string;
  remove(): void;
} {
  const folder = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
  return {
    write(name, content) {
      const path = join(folder, name);
      writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
      return path;
    },
    remove() {
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
