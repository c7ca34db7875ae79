// "Call a waiter" and "Ask for the bill": requests from a table's phones to the staff. One open
// request of each kind per session (asking again while one is open returns it, so a nervous
// double tap rings once); staff list and resolve them, and who resolved it is recorded.
import type { GuestPrincipal } from '../auth/principal.js';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';

export const tableRequestKinds = ['waiter', 'bill'] as const;
export type TableRequestKind = (typeof tableRequestKinds)[number];
export const tableRequestStatuses = ['open', 'resolved'] as const;
export type TableRequestStatus = (typeof tableRequestStatuses)[number];

export interface TableRequest {
  id: string;
  tableId: string;
  tableNumber: number;
  kind: TableRequestKind;
  status: TableRequestStatus;
  phone: number | null;
  createdAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
}

const COLUMNS = `r.id, r."tableId", tb.number AS "tableNumber", r.kind, r.status, r.phone,
  to_char(r."createdAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt",
  to_char(r."resolvedAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "resolvedAt", r."resolvedBy"`;

/** A guest's request; the open one of that kind when there is one already (created: false). */
export async function requestFromTable(db: Database, guest: GuestPrincipal, kind: TableRequestKind): Promise<{ request: TableRequest; created: boolean }> {
  return db.transaction(async (tx) => {
    const inserted = await tx.query<{ id: string }>(
      `INSERT INTO restaurante.table_requests ("restaurantId", "tableId", "sessionId", kind, phone)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT ("restaurantId", "sessionId", kind) WHERE status = 'open' DO NOTHING RETURNING id`,
      [guest.restaurantId, guest.tableId, guest.sessionId, kind, guest.phone],
    );
    const { rows } = await tx.query<TableRequest>(
      `SELECT ${COLUMNS} FROM restaurante.table_requests r JOIN restaurante.tables tb ON tb.id = r."tableId"
        WHERE r."sessionId" = $1 AND r.kind = $2 AND r.status = 'open'`,
      [guest.sessionId, kind],
    );
    return { request: rows[0]!, created: inserted.rowCount === 1 };
  }, { settings: { 'comanda.actor': `guest:${guest.sessionId}` } });
}

/** The restaurant's requests, oldest first (open ones by default). */
export async function listTableRequests(db: Database, restaurantId: string, status: TableRequestStatus = 'open', limit = 100): Promise<TableRequest[]> {
  const { rows } = await db.query<TableRequest>(
    `SELECT ${COLUMNS} FROM restaurante.table_requests r JOIN restaurante.tables tb ON tb.id = r."tableId"
      WHERE r."restaurantId" = $1 AND r.status = $2
      ORDER BY CASE WHEN $2 = 'open' THEN r."createdAt" END ASC, r."resolvedAt" DESC NULLS LAST LIMIT $3`,
    [restaurantId, status, limit],
    { readOnly: true },
  );
  return rows;
}

/** Marks a request handled; resolving a resolved one is a CONFLICT, another restaurant's NOT_FOUND. */
export async function resolveTableRequest(db: Database, restaurantId: string, id: string, actor: string): Promise<TableRequest> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ status: TableRequestStatus }>(
      `SELECT status FROM restaurante.table_requests WHERE id = $1 AND "restaurantId" = $2 FOR UPDATE`,
      [id, restaurantId],
    );
    if (!rows[0]) throw new AppError('NOT_FOUND', 'No such table request.');
    if (rows[0].status === 'resolved') throw new AppError('CONFLICT', 'That request was already resolved.');
    await tx.query(
      `UPDATE restaurante.table_requests SET status = 'resolved', "resolvedAt" = now(), "resolvedBy" = $2 WHERE id = $1`,
      [id, actor],
    );
    const result = await tx.query<TableRequest>(
      `SELECT ${COLUMNS} FROM restaurante.table_requests r JOIN restaurante.tables tb ON tb.id = r."tableId" WHERE r.id = $1`,
      [id],
    );
    return result.rows[0]!;
  });
}
