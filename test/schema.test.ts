// The `restaurante` schema enforces its own rules, whoever writes: the roadmap's §2.1 constraints
// and availability trigger, the stock ledger, the order status history, tenant isolation through
// composite foreign keys, double-booking prevention (under real concurrency) and the time-zone
// check. Every test runs real SQL against the file's own migrated PostgreSQL database.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TransactionOptions } from '../src/core/db/database.js';
import { AppError } from '../src/core/errors.js';
import { DEMO_RESTAURANT_ID as DEMO, seedDemo } from '../src/core/seed.js';
import { useTestDatabase } from './helpers/db.js';

const { url, db } = await useTestDatabase();

/** A second restaurant, created here, for the cross-tenant tests. */
const OTHER = 'rest_otro_002';
const OTHER_ITEM = 'item_otro_croquetas';
const OTHER_TABLE = 'table_otro_01';

beforeAll(async () => {
  await seedDemo(db);
  await db.transaction(
    async (tx) => {
      await tx.query(`INSERT INTO restaurante.restaurants (id, name, timezone) VALUES ($1, 'Otro', 'Atlantic/Canary')`, [OTHER]);
      await tx.query(
        `INSERT INTO restaurante.menu_categories (id, "restaurantId", name) VALUES ('cat_otro_tapas', $1, 'Tapas')`,
        [OTHER],
      );
      await tx.query(
        `INSERT INTO restaurante.menu_items (id, "restaurantId", "categoryId", name, price, stock)
         VALUES ($2, $1, 'cat_otro_tapas', 'Croquetas', 8.00, 10)`,
        [OTHER, OTHER_ITEM],
      );
      await tx.query(`INSERT INTO restaurante.tables (id, "restaurantId", number, capacity) VALUES ($2, $1, 1, 4)`, [
        OTHER,
        OTHER_TABLE,
      ]);
    },
    { settings: { 'comanda.actor': 'schema-test' } },
  );
});

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/**
 * The PostgreSQL error a statement failed with. `Database` wraps driver errors in an AppError
 * whose cause is the original error; raw pg clients throw it directly.
 */
async function pgError(work: Promise<unknown>): Promise<pg.DatabaseError> {
  try {
    await work;
  } catch (err) {
    const cause = err instanceof AppError ? err.cause : err;
    if (cause instanceof pg.DatabaseError) return cause;
    throw err;
  }
  throw new Error('expected the statement to fail, but it succeeded');
}

/** Asserts that `work` fails with this SQLSTATE (and constraint, when given). */
async function expectRejected(work: Promise<unknown>, code: string, constraint?: string): Promise<pg.DatabaseError> {
  const err = await pgError(work);
  expect({ code: err.code, constraint: constraint === undefined ? undefined : err.constraint }).toEqual({ code, constraint });
  return err;
}

function only<T>(rows: T[]): T {
  expect(rows).toHaveLength(1);
  const [row] = rows;
  if (row === undefined) throw new Error('no row');
  return row;
}

const unique = (prefix: string): string => `${prefix}_${randomUUID().slice(0, 8)}`;

interface OrderFields {
  restaurantId?: string;
  tableId?: string | null;
  totalAmount?: string;
  customerEmail?: string | null;
  status?: string;
}

async function newOrder(fields: OrderFields = {}, options: TransactionOptions = {}): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO restaurante.orders ("restaurantId", "orderNumber", "tableId", "totalAmount", customer_email, status)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [
      fields.restaurantId ?? DEMO,
      unique('ORD'),
      fields.tableId ?? null,
      fields.totalAmount ?? '0',
      fields.customerEmail ?? null,
      fields.status ?? 'PENDING',
    ],
    options,
  );
  return only(rows).id;
}

/** Inserts an order line (totalPrice consistent with unitPrice × quantity). */
async function addLine(
  orderId: string,
  menuItemId: string,
  quantity = 1,
  restaurantId = DEMO,
  options: TransactionOptions = {},
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO restaurante.order_items ("restaurantId", "orderId", "menuItemId", quantity, "unitPrice", "totalPrice")
     VALUES ($1, $2, $3, $4::int, 6.50, 6.50 * $4::int) RETURNING id`,
    [restaurantId, orderId, menuItemId, quantity],
    options,
  );
  return only(rows).id;
}

async function newItem(fields: { stock?: number; price?: string; restaurantId?: string; categoryId?: string } = {}, options: TransactionOptions = {}): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO restaurante.menu_items (id, "restaurantId", "categoryId", name, price, stock)
     VALUES ($1, $2, $3, 'Plato de prueba', $4, $5) RETURNING id`,
    [unique('item_test'), fields.restaurantId ?? DEMO, fields.categoryId ?? 'cat_tapas', fields.price ?? '5.00', fields.stock ?? 10],
    options,
  );
  return only(rows).id;
}

