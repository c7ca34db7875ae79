// The kitchen display: tickets (open orders, oldest first, with each line's dish, notes and
// allergens), stations (a dish category belongs to at most one; a station's screen shows its
// lines only), the restaurant's amber/red thresholds, bumps (a line or a ticket one step forward)
// and the undo of a bump within 10 s, and the recall list (the last tickets served or cancelled).
//
// Undo is safe by construction: a bump records which lines it moved, from what to what, and each
// line's "updatedAt" after the move. Only the session (or token) that bumped may undo, within 10 s
// by the database's clock, once, and only while every one of those lines is exactly as the bump
// left it; otherwise UNDO_UNAVAILABLE and nothing changes. Bumps only move lines forward through
// PENDING → CONFIRMED → IN_PROGRESS → READY → SERVED, which never touches stock, so neither does
// their undo (cancelling is not a bump: it gives stock back and is not undoable here).
import { actorOf } from '../auth/principal.js';
import { assertCan } from '../auth/roles.js';
import type { StaffPrincipal } from '../auth/staff-tokens.js';
import type { Database, Tx } from '../db/database.js';
import { AppError } from '../errors.js';
import { followLines, lockOrder, orderJson, type Order, type OrderStatus } from './orders.js';

export const UNDO_WINDOW_SECONDS = 10;
export const RECALL_LIMIT = 12;
export const DEFAULT_THRESHOLDS = { amberMinutes: 10, redMinutes: 20 } as const;
export const openLineStatuses = ['PENDING', 'CONFIRMED', 'IN_PROGRESS', 'READY'] as const;
const FORWARD: OrderStatus[] = ['PENDING', 'CONFIRMED', 'IN_PROGRESS', 'READY', 'SERVED'];
const rank = (s: OrderStatus) => FORWARD.indexOf(s);

export interface Station {
  id: string;
  name: string;
  sortOrder: number;
  categoryIds: string[];
}

export interface KitchenSettings {
  amberMinutes: number;
  redMinutes: number;
  stations: Station[];
  /** Every category with its station (null: every screen shows its lines). */
  categories: Array<{ id: string; name: string; stationId: string | null }>;
}

export interface TicketLine {
  itemId: string;
  menuItemId: string;
  name: string;
  quantity: number;
  notes: string | null;
  allergens: string[];
  status: OrderStatus;
  stationId: string | null;
}

export interface Ticket {
  orderId: string;
  orderNumber: string;
  tableNumber: number | null;
  status: OrderStatus;
  notes: string | null;
  orderedAt: string;
  updatedAt: string;
  lines: TicketLine[];
}

export interface KitchenSnapshot {
  settings: KitchenSettings;
  /** Open orders (some line not yet served or cancelled), oldest first; open lines only. */
  tickets: Ticket[];
  /** The last tickets served or cancelled, newest first, with all their lines. */
  recall: Ticket[];
}

/** The thresholds and stations (one read-only query). */
export async function readKitchenSettings(db: Database, restaurantId: string): Promise<KitchenSettings> {
  return db.transaction((tx) => kitchenSettings(tx, restaurantId), { readOnly: true });
}

async function kitchenSettings(tx: Tx, restaurantId: string): Promise<KitchenSettings> {
  const { rows } = await tx.query<{ settings: KitchenSettings }>(
    `SELECT jsonb_build_object(
       'amberMinutes', r.kitchen_amber_minutes, 'redMinutes', r.kitchen_red_minutes,
       'stations', coalesce((
         SELECT jsonb_agg(jsonb_build_object('id', s.id, 'name', s.name, 'sortOrder', s."sortOrder",
                  'categoryIds', coalesce((SELECT jsonb_agg(c.id ORDER BY c."sortOrder", c.id) FROM restaurante.menu_categories c
                                            WHERE c."restaurantId" = s."restaurantId" AND c."stationId" = s.id), '[]'::jsonb))
                ORDER BY s."sortOrder", s.name, s.id)
           FROM restaurante.kitchen_stations s WHERE s."restaurantId" = r.id), '[]'::jsonb),
       'categories', coalesce((
         SELECT jsonb_agg(jsonb_build_object('id', c.id, 'name', c.name, 'stationId', c."stationId") ORDER BY c."sortOrder", c.id)
           FROM restaurante.menu_categories c WHERE c."restaurantId" = r.id), '[]'::jsonb)) AS settings
       FROM restaurante.restaurants r WHERE r.id = $1`,
    [restaurantId],
  );
  if (!rows[0]) throw new AppError('NOT_FOUND', 'No such restaurant.');
  return rows[0].settings;
}

