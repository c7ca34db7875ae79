import { defineConfig } from 'vitest/config';

// COMANDA_TEST_CANARY=1 runs only the deliberately failing tests of test/canary/, so CI can prove
// that a red test turns the test command red; otherwise they are left out.
const canary = process.env.COMANDA_TEST_CANARY === '1';

export default defineConfig({
  test: {
    include: canary ? ['test/canary/*.test.ts'] : ['test/**/*.test.ts'],
    exclude: canary ? [] : ['test/canary/**', '**/node_modules/**'],
    globalSetup: ['test/setup/global.ts'],
    // Each file gets its own database cloned from a migrated template, so files run in parallel.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/setup/summary-reporter.ts'],
  },
});
