// Sign-in rate limits and lockouts, shared by every instance (comanda.staff_sign_in_throttle,
// migration 0020): per client address, every sign-in attempt (password, link, pairing code)
// within a one-minute window; per sign-in name, attempts within the window, consecutive failures,
// and a lockout once they reach the limit. A name is counted whether or not an account has it, so
// neither the limits nor the lockout tell an attacker which names exist. Keys are HMACs under the
// server secret: the table holds no address and no name.
//
// Kept self-contained (its own table, one upsert per check) so it can move onto a shared
// rate-limit store later without changing the sign-in code.
import { createHmac } from 'node:crypto';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';

export interface SignInLimits {
  /** Sign-in attempts (of any kind) per client address per minute. */
  perIpPerMinute: number;
  /** Password attempts per sign-in name per minute. */
  perLoginPerMinute: number;
  /** Consecutive failed passwords of one name that lock it. */
  lockoutAfter: number;
  /** How long a lockout lasts. */
  lockoutSeconds: number;
}

export const defaultSignInLimits: SignInLimits = { perIpPerMinute: 20, perLoginPerMinute: 5, lockoutAfter: 10, lockoutSeconds: 900 };

/** Consecutive failures further apart than this start again from zero. */
const FAILURE_MEMORY = '1 hour';

const HIT = `
  INSERT INTO comanda.staff_sign_in_throttle AS t (key, attempts, window_ends)
  VALUES ($1, 1, clock_timestamp() + interval '1 minute')
  ON CONFLICT (key) DO UPDATE SET
    attempts = CASE WHEN t.window_ends <= clock_timestamp() THEN 1 ELSE t.attempts + 1 END,
    window_ends = CASE WHEN t.window_ends <= clock_timestamp() THEN EXCLUDED.window_ends ELSE t.window_ends END,
    -- A lockout that ended, or failures long ago, are forgotten.
    failures = CASE WHEN (t.locked_until IS NOT NULL AND t.locked_until <= clock_timestamp())
                      OR t.updated_at < clock_timestamp() - interval '${FAILURE_MEMORY}' THEN 0 ELSE t.failures END,
    locked_until = CASE WHEN t.locked_until <= clock_timestamp() THEN NULL ELSE t.locked_until END,
    updated_at = clock_timestamp()
  RETURNING attempts,
            greatest(1, ceil(extract(epoch FROM window_ends - clock_timestamp())))::int AS "windowLeft",
            ceil(extract(epoch FROM locked_until - clock_timestamp()))::int AS "lockedFor"`;

export class SignInThrottle {
  constructor(
    private readonly db: Database,
    private readonly secret: string,
    readonly limits: SignInLimits = defaultSignInLimits,
  ) {}

  /** The stored key of a client address or a sign-in name. */
  keyOf(kind: 'ip' | 'login', value: string): string {
    return `${kind}:${createHmac('sha256', this.secret).update(`comanda:sign-in-throttle:v1:${kind}:${value}`).digest('base64url')}`;
  }

  /** Counts an attempt from `ip`; over the limit → 429 RATE_LIMITED. */
  async attemptFrom(ip: string): Promise<void> {
    const { rows } = await this.db.query<{ attempts: number; windowLeft: number }>(HIT, [this.keyOf('ip', ip)]);
    const row = rows[0]!;
    if (row.attempts > this.limits.perIpPerMinute) {
      throw new AppError('RATE_LIMITED', `Too many sign-in attempts from this address; retry in ${row.windowLeft} s.`, { retryAfter: row.windowLeft });
    }
  }

  /** Counts a password attempt for `login`; locked → 429 SIGN_IN_LOCKED, too fast → 429 RATE_LIMITED. */
  async attemptFor(login: string): Promise<void> {
    const { rows } = await this.db.query<{ attempts: number; windowLeft: number; lockedFor: number | null }>(HIT, [this.keyOf('login', login)]);
    const row = rows[0]!;
    if (row.lockedFor !== null && row.lockedFor > 0) {
      throw new AppError('SIGN_IN_LOCKED', `Too many failed sign-ins for this name; retry in ${row.lockedFor} s or ask an admin.`, {
        retryAfter: row.lockedFor,
      });
    }
    if (row.attempts > this.limits.perLoginPerMinute) {
      throw new AppError('RATE_LIMITED', `Too many sign-in attempts for this name; retry in ${row.windowLeft} s.`, { retryAfter: row.windowLeft });
    }
  }

  /** Records a failed password for `login`, locking it at the limit. */
  async failed(login: string): Promise<void> {
    await this.db.query(
      `UPDATE comanda.staff_sign_in_throttle
          SET failures = failures + 1,
              locked_until = CASE WHEN failures + 1 >= $2 THEN clock_timestamp() + make_interval(secs => $3) ELSE locked_until END,
              updated_at = clock_timestamp()
        WHERE key = $1`,
      [this.keyOf('login', login), this.limits.lockoutAfter, this.limits.lockoutSeconds],
    );
  }

  /** A successful sign-in (or an admin's reset) clears the name's failures and lockout. */
  async clear(login: string): Promise<void> {
    await this.db.query('UPDATE comanda.staff_sign_in_throttle SET failures = 0, locked_until = NULL WHERE key = $1', [this.keyOf('login', login)]);
  }
}

/** Deletes counters with nothing left to remember (run hourly by the service). */
export async function purgeSignInThrottle(db: Database): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM comanda.staff_sign_in_throttle
      WHERE window_ends < clock_timestamp() AND (locked_until IS NULL OR locked_until < clock_timestamp())
        AND updated_at < clock_timestamp() - interval '${FAILURE_MEMORY}'`,
  );
  return rowCount ?? 0;
}
