// Idempotency-Key handling (IETF draft "The Idempotency-Key HTTP Header Field"):
//   same key, same request   → the stored answer, replayed with its original status;
//   same key, other request  → IDEMPOTENCY_KEY_REUSED (422);
//   same key, first one still running → REQUEST_IN_PROGRESS (409).
// Keys are scoped to their caller (a table session, a staff token) within a restaurant.
//
// The record is written in the same transaction as the work, so it exists exactly when the work
// committed: a crash or an error leaves no half-done key behind, and a retry then does the work.
// A request in flight holds a transaction-level advisory lock on its key (so this works through a
// transaction-mode pooler); a concurrent retry that cannot take it answers 409 at once.
import { createHash } from 'node:crypto';
import type { Tx } from './db/database.js';
import { AppError } from './errors.js';

export interface IdempotencyContext {
  restaurantId: string;
  scope: string;
  key: string;
  /** Fingerprint of the request (see fingerprintOf). */
  fingerprint: string;
  ttlHours: number;
}

export interface StoredResponse<B> {
  status: number;
  body: B;
  replayed: boolean;
}

/** A stable fingerprint of a request: method, route and the body with its keys sorted. */
export function fingerprintOf(method: string, route: string, body: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
      );
    }
    return value;
  };
  return createHash('sha256').update(JSON.stringify([method, route, canonical(body)])).digest('hex');
}

export async function withIdempotency<B>(
  tx: Tx,
  context: IdempotencyContext,
  work: () => Promise<{ status: number; body: B }>,
): Promise<StoredResponse<B>> {
  const lockKey = JSON.stringify([context.restaurantId, context.scope, context.key]);
  const { rows: locked } = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtextextended($1, 7342)) AS ok', [lockKey]);
  if (!locked[0]?.ok) {
    throw new AppError('REQUEST_IN_PROGRESS', undefined, { retryAfter: 1 });
  }
  // A separate statement, so that its snapshot is taken after the lock was granted and sees the
  // record of a request that committed just before (one statement would read an older snapshot
  // and could do the work twice).
  const { rows } = await tx.query<{ fingerprint: string; responseStatus: number; responseBody: B }>(
    `SELECT fingerprint, "responseStatus", "responseBody" FROM restaurante.idempotency_keys
      WHERE "restaurantId" = $1 AND scope = $2 AND key = $3 AND "expiresAt" > now()`,
    [context.restaurantId, context.scope, context.key],
  );
  const stored = rows[0];
  if (stored) {
    if (stored.fingerprint !== context.fingerprint) throw new AppError('IDEMPOTENCY_KEY_REUSED');
    return { status: stored.responseStatus, body: stored.responseBody, replayed: true };
  }
  const result = await work();
  await tx.query(
    `INSERT INTO restaurante.idempotency_keys
       ("restaurantId", scope, key, fingerprint, "responseStatus", "responseBody", "expiresAt")
     VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(hours => $7))
     ON CONFLICT ("restaurantId", scope, key) DO UPDATE   -- an expired record is replaced
       SET fingerprint = EXCLUDED.fingerprint, "responseStatus" = EXCLUDED."responseStatus",
           "responseBody" = EXCLUDED."responseBody", "createdAt" = now(), "expiresAt" = EXCLUDED."expiresAt"`,
    [context.restaurantId, context.scope, context.key, context.fingerprint, result.status, JSON.stringify(result.body), context.ttlHours],
  );
  return { ...result, replayed: false };
}

/** Removes expired records; returns how many. Run periodically by the service. */
export async function purgeExpiredIdempotencyKeys(db: { query: (sql: string) => Promise<{ rowCount: number | null }> }): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM restaurante.idempotency_keys WHERE "expiresAt" <= now()');
  return rowCount ?? 0;
}
