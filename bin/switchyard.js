#!/usr/bin/env node
// Entry point of the `switchyard` command: runs the compiled CLI from dist/.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'switchyard: the compiled code in dist/ is missing. Run "npm ci" (or "npm run build") in the project folder first.\n',
  );
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