async function newReservations(count: number, partySize = 2, status = 'CONFIRMED'): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO restaurante.reservations ("restaurantId", "customerName", "partySize", date, time, status)
     SELECT $1, 'Cliente ' || g, $3, DATE '2031-06-10', TIMESTAMPTZ '2031-06-10 20:00+02', $4::restaurante."ReservationStatus"
       FROM generate_series(1, $2::int) AS g
     RETURNING id`,
    [DEMO, count, partySize, status],
  );
  expect(rows).toHaveLength(count);
  return rows.map((r) => r.id);
}

const BOOK_SQL = `INSERT INTO restaurante.reservation_tables ("restaurantId", "reservationId", "tableId", occupied)
                  VALUES ($1, $2, $3, $4::tstzrange)`;

async function book(reservationId: string, tableId: string, occupied: string, restaurantId = DEMO): Promise<void> {
  await db.query(BOOK_SQL, [restaurantId, reservationId, tableId, occupied]);
}

async function stockOf(itemId: string): Promise<number> {
  const { rows } = await db.query<{ stock: number }>('SELECT stock FROM restaurante.menu_items WHERE id = $1', [itemId]);
  return only(rows).stock;
}

interface Movement {
  delta: number;
  stockAfter: number;
  reason: string;
  orderId: string | null;
  actor: string | null;
  note: string | null;
}

async function movementsOf(itemId: string): Promise<Movement[]> {
  const { rows } = await db.query<Movement>(
    `SELECT delta, "stockAfter", reason, "orderId", actor, note
       FROM restaurante.stock_movements WHERE "menuItemId" = $1 ORDER BY "createdAt", "stockAfter"`,
    [itemId],
  );
  return rows;
}

const currentUser = async (): Promise<string> =>
  only((await db.query<{ u: string }>('SELECT current_user::text AS u')).rows).u;

// ---------------------------------------------------------------------------------------------
// 1. §2.1 constraints
// ---------------------------------------------------------------------------------------------
describe('the roadmap §2.1 constraints (0002)', () => {
  it('exist as validated CHECK constraints on the intended tables', async () => {
    const { rows } = await db.query<{ name: string; table: string; validated: boolean }>(
      `SELECT c.conname AS name, r.relname AS table, c.convalidated AS validated
         FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
        WHERE c.contype = 'c' AND r.relnamespace = 'restaurante'::regnamespace AND c.conname LIKE 'check\\_%'
          AND c.conname <> 'check_order_source'
        ORDER BY c.conname`,
    );
    expect(rows).toEqual([
      { name: 'check_email_format', table: 'orders', validated: true },
      { name: 'check_price_positive', table: 'menu_items', validated: true },
      { name: 'check_quantity_positive', table: 'order_items', validated: true },
      { name: 'check_realistic_party_size', table: 'reservations', validated: true },
      { name: 'check_stock_non_negative', table: 'menu_items', validated: true },
      { name: 'check_total_amount_positive', table: 'orders', validated: true },
    ]);
  });

  it('check_total_amount_positive: 0 and 9999.99 pass; negative, 10000 and values rounding to 10000 fail', async () => {
    for (const amount of ['0', '9999.99']) {
      const id = await newOrder({ totalAmount: amount });
      const { rows } = await db.query<{ total: string }>('SELECT "totalAmount"::text AS total FROM restaurante.orders WHERE id = $1', [id]);
      expect(Number(only(rows).total)).toBe(Number(amount));
    }
    for (const amount of ['-0.01', '10000', '9999.995', '-1000']) {
      await expectRejected(newOrder({ totalAmount: amount }), '23514', 'check_total_amount_positive');
    }
    const id = await newOrder({ totalAmount: '12.50' });
    await expectRejected(
      db.query('UPDATE restaurante.orders SET "totalAmount" = -5 WHERE id = $1', [id]),
      '23514',
      'check_total_amount_positive',
    );
    await expectRejected(
      db.query('UPDATE restaurante.orders SET "totalAmount" = 10000 WHERE id = $1', [id]),
      '23514',
      'check_total_amount_positive',
    );
    const { rows } = await db.query<{ total: string }>('SELECT "totalAmount"::text AS total FROM restaurante.orders WHERE id = $1', [id]);
    expect(only(rows).total).toBe('12.50');
  });

  it('check_realistic_party_size: 1 and 50 pass; 0, 51 and -3 fail, on INSERT and UPDATE', async () => {
    const [one] = await newReservations(1, 1);
    const [fifty] = await newReservations(1, 50);
    expect(one).toBeDefined();
    expect(fifty).toBeDefined();
    for (const size of [0, 51, -3]) {
      await expectRejected(newReservations(1, size), '23514', 'check_realistic_party_size');
    }
    await expectRejected(
      db.query('UPDATE restaurante.reservations SET "partySize" = 51 WHERE id = $1', [one]),
      '23514',
      'check_realistic_party_size',
    );
    await expectRejected(
      db.query('UPDATE restaurante.reservations SET "partySize" = 0 WHERE id = $1', [fifty]),
      '23514',
      'check_realistic_party_size',
    );
    const { rows } = await db.query<{ size: number }>(
      'SELECT "partySize" AS size FROM restaurante.reservations WHERE id = ANY($1) ORDER BY "partySize"',
      [[one, fifty]],
    );
    expect(rows.map((r) => r.size)).toEqual([1, 50]);
  });

  it('check_stock_non_negative: stock 0 passes; -1 fails on INSERT and UPDATE', async () => {
    const zero = await newItem({ stock: 0 });
    expect(await stockOf(zero)).toBe(0);
    await expectRejected(newItem({ stock: -1 }), '23514', 'check_stock_non_negative');
    await expectRejected(
      db.query("UPDATE restaurante.menu_items SET stock = -1 WHERE id = 'item_tarta_queso'"),
      '23514',
      'check_stock_non_negative',
    );
    // The usual decrement that overshoots is refused too, and changes nothing.
    await expectRejected(
      db.query("UPDATE restaurante.menu_items SET stock = stock - 4 WHERE id = 'item_tarta_queso'"),
      '23514',
      'check_stock_non_negative',
    );
    expect(await stockOf('item_tarta_queso')).toBe(3);
  });

  it('check_quantity_positive: quantity 1 and 100 pass; 0, 101 and -1 fail on INSERT and UPDATE', async () => {
    const order = await newOrder();
    const first = await addLine(order, 'item_patatas_bravas', 1);
    await addLine(order, 'item_patatas_bravas', 100);
    for (const quantity of [0, 101, -1]) {
      await expectRejected(addLine(order, 'item_patatas_bravas', quantity), '23514', 'check_quantity_positive');
    }
    await expectRejected(
      db.query('UPDATE restaurante.order_items SET quantity = 0, "totalPrice" = 0 WHERE id = $1', [first]),
      '23514',
      'check_quantity_positive',
    );
    await expectRejected(
      db.query('UPDATE restaurante.order_items SET quantity = 101, "totalPrice" = 656.50 WHERE id = $1', [first]),
      '23514',
      'check_quantity_positive',
    );
    const { rows } = await db.query<{ quantity: number }>(
      'SELECT quantity FROM restaurante.order_items WHERE "orderId" = $1 ORDER BY quantity',
      [order],
    );
    expect(rows.map((r) => r.quantity)).toEqual([1, 100]);
  });

  it('check_price_positive: 0.01 and 999.99 pass; 0, -1 and 1000 fail on INSERT and UPDATE', async () => {
    for (const price of ['0.01', '999.99']) {
      const id = await newItem({ price });
      const { rows } = await db.query<{ price: string }>('SELECT price::text AS price FROM restaurante.menu_items WHERE id = $1', [id]);
      expect(only(rows).price).toBe(price);
    }
    for (const price of ['0', '-1', '1000', '0.001']) {
      await expectRejected(newItem({ price }), '23514', 'check_price_positive');
    }
    await expectRejected(
      db.query("UPDATE restaurante.menu_items SET price = 0 WHERE id = 'item_patatas_bravas'"),
      '23514',
      'check_price_positive',
    );
    await expectRejected(
      db.query("UPDATE restaurante.menu_items SET price = 1000 WHERE id = 'item_patatas_bravas'"),
      '23514',
      'check_price_positive',
    );
    const { rows } = await db.query<{ price: string }>(
      "SELECT price::text AS price FROM restaurante.menu_items WHERE id = 'item_patatas_bravas'",
    );
    expect(only(rows).price).toBe('6.50');
  });

  it('check_email_format: a normal address and NULL pass; malformed addresses fail on INSERT and UPDATE', async () => {
    const ok = await newOrder({ customerEmail: 'Ana.Garcia+mesa3@restaurante-enigma.es' });
    await newOrder({ customerEmail: null });
    for (const email of ['not-an-email', 'ana@example', 'ana@example.c', '@example.com', 'ana garcia@example.com', '']) {
      await expectRejected(newOrder({ customerEmail: email }), '23514', 'check_email_format');
    }
    await expectRejected(
      db.query("UPDATE restaurante.orders SET customer_email = 'ana@@example.com' WHERE id = $1", [ok]),
      '23514',
      'check_email_format',
    );
    const { rows } = await db.query<{ email: string }>('SELECT customer_email AS email FROM restaurante.orders WHERE id = $1', [ok]);
    expect(only(rows).email).toBe('Ana.Garcia+mesa3@restaurante-enigma.es');
  });

  it('a violation surfaces from Database as CONSTRAINT_VIOLATION naming the constraint', async () => {
    const err = await newOrder({ totalAmount: '-1' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'CONSTRAINT_VIOLATION', status: 422, extra: { constraint: 'check_total_amount_positive' } });
  });
});

// ---------------------------------------------------------------------------------------------
// 2–3. §2.1 availability trigger; order lines never touch stock
// ---------------------------------------------------------------------------------------------
describe('order lines', () => {
  it('are refused for an unavailable item with SQLSTATE CM001 (ITEM_UNAVAILABLE), accepted for an available one', async () => {
    const order = await newOrder();
    const err = await expectRejected(addLine(order, 'item_torrija'), 'CM001');
    expect(err.message).toContain('item_torrija');
    await expect(addLine(order, 'item_torrija')).rejects.toMatchObject({ code: 'ITEM_UNAVAILABLE', status: 409 });
    // A non-existent item is refused by the same trigger.
    await expectRejected(addLine(order, 'item_does_not_exist'), 'CM001');

    const line = await addLine(order, 'item_patatas_bravas', 2);
    const { rows } = await db.query<{ id: string; menuItemId: string }>(
      'SELECT id, "menuItemId" FROM restaurante.order_items WHERE "orderId" = $1',
      [order],
    );
    expect(rows).toEqual([{ id: line, menuItemId: 'item_patatas_bravas' }]);
  });

  it('cannot be switched to an unavailable item afterwards (CM001 on UPDATE of "menuItemId" too)', async () => {
    const order = await newOrder();
    const line = await addLine(order, 'item_patatas_bravas');
    await expectRejected(db.query(`UPDATE restaurante.order_items SET "menuItemId" = 'item_torrija' WHERE id = $1`, [line]), 'CM001');
  });

  it('follow the item becoming unavailable and available again', async () => {
    const item = await newItem();
    const order = await newOrder();
    await addLine(order, item);
    await db.query('UPDATE restaurante.menu_items SET "isAvailable" = false WHERE id = $1', [item]);
    await expectRejected(addLine(order, item), 'CM001');
    await db.query('UPDATE restaurante.menu_items SET "isAvailable" = true WHERE id = $1', [item]);
    await addLine(order, item);
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM restaurante.order_items WHERE "orderId" = $1', [order]);
    expect(only(rows).n).toBe(2);
  });

  it('never change menu_items.stock nor write the stock ledger by themselves', async () => {
    const ledgerCount = async (): Promise<number> =>
      only((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM restaurante.stock_movements')).rows).n;
    const before = { tarta: await stockOf('item_tarta_queso'), bravas: await stockOf('item_patatas_bravas'), ledger: await ledgerCount() };
    const order = await newOrder();
    // More cheesecake than there is in stock: the schema does not decrement (the order service does).
    await addLine(order, 'item_tarta_queso', 5);
    await addLine(order, 'item_patatas_bravas', 2);
    await db.query('UPDATE restaurante.order_items SET status = $2 WHERE "orderId" = $1', [order, 'CANCELLED']);
    await db.query('UPDATE restaurante.order_items SET quantity = 1, "totalPrice" = 6.50 WHERE "orderId" = $1', [order]);
    expect(await stockOf('item_tarta_queso')).toBe(before.tarta);
    expect(await stockOf('item_patatas_bravas')).toBe(before.bravas);
    expect(before.tarta).toBe(3);
    expect(await ledgerCount()).toBe(before.ledger);
  });
});

// ---------------------------------------------------------------------------------------------
// 4. The stock ledger
// ---------------------------------------------------------------------------------------------
describe('the stock ledger', () => {
  it('has the seed\'s initial row for every seeded item with stock', async () => {
    expect(await movementsOf('item_torrija')).toEqual([
      { delta: 10, stockAfter: 10, reason: 'initial', orderId: null, actor: 'seed', note: null },
    ]);
    const { rows } = await db.query<{ missing: number }>(
      `SELECT count(*)::int AS missing FROM restaurante.menu_items m
        WHERE m."restaurantId" = $1 AND m.stock > 0 AND m.id NOT LIKE 'item\\_test\\_%'
          AND NOT EXISTS (SELECT 1 FROM restaurante.stock_movements s
                           WHERE s."menuItemId" = m.id AND s.reason = 'initial' AND s.actor = 'seed')`,
      [DEMO],
    );
    expect(only(rows).missing).toBe(0);
  });

  it('writes an initial row when a menu item is inserted (none for stock 0), with comanda.actor or the role', async () => {
    const withActor = await newItem({ stock: 12 }, { settings: { 'comanda.actor': 'staff:marta' } });
    expect(await movementsOf(withActor)).toEqual([
      { delta: 12, stockAfter: 12, reason: 'initial', orderId: null, actor: 'staff:marta', note: null },
    ]);
    const plain = await newItem({ stock: 4 });
    expect(await movementsOf(plain)).toEqual([
      { delta: 4, stockAfter: 4, reason: 'initial', orderId: null, actor: await currentUser(), note: null },
    ]);
    const empty = await newItem({ stock: 0 });
    expect(await movementsOf(empty)).toEqual([]);
  });

  it('records an UPDATE of stock with delta, stockAfter and the transaction-local reason, order and actor', async () => {
    const item = await newItem({ stock: 12 });
    const order = await newOrder();
    await db.transaction(
      async (tx) => {
        await tx.query('UPDATE restaurante.menu_items SET stock = stock - 2 WHERE id = $1', [item]);
      },
      { settings: { 'comanda.stock_reason': 'order', 'comanda.stock_order_id': order, 'comanda.actor': 'session:mesa4' } },
    );
    await db.transaction(
      async (tx) => {
        await tx.query('UPDATE restaurante.menu_items SET stock = stock + 5 WHERE id = $1', [item]);
      },
      { settings: { 'comanda.stock_reason': 'restock', 'comanda.actor': 'staff:marta', 'comanda.stock_note': 'delivery 42' } },
    );
    // Without settings: 'manual', by the database role.
    await db.query('UPDATE restaurante.menu_items SET stock = 7 WHERE id = $1', [item]);
    const role = await currentUser();
    expect(await movementsOf(item)).toEqual([
      { delta: 12, stockAfter: 12, reason: 'initial', orderId: null, actor: role, note: null },
      { delta: -2, stockAfter: 10, reason: 'order', orderId: order, actor: 'session:mesa4', note: null },
      { delta: 5, stockAfter: 15, reason: 'restock', orderId: null, actor: 'staff:marta', note: 'delivery 42' },
      { delta: -8, stockAfter: 7, reason: 'manual', orderId: null, actor: role, note: null },
    ]);
    expect(await stockOf(item)).toBe(7);
  });

  it('writes nothing for an UPDATE that leaves stock unchanged', async () => {
    const item = await newItem({ stock: 6 });
    await db.query('UPDATE restaurante.menu_items SET stock = stock, name = $2 WHERE id = $1', [item, 'Renamed']);
    await db.query('UPDATE restaurante.menu_items SET price = 5.50 WHERE id = $1', [item]);
    expect(await movementsOf(item)).toHaveLength(1);
  });

  it('reads the settings transaction-locally: the next transaction on the same connection says manual', async () => {
    const item = await newItem({ stock: 20 });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `SELECT set_config('comanda.stock_reason', 'correction', true), set_config('comanda.actor', 'staff:luis', true)`,
      );
      await client.query('UPDATE restaurante.menu_items SET stock = 18 WHERE id = $1', [item]);
      await client.query('COMMIT');
      await client.query('UPDATE restaurante.menu_items SET stock = 17 WHERE id = $1', [item]);
      const { rows } = await client.query<{ u: string }>('SELECT current_user::text AS u');
      const role = only(rows).u;
      expect((await movementsOf(item)).slice(1)).toEqual([
        { delta: -2, stockAfter: 18, reason: 'correction', orderId: null, actor: 'staff:luis', note: null },
        { delta: -1, stockAfter: 17, reason: 'manual', orderId: null, actor: role, note: null },
      ]);
    } finally {
      await client.end();
    }
  });

  it('refuses an unknown reason, and the stock change with it', async () => {
    const item = await newItem({ stock: 9 });
    await expectRejected(
      db.transaction(
        async (tx) => {
          await tx.query('UPDATE restaurante.menu_items SET stock = 1 WHERE id = $1', [item]);
        },
        { settings: { 'comanda.stock_reason': 'theft' } },
      ),
      '23514',
      'stock_movements_reason_check',
    );
    expect(await stockOf(item)).toBe(9);
    expect(await movementsOf(item)).toHaveLength(1);
  });

  it('is append-only: UPDATE and DELETE of stock_movements are refused (23001) and change nothing', async () => {
    const before = await movementsOf('item_tarta_queso');
    expect(before).toHaveLength(1);
    await expectRejected(
      db.query(`UPDATE restaurante.stock_movements SET delta = 100 WHERE "menuItemId" = 'item_tarta_queso'`),
      '23001',
    );
    await expectRejected(db.query(`UPDATE restaurante.stock_movements SET note = 'edited'`), '23001');
    await expectRejected(db.query(`DELETE FROM restaurante.stock_movements WHERE "menuItemId" = 'item_tarta_queso'`), '23001');
    await expectRejected(db.query('DELETE FROM restaurante.stock_movements'), '23001');
    await expectRejected(db.query('TRUNCATE restaurante.stock_movements'), '23001');
    expect(await movementsOf('item_tarta_queso')).toEqual(before);
  });

  it('holds stock = sum(delta) for every item, also after concurrent changes', async () => {
    // A few more changes, including several in one transaction and a concurrent burst.
    const item = await newItem({ stock: 50 });
    await db.transaction(async (tx) => {
      await tx.query('UPDATE restaurante.menu_items SET stock = stock - 1 WHERE id = $1', [item]);
      await tx.query('UPDATE restaurante.menu_items SET stock = stock - 3 WHERE id = $1', [item]);
    });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        db.query('UPDATE restaurante.menu_items SET stock = stock - 1 WHERE id = $1', [item], {
          settings: { 'comanda.stock_reason': 'order', 'comanda.actor': `burst:${i}` },
        }),
      ),
    );
    expect(await stockOf(item)).toBe(36);

    const { rows } = await db.query<{ id: string; stock: number; ledger: number | null }>(
      `SELECT m.id, m.stock, l.total AS ledger
         FROM restaurante.menu_items m
         LEFT JOIN (SELECT "menuItemId", sum(delta)::int AS total
                      FROM restaurante.stock_movements GROUP BY "menuItemId") l ON l."menuItemId" = m.id`,
    );
    expect(rows.length).toBeGreaterThan(40);
    expect(rows.filter((r) => r.stock !== (r.ledger ?? 0))).toEqual([]);
    // The concurrent decrements were applied one after another: each saw the previous one's result.
    const burst = (await movementsOf(item)).filter((m) => m.reason === 'order');
    expect(burst).toHaveLength(10);
    expect(burst.map((m) => m.stockAfter).sort((a, b) => b - a)).toEqual([45, 44, 43, 42, 41, 40, 39, 38, 37, 36]);
  });
});

// ---------------------------------------------------------------------------------------------
// 5. Order status history
// ---------------------------------------------------------------------------------------------
describe('order status history', () => {
  interface HistoryRow {
    orderItemId: string | null;
    fromStatus: string | null;
    toStatus: string;
    changedBy: string;
  }
  const historyOf = async (orderId: string): Promise<HistoryRow[]> =>
    (
      await db.query<HistoryRow>(
        `SELECT "orderItemId", "fromStatus", "toStatus", "changedBy"
           FROM restaurante.order_status_history WHERE "orderId" = $1 ORDER BY "changedAt", id`,
        [orderId],
      )
    ).rows;

  it('records the insert and every status change of an order, by comanda.actor or the role', async () => {
    const order = await newOrder({}, { settings: { 'comanda.actor': 'session:mesa7' } });
    expect(await historyOf(order)).toEqual([{ orderItemId: null, fromStatus: null, toStatus: 'PENDING', changedBy: 'session:mesa7' }]);

    await db.query(`UPDATE restaurante.orders SET status = 'CONFIRMED' WHERE id = $1`, [order], {
      settings: { 'comanda.actor': 'staff:kitchen-luis' },
    });
    await db.query(`UPDATE restaurante.orders SET status = 'IN_PROGRESS' WHERE id = $1`, [order]);
    // A change of something else is not a status change.
    await db.query(`UPDATE restaurante.orders SET notes = 'sin cebolla' WHERE id = $1`, [order]);

    const role = await currentUser();
    expect(await historyOf(order)).toEqual([
      { orderItemId: null, fromStatus: null, toStatus: 'PENDING', changedBy: 'session:mesa7' },
      { orderItemId: null, fromStatus: 'PENDING', toStatus: 'CONFIRMED', changedBy: 'staff:kitchen-luis' },
      { orderItemId: null, fromStatus: 'CONFIRMED', toStatus: 'IN_PROGRESS', changedBy: role },
    ]);
  });

  it('records order lines too, with their orderItemId', async () => {
    const order = await newOrder({}, { settings: { 'comanda.actor': 'session:mesa2' } });
    const line = await addLine(order, 'item_patatas_bravas', 1, DEMO, { settings: { 'comanda.actor': 'session:mesa2' } });
    await db.query(`UPDATE restaurante.order_items SET status = 'READY' WHERE id = $1`, [line], {
      settings: { 'comanda.actor': 'staff:kitchen-ana' },
    });
    const lineHistory = (await historyOf(order)).filter((h) => h.orderItemId === line);
    expect(lineHistory).toEqual([
      { orderItemId: line, fromStatus: null, toStatus: 'PENDING', changedBy: 'session:mesa2' },
      { orderItemId: line, fromStatus: 'PENDING', toStatus: 'READY', changedBy: 'staff:kitchen-ana' },
    ]);
  });

  it('records nothing for an update that leaves the status as it was', async () => {
    const order = await newOrder();
    const line = await addLine(order, 'item_patatas_bravas');
    await db.query('UPDATE restaurante.orders SET status = status, notes = $2 WHERE id = $1', [order, 'sin cebolla']);
    await db.query('UPDATE restaurante.order_items SET status = status WHERE id = $1', [line]);
    expect((await historyOf(order)).map((h) => h.toStatus)).toEqual(['PENDING', 'PENDING']);
  });

  it('rolls back with the change: a failed status update leaves no history row', async () => {
    const order = await newOrder();
    await expectRejected(
      db.query(`UPDATE restaurante.orders SET status = 'SERVED', "totalAmount" = -1 WHERE id = $1`, [order]),
      '23514',
      'check_total_amount_positive',
    );
    expect(await historyOf(order)).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
// 6. Tenant isolation by composite foreign keys
// ---------------------------------------------------------------------------------------------
describe('tenant isolation', () => {
  it('the other restaurant can order its own item', async () => {
    const order = await newOrder({ restaurantId: OTHER, tableId: OTHER_TABLE });
    await addLine(order, OTHER_ITEM, 1, OTHER);
  });

  it("refuses an order line for another restaurant's dish: the FK says 23503 (the availability trigger answers first on INSERT)", async () => {
    const order = await newOrder();
    // The §2.1 trigger runs BEFORE INSERT and only sees items of the line's own restaurant.
    await expectRejected(addLine(order, OTHER_ITEM), 'CM001');
    // With that trigger out of the way (in a transaction that is rolled back), the composite
    // foreign key itself refuses the row.
    await expectRejected(
      db.transaction(async (tx) => {
        await tx.query('ALTER TABLE restaurante.order_items DISABLE TRIGGER check_menu_item_before_order_item');
        await tx.query(
          `INSERT INTO restaurante.order_items ("restaurantId", "orderId", "menuItemId", quantity, "unitPrice", "totalPrice")
           VALUES ($1, $2, $3, 1, 8.00, 8.00)`,
          [DEMO, order, OTHER_ITEM],
        );
      }),
      '23503',
      'order_items_menuItemId_fkey',
    );
    const { rows: triggers } = await db.query<{ enabled: string }>(
      `SELECT tgenabled AS enabled FROM pg_trigger WHERE tgname = 'check_menu_item_before_order_item'`,
    );
    expect(only(triggers).enabled).toBe('O'); // the rollback re-enabled it

    // An UPDATE that points an existing line at the other restaurant's dish is refused too (the
    // trigger also runs on a change of "menuItemId").
    const line = await addLine(order, 'item_patatas_bravas');
    await expectRejected(db.query('UPDATE restaurante.order_items SET "menuItemId" = $2 WHERE id = $1', [line, OTHER_ITEM]), 'CM001');
    // Claiming the other restaurant for the line (so its dish passes the trigger) breaks the order FK.
    await expectRejected(addLine(order, OTHER_ITEM, 1, OTHER), '23503', 'order_items_orderId_fkey');
    const { rows } = await db.query<{ menuItemId: string }>('SELECT "menuItemId" FROM restaurante.order_items WHERE "orderId" = $1', [order]);
    expect(rows).toEqual([{ menuItemId: 'item_patatas_bravas' }]);
  });

  it('§5.3 scenario 4: an order with tableId non_existent_table fails with 23503', async () => {
    // The roadmap's statement, verbatim.
    await expectRejected(
      db.query(`INSERT INTO restaurante.orders (
  id, "orderNumber", "tableId", "totalAmount", status, "restaurantId", "orderedAt", "updatedAt"
)
VALUES (
  'test_fk_violation',
  'INVALID001',
  'non_existent_table',  -- Should fail with FK constraint
  10.00,
  'PENDING',
  'rest_enigma_001',
  NOW(),
  NOW()
)`),
      '23503',
      'orders_tableId_fkey',
    );
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM restaurante.orders WHERE id = 'test_fk_violation'`);
    expect(only(rows).n).toBe(0);
    // A table that exists but belongs to another restaurant is refused the same way.
    await expectRejected(newOrder({ tableId: OTHER_TABLE }), '23503', 'orders_tableId_fkey');
    await expectRejected(newOrder({ restaurantId: OTHER, tableId: 'table_01' }), '23503', 'orders_tableId_fkey');
    // And the demo's own table is fine.
    await newOrder({ tableId: 'table_01' });
  });

  it("refuses a booking of another restaurant's table", async () => {
    const [reservation] = await newReservations(1);
    if (reservation === undefined) throw new Error('no reservation');
    await expectRejected(
      book(reservation, OTHER_TABLE, '[2031-06-11 20:00+02, 2031-06-11 21:45+02)'),
      '23503',
      'reservation_tables_tableId_fkey',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// 7. Double booking
// ---------------------------------------------------------------------------------------------
describe('double booking', () => {
  const overlappingPairs = async (tableId: string, activeOnly = true): Promise<number> => {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n
         FROM restaurante.reservation_tables a
         JOIN restaurante.reservation_tables b
           ON a."restaurantId" = b."restaurantId" AND a."tableId" = b."tableId"
          AND a."reservationId" < b."reservationId" AND a.occupied && b.occupied
        WHERE a."tableId" = $1 AND ($2::boolean IS FALSE OR (a.active AND b.active))`,
      [tableId, activeOnly],
    );
    return only(rows).n;
  };

  interface Attempt {
    index: number;
    committed: boolean;
    code?: string;
    constraint?: string;
  }

  interface Race {
    reservations: string[];
    ranges: string[];
    results: Attempt[];
    /** The most transactions seen at once waiting for another one (row or transaction locks in pg_locks). */
    mostWaiting: number;
  }

  /**
   * 20 transactions, each on its own connection, book `table` for 20 pairwise overlapping
   * intervals on `day` (June 2031). They start together: each opens its transaction and waits at
   * an advisory lock held by a control connection, which lets go once all 20 are waiting. Each
   * keeps its booking uncommitted for 0.3 s, so the others meet it in progress.
   */
  async function raceBookings(table: string, day: number, options: { lockTableFirst: boolean }): Promise<Race> {
    const reservations = await newReservations(20);
    // Attempt i holds the table from 20:00 (+02) + 5·i min for 105 min: every pair overlaps.
    const ranges = reservations.map((_, i) => {
      const start = new Date(Date.UTC(2031, 5, day, 18, 5 * i));
      const end = new Date(start.getTime() + 105 * 60_000);
      return `[${start.toISOString()}, ${end.toISOString()})`;
    });
    const pool = new pg.Pool({ connectionString: url, max: 20, statement_timeout: 45_000, lock_timeout: 45_000 });
    const control = new pg.Client({ connectionString: url });
    await control.connect();
    const clients: pg.PoolClient[] = [];
    const gate = 740_500 + day;
    try {
      for (let i = 0; i < 20; i++) clients.push(await pool.connect());
      const pids = await Promise.all(
        clients.map(async (client) => only((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows).pid),
      );
      expect(new Set(pids).size).toBe(20);
      await control.query('SELECT pg_advisory_lock($1)', [gate]);

      const attempt = async (client: pg.PoolClient, index: number): Promise<Attempt> => {
        await client.query('BEGIN');
        try {
          await client.query('SELECT pg_advisory_xact_lock_shared($1)', [gate]); // the starting line
          if (options.lockTableFirst) {
            await client.query('SELECT 1 FROM restaurante.tables WHERE id = $1 FOR UPDATE', [table]);
          }
          await client.query(BOOK_SQL, [DEMO, reservations[index], table, ranges[index]]);
          await client.query('SELECT pg_sleep(0.3)');
          await client.query('COMMIT');
          return { index, committed: true };
        } catch (err) {
          await client.query('ROLLBACK');
          if (!(err instanceof pg.DatabaseError)) throw err;
          return { index, committed: false, code: err.code, constraint: err.constraint };
        }
      };
      let settled = false;
      const finished = Promise.all(clients.map((client, index) => attempt(client, index))).finally(() => {
        settled = true;
      });

      // Let go only when all 20 transactions are open and waiting at the starting line.
      const deadline = Date.now() + 15_000;
      for (;;) {
        const { rows } = await control.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks
            WHERE locktype = 'advisory' AND NOT granted AND objid::bigint = $1 AND pid = ANY($2)`,
          [gate, pids],
        );
        if (only(rows).n === 20) break;
        if (Date.now() > deadline) throw new Error('the 20 transactions never reached the starting line');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await control.query('SELECT pg_advisory_unlock($1)', [gate]);

      let mostWaiting = 0;
      while (!settled) {
        const { rows } = await control.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype IN ('transactionid', 'tuple') AND NOT granted AND pid = ANY($1)`,
          [pids],
        );
        mostWaiting = Math.max(mostWaiting, only(rows).n);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return { reservations, ranges, results: await finished, mostWaiting };
    } finally {
      for (const client of clients) client.release();
      await pool.end();
      await control.end();
    }
  }

  /** After a race: the winner's booking is the only one for the table, and table_ids agrees. */
  async function expectOnlyWinnerBooked(table: string, race: Race, winner: Attempt): Promise<void> {
    const { rows } = await db.query<{ reservationId: string; active: boolean }>(
      `SELECT "reservationId", active FROM restaurante.reservation_tables WHERE "reservationId" = ANY($1)`,
      [race.reservations],
    );
    expect(rows).toEqual([{ reservationId: race.reservations[winner.index], active: true }]);
    expect(await overlappingPairs(table)).toBe(0);
    const { rows: ids } = await db.query<{ id: string; table_ids: string[] }>(
      'SELECT id, table_ids FROM restaurante.reservations WHERE id = ANY($1)',
      [race.reservations],
    );
    expect(ids.filter((r) => r.table_ids.length > 0)).toEqual([{ id: race.reservations[winner.index], table_ids: [table] }]);
  }

  it(
    'is impossible under real concurrency: of 20 overlapping bookings on separate connections exactly one commits, the rest get 23P01',
    async () => {
      const table = 'table_05';
      const race = await raceBookings(table, 10, { lockTableFirst: false });
      // Real contention: several transactions were blocked at once on another's uncommitted row.
      expect(race.mostWaiting).toBeGreaterThanOrEqual(2);
      const winner = only(race.results.filter((r) => r.committed));
      const losers = race.results.filter((r) => !r.committed);
      expect(losers).toHaveLength(19);
      // PostgreSQL documents (execIndexing.c) that inserters into an exclusion constraint can
      // find each other's uncommitted rows and wait for each other; the deadlock detector then
      // aborts all but one of them with 40P01, one per deadlock_timeout. Such a victim is
      // retried, as the application retries DATABASE_BUSY, and meets the committed winner: 23P01.
      for (const loser of losers) {
        expect(['23P01', '40P01']).toContain(loser.code);
        if (loser.code === '40P01') {
          const err = await expectRejected(
            db.query(BOOK_SQL, [DEMO, race.reservations[loser.index], table, race.ranges[loser.index]]),
            '23P01',
            'reservation_tables_no_overlap',
          );
          loser.code = err.code;
          loser.constraint = err.constraint;
        }
      }
      expect(losers.map((l) => [l.code, l.constraint])).toEqual(losers.map(() => ['23P01', 'reservation_tables_no_overlap']));
      await expectOnlyWinnerBooked(table, race, winner);
    },
    90_000,
  );

  it(
    'answers every concurrent loser with 23P01 at once when each first locks the table row',
    async () => {
      const table = 'table_05';
      const race = await raceBookings(table, 16, { lockTableFirst: true });
      expect(race.mostWaiting).toBeGreaterThanOrEqual(2);
      const winner = only(race.results.filter((r) => r.committed));
      const losers = race.results.filter((r) => !r.committed);
      expect(losers.map((l) => [l.code, l.constraint])).toEqual(
        Array.from({ length: 19 }, () => ['23P01', 'reservation_tables_no_overlap']),
      );
      await expectOnlyWinnerBooked(table, race, winner);
    },
    60_000,
  );

  it("accepts adjacent bookings '[a,b)' and '[b,c)', refuses one that overlaps by a minute", async () => {
    const [first, second, third] = await newReservations(3);
    if (first === undefined || second === undefined || third === undefined) throw new Error('no reservations');
    await book(first, 'table_06', '[2031-06-10 13:00+02, 2031-06-10 14:45+02)');
    await book(second, 'table_06', '[2031-06-10 14:45+02, 2031-06-10 16:30+02)');
    await expectRejected(
      book(third, 'table_06', '[2031-06-10 14:44+02, 2031-06-10 15:00+02)'),
      '23P01',
      'reservation_tables_no_overlap',
    );
    // The conflict reaches API callers as TABLE_ALREADY_RESERVED (409).
    await expect(book(third, 'table_06', '[2031-06-10 14:00+02, 2031-06-10 15:00+02)')).rejects.toMatchObject({
      code: 'TABLE_ALREADY_RESERVED',
      status: 409,
      extra: { constraint: 'reservation_tables_no_overlap' },
    });
    // The same time on another table is fine.
    await book(third, 'table_04', '[2031-06-10 14:00+02, 2031-06-10 15:00+02)');
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM restaurante.reservation_tables WHERE "tableId" = 'table_06' AND active`,
    );
    expect(only(rows).n).toBe(2);
    expect(await overlappingPairs('table_06')).toBe(0);
  });

  it('frees the table when a booking is cancelled, and refuses to revive it over a newer booking', async () => {
    const [cancelled, replacement] = await newReservations(2);
    if (cancelled === undefined || replacement === undefined) throw new Error('no reservations');
    const slot = '[2031-06-12 21:00+02, 2031-06-12 22:45+02)';
    await book(cancelled, 'table_07', slot);
    await expectRejected(book(replacement, 'table_07', slot), '23P01', 'reservation_tables_no_overlap');

    const activeOf = async (reservationId: string): Promise<boolean> =>
      only(
        (
          await db.query<{ active: boolean }>('SELECT active FROM restaurante.reservation_tables WHERE "reservationId" = $1', [
            reservationId,
          ])
        ).rows,
      ).active;

    await db.query(`UPDATE restaurante.reservations SET status = 'CANCELLED' WHERE id = $1`, [cancelled]);
    expect(await activeOf(cancelled)).toBe(false);
    await book(replacement, 'table_07', '[2031-06-12 21:30+02, 2031-06-12 23:15+02)');
    expect(await activeOf(replacement)).toBe(true);

    await expectRejected(
      db.query(`UPDATE restaurante.reservations SET status = 'CONFIRMED' WHERE id = $1`, [cancelled]),
      '23P01',
      'reservation_tables_no_overlap',
    );
    const { rows } = await db.query<{ status: string }>('SELECT status::text FROM restaurante.reservations WHERE id = $1', [cancelled]);
    expect(only(rows).status).toBe('CANCELLED');
    expect(await activeOf(cancelled)).toBe(false);
    // The two rows do overlap (the query sees them), but never two active ones.
    expect(await overlappingPairs('table_07', false)).toBe(1);
    expect(await overlappingPairs('table_07')).toBe(0);
  });

  it('never lets a row added to an already cancelled or finished booking hold the table', async () => {
    const [cancelled] = await newReservations(1, 2, 'CANCELLED');
    const [live] = await newReservations(1, 2, 'CONFIRMED');
    const slot = '[2031-06-11 13:00+02, 2031-06-11 14:45+02)';
    await book(cancelled!, 'table_06', slot);
    const { rows } = await db.query<{ active: boolean }>(
      'SELECT active FROM restaurante.reservation_tables WHERE "reservationId" = $1',
      [cancelled],
    );
    expect(only(rows).active).toBe(false);
    // Forcing it active is overridden by the booking's status, and the live booking gets the table.
    await db.query('UPDATE restaurante.reservation_tables SET active = true WHERE "reservationId" = $1', [cancelled]);
    await book(live!, 'table_06', slot);
  });

  it('keeps the table held while PENDING → CONFIRMED → SEATED, and frees it at COMPLETED and NO_SHOW', async () => {
    const [reservation, other] = await newReservations(2, 2, 'PENDING');
    if (reservation === undefined || other === undefined) throw new Error('no reservations');
    await book(reservation, 'table_08', '[2031-06-13 13:00+02, 2031-06-13 14:45+02)');
    const active = async (): Promise<boolean> =>
      only(
        (await db.query<{ active: boolean }>('SELECT active FROM restaurante.reservation_tables WHERE "reservationId" = $1', [reservation]))
          .rows,
      ).active;
    for (const status of ['CONFIRMED', 'SEATED']) {
      await db.query('UPDATE restaurante.reservations SET status = $2::restaurante."ReservationStatus" WHERE id = $1', [reservation, status]);
      expect(await active()).toBe(true);
    }
    await db.query(`UPDATE restaurante.reservations SET status = 'COMPLETED' WHERE id = $1`, [reservation]);
    expect(await active()).toBe(false);
    await db.query(`UPDATE restaurante.reservations SET status = 'NO_SHOW' WHERE id = $1`, [reservation]);
    expect(await active()).toBe(false);
    await book(other, 'table_08', '[2031-06-13 14:00+02, 2031-06-13 15:00+02)');
  });

  it('keeps reservations.table_ids equal to the sorted join rows', async () => {
    const [reservation] = await newReservations(1, 8);
    if (reservation === undefined) throw new Error('no reservation');
    const slot = '[2031-06-14 20:00+02, 2031-06-14 21:45+02)';
    const tableIds = async (): Promise<{ column: string[]; joined: string[] }> => {
      const { rows } = await db.query<{ column: string[]; joined: string[] }>(
        `SELECT r.table_ids AS column,
                coalesce((SELECT array_agg(rt."tableId" ORDER BY rt."tableId")
                            FROM restaurante.reservation_tables rt WHERE rt."reservationId" = r.id), '{}') AS joined
           FROM restaurante.reservations r WHERE r.id = $1`,
        [reservation],
      );
      return only(rows);
    };
    expect(await tableIds()).toEqual({ column: [], joined: [] });
    await book(reservation, 'table_10', slot);
    await book(reservation, 'table_03', slot);
    await db.transaction(async (tx) => {
      await tx.query(BOOK_SQL, [DEMO, reservation, 'table_11', slot]);
      await tx.query(BOOK_SQL, [DEMO, reservation, 'table_09', slot]);
    });
    expect(await tableIds()).toEqual({
      column: ['table_03', 'table_09', 'table_10', 'table_11'],
      joined: ['table_03', 'table_09', 'table_10', 'table_11'],
    });
    await db.query(`DELETE FROM restaurante.reservation_tables WHERE "reservationId" = $1 AND "tableId" = 'table_09'`, [reservation]);
    expect(await tableIds()).toEqual({ column: ['table_03', 'table_10', 'table_11'], joined: ['table_03', 'table_10', 'table_11'] });
    // Moving a row to another table.
    await db.query(
      `UPDATE restaurante.reservation_tables SET "tableId" = 'table_02' WHERE "reservationId" = $1 AND "tableId" = 'table_11'`,
      [reservation],
    );
    expect(await tableIds()).toEqual({ column: ['table_02', 'table_03', 'table_10'], joined: ['table_02', 'table_03', 'table_10'] });
    // A refused booking leaves table_ids as it was.
    const [rival] = await newReservations(1);
    if (rival === undefined) throw new Error('no reservation');
    await expectRejected(book(rival, 'table_03', slot), '23P01', 'reservation_tables_no_overlap');
    const { rows: rivalIds } = await db.query<{ table_ids: string[] }>('SELECT table_ids FROM restaurante.reservations WHERE id = $1', [rival]);
    expect(only(rivalIds).table_ids).toEqual([]);
    await db.query('DELETE FROM restaurante.reservation_tables WHERE "reservationId" = $1', [reservation]);
    expect(await tableIds()).toEqual({ column: [], joined: [] });
  });
});

// ---------------------------------------------------------------------------------------------
// 8. Restaurant time zones
// ---------------------------------------------------------------------------------------------
describe('restaurant time zones', () => {
  it("rejects 'Mars/Olympus' (23514) on INSERT and UPDATE, accepts 'Europe/Madrid'", async () => {
    const insert = (id: string, timezone: string) =>
      db.query('INSERT INTO restaurante.restaurants (id, name, timezone) VALUES ($1, $2, $3)', [id, 'Prueba', timezone]);
    const err = await expectRejected(insert(unique('rest_mars'), 'Mars/Olympus'), '23514', 'restaurants_timezone_check');
    expect(err.message).toContain('Mars/Olympus');

    const id = unique('rest_madrid');
    await insert(id, 'Europe/Madrid');
    await expectRejected(
      db.query(`UPDATE restaurante.restaurants SET timezone = 'Mars/Olympus' WHERE id = $1`, [id]),
      '23514',
      'restaurants_timezone_check',
    );
    await db.query(`UPDATE restaurante.restaurants SET timezone = 'America/Argentina/Buenos_Aires' WHERE id = $1`, [id]);
    const { rows } = await db.query<{ timezone: string }>('SELECT timezone FROM restaurante.restaurants WHERE id = $1', [id]);
    expect(only(rows).timezone).toBe('America/Argentina/Buenos_Aires');
    const { rows: seeded } = await db.query<{ timezone: string }>('SELECT timezone FROM restaurante.restaurants WHERE id = $1', [DEMO]);
    expect(only(seeded).timezone).toBe('Europe/Madrid');
  });
});

