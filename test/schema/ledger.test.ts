// The stock ledger (restaurante.stock_movements): a row for every stock change with its reason,
// order and actor read transaction-locally, append-only, and stock = sum(delta) for every item.
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_RESTAURANT_ID as DEMO, seedDemo } from '../../src/core/seed.js';
import { useTestDatabase } from '../helpers/db.js';
import { stockOf } from '../helpers/fixtures.js';
import { expectRejected, only, schemaRows } from '../helpers/schema.js';

// The file's own migrated database, with the demo restaurant seeded.
const { url, db } = await useTestDatabase();
const { newOrder, newItem, movementsOf, currentUser } = schemaRows(db);

beforeAll(async () => {
  await seedDemo(db);
});

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
    expect(await stockOf(db, item)).toBe(7);
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
    expect(await stockOf(db, item)).toBe(9);
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
    expect(await stockOf(db, item)).toBe(36);

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
