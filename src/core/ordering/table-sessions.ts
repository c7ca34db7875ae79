// QR codes and table sessions.
//
// A table's QR code is `<tableId>.<mac>`, the MAC an HMAC of the table and its "qrVersion" under
// the server secret: it can be printed again at any time, it is never stored, a copy of the
// database alone cannot forge one, and bumping the version (rotation) invalidates the old code.
// Scanning it opens the table's session, or joins the open one; each scan gets its own random
// session token, stored only as a hash.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { GuestPrincipal } from '../auth/principal.js';
import { hashToken, newToken } from '../auth/tokens.js';
import type { Database, Queryable } from '../db/database.js';
import { AppError } from '../errors.js';

const MAC_LENGTH = 22; // base64url characters: 132 bits

function macOf(secret: string, restaurantId: string, tableId: string, qrVersion: number): string {
  return createHmac('sha256', secret)
    .update(`comanda:qr:v1:${restaurantId}:${tableId}:${qrVersion}`)
    .digest('base64url')
    .slice(0, MAC_LENGTH);
}

export interface TableRef {
  id: string;
  restaurantId: string;
  qrVersion: number;
}

export const qrCodeOf = (secret: string, table: TableRef): string =>
  `${table.id}.${macOf(secret, table.restaurantId, table.id, table.qrVersion)}`;

/** The URL printed in a table's QR code. */
export const qrUrlOf = (publicUrl: string, secret: string, table: TableRef): string =>
  `${publicUrl.replace(/\/$/, '')}/t/${encodeURIComponent(qrCodeOf(secret, table))}`;

export interface ScanResult {
  sessionToken: string;
  sessionId: string;
  expiresAt: Date;
  tableId: string;
  restaurantId: string;
  joined: boolean;
}

export interface ScanContext {
  clientIp: string | null;
  userAgent: string | null;
  sessionTtlMinutes: number;
}

/** Opens the table's session or joins the open one; logs the scan. Bad codes → INVALID_QR_CODE. */
export async function scanQrCode(db: Database, secret: string, code: string, context: ScanContext): Promise<ScanResult> {
  const dot = code.lastIndexOf('.');
  const tableId = dot > 0 ? code.slice(0, dot) : '';
  const mac = code.slice(dot + 1);
  if (!tableId || mac.length !== MAC_LENGTH) throw new AppError('INVALID_QR_CODE');
  return db.transaction(
    async (tx) => {
      // Locking the table row serialises simultaneous first scans of one table: one opens the
      // session, the others join it.
      const { rows } = await tx.query<TableRef & { isActive: boolean }>(
        `SELECT id, "restaurantId", "qrVersion", "isActive" FROM restaurante.tables WHERE id = $1 FOR UPDATE`,
        [tableId],
      );
      const table = rows[0];
      const expected = table ? Buffer.from(macOf(secret, table.restaurantId, table.id, table.qrVersion)) : undefined;
      const given = Buffer.from(mac); // may be longer than 22 bytes if it holds non-ASCII characters
      if (!table || !table.isActive || !expected || expected.length !== given.length || !timingSafeEqual(expected, given)) {
        throw new AppError('INVALID_QR_CODE');
      }
      // An expired session is closed, so the next party starts fresh.
      await tx.query(
        `UPDATE restaurante.table_sessions SET "closedAt" = now(), "closedBy" = 'expired'
          WHERE "tableId" = $1 AND "closedAt" IS NULL AND "expiresAt" <= now()`,
        [table.id],
      );
      let session = (
        await tx.query<{ id: string; expiresAt: Date }>(
          `SELECT id, "expiresAt" FROM restaurante.table_sessions WHERE "tableId" = $1 AND "closedAt" IS NULL`,
          [table.id],
        )
      ).rows[0];
      const joined = session !== undefined;
      session ??= (
        await tx.query<{ id: string; expiresAt: Date }>(
          `INSERT INTO restaurante.table_sessions ("restaurantId", "tableId", "expiresAt")
           VALUES ($1, $2, now() + make_interval(mins => $3)) RETURNING id, "expiresAt"`,
          [table.restaurantId, table.id, context.sessionTtlMinutes],
        )
      ).rows[0]!;
      const token = newToken('guest');
      await tx.query(
        `INSERT INTO restaurante.table_session_tokens ("restaurantId", "sessionId", token_hash) VALUES ($1, $2, $3)`,
        [table.restaurantId, session.id, hashToken(token)],
      );
      await tx.query(
        `INSERT INTO restaurante.qr_scans ("restaurantId", table_id, session_id, client_ip, user_agent)
         VALUES ($1, $2, $3, $4::inet, $5)`,
        [table.restaurantId, table.id, session.id, context.clientIp, context.userAgent?.slice(0, 500) ?? null],
      );
      return {
        sessionToken: token,
        sessionId: session.id,
        expiresAt: session.expiresAt,
        tableId: table.id,
        restaurantId: table.restaurantId,
        joined,
      };
    },
    { settings: { 'comanda.actor': 'guest:scan' } },
  );
}

