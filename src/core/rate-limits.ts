// Rate limits shared by every instance: fixed windows counted in comanda.rate_limits (migration
// 0011) with one upsert per hit, so a limit of N per window is N whatever the number of
// instances behind the balancer. Keys are HMACs of the client under the server secret (the table
// holds no IP addresses, tokens or e-mail addresses).
import { createHmac } from 'node:crypto';
import type { Database } from './db/database.js';
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

const CONSUME = `
  INSERT INTO comanda.rate_limits AS r (key, hits, window_ends)
  VALUES ($1, 1, clock_timestamp() + make_interval(secs => $2::float8 / 1000))
  ON CONFLICT (key) DO UPDATE
     SET hits = CASE WHEN r.window_ends <= clock_timestamp() THEN 1 ELSE r.hits + 1 END,
         window_ends = CASE WHEN r.window_ends <= clock_timestamp() THEN EXCLUDED.window_ends ELSE r.window_ends END
  RETURNING hits, greatest(1, ceil(extract(epoch FROM r.window_ends - clock_timestamp())))::int AS "retryAfter"`;

const PEEK = `
  SELECT hits, greatest(1, ceil(extract(epoch FROM window_ends - clock_timestamp())))::int AS "retryAfter"
    FROM comanda.rate_limits WHERE key = $1 AND window_ends > clock_timestamp()`;

export class RateLimiter {
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

  /** Counts one hit of `client` against `limit`. */
  async consume(limit: Limit, client: string): Promise<Hit> {
    const { rows } = await this.db.statement<{ hits: number; retryAfter: number }>(CONSUME, [this.keyOf(limit, client), limit.windowMs]);
    const row = rows[0]!;
    return { allowed: row.hits <= limit.max, hits: row.hits, retryAfter: row.retryAfter };
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
