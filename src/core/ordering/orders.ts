// Orders: placing them (atomic stock, idempotency keys), reading them, and the status machine
// the kitchen and the floor staff drive.
import { actorOf, authenticate, authenticateClaiming, idempotencyScopeOf, type Principal } from '../auth/principal.js';
import type { StaffPrincipal } from '../auth/staff-tokens.js';
import type { Database, Tx } from '../db/database.js';
import { AppError } from '../errors.js';
import { assertCan, seesContactDetails } from '../auth/roles.js';
import { queueEmail } from '../email/outbox.js';
import { idempotently, type Claim, type Finish } from '../idempotency.js';

export const orderStatuses = ['PENDING', 'CONFIRMED', 'IN_PROGRESS', 'READY', 'SERVED', 'CANCELLED'] as const;
export type OrderStatus = (typeof orderStatuses)[number];
export const staffOrderSources = ['presencial', 'telefono', 'online'] as const;

export interface OrderLineInput {
  menuItemId: string;
  quantity: number;
  notes?: string;
}

export interface OrderInput {
  tableId?: string;
  items: OrderLineInput[];
  customerEmail?: string;
  notes?: string;
  /** Staff only; guests' orders are always `qr`. */
  source?: (typeof staffOrderSources)[number];
}

export interface OrderLine {
  id: string;
  menuItemId: string;
  name: string;
  quantity: number;
  unitPrice: number;
  totalPrice: number;
  status: OrderStatus;
  notes: string | null;
}

export interface Order {
  id: string;
  orderNumber: string;
  restaurantId: string;
  tableId: string | null;
  source: string;
  status: OrderStatus;
  totalAmount: number;
  customerEmail: string | null;
  notes: string | null;
  orderedAt: string;
  updatedAt: string;
  items: OrderLine[];
}

/** The order placed, or (`replayed`) the one a retry with the same idempotency key placed before. */
export interface PlacedOrder {
  order: Order;
  replayed: boolean;
}

/**
 * Places an order: prices from the database, stock down atomically, all or nothing.
 *
 * The caller is a principal, or a bearer token that is authenticated inside the order's own
 * transaction. The busiest write costs two round trips to the database on a pipelined connection:
 * BEGIN with "who is it and the idempotency key's claim", then place_order with the key's record
 * and COMMIT (three when a receipt is queued after the order).
 */
export async function placeOrder(
  db: Database,
  caller: Principal | { token: string },
  input: OrderInput,
  options: { idempotencyKey?: string; idempotencyTtlHours: number },
): Promise<PlacedOrder> {
  const { placed, principal } = await db.transaction(
    async (tx) => {
      if (!('token' in caller)) return { placed: await placeOrderIn(tx, caller, input, options), principal: caller };
      if (options.idempotencyKey === undefined) {
        const principal = await authenticate(tx, caller.token);
        return { placed: await placeOrderIn(tx, principal, input, options), principal };
      }
      // Who is calling and the key's claim in one round trip.
      const { principal, claim } = await authenticateClaiming(tx, caller.token, options.idempotencyKey);
      return { placed: await placeOrderIn(tx, principal, input, options, claim), principal };
    },
    // The orders' notify triggers stay quiet: the order is announced once committed (below).
    { settings: { 'comanda.notify': 'after-commit' } },
  );
  if (!placed.replayed) {
    db.announce('comanda_orders', placed.order.restaurantId);
    if (principal.kind === 'guest') db.announce('comanda_session', principal.sessionId);
  }
  return placed;
}

