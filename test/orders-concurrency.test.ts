// Stock and idempotency under real concurrency: many orders at once on separate connections.
import { beforeAll, describe, expect, it } from 'vitest';
import { createStaffToken, type StaffPrincipal } from '../src/core/auth/staff-tokens.js';
import { AppError } from '../src/core/errors.js';
import { purgeExpiredIdempotencyKeys } from '../src/core/idempotency.js';
import { placeOrder, type OrderInput, type PlacedOrder } from '../src/core/ordering/orders.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { useTestDatabase } from './helpers/db.js';

// 40 connections: more than the 32 concurrent clients below, so they really run in parallel.
const { db } = await useTestDatabase({ poolSize: 40, lockTimeoutMs: 10_000, statementTimeoutMs: 30_000 });
let staff: StaffPrincipal;

beforeAll(async () => {
  await seedDemo(db);
  const { info } = await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'waiter' });
  staff = { kind: 'staff', tokenId: info.id, restaurantId: DEMO_RESTAURANT_ID, role: 'waiter' };
});

async function newItem(id: string, stock: number, price = '4.50'): Promise<void> {
  await db.query(
    `INSERT INTO restaurante.menu_items (id, "restaurantId", "categoryId", name, price, stock)
     VALUES ($1, $2, 'cat_postres', $1, $4, $3)`,
    [id, DEMO_RESTAURANT_ID, stock, price],
  );
}

const stockOf = async (id: string) =>
  (await db.query<{ stock: number }>('SELECT stock FROM restaurante.menu_items WHERE id = $1', [id])).rows[0]!.stock;

/** initial − final stock, the quantities of accepted orders, and the ledger's order movements. */
async function ledgerBalance(id: string) {
  const { rows } = await db.query<{ sold: string | null; ledger: string | null; initial: number }>(
    `SELECT (SELECT sum(oi.quantity) FROM restaurante.order_items oi WHERE oi."menuItemId" = $1) AS sold,
            (SELECT -sum(delta) FROM restaurante.stock_movements WHERE "menuItemId" = $1 AND reason = 'order') AS ledger,
            (SELECT delta FROM restaurante.stock_movements WHERE "menuItemId" = $1 AND reason = 'initial') AS initial`,
    [id],
  );
  const row = rows[0]!;
  return { sold: Number(row.sold ?? 0), ledger: Number(row.ledger ?? 0), initial: row.initial, final: await stockOf(id) };
}

const order = (items: OrderInput['items'], key?: string): Promise<PlacedOrder> =>
  placeOrder(db, staff, { items, source: 'presencial' }, { idempotencyKey: key, idempotencyTtlHours: 24 });

const codeOf = (reason: unknown) => (reason instanceof AppError ? reason.code : String(reason));

