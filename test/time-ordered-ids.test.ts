// Migration 0063: the rows every order writes (the order, its lines, their status history, the
// stock movements) get version 7 UUIDs, which sort by creation time as text, so new keys go to the
// right-hand edge of their indexes. Tokens stay random (their own tests).
import { beforeAll, describe, expect, it } from 'vitest';
import { createStaffToken, type StaffPrincipal } from '../src/core/auth/staff-tokens.js';
import { placeOrder } from '../src/core/ordering/orders.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { useTestDatabase } from './helpers/db.js';

const { db } = await useTestDatabase();
let staff: StaffPrincipal;

beforeAll(async () => {
  await seedDemo(db);
  const { info } = await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'waiter' });
  staff = { kind: 'staff', tokenId: info.id, restaurantId: DEMO_RESTAURANT_ID, role: 'waiter' };
  await db.query(
    `INSERT INTO restaurante.menu_items (id, "restaurantId", "categoryId", name, price, stock)
     VALUES ('ids_dish', $1, 'cat_postres', 'ids dish', 2.50, 1000)`,
    [DEMO_RESTAURANT_ID],
  );
});

// RFC 9562: version nibble 7, variant bits 10.
const VERSION_7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const millisOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('time-ordered ids (0063)', () => {
  it("an order's rows have version 7 ids, holding the time they were made, in the order they were made", async () => {
    const before = Date.now();
    const placed: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { order } = await placeOrder(db, staff, { items: [{ menuItemId: 'ids_dish', quantity: 1 }] }, { idempotencyTtlHours: 24 });
      placed.push(order.id);
      await new Promise((resolve) => setTimeout(resolve, 3)); // the next one in a later millisecond
    }
    const after = Date.now();
    expect(placed).toEqual([...placed].sort());
    for (const id of placed) {
      expect(id).toMatch(VERSION_7);
      // The database's clock and ours agree to within a second here (same machine).
      expect(millisOf(id)).toBeGreaterThanOrEqual(before - 1_000);
      expect(millisOf(id)).toBeLessThanOrEqual(after + 1_000);
    }
    const { rows } = await db.query<{ kind: string; id: string }>(
      `SELECT 'line' AS kind, id FROM restaurante.order_items WHERE "orderId" = ANY($1)
       UNION ALL SELECT 'history', id FROM restaurante.order_status_history WHERE "orderId" = ANY($1)
       UNION ALL SELECT 'stock', id FROM restaurante.stock_movements WHERE "orderId" = ANY($1)`,
      [placed],
    );
    expect(new Set(rows.map((r) => r.kind))).toEqual(new Set(['line', 'history', 'stock']));
    for (const row of rows) expect(row.id).toMatch(VERSION_7);
  });

  it('10,000 ids made at once are all different and sort by time', async () => {
    const { rows } = await db.query<{ n: string; distinct: string; ordered: boolean }>(
      `WITH ids AS (SELECT g, restaurante.uuid7()::text AS id FROM generate_series(1, 10000) g)
       SELECT count(*) AS n, count(DISTINCT id) AS distinct,
              bool_and(left(id, 13) >= coalesce(left(prev, 13), '')) AS ordered
         FROM (SELECT id, lag(id) OVER (ORDER BY g) AS prev FROM ids) t`,
    );
    // Within one millisecond the random bits decide the order; across milliseconds the time does.
    expect(rows[0]).toEqual({ n: '10000', distinct: '10000', ordered: true });
  });
});