/** The guest behind a session token, while its session is open and unexpired. */
export async function authenticateGuest(db: Queryable, token: string): Promise<GuestPrincipal | undefined> {
  if (!token.startsWith('cmd_guest_')) return undefined;
  const { rows } = await db.query<{ sessionId: string; tableId: string; restaurantId: string }>(
    `SELECT s.id AS "sessionId", s."tableId", s."restaurantId"
       FROM restaurante.table_session_tokens t
       JOIN restaurante.table_sessions s ON s.id = t."sessionId"
      WHERE t.token_hash = $1 AND s."closedAt" IS NULL AND s."expiresAt" > now()`,
    [hashToken(token)],
  );
  const row = rows[0];
  return row ? { kind: 'guest', ...row } : undefined;
}

/** Ends the table's open session (its tokens stop working); returns the session closed, if any. */
export async function closeTableSession(
  db: Database,
  restaurantId: string,
  tableId: string,
  actor: string,
): Promise<{ tableId: string; closedSessionId: string | null }> {
  return db.transaction(async (tx) => {
    const table = await tx.query('SELECT 1 FROM restaurante.tables WHERE id = $1 AND "restaurantId" = $2', [tableId, restaurantId]);
    if (table.rowCount === 0) throw new AppError('NOT_FOUND', `No table ${tableId} in this restaurant.`);
    const { rows } = await tx.query<{ id: string }>(
      `UPDATE restaurante.table_sessions SET "closedAt" = now(), "closedBy" = $3
        WHERE "tableId" = $1 AND "restaurantId" = $2 AND "closedAt" IS NULL RETURNING id`,
      [tableId, restaurantId, actor],
    );
    return { tableId, closedSessionId: rows[0]?.id ?? null };
  });
}

/** The table (for printing its QR code), or NOT_FOUND. */
export async function tableOf(db: Database, restaurantId: string, tableId: string): Promise<TableRef & { number: number }> {
  const { rows } = await db.query<TableRef & { number: number }>(
    `SELECT id, "restaurantId", "qrVersion", number FROM restaurante.tables WHERE id = $1 AND "restaurantId" = $2`,
    [tableId, restaurantId],
  );
  if (!rows[0]) throw new AppError('NOT_FOUND', `No table ${tableId} in this restaurant.`);
  return rows[0];
}

/** Invalidates the table's printed QR code (and its open session): a new code must be printed. */
export async function rotateQrCode(db: Database, restaurantId: string, tableId: string, actor: string): Promise<TableRef & { number: number }> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<TableRef & { number: number }>(
      `UPDATE restaurante.tables SET "qrVersion" = "qrVersion" + 1 WHERE id = $1 AND "restaurantId" = $2
       RETURNING id, "restaurantId", "qrVersion", number`,
      [tableId, restaurantId],
    );
    if (!rows[0]) throw new AppError('NOT_FOUND', `No table ${tableId} in this restaurant.`);
    await tx.query(
      `UPDATE restaurante.table_sessions SET "closedAt" = now(), "closedBy" = $2 WHERE "tableId" = $1 AND "closedAt" IS NULL`,
      [tableId, actor],
    );
    return rows[0];
  });
}
