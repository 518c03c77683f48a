// What the benchmarks share: child server processes that report their CPU (and answer other
// questions), timed concurrent calls, medians, fresh PostgreSQL databases, and the machine line
// every report starts with.
import { fork } from 'node:child_process';
import { arch, cpus, platform, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';

/**
 * Forks `script` in a server mode and waits for its first message (where it listens).
 * `execArgv`: Node's own flags for the child (a CPU profile, for example).
 */
export function startChild(script, childMode, env = {}, execArgv = []) {
  const child = fork(script, [childMode], {
    stdio: 'inherit',
    env: { ...process.env, ...env },
    execArgv: [...process.execArgv, ...execArgv],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve({ child, ...message }));
    child.once('exit', (code) =>
      reject(new Error(`${childMode} exited with ${code} before listening`)),
    );
  });
}

export function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.disconnect();
  });
}

/**
 * In a child: answers a 'cpu' message with the CPU time it has used so far, and each question
 * named in `answers` with what its function returns.
 */
export function answerCpuQuestions(answers = {}) {
  const all = { cpu: () => process.cpuUsage(), ...answers };
  process.on('message', (question) => {
    const answer = all[question];
    if (answer) process.send?.({ [question]: answer() });
  });
}

/** Asks a child one of the questions `answerCpuQuestions` answers, and waits for its answer. */
export function askChild(child, question) {
  return new Promise((resolve) => {
    child.on('message', function onAnswer(message) {
      if (message?.[question] === undefined) return;
      child.off('message', onAnswer);
      resolve(message[question]);
    });
    child.send(question);
  });
}

/** CPU microseconds (user + system) the child has used so far. */
export async function readChildCpu(child) {
  const cpu = await askChild(child, 'cpu');
  return cpu.user + cpu.system;
}

export function median(values) {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** How many of `items` share each key: { key: count }. */
export function countBy(items, keyOf) {
  const counts = {};
  for (const item of items) counts[keyOf(item)] = (counts[keyOf(item)] ?? 0) + 1;
  return counts;
}

/** `total` calls (each given its number) from `concurrency` callers at once; calls per second. */
export async function timeCalls(call, total, concurrency) {
  let issued = 0;
  let failures = 0;
  let firstError;
  const started = performance.now();
  async function caller() {
    while (issued < total) {
      issued += 1;
      try {
        await call(issued);
      } catch (error) {
        failures += 1;
        firstError ??= error;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, caller));
  const seconds = (performance.now() - started) / 1000;
  if (failures > 0) {
    throw new Error(
      `${failures} of ${total} calls failed; first: ${firstError?.message ?? firstError}`,
    );
  }
  return total / seconds;
}

export async function postControl(url, path, body) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok)
    throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

export function machineLine() {
  const cpu = cpus();
  return `machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, ${platform()}/${arch()}, Node ${process.version}`;
}

/**
 * A fresh PostgreSQL database `name` on the server of `adminUrl` (dropped first if a run before
 * left it), and `drop()` to remove it again. Never give it the test suite's database.
 */
export async function freshPostgresDatabase(name, adminUrl) {
  const administer = async (statement) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await administer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await administer(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => administer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
