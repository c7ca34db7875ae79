// Placing an order over HTTP: bad orders are refused with the right problem code and write
// nothing, Idempotency-Key replays the first answer, and a dish locked by a long transaction
// answers 503 DATABASE_BUSY within the lock timeout.
import pg from 'pg';
import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { stockOf } from '../helpers/fixtures.js';
import { orderingRequests, type Placed } from '../helpers/ordering.js';
import { expectProblem, type Problem } from '../helpers/problems.js';

// The file's own app over its own database (the demo restaurant seeded).
const t = await useTestApp();
const { postOrder, counts } = orderingRequests(t);

describe('bad orders are refused with the right code and write nothing', () => {
  let guest: string;

  beforeAll(async () => {
    guest = await t.guest('table_06');
    await t.db.query(`INSERT INTO restaurante.restaurants (id, name) VALUES ('rest_otro_001', 'Otro')`);
    await t.db.query(
      `INSERT INTO restaurante.menu_categories (id, "restaurantId", name) VALUES ('cat_otro', 'rest_otro_001', 'Otros')`,
    );
    await t.db.query(
      `INSERT INTO restaurante.menu_items (id, "restaurantId", "categoryId", name, price, stock)
       VALUES ('item_otro_plato', 'rest_otro_001', 'cat_otro', 'Plato de otro sitio', 5.00, 50)`,
    );
  });

  /** Sends the request and checks that orders, order_items and stock_movements did not change. */
  async function refused(send: () => Promise<LightMyRequestResponse>, status: number, code: string): Promise<Problem> {
    const before = await counts();
    const res = await send();
    const problem = expectProblem(res, status, code);
    expect(await counts()).toEqual(before);
    return problem;
  }

  const bad = (payload: object | string, headers: Record<string, string> = {}) => () => postOrder(guest, payload, headers);

  it('items missing, empty, or with a quantity out of range or of the wrong type → 400', async () => {
    const missing = await refused(bad({ notes: 'nada' }), 400, 'VALIDATION_FAILED');
    expect(missing.detail).toContain('items');
    await refused(bad({ items: [] }), 400, 'VALIDATION_FAILED');
    const zero = await refused(bad({ items: [{ menuItemId: 'item_gilda', quantity: 0 }] }), 400, 'VALIDATION_FAILED');
    expect(zero.detail).toContain('quantity');
    await refused(bad({ items: [{ menuItemId: 'item_gilda', quantity: 101 }] }), 400, 'VALIDATION_FAILED');
    await refused(bad({ items: [{ menuItemId: 'item_gilda', quantity: '2' }] }), 400, 'VALIDATION_FAILED');
    await refused(bad({ items: [{ menuItemId: 'item_gilda', quantity: 1.5 }] }), 400, 'VALIDATION_FAILED');
    await refused(bad({ items: [{ quantity: 1 }] }), 400, 'VALIDATION_FAILED');
  });

  it('an unknown menu item → 422 UNKNOWN_MENU_ITEM naming it', async () => {
    const problem = await refused(bad({ items: [{ menuItemId: 'item_no_existe', quantity: 2 }] }), 422, 'UNKNOWN_MENU_ITEM');
    expect(problem.items).toEqual([{ menuItemId: 'item_no_existe', requested: 2, available: 0 }]);
  });

  it("another restaurant's menu item → 422 UNKNOWN_MENU_ITEM, and its stock is untouched", async () => {
    const stock = await stockOf(t.db, 'item_otro_plato');
    const problem = await refused(bad({ items: [{ menuItemId: 'item_otro_plato', quantity: 1 }] }), 422, 'UNKNOWN_MENU_ITEM');
    expect(problem.items).toEqual([{ menuItemId: 'item_otro_plato', requested: 1, available: 0 }]);
    expect(await stockOf(t.db, 'item_otro_plato')).toBe(stock);
  });

  it('an unavailable item (item_torrija) → 409 ITEM_UNAVAILABLE', async () => {
    const stock = await stockOf(t.db, 'item_torrija');
    const problem = await refused(bad({ items: [{ menuItemId: 'item_torrija', quantity: 1 }] }), 409, 'ITEM_UNAVAILABLE');
    expect(problem.items?.map((i) => i.menuItemId)).toEqual(['item_torrija']);
    expect(await stockOf(t.db, 'item_torrija')).toBe(stock);
  });

  it('more than the stock → 409 OUT_OF_STOCK naming requested and available', async () => {
    const stock = await stockOf(t.db, 'item_chuleton_buey');
    const problem = await refused(
      bad({ items: [{ menuItemId: 'item_chuleton_buey', quantity: stock + 1 }] }),
      409,
      'OUT_OF_STOCK',
    );
    expect(problem.items).toEqual([{ menuItemId: 'item_chuleton_buey', requested: stock + 1, available: stock }]);
    expect(await stockOf(t.db, 'item_chuleton_buey')).toBe(stock);
  });

  it('one good item and one short item → the whole order is refused, the good stock unchanged', async () => {
    const good = await stockOf(t.db, 'item_salmorejo');
    const short = await stockOf(t.db, 'item_lubina_plancha');
    const problem = await refused(
      bad({
        items: [
          { menuItemId: 'item_salmorejo', quantity: 2 },
          { menuItemId: 'item_lubina_plancha', quantity: short + 5 },
        ],
      }),
      409,
      'OUT_OF_STOCK',
    );
    expect(problem.items).toEqual([{ menuItemId: 'item_lubina_plancha', requested: short + 5, available: short }]);
    expect(await stockOf(t.db, 'item_salmorejo')).toBe(good);
    expect(await stockOf(t.db, 'item_lubina_plancha')).toBe(short);
  });

  it('the same dish on two lines counts together against the stock', async () => {
    const stock = await stockOf(t.db, 'item_rabo_toro');
    const half = Math.floor(stock / 2) + 1;
    const problem = await refused(
      bad({
        items: [
          { menuItemId: 'item_rabo_toro', quantity: half },
          { menuItemId: 'item_rabo_toro', quantity: half },
        ],
      }),
      409,
      'OUT_OF_STOCK',
    );
    expect(problem.items).toEqual([{ menuItemId: 'item_rabo_toro', requested: half * 2, available: stock }]);
  });

  it('unknown fields, top-level or inside an item, → 400 VALIDATION_FAILED naming them', async () => {
    const top = await refused(bad({ items: [{ menuItemId: 'item_gilda', quantity: 1 }], coupon: 'GRATIS' }), 400, 'VALIDATION_FAILED');
    expect(top.detail).toContain('coupon');
    const inner = await refused(bad({ items: [{ menuItemId: 'item_gilda', quantity: 1, discount: 100 }] }), 400, 'VALIDATION_FAILED');
    expect(inner.detail).toContain('discount');
  });

  it('an invalid customerEmail → 400', async () => {
    const problem = await refused(
      bad({ items: [{ menuItemId: 'item_gilda', quantity: 1 }], customerEmail: 'no-es-un-correo' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(problem.detail).toContain('customerEmail');
  });

  it('a body over 64 KiB → 413 PAYLOAD_TOO_LARGE', async () => {
    await refused(bad({ items: [{ menuItemId: 'item_gilda', quantity: 1, notes: 'x'.repeat(70 * 1024) }] }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('a body that is not JSON → 400 MALFORMED_JSON', async () => {
    await refused(bad('{"items": [', { 'content-type': 'application/json' }), 400, 'MALFORMED_JSON');
    await refused(bad('items=1', { 'content-type': 'application/json' }), 400, 'MALFORMED_JSON');
  });

  it('a staff order for a table that does not exist → 422 REFERENCE_NOT_FOUND', async () => {
    await refused(
      () => postOrder(t.staff.waiter, { tableId: 'table_99', items: [{ menuItemId: 'item_gilda', quantity: 1 }] }),
      422,
      'REFERENCE_NOT_FOUND',
    );
  });

  it('no token → 401, a malformed or unknown token → 401', async () => {
    const payload = { items: [{ menuItemId: 'item_gilda', quantity: 1 }] };
    await refused(() => postOrder(undefined, payload), 401, 'UNAUTHENTICATED');
    await refused(() => postOrder(undefined, payload, { authorization: 'Token abc' }), 401, 'UNAUTHENTICATED');
    await refused(() => postOrder('cmd_guest_notarealtokennotarealtokennotarealtok', payload), 401, 'UNAUTHENTICATED');
  });
});

describe('Idempotency-Key over HTTP', () => {
  const body = { items: [{ menuItemId: 'item_gilda', quantity: 2 }] };
  let guest: string;
  let firstId: string;

  beforeAll(async () => {
    guest = await t.guest('table_07');
  });

  it('the same key and body replays the first answer and orders once', async () => {
    const stock = await stockOf(t.db, 'item_gilda');
    const before = await counts();
    const first = await postOrder(guest, body, { 'idempotency-key': 'idem-A' });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const placed = first.json<Placed>();
    expect(placed.duplicate).toBe(false);
    firstId = placed.order.id;

    // Ignored fields do not make it another request.
    const again = await postOrder(guest, { ...body, totalAmount: 0.01 }, { 'idempotency-key': 'idem-A' });
    expect(again.statusCode, again.body).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const replayed = again.json<Placed>();
    expect(replayed.duplicate).toBe(true);
    expect(replayed.order.id).toBe(firstId);
    expect(replayed.order.orderNumber).toBe(placed.order.orderNumber);

    expect(await stockOf(t.db, 'item_gilda')).toBe(stock - 2);
    const after = await counts();
    expect(after.orders).toBe(before.orders + 1);
    expect(after.orderItems).toBe(before.orderItems + 1);
    expect(after.stockMovements).toBe(before.stockMovements + 1);
  });

  it('the same key with another body → 422 IDEMPOTENCY_KEY_REUSED, nothing written', async () => {
    const stock = await stockOf(t.db, 'item_gilda');
    const before = await counts();
    const res = await postOrder(guest, { items: [{ menuItemId: 'item_gilda', quantity: 3 }] }, { 'idempotency-key': 'idem-A' });
    expectProblem(res, 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await counts()).toEqual(before);
    expect(await stockOf(t.db, 'item_gilda')).toBe(stock);
  });

  it("another guest session's use of the same key is independent: a new order", async () => {
    const other = await t.guest('table_08');
    const stock = await stockOf(t.db, 'item_gilda');
    const res = await postOrder(other, body, { 'idempotency-key': 'idem-A' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    const placed = res.json<Placed>();
    expect(placed.duplicate).toBe(false);
    expect(placed.order.id).not.toBe(firstId);
    expect(placed.order.tableId).toBe('table_08');
    expect(await stockOf(t.db, 'item_gilda')).toBe(stock - 2);
  });

  it('a key whose request failed (409 OUT_OF_STOCK) is not stored: after a restock it succeeds', async () => {
    await t.db.query(`UPDATE restaurante.menu_items SET stock = 4 WHERE id = 'item_bacalao_pilpil'`);
    const payload = { items: [{ menuItemId: 'item_bacalao_pilpil', quantity: 6 }] };
    const before = await counts();
    const refusedRes = await postOrder(guest, payload, { 'idempotency-key': 'idem-B' });
    expectProblem(refusedRes, 409, 'OUT_OF_STOCK');
    expect(await counts()).toEqual(before);
    const { rows } = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM restaurante.idempotency_keys WHERE key = 'idem-B'`);
    expect(rows[0]!.n).toBe(0);

    await t.db.query(`UPDATE restaurante.menu_items SET stock = 10 WHERE id = 'item_bacalao_pilpil'`);
    const ok = await postOrder(guest, payload, { 'idempotency-key': 'idem-B' });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.headers['idempotent-replayed']).toBeUndefined();
    expect(ok.json<Placed>().duplicate).toBe(false);
    expect(await stockOf(t.db, 'item_bacalao_pilpil')).toBe(4);
  });
});

describe('a dish locked by a long transaction', () => {
  it('the order answers 503 DATABASE_BUSY with Retry-After within the lock timeout, and succeeds once the lock is gone', async () => {
    const guest = await t.guest('table_11');
    const payload = { items: [{ menuItemId: 'item_croquetas_jamon', quantity: 1 }] };
    const headers = { 'idempotency-key': 'lock-timeout-1' };
    const stock = await stockOf(t.db, 'item_croquetas_jamon');
    const before = await counts();

    const blocker = new pg.Client({ connectionString: t.url });
    await blocker.connect();
    let open = false;
    try {
      await blocker.query('BEGIN');
      open = true;
      const locked = await blocker.query(`SELECT id, stock FROM restaurante.menu_items WHERE id = 'item_croquetas_jamon' FOR UPDATE`);
      expect(locked.rowCount).toBe(1);

      const started = Date.now();
      const res = await postOrder(guest, payload, headers);
      const elapsed = Date.now() - started;
      expectProblem(res, 503, 'DATABASE_BUSY');
      expect(res.headers['retry-after']).toEqual(expect.stringMatching(/^[1-9][0-9]*$/));
      expect(elapsed).toBeLessThan(5_000);
      expect(elapsed).toBeGreaterThanOrEqual(1_500); // it did wait for the lock (lock_timeout 2000 ms)
      expect(await counts()).toEqual(before);

      await blocker.query('COMMIT');
      open = false;
    } finally {
      if (open) await blocker.query('ROLLBACK');
      await blocker.end();
    }

    const retry = await postOrder(guest, payload, headers);
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.json<Placed>().duplicate).toBe(false);
    expect(await stockOf(t.db, 'item_croquetas_jamon')).toBe(stock - 1);
  });
});
