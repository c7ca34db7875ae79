// The floor as the waiters see it: every active table with its state, its open session and the
// phones in it (let in, waiting, turned away), what it ordered (counts by kitchen status, no
// guest contact details), its open requests, and the restaurant's latest handled requests with
// who handled them. One read-only snapshot; the floor page re-reads it on every live nudge.
//
// A table's state, first match wins:
//   free      no open session (none, closed, or expired)
//   bill      an open "bill" request
//   waiting   a line the kitchen has (CONFIRMED, IN_PROGRESS, READY) not yet served
//   ordering  a line sent but not yet accepted by the kitchen (PENDING)
//   seated    an open session with nothing outstanding (nothing ordered yet, or all served)
import type { Queryable } from '../db/database.js';
import type { PhoneState } from './table-sessions.js';

export const floorStates = ['free', 'seated', 'ordering', 'waiting', 'bill'] as const;
export type FloorState = (typeof floorStates)[number];

export interface FloorPhone {
  id: string;
  phone: number;
  state: PhoneState;
  joinedAt: string;
  /** Who let it in or turned it away: "first phone", "phone 2", or a staff member's name. */
  decidedBy: string | null;
}

export interface FloorRequest {
  id: string;
  tableId: string;
  tableNumber: number;
  kind: 'waiter' | 'bill';
  status: 'open' | 'resolved';
  phone: number | null;
  createdAt: string;
  resolvedAt: string | null;
  /** The staff member (account name, device label or token label) who resolved it. */
  resolvedBy: string | null;
}

export interface FloorTable {
  id: string;
  number: number;
  capacity: number;
  location: string | null;
  state: FloorState;
  session: { id: string; openedAt: string; expiresAt: string; phones: FloorPhone[] } | null;
  /** The session's orders: lines by kitchen status (cancelled ones left out) and the total. */
  orders: { count: number; pending: number; inKitchen: number; ready: number; served: number; totalAmount: number };
  /** Open requests of the table's open session, oldest first. */
  requests: FloorRequest[];
}

export interface Floor {
  tables: FloorTable[];
  /** Every open request, oldest first (also one left open when its table was closed). */
  open: FloorRequest[];
  /** The latest handled requests (newest first), with who handled them. */
  resolved: FloorRequest[];
}

const ISO = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * A staff actor (`staff:<role>:<id>` of an account, a device or a bearer token) as a name; other
 * actors ("first phone", "phone 2") as they are.
 */
const actorName = (column: string) => `CASE WHEN ${column} LIKE 'staff:%' THEN coalesce(
    (SELECT a.name FROM restaurante.staff_accounts a WHERE a."restaurantId" = $1 AND a.id = split_part(${column}, ':', 3)),
    (SELECT d.label FROM restaurante.staff_devices d WHERE d."restaurantId" = $1 AND d.id = split_part(${column}, ':', 3)),
    (SELECT t.label FROM restaurante.staff_tokens t WHERE t."restaurantId" = $1 AND t.id = split_part(${column}, ':', 3)),
    split_part(${column}, ':', 2)) ELSE ${column} END`;

const REQUEST_COLUMNS = `r.id, r."tableId", tb.number AS "tableNumber", r.kind, r.status, r.phone,
  ${ISO('r."createdAt"')} AS "createdAt", ${ISO('r."resolvedAt"')} AS "resolvedAt", ${actorName('r."resolvedBy"')} AS "resolvedBy"`;

