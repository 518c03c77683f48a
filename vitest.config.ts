import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Two cores: more workers only queue behind each other and the databases.
    maxWorkers: 2,
    projects: [
      // The emulator package's tests, with its own configuration (its `npm test` runs them too).
      'packages/stripe-emulator',
      {
        resolve: {
          // The emulator package by its name, from its sources (as in tsconfig.json): tests need
          // no build of it, and see this checkout's copy.
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
          name: 'app',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          pool: 'forks',
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