describe('stock under concurrency', () => {
  it('50 concurrent orders of 1 on stock 100 leave exactly 50', async () => {
    await newItem('item_conc_50', 100);
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => order([{ menuItemId: 'item_conc_50', quantity: 1 }])));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(50);
    expect(await stockOf('item_conc_50')).toBe(50);
    expect(await ledgerBalance('item_conc_50')).toEqual({ sold: 50, ledger: 50, initial: 100, final: 50 });
  });

  it('stock 1 and 5 concurrent orders — exactly one succeeds, four get OUT_OF_STOCK', async () => {
    await newItem('item_conc_last', 1);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => order([{ menuItemId: 'item_conc_last', quantity: 1 }])));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(failures.map((f) => codeOf(f.reason))).toEqual(Array(4).fill('OUT_OF_STOCK'));
    const problem = failures[0]!.reason as AppError;
    expect(problem.status).toBe(409);
    expect(problem.extra).toEqual({ items: [{ menuItemId: 'item_conc_last', requested: 1, available: 0 }] });
    expect(await stockOf('item_conc_last')).toBe(0);
  });

  it('1,000 randomized multi-item orders from 32 clients on 20 items: no oversell, no deadlock, the ledger balances', async () => {
    const items = Array.from({ length: 20 }, (_, i) => `item_rand_${String(i).padStart(2, '0')}`);
    // Little stock for some items, so that many orders are refused and the race is real.
    const initial = new Map(items.map((id, i) => [id, i % 4 === 0 ? 60 : 300]));
    for (const [id, stock] of initial) await newItem(id, stock);
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const orders = Array.from({ length: 1000 }, () => {
      const count = 1 + random(4);
      return Array.from({ length: count }, () => ({ menuItemId: items[random(items.length)]!, quantity: 1 + random(3) }));
    });
    const outcomes: string[] = new Array<string>(orders.length);
    let next = 0;
    const client = async () => {
      while (next < orders.length) {
        const index = next++;
        try {
          await order(orders[index]!);
          outcomes[index] = 'ok';
        } catch (err) {
          outcomes[index] = codeOf(err);
        }
      }
    };
    await Promise.all(Array.from({ length: 32 }, client));
    expect(outcomes).toHaveLength(1000);
    const counts = outcomes.reduce<Record<string, number>>((acc, o) => ({ ...acc, [o]: (acc[o] ?? 0) + 1 }), {});
    console.log('1,000 randomized orders:', counts);
    // Only two outcomes: accepted, or refused for stock. No deadlock (DATABASE_BUSY), no timeout.
    expect(Object.keys(counts).sort()).toEqual(['OUT_OF_STOCK', 'ok']);
    expect(counts.ok).toBeGreaterThan(100);
    expect(counts.OUT_OF_STOCK).toBeGreaterThan(10);
    // initial − final stock = the quantities of the accepted orders (whole orders only) = the ledger.
    for (const id of items) {
      const accepted = orders
        .filter((_, i) => outcomes[i] === 'ok')
        .flat()
        .filter((line) => line.menuItemId === id)
        .reduce((sum, line) => sum + line.quantity, 0);
      const balance = await ledgerBalance(id);
      expect(balance.final).toBeGreaterThanOrEqual(0);
      expect(balance).toEqual({ initial: initial.get(id), final: initial.get(id)! - accepted, sold: accepted, ledger: accepted });
    }
  });
});

describe('idempotency under concurrency', () => {
  it('100 concurrent retries of one Idempotency-Key make exactly one order', async () => {
    await newItem('item_idem', 500);
    const lines = [{ menuItemId: 'item_idem', quantity: 2 }];
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => order(lines, 'retry-key-1')));
    const fulfilled = results.filter((r): r is PromiseFulfilledResult<PlacedOrder> => r.status === 'fulfilled').map((r) => r.value);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    // Each answer is the order (first or replayed) or "still in progress" — never a second order.
    expect(new Set(rejected.map((r) => codeOf(r.reason)))).toEqual(rejected.length ? new Set(['REQUEST_IN_PROGRESS']) : new Set());
    expect(fulfilled.filter((r) => !r.replayed)).toHaveLength(1);
    const ids = new Set(fulfilled.map((r) => r.order.id));
    expect(ids.size).toBe(1);
    const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM restaurante.order_items WHERE "menuItemId" = 'item_idem'`);
    expect(Number(rows[0]!.n)).toBe(1);
    expect(await stockOf('item_idem')).toBe(498);
    // Once the first has finished, a retry always gets the stored answer.
    const late = await order(lines, 'retry-key-1');
    expect(late.replayed).toBe(true);
    expect(late.order.id).toBe([...ids][0]);
  });

  it('forgets a key once it has expired, and the purge removes expired records', async () => {
    await newItem('item_expiry', 50);
    const lines = [{ menuItemId: 'item_expiry', quantity: 1 }];
    const first = await order(lines, 'expiring-key');
    expect((await order(lines, 'expiring-key')).replayed).toBe(true);
    await db.query(`UPDATE restaurante.idempotency_keys SET "expiresAt" = now() - interval '1 second' WHERE key = 'expiring-key'`);
    const later = await order(lines, 'expiring-key');
    expect(later.replayed).toBe(false);
    expect(later.order.id).not.toBe(first.order.id);
    await db.query(`UPDATE restaurante.idempotency_keys SET "expiresAt" = now() - interval '1 second' WHERE key = 'expiring-key'`);
    expect(await purgeExpiredIdempotencyKeys(db)).toBeGreaterThanOrEqual(1);
    const { rows } = await db.query(`SELECT 1 FROM restaurante.idempotency_keys WHERE key = 'expiring-key'`);
    expect(rows).toHaveLength(0);
    expect(await stockOf('item_expiry')).toBe(48);
  });
});