const ticketSql = (linesWhere: string) => `jsonb_build_object(
    'orderId', o.id, 'orderNumber', o."orderNumber", 'tableNumber', t.number, 'status', o.status, 'notes', o.notes,
    'orderedAt', o."orderedAt", 'updatedAt', o."updatedAt",
    'lines', coalesce((
      SELECT jsonb_agg(jsonb_build_object(
               'itemId', oi.id, 'menuItemId', oi."menuItemId", 'name', mi.name, 'quantity', oi.quantity, 'notes', oi.notes,
               'allergens', mi.allergens, 'status', oi.status, 'stationId', c."stationId")
             ORDER BY oi."createdAt", oi.id)
        FROM restaurante.order_items oi
        JOIN restaurante.menu_items mi ON mi.id = oi."menuItemId"
        JOIN restaurante.menu_categories c ON c."restaurantId" = mi."restaurantId" AND c.id = mi."categoryId"
       WHERE oi."restaurantId" = o."restaurantId" AND oi."orderId" = o.id ${linesWhere}), '[]'::jsonb))`;

/** Everything a kitchen screen shows, for every station (see forStation). Read-only, three queries. */
export async function kitchenSnapshot(db: Database, restaurantId: string): Promise<KitchenSnapshot> {
  return db.transaction(
    async (tx) => {
      const settings = await kitchenSettings(tx, restaurantId);
      const { rows: open } = await tx.query<{ ticket: Ticket }>(
        `SELECT ${ticketSql(`AND oi.status IN ('PENDING', 'CONFIRMED', 'IN_PROGRESS', 'READY')`)} AS ticket
           FROM restaurante.orders o LEFT JOIN restaurante.tables t ON t."restaurantId" = o."restaurantId" AND t.id = o."tableId"
          WHERE o."restaurantId" = $1 AND o.status IN ('PENDING', 'CONFIRMED', 'IN_PROGRESS', 'READY')
          ORDER BY o."orderedAt", o.id`,
        [restaurantId],
      );
      const { rows: recall } = await tx.query<{ ticket: Ticket }>(
        `SELECT ${ticketSql('')} AS ticket
           FROM restaurante.orders o LEFT JOIN restaurante.tables t ON t."restaurantId" = o."restaurantId" AND t.id = o."tableId"
          WHERE o."restaurantId" = $1 AND o.status IN ('SERVED', 'CANCELLED') AND o."updatedAt" > now() - interval '12 hours'
          ORDER BY o."updatedAt" DESC, o.id LIMIT $2`,
        [restaurantId, RECALL_LIMIT],
      );
      return { settings, tickets: open.map((r) => r.ticket), recall: recall.map((r) => r.ticket) };
    },
    { readOnly: true },
  );
}

/** The snapshot as a station's screen sees it: its lines only, tickets without any dropped. */
export function forStation(snapshot: KitchenSnapshot, stationId: string | undefined): KitchenSnapshot {
  if (stationId === undefined) return snapshot;
  if (!snapshot.settings.stations.some((s) => s.id === stationId)) throw new AppError('NOT_FOUND', 'No such station.');
  const only = (tickets: Ticket[]) =>
    tickets.flatMap((t) => {
      const lines = t.lines.filter((l) => l.stationId === stationId);
      return lines.length ? [{ ...t, lines }] : [];
    });
  return { settings: snapshot.settings, tickets: only(snapshot.tickets), recall: only(snapshot.recall) };
}

// ---------------------------------------------------------------------------------------------
// Bumps and their undo.
// ---------------------------------------------------------------------------------------------

/** Who may undo a bump: the cookie session that made it, or the bearer token. */
const undoerOf = (staff: StaffPrincipal) => (staff.sessionId ? `session:${staff.sessionId}` : `token:${staff.tokenId}`);

export interface BumpLine {
  itemId: string;
  from: OrderStatus;
  to: OrderStatus;
}

export interface Bump {
  id: string;
  orderId: string;
  lines: BumpLine[];
  /** Until when it can be undone (the database's clock). */
  undoUntil: string;
}

