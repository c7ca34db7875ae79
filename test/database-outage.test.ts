// A session ended under a running request (server shutdown or restart, a terminated backend, a
// broken connection) is the database being unavailable: 503 DATABASE_UNAVAILABLE with
// Retry-After, which clients retry with their idempotency key — not a 500. (`comanda chaos
// db-restart` found the 500.)
import { describe, expect, it } from 'vitest';
import { AppError, fromDatabaseError } from '../src/core/errors.js';
import { adminQuery, useTestDatabase } from './helpers/db.js';

const { db } = await useTestDatabase({ applicationName: 'comanda-outage-test' });

describe('a connection lost mid-request', () => {
  it('SQLSTATE 57P01/57P02/57P03 and class 08 are DATABASE_UNAVAILABLE', () => {
    for (const code of ['57P01', '57P02', '57P03', '08006', '08003']) {
      expect(fromDatabaseError({ code })).toMatchObject({ code: 'DATABASE_UNAVAILABLE', retryAfter: 2 });
    }
  });

  it('a terminated backend under a running transaction is DATABASE_UNAVAILABLE, and the pool serves again', async () => {
    const running = db.query('SELECT pg_sleep(10)', [], { statementTimeoutMs: 20_000 });
    const outcome = running.then(
      () => undefined,
      (err: unknown) => err,
    );
    for (let i = 0; i < 100; i++) {
      const { rows } = await adminQuery(
        `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = 'comanda-outage-test' AND query LIKE 'SELECT pg_sleep%'`,
      );
      if (rows.length) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const err = await outcome;
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });
});