async function placeOrderIn(
  tx: Tx,
  principal: Principal,
  input: OrderInput,
  options: { idempotencyKey?: string; idempotencyTtlHours: number },
  claim?: Claim,
): Promise<PlacedOrder> {
  let tableId: string | null;
  let source: string;
  let sessionId: string | null = null;
  if (principal.kind === 'guest') {
    if (input.tableId !== undefined && input.tableId !== principal.tableId) {
      throw new AppError('FORBIDDEN', "A guest orders for the session's own table only.");
    }
    if (input.source !== undefined) throw new AppError('FORBIDDEN', 'Guests cannot set the order source.');
    tableId = principal.tableId;
    sessionId = principal.sessionId;
    source = 'qr';
  } else {
    assertCan(principal.role, 'orders.place', 'Placing an order');
    tableId = input.tableId ?? null;
    source = input.source ?? 'presencial';
  }
  const normalized = {
    tableId,
    source,
    items: input.items.map((i) => ({ menuItemId: i.menuItemId, quantity: i.quantity, notes: i.notes ?? null })),
    customerEmail: input.customerEmail ?? null,
    notes: input.notes ?? null,
  };
  // Which phone of the table sent it: the table sees "phone 2", never another guest's e-mail.
  const guestPhone = principal.kind === 'guest' ? principal.phone : null;
  const orderData = { ...normalized, sessionId, guestPhone, idempotencyKey: options.idempotencyKey ?? null, createdBy: actorOf(principal) };
  const work = async (finish: Finish<{ order: Order }>) => {
    // An e-mail on an order belongs to a customer record (made for a new address, never changed
    // from here), so the guest can be found, exported and erased, and retention reaches them.
    const customerId = normalized.customerEmail === null ? null : await customerFor(tx, principal.restaurantId, normalized.customerEmail);
    // place_order also records createdBy as the transaction's comanda.actor. It locks the dishes:
    // the idempotency record goes in the same statement, and COMMIT with it unless a receipt is
    // to be queued, so the locks are held for one round trip.
    const { order } = await finish.select(
      `jsonb_build_object('order', restaurante.place_order($1, $2, $3))`,
      [principal.restaurantId, JSON.stringify({ ...orderData, customerId }), JSON.stringify(normalized.items)],
      { last: normalized.customerEmail === null },
    );
    if (order.customerEmail) {
      // The receipt goes through the e-mail outbox, committed with the order or not at all.
      await queueEmail(tx, { restaurantId: principal.restaurantId, type: 'order_receipt', recipient: order.customerEmail, orderId: order.id });
    }
    return { order };
  };
  const { order, replayed } = await idempotently(
    tx,
    {
      restaurantId: principal.restaurantId,
      scope: idempotencyScopeOf(principal),
      key: options.idempotencyKey,
      operation: 'place_order',
      input: normalized,
      ttlHours: options.idempotencyTtlHours,
    },
    work,
    claim,
  );
  return { order, replayed };
}

/** The id of the customer record of an e-mail address, made (with the address only) when missing. */
async function customerFor(tx: Tx, restaurantId: string, email: string): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    `WITH created AS (
       INSERT INTO restaurante.customers ("restaurantId", email) VALUES ($1, $2)
       ON CONFLICT ("restaurantId", lower(email)) WHERE email IS NOT NULL DO NOTHING RETURNING id)
     SELECT id FROM created
     UNION ALL
     SELECT id FROM restaurante.customers WHERE "restaurantId" = $1 AND lower(email) = lower($2)
     LIMIT 1`,
    [restaurantId, email],
  );
  return rows[0]!.id;
}

/** Guests see their own session's orders only; anything else is NOT_FOUND, as if absent. */
function visibility(principal: Principal, params: unknown[]): string {
  params.push(principal.restaurantId);
  let where = `o."restaurantId" = $${params.length}`;
  if (principal.kind === 'guest') {
    params.push(principal.sessionId);
    where += ` AND o."sessionId" = $${params.length}`;
  }
  return where;
}

/**
 * Least privilege: the kitchen cooks without the guests' e-mail addresses, and a guest sees the
 * address of the orders their own phone sent, never another guest's.
 */
function redactFor(principal: Principal, row: { order: Order; guestPhone: number | null }): Order {
  const sees = principal.kind === 'staff' ? seesContactDetails(principal.role) : row.guestPhone === principal.phone;
  return sees ? row.order : { ...row.order, customerEmail: null };
}

export async function getOrder(db: Database, principal: Principal, orderId: string): Promise<Order> {
  const params: unknown[] = [orderId];
  const { rows } = await db.query<{ order: Order; guestPhone: number | null }>(
    `SELECT restaurante.order_json(o.id) AS order, o."guestPhone" FROM restaurante.orders o WHERE o.id = $1 AND ${visibility(principal, params)}`,
    params,
    { readOnly: true },
  );
  if (!rows[0]) throw new AppError('NOT_FOUND', 'No such order.');
  return redactFor(principal, rows[0]);
}

