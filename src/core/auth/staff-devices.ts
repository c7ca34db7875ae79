// Devices (a kitchen tablet, the bar's screen): an admin issues a pairing code for a role; the
// device enters it once and gets a long-lived session for that role. The code is short enough to
// type (8 characters, 40 bits), valid 10 minutes, stored only as a hash and cleared when used;
// guessing it online is bounded by the per-address sign-in limit.
import { randomBytes } from 'node:crypto';
import type { Database, Queryable } from '../db/database.js';
import { AppError } from '../errors.js';
import type { StaffRole } from './staff-tokens.js';
import { hashToken, newId } from './tokens.js';

export const PAIRING_CODE_TTL_MINUTES = 10;
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // 32 characters: no I, O, 0 or 1

export type DeviceState = 'pending' | 'expired' | 'paired' | 'revoked';

export interface StaffDevice {
  id: string;
  restaurantId: string;
  role: StaffRole;
  label: string | null;
  state: DeviceState;
  createdAt: Date;
  createdBy: string | null;
  pairingExpiresAt: Date;
  pairedAt: Date | null;
  lastSeenAt: Date | null;
  revokedAt: Date | null;
}

const COLUMNS = `d.id, d."restaurantId", d.role, d.label, d."createdAt", d."createdBy", d."pairingExpiresAt", d."pairedAt", d."revokedAt",
  CASE WHEN d."revokedAt" IS NOT NULL THEN 'revoked' WHEN d."pairedAt" IS NOT NULL THEN 'paired'
       WHEN d."pairingExpiresAt" > now() THEN 'pending' ELSE 'expired' END AS state,
  (SELECT max(s."lastSeenAt") FROM restaurante.staff_sessions s WHERE s."restaurantId" = d."restaurantId" AND s."deviceId" = d.id) AS "lastSeenAt"`;

/** A new pairing code, like `K7QM-3XRT`. */
function newPairingCode(): string {
  const bytes = randomBytes(8);
  const chars = [...bytes].map((b) => CODE_ALPHABET[b % 32]!);
  return `${chars.slice(0, 4).join('')}-${chars.slice(4).join('')}`;
}

/** Codes are typed by people: case, spaces and dashes do not matter. */
export function normalizePairingCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

const hashCode = (code: string) => hashToken(`pairing:${normalizePairingCode(code)}`);

export async function issuePairingCode(
  db: Queryable,
  input: { restaurantId: string; role: StaffRole; label?: string; createdBy?: string },
): Promise<{ code: string; device: StaffDevice }> {
  const code = newPairingCode();
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO restaurante.staff_devices (id, "restaurantId", role, label, pairing_code_hash, "pairingExpiresAt", "createdBy")
     SELECT $1, r.id, $3, $4, $5, now() + make_interval(mins => $6), $7 FROM restaurante.restaurants r WHERE r.id = $2
     RETURNING id`,
    [newId('dev'), input.restaurantId, input.role, input.label ?? null, hashCode(code), PAIRING_CODE_TTL_MINUTES, input.createdBy ?? null],
  );
  if (!rows[0]) throw new AppError('NOT_FOUND', `No restaurant with id ${input.restaurantId}.`);
  return { code, device: await getDevice(db, rows[0].id) };
}

export async function listDevices(db: Queryable, restaurantId?: string): Promise<StaffDevice[]> {
  const { rows } = await db.query<StaffDevice>(
    `SELECT ${COLUMNS} FROM restaurante.staff_devices d
      WHERE $1::text IS NULL OR d."restaurantId" = $1 ORDER BY d."createdAt", d.id`,
    [restaurantId ?? null],
  );
  return rows;
}

export async function getDevice(db: Queryable, id: string, restaurantId?: string): Promise<StaffDevice> {
  const { rows } = await db.query<StaffDevice>(
    `SELECT ${COLUMNS} FROM restaurante.staff_devices d WHERE d.id = $1 AND ($2::text IS NULL OR d."restaurantId" = $2)`,
    [id, restaurantId ?? null],
  );
  if (!rows[0]) throw new AppError('NOT_FOUND', `No device with id ${id}.`);
  return rows[0];
}

/** Revokes a device (and its pending code) and its sessions: signed out at its next request. */
export async function revokeDevice(db: Database, id: string, restaurantId?: string): Promise<StaffDevice> {
  return db.transaction(async (tx) => {
    const { rowCount } = await tx.query(
      `UPDATE restaurante.staff_devices SET "revokedAt" = coalesce("revokedAt", now()), pairing_code_hash = NULL
        WHERE id = $1 AND ($2::text IS NULL OR "restaurantId" = $2)`,
      [id, restaurantId ?? null],
    );
    if (!rowCount) throw new AppError('NOT_FOUND', `No device with id ${id}.`);
    await tx.query(`UPDATE restaurante.staff_sessions SET "revokedAt" = now() WHERE "deviceId" = $1 AND "revokedAt" IS NULL`, [id]);
    return getDevice(tx, id);
  });
}

/**
 * Redeems a pairing code: once (the row is claimed by one UPDATE, which clears the code), within
 * its 10 minutes. Unknown, used, expired and revoked codes get the same answer.
 */
export async function redeemPairingCode(db: Queryable, code: string): Promise<{ deviceId: string; restaurantId: string; role: StaffRole }> {
  const { rows } = await db.query<{ id: string; restaurantId: string; role: StaffRole }>(
    // The code is looked up across restaurants (unique within one; 40 random bits make a clash
    // between two live codes of different restaurants negligible, and one of them would win).
    // Two devices entering it at once: the second UPDATE re-checks "pairedAt" after the first
    // commits and claims nothing.
    `UPDATE restaurante.staff_devices d SET "pairedAt" = now(), pairing_code_hash = NULL
       FROM (SELECT "restaurantId", id FROM restaurante.staff_devices
              WHERE pairing_code_hash = $1 AND "pairedAt" IS NULL AND "revokedAt" IS NULL AND "pairingExpiresAt" > now()
              LIMIT 1) c
      WHERE d."restaurantId" = c."restaurantId" AND d.id = c.id AND d.pairing_code_hash = $1 AND d."pairedAt" IS NULL
      RETURNING d.id, d."restaurantId", d.role`,
    [hashCode(code)],
  );
  const row = rows[0];
  if (!row) throw new AppError('PAIRING_CODE_INVALID', 'This pairing code is wrong, was used already or has expired; ask an admin for a new one.');
  return { deviceId: row.id, restaurantId: row.restaurantId, role: row.role };
}
