// Idempotency keys (the shell takes them from the IETF draft's Idempotency-Key header):
//   same key, same request   → the stored result, replayed;
//   same key, other request  → IDEMPOTENCY_KEY_REUSED;
//   same key, first one still running → REQUEST_IN_PROGRESS.
// Keys are scoped to their caller (a table session, a staff token) within a restaurant.
//
// The record is written in the same transaction as the work, so it exists exactly when the work
// committed: a crash or an error leaves no half-done key behind, and a retry then does the work.
// A request in flight holds a transaction-level advisory lock on its key (so this works through a
// transaction-mode pooler); a concurrent retry that cannot take it gets REQUEST_IN_PROGRESS at once.
import { createHash } from 'node:crypto';
import type { Tx } from './db/database.js';
import { AppError } from './errors.js';

/** The operations that take an idempotency key; their names are part of the stored fingerprints. */
export type IdempotentOperation = 'place_order' | 'book_reservation';

/**
 * What keys stored before migration 0058 hashed in place of the operation's name (the HTTP method
 * and path of the time, frozen here: they never follow a renamed route). Such a key has no
 * `operation`, and is matched against this form until it expires (IDEMPOTENCY_TTL_HOURS).
 */
const LEGACY_FINGERPRINT_PREFIX: Record<IdempotentOperation, readonly string[]> = {
  place_order: ['POST', '/api/orders'],
  book_reservation: ['POST', '/api/reservations'],
};

export interface IdempotentRequest {
  restaurantId: string;
  /** The caller the key belongs to (a table session, a staff token, the public). */
  scope: string;
  /** The client's key; without one the work is simply done. */
  key: string | undefined;
  operation: IdempotentOperation;
  /** The operation's input, normalised: what the fingerprint is made of. */
  input: unknown;
  ttlHours: number;
}

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
const hash = (parts: unknown[]): string => createHash('sha256').update(JSON.stringify(parts)).digest('hex');

/** A stable fingerprint of a request: the operation's name and its input with the keys sorted. */
export function fingerprintOf(operation: IdempotentOperation, input: unknown): string {
  return hash([operation, canonical(input)]);
}

/** The fingerprint a key stored before migration 0058 carries for the same request. */
export function legacyFingerprintOf(operation: IdempotentOperation, input: unknown): string {
  return hash([...LEGACY_FINGERPRINT_PREFIX[operation], canonical(input)]);
}

/**
 * Does `work` once per key: the first time its result is recorded in the same transaction; a
 * retry with the same key and input gets that result back with `replayed: true`.
 */
export async function idempotently<R extends object>(
  tx: Tx,
  request: IdempotentRequest,
  work: () => Promise<R>,
): Promise<R & { replayed: boolean }> {
  const { restaurantId, scope, key, operation } = request;
  if (key === undefined) return { ...(await work()), replayed: false };
  const lockKey = JSON.stringify([restaurantId, scope, key]);
  const { rows: locked } = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtextextended($1, 7342)) AS ok', [lockKey]);
  if (!locked[0]?.ok) {
    throw new AppError('REQUEST_IN_PROGRESS', undefined, { retryAfter: 1 });
  }
  // A separate statement, so that its snapshot is taken after the lock was granted and sees the
  // record of a request that committed just before (one statement would read an older snapshot
  // and could do the work twice).
  const { rows } = await tx.query<{ fingerprint: string; operation: string | null; result: R }>(
    `SELECT fingerprint, operation, "responseBody" AS result FROM restaurante.idempotency_keys
      WHERE "restaurantId" = $1 AND scope = $2 AND key = $3 AND "expiresAt" > now()`,
    [restaurantId, scope, key],
  );
  const fingerprint = fingerprintOf(operation, request.input);
  const stored = rows[0];
  if (stored) {
    const same =
      stored.operation === null
        ? stored.fingerprint === legacyFingerprintOf(operation, request.input)
        : stored.operation === operation && stored.fingerprint === fingerprint;
    if (!same) throw new AppError('IDEMPOTENCY_KEY_REUSED');
    return { ...stored.result, replayed: true };
  }
  const result = await work();
  await tx.query(
    `INSERT INTO restaurante.idempotency_keys ("restaurantId", scope, key, operation, fingerprint, "responseBody", "expiresAt")
     VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(hours => $7))
     ON CONFLICT ("restaurantId", scope, key) DO UPDATE   -- an expired record is replaced
       SET operation = EXCLUDED.operation, fingerprint = EXCLUDED.fingerprint, "responseStatus" = NULL,
           "responseBody" = EXCLUDED."responseBody", "createdAt" = now(), "expiresAt" = EXCLUDED."expiresAt"`,
    [restaurantId, scope, key, operation, fingerprint, JSON.stringify(result), request.ttlHours],
  );
  return { ...result, replayed: false };
}

/** Removes expired records; returns how many. Run periodically by the service. */
export async function purgeExpiredIdempotencyKeys(db: { query: (sql: string) => Promise<{ rowCount: number | null }> }): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM restaurante.idempotency_keys WHERE "expiresAt" <= now()');
  return rowCount ?? 0;
}
