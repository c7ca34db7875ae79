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
import type { QueryResultRow } from 'pg';
import { lastStatement, prepared, type Tx } from './db/database.js';
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
  /**
   * The result is the jsonb that the SQL expression `expr` (over `params`, numbered from $1)
   * yields. `last`: the transaction's last statement, COMMIT sent with it (see lastStatement).
   */
  select(expr: string, params: unknown[], options?: { last?: boolean }): Promise<R>;
  value(result: R): Promise<R>;
}

const statementOf =
  (tx: Tx, options: { last?: boolean } | undefined) =>
  <T extends object>(text: string, params: unknown[]) =>
    options?.last ? lastStatement<T & QueryResultRow>(tx, text, params) : tx.query<T & QueryResultRow>(text, params);

const RECORD = `INSERT INTO restaurante.idempotency_keys ("restaurantId", scope, key, operation, fingerprint, "responseBody", "expiresAt")`;
const ON_CONFLICT = `ON CONFLICT ("restaurantId", scope, key) DO UPDATE   -- an expired record is replaced
       SET operation = EXCLUDED.operation, fingerprint = EXCLUDED.fingerprint, "responseStatus" = NULL,
           "responseBody" = EXCLUDED."responseBody", "createdAt" = now(), "expiresAt" = EXCLUDED."expiresAt"`;

/**
 * A key's claim (restaurante.claim_idempotency_key, migration 0062): not `claimed` while another
 * request with the key runs; claimed, with the unexpired record if there is one. A caller may take
 * it within a statement of its own (an order takes it with its authentication) and hand it over.
 */
export interface Claim {
  /** The scope the key was claimed in; must be the request's. */
  scope: string;
  claimed: boolean;
  operation: string | null;
  fingerprint: string | null;
  result: unknown;
}

/** The claim of `key` (SQL expressions for the restaurant, the scope and the key), as one jsonb column. */
export const claimSql = (restaurantId: string, scope: string, key: string): string =>
  `(SELECT to_jsonb(c) || jsonb_build_object('scope', ${scope}) FROM restaurante.claim_idempotency_key(${restaurantId}, ${scope}, ${key}) c)`;

/**
 * Does `work` once per key: the first time its result is recorded in the same transaction; a
 * retry with the same key and input gets that result back with `replayed: true`. `claimed` is the
 * key's claim if the caller already took it in this transaction.
 */
export async function idempotently<R extends object>(
  tx: Tx,
  request: IdempotentRequest,
  work: (finish: Finish<R>) => Promise<R>,
  claimed?: Claim,
): Promise<R & { replayed: boolean }> {
  const { restaurantId, scope, key, operation } = request;
  if (key === undefined) {
    const direct: Finish<R> = {
      select: async (expr, params, options) => (await statementOf(tx, options)<{ result: R }>(`SELECT ${expr} AS result`, params)).rows[0]!.result,
      value: (result) => Promise.resolve(result),
    };
    return { ...(await work(direct)), replayed: false };
  }
  if (claimed && claimed.scope !== scope) throw new Error(`idempotently(${operation}): the key was claimed in another scope`);
  const claim = claimed ?? (await tx.query<{ claim: Claim }>(`SELECT ${claimSql('$1', '$2', '$3')} AS claim`, [restaurantId, scope, key])).rows[0]!.claim;
  if (!claim.claimed) {
    throw new AppError('REQUEST_IN_PROGRESS', undefined, { retryAfter: 1 });
  }
  const fingerprint = fingerprintOf(operation, request.input);
  if (claim.fingerprint !== null) {
    // The key's record: this request's first answer, or another request's.
    const same =
      claim.operation === null
        ? claim.fingerprint === legacyFingerprintOf(operation, request.input)
        : claim.operation === operation && claim.fingerprint === fingerprint;
    if (!same) throw new AppError('IDEMPOTENCY_KEY_REUSED');
    return { ...(claim.result as R), replayed: true };
  }
  const record = [restaurantId, scope, key, operation, fingerprint, request.ttlHours];
  let finished = false;
  const once = () => {
    if (finished) throw new Error(`idempotently(${operation}): the work finished twice`);
    finished = true;
  };
  const finish: Finish<R> = {
    async select(expr, params, options) {
      once();
      const n = params.length;
      const [r, s, k, op, fp, ttl] = record.map((_, i) => `$${n + i + 1}`);
      // The result, computed once (a CTE), recorded by the statement that computes it.
      // `expr` is a constant of its caller: the statement is prepared once per connection.
      const { rows } = await statementOf(tx, options)<{ result: R }>(
        prepared(`WITH work AS (SELECT ${expr} AS result),
              recorded AS (${RECORD}
                           SELECT ${r}, ${s}, ${k}, ${op}, ${fp}, result, now() + make_interval(hours => ${ttl}) FROM work
                           ${ON_CONFLICT})
         SELECT result FROM work`),
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
