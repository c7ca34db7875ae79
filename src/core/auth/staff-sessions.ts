// Staff sessions: what a browser or a paired device holds (as a cookie) after signing in. The
// token is random (256 bits), stored only as its SHA-256 hash, with an absolute expiry and an idle
// timeout; revoking one (sign out, a revoked device, a disabled account) takes effect at the next
// request on every instance, because every request looks its session up: one statement on the
// token_hash unique index joined to its account or device by primary key. No cache in front of
// it, so there is nothing to invalidate.
//
// CSRF: the synchronizer token of a session is HMAC-SHA256(session token, fixed label): tied to
// the session, never stored, and only computable by someone holding the cookie's value.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Database, Queryable } from '../db/database.js';
import { AppError } from '../errors.js';
import { needsRehash, verifyPassword, hashPassword } from './passwords.js';
import type { SignInThrottle } from './sign-in-throttle.js';
import { normalizeLogin } from './staff-accounts.js';
import { redeemPairingCode } from './staff-devices.js';
import type { StaffPrincipal, StaffRole } from './staff-tokens.js';
import { hashToken, newId, newRestaurantToken, restaurantOfToken } from './tokens.js';

export interface SessionLifetimes {
  /** A person's session: idle timeout and absolute lifetime. */
  account: { idleMinutes: number; maxHours: number };
  /** A paired device's session. */
  device: { idleDays: number; maxDays: number };
}

export const defaultSessionLifetimes: SessionLifetimes = {
  account: { idleMinutes: 480, maxHours: 168 },
  device: { idleDays: 30, maxDays: 365 },
};

export interface StaffSessionInfo {
  sessionId: string;
  kind: 'account' | 'device';
  restaurantId: string;
  role: StaffRole;
  accountId: string | null;
  deviceId: string | null;
  /** The account's name or the device's label. */
  name: string | null;
  login: string | null;
  expiresAt: Date;
  idleExpiresAt: Date;
}

export interface NewSession {
  token: string;
  info: StaffSessionInfo;
}

type Owner = { restaurantId: string } & ({ accountId: string } | { deviceId: string });

async function createSession(db: Queryable, owner: Owner, lifetimes: SessionLifetimes): Promise<NewSession> {
  const token = newRestaurantToken('staffsession', owner.restaurantId);
  const isAccount = 'accountId' in owner;
  const idleSeconds = isAccount ? lifetimes.account.idleMinutes * 60 : lifetimes.device.idleDays * 86_400;
  const maxSeconds = isAccount ? lifetimes.account.maxHours * 3_600 : lifetimes.device.maxDays * 86_400;
  await db.query(
    `INSERT INTO restaurante.staff_sessions (id, "restaurantId", "accountId", "deviceId", token_hash, idle_timeout, "expiresAt")
     VALUES ($1, $2, $3, $4, $5, make_interval(secs => $6), now() + make_interval(secs => $7))`,
    [newId('ses'), owner.restaurantId, isAccount ? owner.accountId : null, isAccount ? null : owner.deviceId, hashToken(token), idleSeconds, maxSeconds],
  );
  const info = await sessionOf(db, token);
  if (!info) throw new AppError('INTERNAL_ERROR', 'A new session could not be read back.');
  return { token, info };
}

const LOOKUP = `
  WITH s AS (
    SELECT s.id, s."restaurantId", s."accountId", s."deviceId", s."expiresAt", coalesce(a.role, d.role) AS role,
           coalesce(a.name, d.label) AS name, a.login,
           s."lastSeenAt" < now() - interval '1 minute' AS stale,
           least(s."expiresAt", CASE WHEN s."lastSeenAt" < now() - interval '1 minute' THEN now() ELSE s."lastSeenAt" END + s.idle_timeout) AS "idleExpiresAt"
      FROM restaurante.staff_sessions s
      LEFT JOIN restaurante.staff_accounts a ON a."restaurantId" = s."restaurantId" AND a.id = s."accountId"
      LEFT JOIN restaurante.staff_devices d ON d."restaurantId" = s."restaurantId" AND d.id = s."deviceId"
     WHERE s."restaurantId" = $2 AND s.token_hash = $1 AND s."revokedAt" IS NULL AND s."expiresAt" > now() AND s."lastSeenAt" + s.idle_timeout > now()
       AND (s."accountId" IS NULL OR (a.id IS NOT NULL AND a."disabledAt" IS NULL))
       AND (s."deviceId" IS NULL OR (d.id IS NOT NULL AND d."revokedAt" IS NULL AND d."pairedAt" IS NOT NULL))
  ), touched AS (
    -- "lastSeenAt" moves at most once a minute, so that reads stay (nearly) reads.
    UPDATE restaurante.staff_sessions t SET "lastSeenAt" = now() FROM s
     WHERE t."restaurantId" = s."restaurantId" AND t.id = s.id AND s.stale RETURNING t.id
  )
  SELECT id AS "sessionId", CASE WHEN "accountId" IS NOT NULL THEN 'account' ELSE 'device' END AS kind,
         "restaurantId", role, "accountId", "deviceId", name, login, "expiresAt", "idleExpiresAt"
    FROM s`;

/** The live session of a cookie's token, or undefined (unknown, expired, idle, revoked, disabled). */
export async function sessionOf(db: Queryable, token: string): Promise<StaffSessionInfo | undefined> {
  const restaurantId = restaurantOfToken(token, 'staffsession');
  if (!restaurantId) return undefined;
  const { rows } = await db.query<StaffSessionInfo>(LOOKUP, [hashToken(token), restaurantId]);
  return rows[0];
}

