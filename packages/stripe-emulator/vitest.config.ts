import { defineConfig } from 'vitest/config';

/** The emulator's own tests: `npm test` here, and a project of the root's `npm test`. */
export default defineConfig({
  test: {
    name: 'stripe-emulator',
    include: ['src/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
