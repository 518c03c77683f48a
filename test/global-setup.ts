import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Tests that run the `switchyard` binary need dist/ to match src/. Type errors are the type check's
 * business (a separate CI step), so the build here only has to emit.
 */
export default function buildOnce(): void {
  const result = spawnSync('node_modules/.bin/tsc', ['-p', 'tsconfig.build.json'], {
    encoding: 'utf8',
  });
  if (!existsSync('dist/cli/main.js')) {
    throw new Error(`Building dist/ for the CLI tests failed:\n${result.stdout}${result.stderr}`);
  }
}