/** The principal a session acts as: the same kind the bearer-token guards check. */
export function principalOfSession(info: StaffSessionInfo): StaffPrincipal {
  return {
    kind: 'staff',
    tokenId: info.accountId ?? info.deviceId!,
    restaurantId: info.restaurantId,
    role: info.role,
    via: info.kind,
    sessionId: info.sessionId,
  };
}

/** The CSRF token of a session (sent back by pages in X-CSRF-Token). */
export function csrfTokenOf(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('comanda:csrf:v1').digest('base64url');
}

export function csrfTokenMatches(sessionToken: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const expected = Buffer.from(csrfTokenOf(sessionToken));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function revokeSession(db: Queryable, sessionId: string): Promise<void> {
  await db.query('UPDATE restaurante.staff_sessions SET "revokedAt" = coalesce("revokedAt", now()) WHERE id = $1', [sessionId]);
}

const invalidCredentials = () => new AppError('INVALID_CREDENTIALS', 'The sign-in name or the password is wrong.');

/**
 * Signs a person in with their name and password. Unknown names, wrong passwords, accounts with
 * no password and disabled accounts all get INVALID_CREDENTIALS after the same scrypt work.
 */
export async function signInWithPassword(
  db: Database,
  throttle: SignInThrottle,
  lifetimes: SessionLifetimes,
  input: { login: string; password: string; ip: string },
): Promise<NewSession> {
  const login = normalizeLogin(input.login);
  await throttle.attemptFrom(input.ip);
  await throttle.attemptFor(login);
  // A name is unique within its restaurant; the rare name used in two restaurants is tried in each.
  const { rows } = await db.query<{ restaurantId: string; id: string; passwordHash: string | null; disabled: boolean }>(
    `SELECT "restaurantId", id, password_hash AS "passwordHash", "disabledAt" IS NOT NULL AS disabled
       FROM restaurante.staff_accounts WHERE login = $1 ORDER BY "restaurantId", id LIMIT 10`,
    [login],
  );
  let account: (typeof rows)[number] | undefined;
  for (const candidate of rows.length > 0 ? rows : [undefined]) {
    if ((await verifyPassword(input.password, candidate?.passwordHash)) && !candidate?.disabled) {
      account = candidate;
      break;
    }
  }
  if (!account) {
    await throttle.failed(login);
    throw invalidCredentials();
  }
  await throttle.clear(login);
  // Parameters raised since the hash was made: store a hash with today's.
  const rehash = account.passwordHash && needsRehash(account.passwordHash) ? await hashPassword(input.password) : null;
  await db.query(
    `UPDATE restaurante.staff_accounts SET "lastSignInAt" = now(), password_hash = coalesce($3, password_hash) WHERE "restaurantId" = $1 AND id = $2`,
    [account.restaurantId, account.id, rehash],
  );
  return createSession(db, { restaurantId: account.restaurantId, accountId: account.id }, lifetimes);
}

/** Signs a person in with a one-time sign-in token (used once, within its hour). */
export async function signInWithToken(db: Database, throttle: SignInThrottle, lifetimes: SessionLifetimes, input: { token: string; ip: string }): Promise<NewSession> {
  await throttle.attemptFrom(input.ip);
  const invalid = () => new AppError('TOKEN_INVALID', 'This sign-in link is wrong, was used already or has expired; ask an admin for a new one.');
  const restaurantId = restaurantOfToken(input.token, 'signin');
  if (!restaurantId) throw invalid();
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ restaurantId: string; accountId: string }>(
      `UPDATE restaurante.staff_sign_in_tokens t SET "usedAt" = now()
         FROM restaurante.staff_accounts a
        WHERE t."restaurantId" = $2 AND t.token_hash = $1 AND t."usedAt" IS NULL AND t."expiresAt" > now()
          AND a."restaurantId" = t."restaurantId" AND a.id = t."accountId" AND a."disabledAt" IS NULL
        RETURNING t."restaurantId", t."accountId"`,
      [hashToken(input.token), restaurantId],
    );
    const link = rows[0];
    if (!link) throw invalid();
    await tx.query('UPDATE restaurante.staff_accounts SET "lastSignInAt" = now() WHERE "restaurantId" = $1 AND id = $2', [link.restaurantId, link.accountId]);
    return createSession(tx, link, lifetimes);
  });
}

/** Pairs a device: redeems its code (once) and opens its session. */
export async function signInWithPairingCode(db: Database, throttle: SignInThrottle, lifetimes: SessionLifetimes, input: { code: string; ip: string }): Promise<NewSession> {
  await throttle.attemptFrom(input.ip);
  return db.transaction(async (tx) => {
    const device = await redeemPairingCode(tx, input.code);
    return createSession(tx, { restaurantId: device.restaurantId, deviceId: device.deviceId }, lifetimes);
  });
}

/** Deletes sessions and sign-in links that ended more than a day ago (run hourly by the service). */
export async function purgeStaffSessions(db: Database): Promise<number> {
  const sessions = await db.query(
    `DELETE FROM restaurante.staff_sessions
      WHERE "expiresAt" < now() - interval '1 day' OR "revokedAt" < now() - interval '1 day'
         OR "lastSeenAt" + idle_timeout < now() - interval '1 day'`,
  );
  const links = await db.query(`DELETE FROM restaurante.staff_sign_in_tokens WHERE "expiresAt" < now() - interval '1 day'`);
  return (sessions.rowCount ?? 0) + (links.rowCount ?? 0);
}
