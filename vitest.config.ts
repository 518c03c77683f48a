import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // The emulator package by its name, from its sources (as in tsconfig.json): tests need no
    // build of it, and see this checkout's copy.
    alias: [
      {
        find: /^@switchyard\/stripe-emulator$/,
        replacement: fileURLToPath(
          new URL('./packages/stripe-emulator/src/index.ts', import.meta.url),
        ),
      },
    ],
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'packages/stripe-emulator/src/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two cores: more workers only queue behind each other and the databases.
    maxWorkers: 2,
  },
});
