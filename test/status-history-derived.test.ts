// Migration 0064: an order's and a line's creation entries in order_status_history are read from
// their rows (createdBy, orderedAt / createdAt, the first status), not written by a trigger; the
// changes are stored in order_status_changes. The history reads as before, for any writer; orders
// made before the migration keep their stored entries (shown once); rolling back stores the
// entries it had read from the rows.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, MigrationRunner } from '../src/core/migrations/runner.js';
import { DEMO_RESTAURANT_ID as DEMO, seedDemo } from '../src/core/seed.js';
import { useTestDatabase } from './helpers/db.js';
import { schemaRows } from './helpers/schema.js';

const { db, url } = await useTestDatabase({ preparedStatements: false });
const { newOrder, addLine, currentUser } = schemaRows(db);

beforeAll(async () => {
  await seedDemo(db);
});

interface Entry {
  orderItemId: string | null;
  fromStatus: string | null;
  toStatus: string;
  changedBy: string;
}
const historyOf = async (orderId: string): Promise<Entry[]> =>
  (
    await db.query<Entry>(
      `SELECT "orderItemId", "fromStatus", "toStatus", "changedBy"
         FROM restaurante.order_status_history WHERE "orderId" = $1 ORDER BY "changedAt", id`,
      [orderId],
    )
  ).rows;
const storedCount = async (table: string, orderId: string): Promise<number> =>
  Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM restaurante.${table} WHERE "orderId" = $1`, [orderId])).rows[0]!.n);

describe('creation entries read from the rows (0064)', () => {
  it('an order and its lines show their creation, by the actor, before their changes; only the changes are stored', async () => {
    const actor = { settings: { 'comanda.actor': 'staff:waiter:ana' } };
    const order = await newOrder({}, actor);
    const line = await addLine(order, 'item_patatas_bravas', 2, DEMO, actor);
    expect(await storedCount('order_status_changes', order)).toBe(0);

    await db.query(`UPDATE restaurante.order_items SET status = 'CONFIRMED' WHERE id = $1`, [line], {
      settings: { 'comanda.actor': 'staff:kitchen:luis' },
    });
    expect(await historyOf(order)).toEqual([
      { orderItemId: null, fromStatus: null, toStatus: 'PENDING', changedBy: 'staff:waiter:ana' },
      { orderItemId: line, fromStatus: null, toStatus: 'PENDING', changedBy: 'staff:waiter:ana' },
      { orderItemId: line, fromStatus: 'PENDING', toStatus: 'CONFIRMED', changedBy: 'staff:kitchen:luis' },
    ]);
    expect(await storedCount('order_status_changes', order)).toBe(1);
  });

  it('without comanda.actor the database user made it; a row made in another status starts there', async () => {
    const role = await currentUser();
    const order = await newOrder({ status: 'CONFIRMED' });
    expect(await historyOf(order)).toEqual([{ orderItemId: null, fromStatus: null, toStatus: 'CONFIRMED', changedBy: role }]);
    // After changes, the first status is still the one it was made in.
    await db.query(`UPDATE restaurante.orders SET status = 'IN_PROGRESS' WHERE id = $1`, [order]);
    await db.query(`UPDATE restaurante.orders SET status = 'READY' WHERE id = $1`, [order]);
    expect((await historyOf(order)).map((e) => [e.fromStatus, e.toStatus])).toEqual([
      [null, 'CONFIRMED'],
      ['CONFIRMED', 'IN_PROGRESS'],
      ['IN_PROGRESS', 'READY'],
    ]);
    const { rows } = await db.query<{ createdBy: string }>('SELECT "createdBy" FROM restaurante.orders WHERE id = $1', [order]);
    expect(rows[0]!.createdBy).toBe(role);
  });

  it('across the migration: entries stored before it show once; rolling back stores the ones read from the rows', async () => {
    const migrations = await loadMigrations();
    const since = migrations.find((m) => m.name === 'derived_creation_history')!.version;
    const later = migrations.filter((m) => m.version >= since).length;
    const runner = new MigrationRunner({ connectionString: url });
    const actor = { settings: { 'comanda.actor': 'staff:waiter:eva' } };

    const madeAfter = await newOrder({}, actor);
    const madeAfterLine = await addLine(madeAfter, 'item_patatas_bravas', 1, DEMO, actor);
    await runner.down(later);
    // Rolled back: the creation entries are rows of the table again, with their actor.
    const stored = await db.query<Entry>(
      `SELECT "orderItemId", "fromStatus", "toStatus", "changedBy" FROM restaurante.order_status_history
        WHERE "orderId" = $1 ORDER BY "orderItemId" NULLS FIRST`,
      [madeAfter],
    );
    expect(stored.rows).toEqual([
      { orderItemId: null, fromStatus: null, toStatus: 'PENDING', changedBy: 'staff:waiter:eva' },
      { orderItemId: madeAfterLine, fromStatus: null, toStatus: 'PENDING', changedBy: 'staff:waiter:eva' },
    ]);
    // Made before the migration: its triggers store its creation entries.
    const madeBefore = await newOrder({}, actor);
    const madeBeforeLine = await addLine(madeBefore, 'item_patatas_bravas', 1, DEMO, actor);
    expect(await storedCount('order_status_history', madeBefore)).toBe(2);

    await runner.up();
    for (const [order, line] of [
      [madeAfter, madeAfterLine],
      [madeBefore, madeBeforeLine],
    ] as const) {
      expect(await historyOf(order)).toEqual([
        { orderItemId: null, fromStatus: null, toStatus: 'PENDING', changedBy: 'staff:waiter:eva' },
        { orderItemId: line, fromStatus: null, toStatus: 'PENDING', changedBy: 'staff:waiter:eva' },
      ]);
      expect(await storedCount('order_status_changes', order)).toBe(2);
    }
    // Their next change is stored once and follows the creation.
    await db.query(`UPDATE restaurante.orders SET status = 'CONFIRMED' WHERE id = $1`, [madeBefore], actor);
    expect((await historyOf(madeBefore)).map((e) => [e.orderItemId, e.fromStatus, e.toStatus])).toEqual([
      [null, null, 'PENDING'],
      [madeBeforeLine, null, 'PENDING'],
      [null, 'PENDING', 'CONFIRMED'],
    ]);
  });
});