export async function listOrders(
  db: Database,
  principal: Principal,
  filter: { status?: OrderStatus; tableId?: string; limit?: number } = {},
): Promise<Order[]> {
  const params: unknown[] = [];
  let where = visibility(principal, params);
  if (filter.status) {
    params.push(filter.status);
    where += ` AND o.status = $${params.length}`;
  }
  if (filter.tableId) {
    params.push(filter.tableId);
    where += ` AND o."tableId" = $${params.length}`;
  }
  params.push(filter.limit ?? 50);
  const { rows } = await db.query<{ order: Order; guestPhone: number | null }>(
    `SELECT restaurante.order_json(o.id) AS order, o."guestPhone" FROM restaurante.orders o
      WHERE ${where} ORDER BY o."orderedAt" DESC, o.id LIMIT $${params.length}`,
    params,
    { readOnly: true },
  );
  return rows.map((r) => redactFor(principal, r));
}

// ---------------------------------------------------------------------------------------------
// The status machine: PENDING → CONFIRMED → IN_PROGRESS → READY → SERVED, and CANCELLED before
// the kitchen starts (PENDING or CONFIRMED), which gives the stock back through the ledger.
// ---------------------------------------------------------------------------------------------
const FORWARD: OrderStatus[] = ['PENDING', 'CONFIRMED', 'IN_PROGRESS', 'READY', 'SERVED'];
const rank = (s: OrderStatus) => FORWARD.indexOf(s);

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  if (to === 'CANCELLED') return from === 'PENDING' || from === 'CONFIRMED';
  if (from === 'CANCELLED' || from === 'SERVED') return false;
  return rank(to) === rank(from) + 1;
}

function assertTransition(from: OrderStatus, to: OrderStatus, what: string): void {
  if (!canTransition(from, to)) {
    throw new AppError('INVALID_TRANSITION', `${what} cannot go from ${from} to ${to}.`, { extra: { from, to } });
  }
}

/** Gives back the stock of these order lines (all live lines with `null`), through the ledger. */
async function returnStock(tx: Tx, restaurantId: string, orderId: string, itemIds: string[] | null): Promise<void> {
  await tx.query('SELECT restaurante.return_stock($1, $2, $3)', [restaurantId, orderId, itemIds]);
}

/** After lines moved: the order's total without cancelled lines, its status that of its slowest live line. */
export async function followLines(tx: Tx, orderId: string): Promise<void> {
  await tx.query(
    `UPDATE restaurante.orders o SET
       "totalAmount" = coalesce(l.total, 0),
       status = coalesce(l.slowest, 'CANCELLED')::restaurante."OrderStatus"
      FROM (SELECT sum("totalPrice") FILTER (WHERE status <> 'CANCELLED') AS total,
                   ($2::text[])[min(array_position($2::text[], status::text)) FILTER (WHERE status <> 'CANCELLED')] AS slowest
              FROM restaurante.order_items WHERE "orderId" = $1) l
     WHERE o.id = $1`,
    [orderId, FORWARD],
  );
}

export async function lockOrder(tx: Tx, staff: StaffPrincipal, orderId: string): Promise<OrderStatus> {
  const { rows } = await tx.query<{ status: OrderStatus }>(
    'SELECT status FROM restaurante.orders WHERE id = $1 AND "restaurantId" = $2 FOR UPDATE',
    [orderId, staff.restaurantId],
  );
  if (!rows[0]) throw new AppError('NOT_FOUND', 'No such order.');
  return rows[0].status;
}

export async function orderJson(tx: Tx, orderId: string): Promise<Order> {
  const { rows } = await tx.query<{ order: Order }>('SELECT restaurante.order_json($1) AS order', [orderId]);
  return rows[0]!.order;
}

