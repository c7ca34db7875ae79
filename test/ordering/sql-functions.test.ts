// The SQL integrity checks, called directly: restaurante.decrease_menu_item_stock() and
// restaurante.create_order_with_stock_check() keep the stock ledger and charge the database's prices.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DEMO_RESTAURANT_ID } from '../../src/core/seed.js';
import { useTestApp } from '../helpers/app.js';
import { priceOf, stockOf } from '../helpers/fixtures.js';
import { cents, orderingRequests } from '../helpers/ordering.js';

// The file's own app over its own database (the demo restaurant seeded).
const t = await useTestApp();
const { counts } = orderingRequests(t);

describe('the SQL integrity checks', () => {
  async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: t.url });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  it('decrease_menu_item_stock() lowers the stock and writes a ledger row', async () => {
    const stock = await stockOf(t.db, 'item_patatas_bravas');
    const before = await counts();
    const result = await withClient((c) =>
      c.query<{ stock: number }>(`SELECT restaurante.decrease_menu_item_stock('item_patatas_bravas', 5) AS stock`),
    );
    expect(result.rows[0]!.stock).toBe(stock - 5);
    expect(await stockOf(t.db, 'item_patatas_bravas')).toBe(stock - 5);
    expect((await counts()).stockMovements).toBe(before.stockMovements + 1);
    const { rows } = await t.db.query<{ delta: number; stockAfter: number; reason: string }>(
      `SELECT delta, "stockAfter", reason FROM restaurante.stock_movements
        WHERE "menuItemId" = 'item_patatas_bravas' ORDER BY "createdAt" DESC, id LIMIT 1`,
    );
    expect(rows[0]).toEqual({ delta: -5, stockAfter: stock - 5, reason: 'order' });
  });

  it("asking for more than the stock raises 'Stock insuficiente' and changes nothing", async () => {
    const stock = await stockOf(t.db, 'item_patatas_bravas');
    const before = await counts();
    const error = await withClient((c) =>
      c.query(`SELECT restaurante.decrease_menu_item_stock('item_patatas_bravas', $1)`, [stock + 100]).then(
        () => undefined,
        (err: unknown) => err,
      ),
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('Stock insuficiente');
    expect((error as { code?: string }).code).toBe('CM002');
    expect(await stockOf(t.db, 'item_patatas_bravas')).toBe(stock);
    expect(await counts()).toEqual(before);
  });

  it("create_order_with_stock_check() with the documented payload returns (order_id, true) and charges the database's prices", async () => {
    const price = await priceOf(t.db, 'item_secreto_iberico');
    const stock = await stockOf(t.db, 'item_secreto_iberico');
    const now = Date.now();
    const orderData = {
      id: `test_order_${now}`,
      orderNumber: `TEST${now}`,
      totalAmount: 0.01,
      status: 'PENDING',
      tableId: 'table_10',
      restaurantId: DEMO_RESTAURANT_ID,
    };
    const items = [
      { id: `test_item_${now}`, menuItemId: 'item_secreto_iberico', quantity: 2, unitPrice: 0.01, totalPrice: 0.01, status: 'PENDING' },
    ];
    const { rows } = await withClient((c) =>
      c.query<{ order_id: string; success: boolean }>(
        'SELECT * FROM restaurante.create_order_with_stock_check($1::jsonb, $2::jsonb[])',
        [JSON.stringify(orderData), items.map((i) => JSON.stringify(i))],
      ),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.success).toBe(true);
    const orderId = rows[0]!.order_id;
    expect(orderId).toEqual(expect.any(String));

    const { rows: stored } = await t.db.query<{ totalAmount: string; orderNumber: string; tableId: string; status: string }>(
      'SELECT "totalAmount", "orderNumber", "tableId", status FROM restaurante.orders WHERE id = $1',
      [orderId],
    );
    expect(stored).toHaveLength(1);
    expect(cents(stored[0]!.totalAmount)).toBe(cents(price) * 2);
    expect(stored[0]).toMatchObject({ tableId: 'table_10', status: 'PENDING' });
    const { rows: lines } = await t.db.query<{ unitPrice: string; totalPrice: string; quantity: number }>(
      'SELECT "unitPrice", "totalPrice", quantity FROM restaurante.order_items WHERE "orderId" = $1',
      [orderId],
    );
    expect(lines).toHaveLength(1);
    expect(cents(lines[0]!.unitPrice)).toBe(cents(price));
    expect(cents(lines[0]!.totalPrice)).toBe(cents(price) * 2);
    expect(lines[0]!.quantity).toBe(2);
    expect(await stockOf(t.db, 'item_secreto_iberico')).toBe(stock - 2);
  });
});
