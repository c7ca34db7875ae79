// Migration 0062: who is calling and the claim of an idempotency key in SQL, asked by an order in
// one statement. They must agree with the service's own definitions, and the claim's lock must
// exclude a service of the previous release, which takes the lock itself during a rolling update.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { authenticate, idempotencyScopeOf } from '../src/core/auth/principal.js';
import { hashToken } from '../src/core/auth/tokens.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { useTestApp } from './helpers/app.js';

const t = await useTestApp();

describe('caller_of and claim_idempotency_key', () => {
  it("a staff member's and a guest's keys are claimed in the scope the service records them in", async () => {
    for (const token of [t.staff.waiter, await t.guest('table_04')]) {
      const principal = await authenticate(t.db, token);
      const { rows } = await t.db.query<{ scope: string }>('SELECT "idempotencyScope" AS scope FROM restaurante.caller_of($1)', [hashToken(token)]);
      expect(rows).toEqual([{ scope: idempotencyScopeOf(principal) }]);
    }
  });

  it("an unknown token's holder is no one", async () => {
    const { rows } = await t.db.query('SELECT * FROM restaurante.caller_of($1)', [hashToken('cmd_staff_unknown')]);
    expect(rows).toEqual([]);
  });

  it("the claim's lock is the previous release's lock: each excludes the other, for a key with quotes and a backslash", async () => {
    const key = 'dup "quoted" \\ key';
    const scope = 'staff:stf_claimtest';
    const previousRelease = new pg.Client({ connectionString: t.url });
    await previousRelease.connect();
    try {
      await previousRelease.query('BEGIN');
      // As the service took it before 0062 (src/core/idempotency.ts of that release).
      const { rows: taken } = await previousRelease.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtextextended($1, 7342)) AS ok', [
        JSON.stringify([DEMO_RESTAURANT_ID, scope, key]),
      ]);
      expect(taken[0]!.ok).toBe(true);
      const claim = () =>
        t.db.transaction(async (tx) => (await tx.query<{ claimed: boolean }>('SELECT claimed FROM restaurante.claim_idempotency_key($1, $2, $3)', [DEMO_RESTAURANT_ID, scope, key])).rows[0]!.claimed);
      expect(await claim()).toBe(false);
      await previousRelease.query('COMMIT');
      expect(await claim()).toBe(true);
    } finally {
      await previousRelease.end();
    }
  });
});
