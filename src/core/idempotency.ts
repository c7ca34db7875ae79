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
 * How the work hands over its result, exactly once. With a key, the result is recorded in the same
 * transaction: `select` records it in the very statement that produces it (no round trip of its
 * own, so a work whose last statement takes row locks, like an order's stock, holds them for one
 * round trip less); `value` records a result computed in the service with a statement of its own.
 */
export interface Finish<R> {
  /** The result is the jsonb that the SQL expression `expr` (over `params`, numbered from $1) yields. */
  select(expr: string, params: unknown[]): Promise<R>;
  value(result: R): Promise<R>;
}

const RECORD = `INSERT INTO restaurante.idempotency_keys ("restaurantId", scope, key, operation, fingerprint, "responseBody", "expiresAt")`;
const ON_CONFLICT = `ON CONFLICT ("restaurantId", scope, key) DO UPDATE   -- an expired record is replaced
       SET operation = EXCLUDED.operation, fingerprint = EXCLUDED.fingerprint, "responseStatus" = NULL,
           "responseBody" = EXCLUDED."responseBody", "createdAt" = now(), "expiresAt" = EXCLUDED."expiresAt"`;

/**
 * Does `work` once per key: the first time its result is recorded in the same transaction; a
 * retry with the same key and input gets that result back with `replayed: true`.
 */
export async function idempotently<R extends object>(
  tx: Tx,
  request: IdempotentRequest,
  work: (finish: Finish<R>) => Promise<R>,
): Promise<R & { replayed: boolean }> {
  const { restaurantId, scope, key, operation } = request;
  if (key === undefined) {
    const direct: Finish<R> = {
      select: async (expr, params) => (await tx.query<{ result: R }>(`SELECT ${expr} AS result`, params)).rows[0]!.result,
      value: (result) => Promise.resolve(result),
    };
    return { ...(await work(direct)), replayed: false };
  }
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
  const record = [restaurantId, scope, key, operation, fingerprint, request.ttlHours];
  let finished = false;
  const once = () => {
    if (finished) throw new Error(`idempotently(${operation}): the work finished twice`);
    finished = true;
  };
  const finish: Finish<R> = {
    async select(expr, params) {
      once();
      const n = params.length;
      const [r, s, k, op, fp, ttl] = record.map((_, i) => `$${n + i + 1}`);
      // The result, computed once (a CTE), recorded by the statement that computes it.
      const { rows } = await tx.query<{ result: R }>(
        `WITH work AS (SELECT ${expr} AS result),
              recorded AS (${RECORD}
                           SELECT ${r}, ${s}, ${k}, ${op}, ${fp}, result, now() + make_interval(hours => ${ttl}) FROM work
                           ${ON_CONFLICT})
         SELECT result FROM work`,
        [...params, ...record],
      );
      return rows[0]!.result;
    },
    async value(result) {
      once();
      await tx.query(`${RECORD} VALUES ($1, $2, $3, $4, $5, $7, now() + make_interval(hours => $6)) ${ON_CONFLICT}`, [...record, JSON.stringify(result)]);
      return result;
    },
  };
  const result = await work(finish);
  if (!finished) throw new Error(`idempotently(${operation}): the work returned without finishing`);
  return { ...result, replayed: false };
}

/** Removes expired records; returns how many. Run periodically by the service. */
export async function purgeExpiredIdempotencyKeys(db: { query: (sql: string) => Promise<{ rowCount: number | null }> }): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM restaurante.idempotency_keys WHERE "expiresAt" <= now()');
  return rowCount ?? 0;
}
