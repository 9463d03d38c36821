import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Temporal's native bridge and child processes behave best in forked workers.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
