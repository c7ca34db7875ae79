// A deliberately red test: the canary that proves a failing test fails the test command. It runs
// only with COMANDA_TEST_CANARY=1 (see vitest.config.ts), which .ci/run sets once per mode and
// then requires `npm test` to exit non-zero.
import { expect, it } from 'vitest';

it('fails on purpose (canary)', () => {
  expect(1).toBe(2);
});
