// Debian's nginx in front of several `switchyard serve` instances, with the repository's
// deploy/nginx/switchyard.conf: used by the cluster test (test/cluster.test.ts) and the load run.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const shippedConfig = new URL('../deploy/nginx/switchyard.conf', import.meta.url);
const binary = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));

/** Why nginx cannot run here, or null (Debian's nginx package, as .ci/run installs it). */
export function nginxSkipReason() {
  return binary ? null : 'nginx is not installed (apt-get install -y nginx; .ci/run does it)';
}

/**
 * Starts nginx with deploy/nginx/switchyard.conf, its upstream set to the instances' ports and
 * its listener to `port`, in a scratch prefix of its own. The access log has one
 * `<upstream address(es)> <status> <method> <path>` line per request.
 */
export async function startNginx({ port, upstreams }) {
  if (!binary) throw new Error(nginxSkipReason());
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-nginx-'));
  // Run as root, nginx's workers are `nobody`: they write its temporary files here.
  await chmod(dir, 0o777);
  const servers = upstreams
    .map((upstream) => `    server 127.0.0.1:${upstream} max_fails=1 fail_timeout=5s;`)
    .join('\n');
  const site = readFileSync(shippedConfig, 'utf8')
    .replace(/^\s*server 127\.0\.0\.1:\d+[^;]*;\n/gm, '')
    .replace(/^(upstream switchyard \{\n)/m, `$1${servers}\n`)
    .replace(/^\s*listen 8080;/m, `    listen 127.0.0.1:${port};`);
  writeFileSync(join(dir, 'switchyard.conf'), site);
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} warn;`,
      'events { worker_connections 4096; }',
      'http {',
      "  log_format upstreams '$upstream_addr $status $request_method $uri';",
      `  access_log ${join(dir, 'access.log')} upstreams;`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
        (kind) => `  ${kind}_temp_path ${join(dir, kind)};`,
      ),
      `  include ${join(dir, 'switchyard.conf')};`,
      '}',
    ].join('\n'),
  );
  const child = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once('exit', () => resolve()));
  // A run that stops without stopping nginx (killed, or timed out) does not leave it listening.
  const orphaned = () => child.kill('SIGKILL');
  process.once('exit', orphaned);
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`nginx did not start: ${stderr}`);
    const answered = await fetch(`${url}/healthz`).then(
      () => true,
      () => false,
    );
    if (answered) break;
    if (attempt > 100) throw new Error(`nginx did not answer on ${url}: ${stderr}`);
    await sleep(50);
  }
  return {
    url,
    accessLog() {
      const path = join(dir, 'access.log');
      return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
    },
    async stop() {
      process.off('exit', orphaned);
      child.kill('SIGQUIT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