export async function floorOf(db: Queryable, restaurantId: string, options: { resolvedLimit?: number } = {}): Promise<Floor> {
  const { rows: tables } = await db.query<Omit<FloorTable, 'state' | 'session' | 'requests'> & {
    sessionId: string | null;
    openedAt: string | null;
    expiresAt: string | null;
  }>(
    `SELECT tb.id, tb.number, tb.capacity, tb.location, s.id AS "sessionId",
            ${ISO('s."openedAt"')} AS "openedAt", ${ISO('s."expiresAt"')} AS "expiresAt",
            json_build_object(
              'count', coalesce(o.count, 0), 'pending', coalesce(o.pending, 0), 'inKitchen', coalesce(o.in_kitchen, 0),
              'ready', coalesce(o.ready, 0), 'served', coalesce(o.served, 0), 'totalAmount', coalesce(o.total, 0)) AS orders
       FROM restaurante.tables tb
       LEFT JOIN restaurante.table_sessions s
         ON s."tableId" = tb.id AND s."restaurantId" = tb."restaurantId" AND s."closedAt" IS NULL AND s."expiresAt" > now()
       LEFT JOIN LATERAL (
         SELECT count(DISTINCT ord.id) FILTER (WHERE ord.status <> 'CANCELLED')::int AS count,
                coalesce(sum(i.quantity) FILTER (WHERE i.status = 'PENDING'), 0)::int AS pending,
                coalesce(sum(i.quantity) FILTER (WHERE i.status IN ('CONFIRMED', 'IN_PROGRESS')), 0)::int AS in_kitchen,
                coalesce(sum(i.quantity) FILTER (WHERE i.status = 'READY'), 0)::int AS ready,
                coalesce(sum(i.quantity) FILTER (WHERE i.status = 'SERVED'), 0)::int AS served,
                coalesce(sum(i."totalPrice") FILTER (WHERE i.status <> 'CANCELLED'), 0)::float8 AS total
           FROM restaurante.orders ord
           JOIN restaurante.order_items i ON i."orderId" = ord.id AND i."restaurantId" = ord."restaurantId"
          WHERE ord."sessionId" = s.id AND ord."restaurantId" = tb."restaurantId"
       ) o ON s.id IS NOT NULL
      WHERE tb."restaurantId" = $1 AND tb."isActive"
      ORDER BY tb.number`,
    [restaurantId],
  );
  const sessionIds = tables.flatMap((t) => (t.sessionId ? [t.sessionId] : []));
  const { rows: phones } = await db.query<FloorPhone & { sessionId: string }>(
    `SELECT p."sessionId", p.id, p.phone,
            CASE WHEN p."approvedAt" IS NOT NULL THEN 'admitted' WHEN p."deniedAt" IS NOT NULL THEN 'denied' ELSE 'pending' END AS state,
            ${ISO('p."createdAt"')} AS "joinedAt", ${actorName('coalesce(p."approvedBy", p."deniedBy")')} AS "decidedBy"
       FROM restaurante.table_session_tokens p
      WHERE p."restaurantId" = $1 AND p."sessionId" = ANY($2::text[])
      ORDER BY p."sessionId", p.phone`,
    [restaurantId, sessionIds],
  );
  const { rows: open } = await db.query<FloorRequest & { sessionId: string }>(
    `SELECT ${REQUEST_COLUMNS}, r."sessionId" FROM restaurante.table_requests r JOIN restaurante.tables tb ON tb.id = r."tableId"
      WHERE r."restaurantId" = $1 AND r.status = 'open' ORDER BY r."createdAt"`,
    [restaurantId],
  );
  const { rows: resolved } = await db.query<FloorRequest>(
    `SELECT ${REQUEST_COLUMNS} FROM restaurante.table_requests r JOIN restaurante.tables tb ON tb.id = r."tableId"
      WHERE r."restaurantId" = $1 AND r.status = 'resolved' ORDER BY r."resolvedAt" DESC LIMIT $2`,
    [restaurantId, options.resolvedLimit ?? 20],
  );
  return {
    tables: tables.map(({ sessionId, openedAt, expiresAt, ...table }) => {
      const requests = open.filter((r) => r.sessionId === sessionId).map(({ sessionId: _, ...r }) => r);
      const state: FloorState = !sessionId
        ? 'free'
        : requests.some((r) => r.kind === 'bill')
          ? 'bill'
          : table.orders.inKitchen + table.orders.ready > 0
            ? 'waiting'
            : table.orders.pending > 0
              ? 'ordering'
              : 'seated';
      return {
        ...table,
        state,
        session: sessionId
          ? { id: sessionId, openedAt: openedAt!, expiresAt: expiresAt!, phones: phones.filter((p) => p.sessionId === sessionId).map(({ sessionId: _, ...p }) => p) }
          : null,
        requests,
      };
    }),
    open: open.map(({ sessionId: _, ...r }) => r),
    resolved,
  };
}