export interface BumpInput {
  orderId: string;
  /** One line; without it, the ticket: its lines at the slowest status move one step. */
  itemId?: string;
  /** The station whose screen bumps a ticket: only that station's lines move. */
  stationId?: string;
}

/**
 * Moves a line, or a ticket's slowest lines, one step forward (READY → SERVED included: the
 * pass). Records the bump for undo.
 */
export async function bump(db: Database, staff: StaffPrincipal, input: BumpInput): Promise<{ bump: Bump; order: Order }> {
  return db.transaction(
    async (tx) => {
      assertCan(staff.role, 'order-lines.move', 'Bumping an order line');
      await lockOrder(tx, staff, input.orderId);
      const { rows: lines } = await tx.query<{ id: string; status: OrderStatus; stationId: string | null }>(
        `SELECT oi.id, oi.status, c."stationId"
           FROM restaurante.order_items oi
           JOIN restaurante.menu_items mi ON mi.id = oi."menuItemId"
           JOIN restaurante.menu_categories c ON c."restaurantId" = mi."restaurantId" AND c.id = mi."categoryId"
          WHERE oi."restaurantId" = $1 AND oi."orderId" = $2
          ORDER BY oi.id FOR UPDATE OF oi`,
        [staff.restaurantId, input.orderId],
      );
      let moves: BumpLine[];
      if (input.itemId !== undefined) {
        const line = lines.find((l) => l.id === input.itemId);
        if (!line) throw new AppError('NOT_FOUND', 'No such item in this order.');
        if (line.status === 'SERVED' || line.status === 'CANCELLED') {
          throw new AppError('INVALID_TRANSITION', `The item is ${line.status}: there is no next step.`, { extra: { from: line.status } });
        }
        moves = [{ itemId: line.id, from: line.status, to: FORWARD[rank(line.status) + 1]! }];
      } else {
        if (input.stationId !== undefined) {
          const { rowCount } = await tx.query('SELECT 1 FROM restaurante.kitchen_stations WHERE "restaurantId" = $1 AND id = $2', [staff.restaurantId, input.stationId]);
          if (!rowCount) throw new AppError('NOT_FOUND', 'No such station.');
        }
        const open = lines.filter((l) => (openLineStatuses as readonly string[]).includes(l.status) && (input.stationId === undefined || l.stationId === input.stationId));
        if (!open.length) throw new AppError('INVALID_TRANSITION', 'The ticket has no open line to bump (all served or cancelled).');
        const slowest = Math.min(...open.map((l) => rank(l.status)));
        const to = FORWARD[slowest + 1]!;
        moves = open.filter((l) => rank(l.status) === slowest).map((l) => ({ itemId: l.id, from: l.status, to }));
      }
      const { rows: moved } = await tx.query<{ id: string; updatedAt: string }>(
        `UPDATE restaurante.order_items oi SET status = m.to::restaurante."OrderItemStatus"
           FROM jsonb_to_recordset($2::jsonb) AS m("itemId" text, "to" text)
          WHERE oi."restaurantId" = $1 AND oi.id = m."itemId"
          RETURNING oi.id, to_char(oi."updatedAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "updatedAt"`,
        [staff.restaurantId, JSON.stringify(moves)],
      );
      await followLines(tx, input.orderId);
      const stamp = new Map(moved.map((m) => [m.id, m.updatedAt]));
      const recorded = moves.map((m) => ({ ...m, updatedAt: stamp.get(m.itemId)! }));
      // Bumps older than an hour serve nobody: the restaurant's own are cleared as it bumps.
      await tx.query(`DELETE FROM restaurante.kitchen_bumps WHERE "restaurantId" = $1 AND "bumpedAt" < now() - interval '1 hour'`, [staff.restaurantId]);
      const { rows } = await tx.query<{ id: string; undoUntil: string }>(
        `INSERT INTO restaurante.kitchen_bumps ("restaurantId", "orderId", actor, lines) VALUES ($1, $2, $3, $4)
         RETURNING id, "bumpedAt" + make_interval(secs => $5) AS "undoUntil"`,
        [staff.restaurantId, input.orderId, undoerOf(staff), JSON.stringify(recorded), UNDO_WINDOW_SECONDS],
      );
      return { bump: { id: rows[0]!.id, orderId: input.orderId, lines: moves, undoUntil: new Date(rows[0]!.undoUntil).toISOString() }, order: await orderJson(tx, input.orderId) };
    },
    { settings: { 'comanda.actor': actorOf(staff) } },
  );
}

