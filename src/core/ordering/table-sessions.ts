// QR codes and table sessions.
//
// A table's QR code is `<tableId>.<mac>`, the MAC an HMAC of the table and its "qrVersion" under
// the server secret: it can be printed again at any time, it is never stored, a copy of the
// database alone cannot forge one, and bumping the version (rotation) invalidates the old code.
// Scanning it opens the table's session, or asks to join the open one; each scan gets its own
// random session token, stored only as a hash, and a phone number within the session.
//
// Joining: a photo of the printed code must not be a key to the table. The phone that opens the
// session is admitted at once; a phone that scans while the session is open is *pending* until a
// phone already admitted at the table, or the staff, lets it in (approvePhone) or turns it away
// (denyPhone). A pending token can only read its own state (guestSessionOf); it cannot order.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { GuestPrincipal } from '../auth/principal.js';
import { hashToken, newToken } from '../auth/tokens.js';
import { prepared, type Database, type Queryable } from '../db/database.js';
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
  /** The phone's number within the session (1 opened it). */
  phone: number;
  /** true when a phone at the table (or staff) must let this one in before it can order. */
  pending: boolean;
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
      // The table row is locked, so phone numbers of one session are handed out one at a time.
      const { rows: phoneRows } = await tx.query<{ phone: number }>(
        `INSERT INTO restaurante.table_session_tokens ("restaurantId", "sessionId", token_hash, phone, "approvedAt", "approvedBy")
         SELECT $1, $2, $3, coalesce(max(phone), 0) + 1,
                CASE WHEN $4 THEN NULL ELSE now() END, CASE WHEN $4 THEN NULL ELSE 'first phone' END
           FROM restaurante.table_session_tokens WHERE "sessionId" = $2
         RETURNING phone`,
        [table.restaurantId, session.id, hashToken(token), joined],
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
        phone: phoneRows[0]!.phone,
        pending: joined,
      };
    },
    { settings: { 'comanda.actor': 'guest:scan' } },
  );
}

/** The guest behind a session token, while its session is open and unexpired and the phone was let in. */
export async function authenticateGuest(db: Queryable, token: string): Promise<GuestPrincipal | undefined> {
  if (!token.startsWith('cmd_guest_')) return undefined;
  const { rows } = await db.query<{ sessionId: string; tableId: string; restaurantId: string; tokenId: string; phone: number }>(
    prepared(`SELECT "sessionId", "tableId", "restaurantId", "tokenId", phone FROM restaurante.caller_of($1) WHERE kind = 'guest'`),
    [hashToken(token)],
  );
  const row = rows[0];
  return row ? { kind: 'guest', ...row } : undefined;
}

export type PhoneState = 'admitted' | 'pending' | 'denied';

/** A session token as its own holder may see it: also pending and denied phones, and closed sessions. */
export interface GuestSessionRef {
  tokenId: string;
  phone: number;
  state: PhoneState;
  sessionId: string;
  tableId: string;
  restaurantId: string;
  open: boolean;
}

const phoneState = (approvedAt: Date | null, deniedAt: Date | null): PhoneState =>
  approvedAt ? 'admitted' : deniedAt ? 'denied' : 'pending';

/** The session behind a guest token whatever its state, or undefined for an unknown token. */
export async function guestSessionOf(db: Queryable, token: string): Promise<GuestSessionRef | undefined> {
  if (!token.startsWith('cmd_guest_')) return undefined;
  const { rows } = await db.query<{
    tokenId: string; phone: number; approvedAt: Date | null; deniedAt: Date | null;
    sessionId: string; tableId: string; restaurantId: string; open: boolean;
  }>(
    `SELECT t.id AS "tokenId", t.phone, t."approvedAt", t."deniedAt", s.id AS "sessionId", s."tableId", s."restaurantId",
            (s."closedAt" IS NULL AND s."expiresAt" > now()) AS open
       FROM restaurante.table_session_tokens t
       JOIN restaurante.table_sessions s ON s.id = t."sessionId"
      WHERE t.token_hash = $1`,
    [hashToken(token)],
  );
  const row = rows[0];
  if (!row) return undefined;
  const { approvedAt, deniedAt, ...rest } = row;
  return { ...rest, state: phoneState(approvedAt, deniedAt) };
}

