// Tenant isolation by composite foreign keys: an order line, an order's table or a booking's table
// of another restaurant is refused by the schema itself.
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_RESTAURANT_ID as DEMO, seedDemo } from '../../src/core/seed.js';
import { useTestDatabase } from '../helpers/db.js';
import { expectRejected, only, schemaRows } from '../helpers/schema.js';

// The file's own migrated database, with the demo restaurant seeded.
const { db } = await useTestDatabase();
const { newOrder, addLine, newReservations, book } = schemaRows(db);

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

describe('tenant isolation', () => {
  it('the other restaurant can order its own item', async () => {
    const order = await newOrder({ restaurantId: OTHER, tableId: OTHER_TABLE });
    await addLine(order, OTHER_ITEM, 1, OTHER);
  });

  it("refuses an order line for another restaurant's dish: the FK says 23503 (the availability trigger answers first on INSERT)", async () => {
    const order = await newOrder();
    // The availability trigger runs BEFORE INSERT and only sees items of the line's own restaurant.
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

  it('an order with tableId non_existent_table fails with 23503', async () => {
    // A hand-written INSERT naming a table that does not exist, as an operator might type it.
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
