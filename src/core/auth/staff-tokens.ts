// Staff tokens: bearer tokens with a role (admin, kitchen, waiter) for one restaurant.
import { AppError } from '../errors.js';
import { prepared, type Database, type Queryable } from '../db/database.js';
import { hashToken, newId, newToken } from './tokens.js';

export const staffRoles = ['admin', 'kitchen', 'waiter'] as const;
export type StaffRole = (typeof staffRoles)[number];

export interface StaffTokenInfo {
  id: string;
  restaurantId: string;
  role: StaffRole;
  label: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export interface StaffPrincipal {
  kind: 'staff';
  /** Who acts: the staff token's id, or the signed-in account's or paired device's id. */
  tokenId: string;
  restaurantId: string;
  role: StaffRole;
  /** How the caller authenticated: a bearer token (the default), or a session cookie of an account or a device. */
  via?: 'token' | 'account' | 'device';
  /** The session behind a cookie. */
  sessionId?: string;
}

const COLUMNS = `id, "restaurantId", role, label, "createdAt", "lastUsedAt", "expiresAt", "revokedAt"`;

export function isStaffRole(value: string): value is StaffRole {
  return (staffRoles as readonly string[]).includes(value);
}

export async function createStaffToken(
  db: Database,
  input: { restaurantId: string; role: StaffRole; label?: string; expiresAt?: Date },
): Promise<{ token: string; info: StaffTokenInfo }> {
  const token = newToken('staff');
  const { rows } = await db.query<StaffTokenInfo>(
    `INSERT INTO restaurante.staff_tokens (id, "restaurantId", role, label, token_hash, "expiresAt")
     SELECT $1, r.id, $3, $4, $5, $6 FROM restaurante.restaurants r WHERE r.id = $2
     RETURNING ${COLUMNS}`,
    [newId('stf'), input.restaurantId, input.role, input.label ?? null, hashToken(token), input.expiresAt ?? null],
  );
  const info = rows[0];
  if (!info) throw new AppError('NOT_FOUND', `No restaurant with id ${input.restaurantId}.`);
  return { token, info };
}

export async function listStaffTokens(db: Database, restaurantId?: string): Promise<StaffTokenInfo[]> {
  const { rows } = await db.query<StaffTokenInfo>(
    `SELECT ${COLUMNS} FROM restaurante.staff_tokens
      WHERE $1::text IS NULL OR "restaurantId" = $1 ORDER BY "createdAt", id`,
    [restaurantId ?? null],
  );
  return rows;
}

/** Revokes a token; revoking an already revoked token is a no-op that still reports it. */
export async function revokeStaffToken(db: Database, id: string): Promise<StaffTokenInfo> {
  const { rows } = await db.query<StaffTokenInfo>(
    `UPDATE restaurante.staff_tokens SET "revokedAt" = coalesce("revokedAt", now())
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [id],
  );
  const info = rows[0];
  if (!info) throw new AppError('NOT_FOUND', `No staff token with id ${id}.`);
  return info;
}

/**
 * The principal for a presented token, or undefined when it is unknown, revoked or expired.
 * Records when the token was last used, at most once a minute, so that reads stay reads.
 */
export async function authenticateStaff(db: Queryable, token: string): Promise<StaffPrincipal | undefined> {
  if (!token.startsWith('cmd_staff_')) return undefined;
  // restaurante.caller_of (migration 0062) also touches lastUsedAt, at most once a minute.
  const { rows } = await db.query<{ tokenId: string; restaurantId: string; role: StaffRole }>(
    prepared(`SELECT "tokenId", "restaurantId", role FROM restaurante.caller_of($1) WHERE kind = 'staff'`),
    [hashToken(token)],
  );
  const row = rows[0];
  return row ? { kind: 'staff', ...row } : undefined;
}
