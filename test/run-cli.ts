import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const binary = new URL('../bin/switchyard.js', import.meta.url).pathname;

/** Runs `switchyard …` as a user would, with only the given environment on top of PATH. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  input?: string,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binary, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Starts a long-running `switchyard …` and resolves once a stdout line satisfies `ready`. */
export function startCli(
  args: string[],
  env: Record<string, string>,
  ready: (line: string) => boolean,
): Promise<{
  child: ChildProcess;
  line: string;
  output: string[];
  exited: Promise<number | null>;
}> {
  const child = spawn(process.execPath, [binary, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    if (!child.stdout) throw new Error('spawn gave no stdout pipe');
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      output.push(line);
      if (ready(line)) resolve({ child, line, output, exited });
    });
    exited.then((code) =>
      reject(
        new Error(
          `switchyard exited with ${code} before it was ready:\n${output.join('\n')}\n${stderr}`,
        ),
      ),
    );
  });
}
