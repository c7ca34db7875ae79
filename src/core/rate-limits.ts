// Rate limits shared by every instance: fixed windows counted in comanda.rate_limits (migration
// 0011) with one upsert per hit, so a limit of N per window is N whatever the number of
// instances behind the balancer. Keys are HMACs of the client under the server secret (the table
// holds no IP addresses, tokens or e-mail addresses).
import { createHmac } from 'node:crypto';
import { prepared, type Database } from './db/database.js';
import { AppError } from './errors.js';

export interface Limit {
  /** The limit's name, e.g. `orders:caller`; part of the key. */
  name: string;
  max: number;
  windowMs: number;
}

export interface Hit {
  allowed: boolean;
  /** Hits counted in the window so far, this one included. */
  hits: number;
  /** Seconds until the window ends (at least 1). */
  retryAfter: number;
}

// $3 hits at once (see consume).
const CONSUME = prepared(`
  INSERT INTO comanda.rate_limits AS r (key, hits, window_ends)
  VALUES ($1, $3::integer, clock_timestamp() + make_interval(secs => $2::float8 / 1000))
  ON CONFLICT (key) DO UPDATE
     SET hits = CASE WHEN r.window_ends <= clock_timestamp() THEN $3::integer ELSE r.hits + $3::integer END,
         window_ends = CASE WHEN r.window_ends <= clock_timestamp() THEN EXCLUDED.window_ends ELSE r.window_ends END
  RETURNING hits, greatest(1, ceil(extract(epoch FROM r.window_ends - clock_timestamp())))::int AS "retryAfter"`);

const PEEK = `
  SELECT hits, greatest(1, ceil(extract(epoch FROM window_ends - clock_timestamp())))::int AS "retryAfter"
    FROM comanda.rate_limits WHERE key = $1 AND window_ends > clock_timestamp()`;

/** How long hits wait for a slow statement of their key before they are counted by one of their own. */
const BATCH_WAIT_MS = 20;

/** Hits of one key waiting for the statement in flight for that key to finish. */
interface Batch {
  windowMs: number;
  waiting: Array<{ resolve: (hit: { hits: number; retryAfter: number }) => void; reject: (err: unknown) => void }>;
}

export class RateLimiter {
  /** Per key: undefined while nothing is in flight; a batch (maybe empty) while a statement is. */
  private readonly queued = new Map<string, Batch>();

  constructor(
    private readonly db: Database,
    private readonly secret: string,
  ) {}

  /** `name:HMAC(client)`: how a client is stored (rate-limit keys, the hold's client). */
  clientKey(name: string, client: string): string {
    return `${name}:${createHmac('sha256', this.secret).update(`comanda:rate-limit:v1:${name}:${client}`).digest('base64url')}`;
  }

  private keyOf(limit: Limit, client: string): string {
    return this.clientKey(limit.name, client);
  }

  /**
   * Counts one hit of `client` against `limit`. Hits of one key that arrive while a statement for
   * that key is in flight are counted together by the next one (one round trip for all of them,
   * where a busy caller's hits would queue on the row's lock one by one); each still gets its own
   * number in the window, so exactly `max` are allowed whatever the number of instances.
   */
  async consume(limit: Limit, client: string): Promise<Hit> {
    const key = this.keyOf(limit, client);
    const { hits, retryAfter } = await new Promise<{ hits: number; retryAfter: number }>((resolve, reject) => {
      const batch = this.queued.get(key);
      if (batch) batch.waiting.push({ resolve, reject });
      else this.send(key, { windowMs: limit.windowMs, waiting: [{ resolve, reject }] });
    });
    return { allowed: hits <= limit.max, hits, retryAfter };
  }

  /**
   * Counts a batch's hits in one statement, then the batch that formed meanwhile, if any: when the
   * statement is done, or after BATCH_WAIT_MS if it is slow (a hung database must not make every
   * later hit wait for the one in flight; each batch counts atomically, so batches may overlap).
   */
  private send(key: string, batch: Batch): void {
    const next: Batch = { windowMs: batch.windowMs, waiting: [] };
    this.queued.set(key, next);
    let flushed = false;
    const flush = () => {
      if (flushed) return;
      flushed = true;
      clearTimeout(timer);
      if (next.waiting.length > 0) this.send(key, next);
      else if (this.queued.get(key) === next) this.queued.delete(key);
    };
    const timer = setTimeout(flush, BATCH_WAIT_MS);
    timer.unref();
    const n = batch.waiting.length;
    void this.db
      .statement<{ hits: number; retryAfter: number }>(CONSUME, [key, batch.windowMs, n])
      .then(
        ({ rows }) => {
          const row = rows[0]!;
          // The batch's hits are the last n of the window's count, in arrival order.
          batch.waiting.forEach((w, i) => w.resolve({ hits: row.hits - n + 1 + i, retryAfter: row.retryAfter }));
        },
        (err: unknown) => batch.waiting.forEach((w) => w.reject(err)),
      )
      .finally(flush);
  }

  /** Whether `client` is over `limit` now, without counting a hit. */
  async peek(limit: Limit, client: string): Promise<Hit> {
    const { rows } = await this.db.statement<{ hits: number; retryAfter: number }>(PEEK, [this.keyOf(limit, client)]);
    const row = rows[0];
    return row ? { allowed: row.hits < limit.max, hits: row.hits, retryAfter: row.retryAfter } : { allowed: true, hits: 0, retryAfter: 1 };
  }

  /** Counts a hit; over the limit → 429 RATE_LIMITED with Retry-After. */
  async enforce(limit: Limit, client: string, what = 'requests'): Promise<void> {
    const hit = await this.consume(limit, client);
    if (!hit.allowed) throw rateLimited(hit, what);
  }
}

export function rateLimited(hit: Hit, what = 'requests'): AppError {
  return new AppError('RATE_LIMITED', `Too many ${what}; retry in ${hit.retryAfter} s.`, { retryAfter: hit.retryAfter });
}

/** Deletes windows that ended (run hourly by the service). */
export async function purgeRateLimits(db: Database): Promise<number> {
  const { rowCount } = await db.statement('DELETE FROM comanda.rate_limits WHERE window_ends < clock_timestamp()');
  return rowCount ?? 0;
}