/** Reverses a bump of this session (or token), within 10 s, if nothing changed its lines since. */
export async function undoBump(db: Database, staff: StaffPrincipal, bumpId: string): Promise<{ order: Order }> {
  return db.transaction(
    async (tx) => {
      assertCan(staff.role, 'order-lines.move', 'Undoing a bump');
      const { rows } = await tx.query<{ orderId: string; actor: string; lines: Array<BumpLine & { updatedAt: string }>; undone: boolean; expired: boolean }>(
        `SELECT "orderId", actor, lines, "undoneAt" IS NOT NULL AS undone,
                clock_timestamp() > "bumpedAt" + make_interval(secs => $3) AS expired
           FROM restaurante.kitchen_bumps WHERE "restaurantId" = $1 AND id = $2 FOR UPDATE`,
        [staff.restaurantId, bumpId, UNDO_WINDOW_SECONDS],
      );
      const found = rows[0];
      // Another screen's bump is not this screen's to undo: as if absent.
      if (!found || found.actor !== undoerOf(staff)) throw new AppError('NOT_FOUND', 'No such bump of this session.');
      if (found.undone) throw new AppError('UNDO_UNAVAILABLE', 'This bump was already undone.', { extra: { reason: 'undone' } });
      if (found.expired) throw new AppError('UNDO_UNAVAILABLE', `A bump can be undone for ${UNDO_WINDOW_SECONDS} s only.`, { extra: { reason: 'expired' } });
      await lockOrder(tx, staff, found.orderId);
      const { rows: changed } = await tx.query<{ id: string }>(
        `SELECT l."itemId" AS id
           FROM jsonb_to_recordset($3::jsonb) AS l("itemId" text, "to" text, "updatedAt" timestamptz)
           LEFT JOIN restaurante.order_items oi ON oi."restaurantId" = $1 AND oi."orderId" = $2 AND oi.id = l."itemId"
          WHERE oi.id IS NULL OR oi.status::text <> l.to OR oi."updatedAt" <> l."updatedAt"
          ORDER BY 1`,
        [staff.restaurantId, found.orderId, JSON.stringify(found.lines)],
      );
      if (changed.length) {
        throw new AppError('UNDO_UNAVAILABLE', 'A line of this bump changed since (another screen moved it): undo it by hand.', {
          extra: { reason: 'changed', items: changed.map((c) => c.id) },
        });
      }
      await tx.query(
        `UPDATE restaurante.order_items oi SET status = l."from"::restaurante."OrderItemStatus"
           FROM jsonb_to_recordset($2::jsonb) AS l("itemId" text, "from" text)
          WHERE oi."restaurantId" = $1 AND oi.id = l."itemId"`,
        [staff.restaurantId, JSON.stringify(found.lines)],
      );
      await followLines(tx, found.orderId);
      await tx.query(`UPDATE restaurante.kitchen_bumps SET "undoneAt" = clock_timestamp() WHERE "restaurantId" = $1 AND id = $2`, [staff.restaurantId, bumpId]);
      return { order: await orderJson(tx, found.orderId) };
    },
    { settings: { 'comanda.actor': actorOf(staff) } },
  );
}

// ---------------------------------------------------------------------------------------------
// Settings (admins: the menu.manage permission). Each change announces itself on comanda_menu,
// which kitchen screens follow, so every screen picks up a new station or threshold at once.
// ---------------------------------------------------------------------------------------------

const announce = (tx: Tx, restaurantId: string) => tx.query(`SELECT pg_notify('comanda_menu', $1)`, [restaurantId]);

export async function setThresholds(db: Database, staff: StaffPrincipal, input: { amberMinutes: number; redMinutes: number }): Promise<KitchenSettings> {
  assertCan(staff.role, 'menu.manage', 'Changing the kitchen thresholds');
  if (input.amberMinutes >= input.redMinutes) {
    throw new AppError('VALIDATION_FAILED', 'amberMinutes must be less than redMinutes.', { extra: { errors: [{ field: 'amberMinutes', message: 'must be less than redMinutes' }] } });
  }
  return db.transaction(
    async (tx) => {
      await tx.query('UPDATE restaurante.restaurants SET kitchen_amber_minutes = $2, kitchen_red_minutes = $3 WHERE id = $1', [staff.restaurantId, input.amberMinutes, input.redMinutes]);
      await announce(tx, staff.restaurantId);
      return kitchenSettings(tx, staff.restaurantId);
    },
    { settings: { 'comanda.actor': actorOf(staff) } },
  );
}

