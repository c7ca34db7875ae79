// Orders in the schema: the availability trigger on order lines (SQLSTATE CM001), order lines
// never touching stock by themselves, and the order status history written by trigger.
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_RESTAURANT_ID as DEMO, seedDemo } from '../../src/core/seed.js';
import { useTestDatabase } from '../helpers/db.js';
import { stockOf } from '../helpers/fixtures.js';
import { expectRejected, only, schemaRows } from '../helpers/schema.js';

// The file's own migrated database, with the demo restaurant seeded.
const { db } = await useTestDatabase();
const { newOrder, addLine, newItem, currentUser } = schemaRows(db);

beforeAll(async () => {
  await seedDemo(db);
});

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
    const before = { tarta: await stockOf(db, 'item_tarta_queso'), bravas: await stockOf(db, 'item_patatas_bravas'), ledger: await ledgerCount() };
    const order = await newOrder();
    // More cheesecake than there is in stock: the schema does not decrement (the order service does).
    await addLine(order, 'item_tarta_queso', 5);
    await addLine(order, 'item_patatas_bravas', 2);
    await db.query('UPDATE restaurante.order_items SET status = $2 WHERE "orderId" = $1', [order, 'CANCELLED']);
    await db.query('UPDATE restaurante.order_items SET quantity = 1, "totalPrice" = 6.50 WHERE "orderId" = $1', [order]);
    expect(await stockOf(db, 'item_tarta_queso')).toBe(before.tarta);
    expect(await stockOf(db, 'item_patatas_bravas')).toBe(before.bravas);
    expect(before.tarta).toBe(3);
    expect(await ledgerCount()).toBe(before.ledger);
  });
});

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