/** Moves the whole order (and its lines that are behind) to `to`. */
export async function setOrderStatus(db: Database, staff: StaffPrincipal, orderId: string, to: OrderStatus): Promise<Order> {
  return db.transaction(
    async (tx) => {
      const from = await lockOrder(tx, staff, orderId);
      assertTransition(from, to, 'The order');
      if (to === 'CANCELLED') assertCan(staff.role, 'orders.cancel', 'Cancelling an order');
      else if (to === 'SERVED') assertCan(staff.role, 'orders.serve', 'Serving an order');
      else assertCan(staff.role, 'orders.advance', 'Moving an order');
      if (to === 'CANCELLED') {
        // The order follows its slowest line, so it can look cancellable while a line is already
        // being cooked: that line (and so the order) cannot be cancelled any more.
        const { rows: started } = await tx.query<{ status: OrderStatus }>(
          `SELECT status FROM restaurante.order_items
            WHERE "orderId" = $1 AND status NOT IN ('PENDING', 'CONFIRMED', 'CANCELLED') LIMIT 1`,
          [orderId],
        );
        if (started[0]) assertTransition(started[0].status, to, 'A line of the order');
        await returnStock(tx, staff.restaurantId, orderId, null);
      }
      await tx.query(
        `UPDATE restaurante.order_items SET status = $2::text::restaurante."OrderItemStatus"
          WHERE "orderId" = $1 AND status <> 'CANCELLED'
            AND ($2::text = 'CANCELLED' OR array_position($3::text[], status::text) < array_position($3::text[], $2::text))`,
        [orderId, to, FORWARD],
      );
      // The total counts live lines only: a cancelled order is worth nothing.
      await tx.query(
        `UPDATE restaurante.orders SET status = $2::text::restaurante."OrderStatus",
                "totalAmount" = CASE WHEN $2::text = 'CANCELLED' THEN 0 ELSE "totalAmount" END
          WHERE id = $1`,
        [orderId, to],
      );
      return orderJson(tx, orderId);
    },
    { settings: { 'comanda.actor': actorOf(staff) } },
  );
}

/** Moves one line; the order follows its slowest line (all cancelled: the order is cancelled). */
export async function setItemStatus(db: Database, staff: StaffPrincipal, orderId: string, itemId: string, to: OrderStatus): Promise<Order> {
  return db.transaction(
    async (tx) => {
      assertCan(staff.role, 'order-lines.move', 'Moving an order line');
      await lockOrder(tx, staff, orderId);
      const { rows } = await tx.query<{ status: OrderStatus }>(
        'SELECT status FROM restaurante.order_items WHERE id = $1 AND "orderId" = $2 FOR UPDATE',
        [itemId, orderId],
      );
      if (!rows[0]) throw new AppError('NOT_FOUND', 'No such item in this order.');
      assertTransition(rows[0].status, to, 'The item');
      if (to === 'CANCELLED') await returnStock(tx, staff.restaurantId, orderId, [itemId]);
      await tx.query('UPDATE restaurante.order_items SET status = $2 WHERE id = $1', [itemId, to]);
      await followLines(tx, orderId);
      return orderJson(tx, orderId);
    },
    { settings: { 'comanda.actor': actorOf(staff) } },
  );
}

export interface QueueItem {
  orderId: string;
  orderNumber: string;
  tableId: string | null;
  tableNumber: number | null;
  itemId: string;
  menuItemId: string;
  name: string;
  quantity: number;
  notes: string | null;
  status: OrderStatus;
  createdAt: string;
}

/** Open lines of the restaurant, by status, oldest first. */
export async function kitchenQueue(db: Database, restaurantId: string): Promise<Record<'PENDING' | 'CONFIRMED' | 'IN_PROGRESS' | 'READY', QueueItem[]>> {
  const { rows } = await db.query<QueueItem>(
    `SELECT o.id AS "orderId", o."orderNumber", o."tableId", t.number AS "tableNumber", oi.id AS "itemId",
            oi."menuItemId", mi.name, oi.quantity, oi.notes, oi.status, oi."createdAt"
       FROM restaurante.order_items oi
       JOIN restaurante.orders o ON o.id = oi."orderId"
       JOIN restaurante.menu_items mi ON mi.id = oi."menuItemId"
       LEFT JOIN restaurante.tables t ON t.id = o."tableId"
      WHERE oi."restaurantId" = $1 AND oi.status IN ('PENDING', 'CONFIRMED', 'IN_PROGRESS', 'READY')
      ORDER BY oi."createdAt", oi.id`,
    [restaurantId],
    { readOnly: true },
  );
  const queue = { PENDING: [] as QueueItem[], CONFIRMED: [] as QueueItem[], IN_PROGRESS: [] as QueueItem[], READY: [] as QueueItem[] };
  for (const row of rows) queue[row.status as keyof typeof queue].push(row);
  return queue;
}