export interface SessionPhone {
  id: string;
  phone: number;
  state: PhoneState;
  joinedAt: string;
  decidedBy: string | null;
}

/** The phones that scanned into a session, in the order they came. */
export async function phonesOf(db: Queryable, sessionId: string): Promise<SessionPhone[]> {
  const { rows } = await db.query<{ id: string; phone: number; approvedAt: Date | null; deniedAt: Date | null; createdAt: Date; decidedBy: string | null }>(
    `SELECT id, phone, "approvedAt", "deniedAt", "createdAt", coalesce("approvedBy", "deniedBy") AS "decidedBy"
       FROM restaurante.table_session_tokens WHERE "sessionId" = $1 ORDER BY phone`,
    [sessionId],
  );
  return rows.map((r) => ({
    id: r.id,
    phone: r.phone,
    state: phoneState(r.approvedAt, r.deniedAt),
    joinedAt: r.createdAt.toISOString(),
    decidedBy: r.decidedBy,
  }));
}

/**
 * Lets a pending phone in (or turns it away). `by` is an admitted phone of the same session or
 * staff of the restaurant; anything else is NOT_FOUND. A phone already decided is a CONFLICT.
 */
export async function decidePhone(
  db: Database,
  by: GuestPrincipal | { kind: 'staff'; restaurantId: string; actor: string },
  phoneId: string,
  decision: 'approve' | 'deny',
): Promise<SessionPhone> {
  return db.transaction(async (tx) => {
    const params: unknown[] = [phoneId, by.restaurantId];
    let where = `t.id = $1 AND t."restaurantId" = $2 AND s."closedAt" IS NULL AND s."expiresAt" > now()`;
    if (by.kind === 'guest') {
      params.push(by.sessionId);
      where += ` AND t."sessionId" = $3`;
    }
    const { rows } = await tx.query<{ approvedAt: Date | null; deniedAt: Date | null; sessionId: string }>(
      `SELECT t."approvedAt", t."deniedAt", t."sessionId" FROM restaurante.table_session_tokens t
         JOIN restaurante.table_sessions s ON s.id = t."sessionId" WHERE ${where} FOR UPDATE OF t`,
      params,
    );
    const row = rows[0];
    if (!row) throw new AppError('NOT_FOUND', 'No such phone waiting at this table.');
    if (row.approvedAt || row.deniedAt) {
      throw new AppError('CONFLICT', `That phone was already ${row.approvedAt ? 'let in' : 'turned away'}.`);
    }
    const actor = by.kind === 'guest' ? `phone ${by.phone}` : by.actor;
    await tx.query(
      decision === 'approve'
        ? `UPDATE restaurante.table_session_tokens SET "approvedAt" = now(), "approvedBy" = $2 WHERE id = $1`
        : `UPDATE restaurante.table_session_tokens SET "deniedAt" = now(), "deniedBy" = $2 WHERE id = $1`,
      [phoneId, actor],
    );
    const phones = await phonesOf(tx, row.sessionId);
    return phones.find((p) => p.id === phoneId)!;
  });
}

/** The open session of a table (staff): its id and phones, or null when none is open. */
export async function openSessionOf(
  db: Database,
  restaurantId: string,
  tableId: string,
): Promise<{ tableId: string; sessionId: string | null; openedAt: string | null; phones: SessionPhone[] }> {
  await tableOf(db, restaurantId, tableId);
  const { rows } = await db.query<{ id: string; openedAt: Date }>(
    `SELECT id, "openedAt" FROM restaurante.table_sessions
      WHERE "tableId" = $1 AND "restaurantId" = $2 AND "closedAt" IS NULL AND "expiresAt" > now()`,
    [tableId, restaurantId],
  );
  const session = rows[0];
  if (!session) return { tableId, sessionId: null, openedAt: null, phones: [] };
  return { tableId, sessionId: session.id, openedAt: session.openedAt.toISOString(), phones: await phonesOf(db, session.id) };
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