async function stationExists(tx: Tx, restaurantId: string, id: string): Promise<void> {
  const { rowCount } = await tx.query('SELECT 1 FROM restaurante.kitchen_stations WHERE "restaurantId" = $1 AND id = $2 FOR UPDATE', [restaurantId, id]);
  if (!rowCount) throw new AppError('NOT_FOUND', 'No such station.');
}

async function nameFree(tx: Tx, restaurantId: string, name: string, except?: string): Promise<void> {
  const { rowCount } = await tx.query(
    'SELECT 1 FROM restaurante.kitchen_stations WHERE "restaurantId" = $1 AND lower(name) = lower($2) AND id IS DISTINCT FROM $3',
    [restaurantId, name, except ?? null],
  );
  if (rowCount) throw new AppError('CONFLICT', `A station named "${name}" exists already.`);
}

export async function createStation(db: Database, staff: StaffPrincipal, input: { name: string; sortOrder?: number }): Promise<Station> {
  assertCan(staff.role, 'menu.manage', 'Creating a station');
  return db.transaction(
    async (tx) => {
      await nameFree(tx, staff.restaurantId, input.name.trim());
      const { rows } = await tx.query<{ id: string }>(
        'INSERT INTO restaurante.kitchen_stations ("restaurantId", name, "sortOrder") VALUES ($1, $2, $3) RETURNING id',
        [staff.restaurantId, input.name.trim(), input.sortOrder ?? 0],
      );
      await announce(tx, staff.restaurantId);
      return (await kitchenSettings(tx, staff.restaurantId)).stations.find((s) => s.id === rows[0]!.id)!;
    },
    { settings: { 'comanda.actor': actorOf(staff) } },
  );
}

export async function updateStation(db: Database, staff: StaffPrincipal, id: string, input: { name?: string; sortOrder?: number }): Promise<Station> {
  assertCan(staff.role, 'menu.manage', 'Changing a station');
  return db.transaction(
    async (tx) => {
      await stationExists(tx, staff.restaurantId, id);
      if (input.name !== undefined) await nameFree(tx, staff.restaurantId, input.name.trim(), id);
      await tx.query(
        'UPDATE restaurante.kitchen_stations SET name = coalesce($3, name), "sortOrder" = coalesce($4, "sortOrder") WHERE "restaurantId" = $1 AND id = $2',
        [staff.restaurantId, id, input.name?.trim() ?? null, input.sortOrder ?? null],
      );
      await announce(tx, staff.restaurantId);
      return (await kitchenSettings(tx, staff.restaurantId)).stations.find((s) => s.id === id)!;
    },
    { settings: { 'comanda.actor': actorOf(staff) } },
  );
}

/** Deletes a station; its categories are left without one (every screen shows their lines). */
export async function deleteStation(db: Database, staff: StaffPrincipal, id: string): Promise<void> {
  assertCan(staff.role, 'menu.manage', 'Deleting a station');
  await db.transaction(
    async (tx) => {
      await stationExists(tx, staff.restaurantId, id);
      await tx.query('DELETE FROM restaurante.kitchen_stations WHERE "restaurantId" = $1 AND id = $2', [staff.restaurantId, id]);
      await announce(tx, staff.restaurantId);
    },
    { settings: { 'comanda.actor': actorOf(staff) } },
  );
}

/** Puts a dish category at a station (null: none). */
export async function setCategoryStation(db: Database, staff: StaffPrincipal, categoryId: string, stationId: string | null): Promise<KitchenSettings> {
  assertCan(staff.role, 'menu.manage', "Setting a category's station");
  return db.transaction(
    async (tx) => {
      if (stationId !== null) await stationExists(tx, staff.restaurantId, stationId);
      const { rowCount } = await tx.query('UPDATE restaurante.menu_categories SET "stationId" = $3 WHERE "restaurantId" = $1 AND id = $2', [staff.restaurantId, categoryId, stationId]);
      if (!rowCount) throw new AppError('NOT_FOUND', 'No such category.');
      return kitchenSettings(tx, staff.restaurantId);
    },
    { settings: { 'comanda.actor': actorOf(staff) } },
  );
}
