// The ordering HTTP API end to end, against the file's own PostgreSQL database: guests scanning a
// table's QR code and ordering, bad input (rejected with the right code and nothing written),
// Idempotency-Key replays, the kitchen's status machine, the menu and its cache, QR codes, the
// roadmap's §5.1 SQL checks and the §5.3 lock-timeout scenario.
import pg from 'pg';
import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { qrCodeOf, tableOf } from '../src/core/ordering/table-sessions.js';
import type { Order, QueueItem } from '../src/core/ordering/orders.js';
import { expectProblem, type Problem } from './helpers/problems.js';
import { TEST_SECRET, useTestApp, type TestApp } from './helpers/app.js';

// ---------------------------------------------------------------------------------------------
// Response shapes
// ---------------------------------------------------------------------------------------------
interface Placed {
  order: Order;
  duplicate: boolean;
}



interface Scan {
  sessionToken: string;
  expiresAt: string;
  tableId: string;
  restaurantId: string;
  joined: boolean;
}

interface MenuItem {
  id: string;
  name: string;
  description: string | null;
  price: number;
  allergens: string[];
  stockState: 'in_stock' | 'low' | 'sold_out';
}

interface Menu {
  restaurantId: string;
  name: string;
  currency: string;
  version: number;
  categories: { id: string; name: string; description: string | null; items: MenuItem[] }[];
}

type Queue = Record<'PENDING' | 'CONFIRMED' | 'IN_PROGRESS' | 'READY', QueueItem[]>;

interface Printable {
  tableId: string;
  number: number;
  qrVersion: number;
  code: string;
  url: string;
}

// ---------------------------------------------------------------------------------------------
// The file's apps (each useTestApp() is its own database) and helpers
// ---------------------------------------------------------------------------------------------
const t = await useTestApp();
// The same app over its own database, with no cache slack on the menu…
const fresh = await useTestApp({ ordering: { menuCacheMaxAgeMs: 0 } });
// …and with a low QR-scan rate limit.
const limited = await useTestApp({
  ordering: { rateLimits: { qrScansPerMinute: 3, ordersPerMinute: 10_000, ordersPerIpPerMinute: 10_000 } },
});

const cents = (amount: number | string): number => Math.round(Number(amount) * 100);

async function codeOf(app: TestApp, tableId: string): Promise<string> {
  return qrCodeOf(TEST_SECRET, await tableOf(app.db, DEMO_RESTAURANT_ID, tableId));
}

function scanCode(app: TestApp, code: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.app.inject({ method: 'POST', url: '/api/qr/scan', headers, payload: { code } });
}

async function scan(app: TestApp, tableId: string): Promise<Scan> {
  const res = await scanCode(app, await codeOf(app, tableId));
  expect(res.statusCode).toBe(201);
  return res.json<Scan>();
}

function postOrder(
  token: string | undefined,
  payload: object | string,
  headers: Record<string, string> = {},
  app: TestApp = t,
): Promise<LightMyRequestResponse> {
  return app.app.inject({
    method: 'POST',
    url: '/api/orders',
    headers: { ...(token === undefined ? {} : app.auth(token)), ...headers },
    payload,
  });
}

async function placeOk(token: string, payload: object, app: TestApp = t): Promise<Order> {
  const res = await postOrder(token, payload, {}, app);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Placed>().order;
}

function get(token: string | undefined, url: string, app: TestApp = t): Promise<LightMyRequestResponse> {
  return app.app.inject({ method: 'GET', url, headers: token === undefined ? {} : app.auth(token) });
}

function patchStatus(token: string, url: string, status: string): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'PATCH', url, headers: t.auth(token), payload: { status } });
}

async function stockOf(menuItemId: string, app: TestApp = t): Promise<number> {
  const { rows } = await app.db.query<{ stock: number }>('SELECT stock FROM restaurante.menu_items WHERE id = $1', [menuItemId]);
  if (!rows[0]) throw new Error(`no menu item ${menuItemId}`);
  return rows[0].stock;
}

async function priceOf(menuItemId: string, app: TestApp = t): Promise<number> {
  const { rows } = await app.db.query<{ price: string }>('SELECT price FROM restaurante.menu_items WHERE id = $1', [menuItemId]);
  if (!rows[0]) throw new Error(`no menu item ${menuItemId}`);
  return Number(rows[0].price);
}

interface Counts {
  orders: number;
  orderItems: number;
  stockMovements: number;
}

async function counts(app: TestApp = t): Promise<Counts> {
  const { rows } = await app.db.query<Counts>(
    `SELECT (SELECT count(*) FROM restaurante.orders)::int AS "orders",
            (SELECT count(*) FROM restaurante.order_items)::int AS "orderItems",
            (SELECT count(*) FROM restaurante.stock_movements)::int AS "stockMovements"`,
  );
  return rows[0]!;
}

async function movementsOf(orderId: string, reason: string): Promise<{ menuItemId: string; delta: number; stockAfter: number }[]> {
  const { rows } = await t.db.query<{ menuItemId: string; delta: number; stockAfter: number }>(
    `SELECT "menuItemId", delta, "stockAfter" FROM restaurante.stock_movements
      WHERE "orderId" = $1 AND reason = $2 ORDER BY "createdAt", id`,
    [orderId, reason],
  );
  return rows;
}


// ---------------------------------------------------------------------------------------------
// 1. Guests
// ---------------------------------------------------------------------------------------------
describe('guests: scan, order, share the table, lose access when it closes', () => {
  let first: Scan;
  let second: Scan;
  let order: Order;

  it("scanning table_03's QR code opens a session, and ordering uses the database's prices", async () => {
    first = await scan(t, 'table_03');
    expect(first).toMatchObject({ tableId: 'table_03', restaurantId: DEMO_RESTAURANT_ID, joined: false });
    expect(first.sessionToken).toMatch(/^cmd_guest_/);
    expect(Date.parse(first.expiresAt)).toBeGreaterThan(Date.now());

    const bravas = await priceOf('item_patatas_bravas');
    const pan = await priceOf('item_pan_tomate');
    const bravasStock = await stockOf('item_patatas_bravas');
    const panStock = await stockOf('item_pan_tomate');
    const res = await postOrder(first.sessionToken, {
      items: [
        { menuItemId: 'item_patatas_bravas', quantity: 2, unitPrice: 0.01, totalPrice: 0.02, notes: 'sin picante' },
        { menuItemId: 'item_pan_tomate', quantity: 1, unitPrice: 0.01 },
      ],
      unitPrice: 0.01,
      totalPrice: 0.03,
      totalAmount: 0.03,
      orderNumber: 'HACKED-1',
      notes: 'mesa junto a la ventana',
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    const body = res.json<Placed>();
    expect(body.duplicate).toBe(false);
    order = body.order;
    expect(order).toMatchObject({
      status: 'PENDING',
      restaurantId: DEMO_RESTAURANT_ID,
      tableId: 'table_03',
      source: 'qr',
      notes: 'mesa junto a la ventana',
      customerEmail: null,
    });
    expect(order.id).toEqual(expect.any(String));
    expect(order.orderNumber).toMatch(/^ORD-\d{6}$/);
    expect(order.orderNumber).not.toBe('HACKED-1');
    expect(cents(order.totalAmount)).toBe(cents(bravas) * 2 + cents(pan));
    expect(order.items).toHaveLength(2);
    expect(order.items[0]).toMatchObject({
      menuItemId: 'item_patatas_bravas',
      name: 'Patatas bravas',
      quantity: 2,
      status: 'PENDING',
      notes: 'sin picante',
    });
    expect(cents(order.items[0]!.unitPrice)).toBe(cents(bravas));
    expect(cents(order.items[0]!.totalPrice)).toBe(cents(bravas) * 2);
    expect(order.items[1]).toMatchObject({ menuItemId: 'item_pan_tomate', quantity: 1, notes: null });
    expect(cents(order.items[1]!.unitPrice)).toBe(cents(pan));

    // What is stored agrees: the database's prices, and the stock went down.
    const { rows } = await t.db.query<{ totalAmount: string; orderNumber: string; sessionId: string | null }>(
      'SELECT "totalAmount", "orderNumber", "sessionId" FROM restaurante.orders WHERE id = $1',
      [order.id],
    );
    expect(cents(rows[0]!.totalAmount)).toBe(cents(bravas) * 2 + cents(pan));
    expect(rows[0]!.orderNumber).toBe(order.orderNumber);
    expect(rows[0]!.sessionId).toEqual(expect.any(String));
    expect(await stockOf('item_patatas_bravas')).toBe(bravasStock - 2);
    expect(await stockOf('item_pan_tomate')).toBe(panStock - 1);
  });

  it('a second scan of the same table joins the session and sees the same orders', async () => {
    second = await scan(t, 'table_03');
    expect(second.joined).toBe(true);
    expect(second.sessionToken).not.toBe(first.sessionToken);

    const list = await get(second.sessionToken, '/api/orders');
    expect(list.statusCode).toBe(200);
    expect(list.json<{ orders: Order[] }>().orders.map((o) => o.id)).toContain(order.id);
    const one = await get(second.sessionToken, `/api/orders/${order.id}`);
    expect(one.statusCode).toBe(200);
    expect(one.json<{ order: Order }>().order).toMatchObject({ id: order.id, orderNumber: order.orderNumber, tableId: 'table_03' });
  });

  it("a guest of another table gets 404 for the order and does not see it in the list", async () => {
    const other = await t.guest('table_04');
    expectProblem(await get(other, `/api/orders/${order.id}`), 404, 'NOT_FOUND');
    const own = await placeOk(other, { items: [{ menuItemId: 'item_gilda', quantity: 1 }] });
    const list = await get(other, '/api/orders');
    expect(list.statusCode).toBe(200);
    const ids = list.json<{ orders: Order[] }>().orders.map((o) => o.id);
    expect(ids).toContain(own.id);
    expect(ids).not.toContain(order.id);
  });

  it('a guest token gets 403 on staff routes and changes nothing', async () => {
    const token = first.sessionToken;
    expectProblem(await get(token, '/api/kitchen/queue'), 403, 'FORBIDDEN');
    expectProblem(await patchStatus(token, `/api/orders/${order.id}/status`, 'CONFIRMED'), 403, 'FORBIDDEN');
    expectProblem(await patchStatus(token, `/api/orders/${order.id}/items/${order.items[0]!.id}/status`, 'CONFIRMED'), 403, 'FORBIDDEN');
    expectProblem(await t.app.inject({ method: 'POST', url: '/api/tables/table_03/close', headers: t.auth(token) }), 403, 'FORBIDDEN');
    expectProblem(await get(token, '/api/tables/table_03/qr.svg'), 403, 'FORBIDDEN');
    expectProblem(await get(token, '/api/tables/table_03/qr'), 403, 'FORBIDDEN');

    const still = await get(token, `/api/orders/${order.id}`);
    expect(still.json<{ order: Order }>().order.status).toBe('PENDING');
    // The session is still open: the 403 on close did not close it.
    expect((await get(token, '/api/orders')).statusCode).toBe(200);
  });

  it('a guest cannot order for another table', async () => {
    const token = await t.guest('table_12');
    const before = await counts();
    const res = await postOrder(token, { tableId: 'table_01', items: [{ menuItemId: 'item_gilda', quantity: 1 }] });
    expectProblem(res, 403, 'FORBIDDEN');
    expect(await counts()).toEqual(before);
    // Naming its own table is fine.
    const own = await placeOk(token, { tableId: 'table_12', items: [{ menuItemId: 'item_gilda', quantity: 1 }] });
    expect(own.tableId).toBe('table_12');
  });

  it("closing the table ends the session: old tokens get 401 and the next party starts fresh", async () => {
    const close = await t.app.inject({ method: 'POST', url: '/api/tables/table_03/close', headers: t.auth(t.staff.waiter) });
    expect(close.statusCode, close.body).toBe(200);
    const closed = close.json<{ tableId: string; closedSessionId: string | null }>();
    expect(closed.tableId).toBe('table_03');
    expect(closed.closedSessionId).toEqual(expect.any(String));

    const before = await counts();
    for (const token of [first.sessionToken, second.sessionToken]) {
      expectProblem(await postOrder(token, { items: [{ menuItemId: 'item_gilda', quantity: 1 }] }), 401, 'UNAUTHENTICATED');
      expectProblem(await get(token, '/api/orders'), 401, 'UNAUTHENTICATED');
    }
    expect(await counts()).toEqual(before);

    const next = await scan(t, 'table_03');
    expect(next.joined).toBe(false);
    const list = await get(next.sessionToken, '/api/orders');
    expect(list.statusCode).toBe(200);
    expect(list.json<{ orders: Order[] }>().orders.map((o) => o.id)).not.toContain(order.id);
    expectProblem(await get(next.sessionToken, `/api/orders/${order.id}`), 404, 'NOT_FOUND');
    // Staff still see the old order.
    expect((await get(t.staff.waiter, `/api/orders/${order.id}`)).statusCode).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Bad input: the right code, and nothing written
// ---------------------------------------------------------------------------------------------
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
    const stock = await stockOf('item_otro_plato');
    const problem = await refused(bad({ items: [{ menuItemId: 'item_otro_plato', quantity: 1 }] }), 422, 'UNKNOWN_MENU_ITEM');
    expect(problem.items).toEqual([{ menuItemId: 'item_otro_plato', requested: 1, available: 0 }]);
    expect(await stockOf('item_otro_plato')).toBe(stock);
  });

  it('an unavailable item (item_torrija) → 409 ITEM_UNAVAILABLE', async () => {
    const stock = await stockOf('item_torrija');
    const problem = await refused(bad({ items: [{ menuItemId: 'item_torrija', quantity: 1 }] }), 409, 'ITEM_UNAVAILABLE');
    expect(problem.items?.map((i) => i.menuItemId)).toEqual(['item_torrija']);
    expect(await stockOf('item_torrija')).toBe(stock);
  });

  it('more than the stock → 409 OUT_OF_STOCK naming requested and available', async () => {
    const stock = await stockOf('item_chuleton_buey');
    const problem = await refused(
      bad({ items: [{ menuItemId: 'item_chuleton_buey', quantity: stock + 1 }] }),
      409,
      'OUT_OF_STOCK',
    );
    expect(problem.items).toEqual([{ menuItemId: 'item_chuleton_buey', requested: stock + 1, available: stock }]);
    expect(await stockOf('item_chuleton_buey')).toBe(stock);
  });

  it('one good item and one short item → the whole order is refused, the good stock unchanged', async () => {
    const good = await stockOf('item_salmorejo');
    const short = await stockOf('item_lubina_plancha');
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
    expect(await stockOf('item_salmorejo')).toBe(good);
    expect(await stockOf('item_lubina_plancha')).toBe(short);
  });

  it('the same dish on two lines counts together against the stock', async () => {
    const stock = await stockOf('item_rabo_toro');
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

// ---------------------------------------------------------------------------------------------
// 3. Idempotency-Key
// ---------------------------------------------------------------------------------------------
describe('Idempotency-Key over HTTP', () => {
  const body = { items: [{ menuItemId: 'item_gilda', quantity: 2 }] };
  let guest: string;
  let firstId: string;

  beforeAll(async () => {
    guest = await t.guest('table_07');
  });

  it('the same key and body replays the first answer and orders once', async () => {
    const stock = await stockOf('item_gilda');
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

    expect(await stockOf('item_gilda')).toBe(stock - 2);
    const after = await counts();
    expect(after.orders).toBe(before.orders + 1);
    expect(after.orderItems).toBe(before.orderItems + 1);
    expect(after.stockMovements).toBe(before.stockMovements + 1);
  });

  it('the same key with another body → 422 IDEMPOTENCY_KEY_REUSED, nothing written', async () => {
    const stock = await stockOf('item_gilda');
    const before = await counts();
    const res = await postOrder(guest, { items: [{ menuItemId: 'item_gilda', quantity: 3 }] }, { 'idempotency-key': 'idem-A' });
    expectProblem(res, 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await counts()).toEqual(before);
    expect(await stockOf('item_gilda')).toBe(stock);
  });

  it("another guest session's use of the same key is independent: a new order", async () => {
    const other = await t.guest('table_08');
    const stock = await stockOf('item_gilda');
    const res = await postOrder(other, body, { 'idempotency-key': 'idem-A' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    const placed = res.json<Placed>();
    expect(placed.duplicate).toBe(false);
    expect(placed.order.id).not.toBe(firstId);
    expect(placed.order.tableId).toBe('table_08');
    expect(await stockOf('item_gilda')).toBe(stock - 2);
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
    expect(await stockOf('item_bacalao_pilpil')).toBe(4);
  });
});

// ---------------------------------------------------------------------------------------------
// 4. The status machine and the kitchen's queue
// ---------------------------------------------------------------------------------------------
describe('order status machine', () => {
  const staffOrder = (items: { menuItemId: string; quantity: number }[], tableId = 'table_09') =>
    placeOk(t.staff.waiter, { tableId, items });

  it('PENDING → CONFIRMED → IN_PROGRESS → READY → SERVED, one step at a time; the lines follow', async () => {
    const order = await staffOrder([
      { menuItemId: 'item_pan_tomate', quantity: 1 },
      { menuItemId: 'item_cafe_solo', quantity: 2 },
    ]);
    expect(order).toMatchObject({ status: 'PENDING', source: 'presencial', tableId: 'table_09' });
    const steps: [string, string][] = [
      [t.staff.kitchen, 'CONFIRMED'],
      [t.staff.kitchen, 'IN_PROGRESS'],
      [t.staff.kitchen, 'READY'],
      [t.staff.waiter, 'SERVED'],
    ];
    for (const [token, status] of steps) {
      const res = await patchStatus(token, `/api/orders/${order.id}/status`, status);
      expect(res.statusCode, res.body).toBe(200);
      const moved = res.json<{ order: Order }>().order;
      expect(moved.status).toBe(status);
      expect(moved.items.map((i) => i.status)).toEqual([status, status]);
    }
    const { rows } = await t.db.query<{ status: string }>('SELECT status FROM restaurante.orders WHERE id = $1', [order.id]);
    expect(rows[0]!.status).toBe('SERVED');
    const after = await patchStatus(t.staff.kitchen, `/api/orders/${order.id}/status`, 'CANCELLED');
    expectProblem(after, 409, 'INVALID_TRANSITION');
  });

  it('skipping a step (PENDING → READY) → 409 INVALID_TRANSITION, nothing changes', async () => {
    const order = await staffOrder([{ menuItemId: 'item_cafe_con_leche', quantity: 1 }]);
    const problem = expectProblem(await patchStatus(t.staff.kitchen, `/api/orders/${order.id}/status`, 'READY'), 409, 'INVALID_TRANSITION');
    expect(problem).toMatchObject({ from: 'PENDING', to: 'READY' });
    const again = await get(t.staff.kitchen, `/api/orders/${order.id}`);
    expect(again.json<{ order: Order }>().order).toMatchObject({ status: 'PENDING', items: [{ status: 'PENDING' }] });
    // Backwards is refused too.
    expectProblem(await patchStatus(t.staff.kitchen, `/api/orders/${order.id}/status`, 'PENDING'), 409, 'INVALID_TRANSITION');
  });

  it('an invalid status value → 400, an unknown order → 404', async () => {
    const order = await staffOrder([{ menuItemId: 'item_cafe_con_leche', quantity: 1 }]);
    expectProblem(await patchStatus(t.staff.kitchen, `/api/orders/${order.id}/status`, 'EATEN'), 400, 'VALIDATION_FAILED');
    expectProblem(await patchStatus(t.staff.kitchen, '/api/orders/no-such-order/status', 'CONFIRMED'), 404, 'NOT_FOUND');
  });

  it('CANCELLED from CONFIRMED gives the stock back through the ledger', async () => {
    const stock = await stockOf('item_flan_casero');
    const order = await staffOrder([{ menuItemId: 'item_flan_casero', quantity: 2 }]);
    expect(await stockOf('item_flan_casero')).toBe(stock - 2);
    expect((await patchStatus(t.staff.kitchen, `/api/orders/${order.id}/status`, 'CONFIRMED')).statusCode).toBe(200);
    const res = await patchStatus(t.staff.waiter, `/api/orders/${order.id}/status`, 'CANCELLED');
    expect(res.statusCode, res.body).toBe(200);
    const cancelled = res.json<{ order: Order }>().order;
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.items.map((i) => i.status)).toEqual(['CANCELLED']);
    expect(await stockOf('item_flan_casero')).toBe(stock);
    expect(await movementsOf(order.id, 'order_cancelled')).toEqual([{ menuItemId: 'item_flan_casero', delta: 2, stockAfter: stock }]);
    expect(await movementsOf(order.id, 'order')).toEqual([{ menuItemId: 'item_flan_casero', delta: -2, stockAfter: stock - 2 }]);
  });

  it('cancelling after the kitchen started (IN_PROGRESS) → 409, the stock stays out', async () => {
    const stock = await stockOf('item_tarta_santiago');
    const order = await staffOrder([{ menuItemId: 'item_tarta_santiago', quantity: 1 }]);
    for (const status of ['CONFIRMED', 'IN_PROGRESS']) {
      expect((await patchStatus(t.staff.kitchen, `/api/orders/${order.id}/status`, status)).statusCode).toBe(200);
    }
    const problem = expectProblem(await patchStatus(t.staff.waiter, `/api/orders/${order.id}/status`, 'CANCELLED'), 409, 'INVALID_TRANSITION');
    expect(problem).toMatchObject({ from: 'IN_PROGRESS', to: 'CANCELLED' });
    expect(await stockOf('item_tarta_santiago')).toBe(stock - 1);
    expect(await movementsOf(order.id, 'order_cancelled')).toEqual([]);
  });

  it('an order with a line the kitchen has started cannot be cancelled as a whole', async () => {
    // A line in IN_PROGRESS cannot be cancelled on its own (409); cancelling its order must not
    // cancel it either, nor give its stock back.
    const churros = await stockOf('item_churros_chocolate');
    const order = await staffOrder([
      { menuItemId: 'item_churros_chocolate', quantity: 1 },
      { menuItemId: 'item_refresco', quantity: 1 },
    ]);
    const [started, waiting] = order.items;
    for (const status of ['CONFIRMED', 'IN_PROGRESS']) {
      const res = await patchStatus(t.staff.kitchen, `/api/orders/${order.id}/items/${started!.id}/status`, status);
      expect(res.statusCode, res.body).toBe(200);
    }
    expect((await patchStatus(t.staff.kitchen, `/api/orders/${order.id}/items/${waiting!.id}/status`, 'CONFIRMED')).statusCode).toBe(200);
    const current = (await get(t.staff.kitchen, `/api/orders/${order.id}`)).json<{ order: Order }>().order;
    expect(current.status).toBe('CONFIRMED');
    expectProblem(
      await patchStatus(t.staff.kitchen, `/api/orders/${order.id}/items/${started!.id}/status`, 'CANCELLED'),
      409,
      'INVALID_TRANSITION',
    );

    const res = await patchStatus(t.staff.waiter, `/api/orders/${order.id}/status`, 'CANCELLED');
    expectProblem(res, 409, 'INVALID_TRANSITION');
    const after = (await get(t.staff.kitchen, `/api/orders/${order.id}`)).json<{ order: Order }>().order;
    expect(after.items.find((i) => i.id === started!.id)?.status).toBe('IN_PROGRESS');
    expect(await stockOf('item_churros_chocolate')).toBe(churros - 1);
  });

  it('line by line: the order follows its slowest line; a cancelled line leaves the total and returns its stock', async () => {
    const crema = await stockOf('item_crema_catalana');
    const order = await staffOrder([
      { menuItemId: 'item_pimientos_padron', quantity: 1 },
      { menuItemId: 'item_crema_catalana', quantity: 3 },
    ]);
    const [padron, cremaLine] = order.items;
    expect(padron!.menuItemId).toBe('item_pimientos_padron');
    expect(cremaLine!.menuItemId).toBe('item_crema_catalana');
    const itemUrl = (itemId: string) => `/api/orders/${order.id}/items/${itemId}/status`;

    const one = await patchStatus(t.staff.kitchen, itemUrl(padron!.id), 'CONFIRMED');
    expect(one.statusCode, one.body).toBe(200);
    const afterOne = one.json<{ order: Order }>().order;
    expect(afterOne.status).toBe('PENDING');
    expect(afterOne.items.map((i) => i.status)).toEqual(['CONFIRMED', 'PENDING']);

    const two = await patchStatus(t.staff.kitchen, itemUrl(cremaLine!.id), 'CONFIRMED');
    expect(two.json<{ order: Order }>().order.status).toBe('CONFIRMED');

    expectProblem(await patchStatus(t.staff.kitchen, itemUrl(padron!.id), 'SERVED'), 409, 'INVALID_TRANSITION');

    expect(await stockOf('item_crema_catalana')).toBe(crema - 3);
    const cancel = await patchStatus(t.staff.kitchen, itemUrl(cremaLine!.id), 'CANCELLED');
    expect(cancel.statusCode, cancel.body).toBe(200);
    const afterCancel = cancel.json<{ order: Order }>().order;
    expect(afterCancel.status).toBe('CONFIRMED');
    expect(afterCancel.items.map((i) => i.status)).toEqual(['CONFIRMED', 'CANCELLED']);
    expect(cents(afterCancel.totalAmount)).toBe(cents(order.totalAmount) - cents(cremaLine!.totalPrice));
    expect(cents(afterCancel.totalAmount)).toBe(cents(padron!.totalPrice));
    expect(await stockOf('item_crema_catalana')).toBe(crema);
    expect(await movementsOf(order.id, 'order_cancelled')).toEqual([{ menuItemId: 'item_crema_catalana', delta: 3, stockAfter: crema }]);
    const { rows: stored } = await t.db.query<{ totalAmount: string }>('SELECT "totalAmount" FROM restaurante.orders WHERE id = $1', [order.id]);
    expect(cents(stored[0]!.totalAmount)).toBe(cents(padron!.totalPrice));

    // Every change is recorded with who made it.
    const { rows } = await t.db.query<{ orderItemId: string | null; fromStatus: string | null; toStatus: string; changedBy: string }>(
      `SELECT "orderItemId", "fromStatus", "toStatus", "changedBy" FROM restaurante.order_status_history
        WHERE "orderId" = $1 ORDER BY "changedAt", id`,
      [order.id],
    );
    expect(rows.length).toBeGreaterThanOrEqual(3 + 4); // created: order + 2 lines; changes: 2 lines, order, cancel
    for (const row of rows) expect(row.changedBy).toMatch(/^staff:/);
    const changes = rows.filter((r) => r.fromStatus !== null);
    expect(changes.map((r) => [r.orderItemId, r.fromStatus, r.toStatus])).toEqual(
      expect.arrayContaining([
        [padron!.id, 'PENDING', 'CONFIRMED'],
        [cremaLine!.id, 'PENDING', 'CONFIRMED'],
        [null, 'PENDING', 'CONFIRMED'],
        [cremaLine!.id, 'CONFIRMED', 'CANCELLED'],
      ]),
    );
    for (const row of changes) expect(row.changedBy).toMatch(/^staff:kitchen:/);
  });

  it('cancelling every line cancels the order with a zero total', async () => {
    const order = await staffOrder([{ menuItemId: 'item_boquerones_vinagre', quantity: 1 }]);
    const res = await patchStatus(t.staff.kitchen, `/api/orders/${order.id}/items/${order.items[0]!.id}/status`, 'CANCELLED');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ order: Order }>().order).toMatchObject({ status: 'CANCELLED', totalAmount: 0 });
  });

  it('the kitchen queue lists open lines by status, oldest first; a waiter token gets 403', async () => {
    const older = await staffOrder([{ menuItemId: 'item_agua_mineral', quantity: 1 }], 'table_02');
    const newer = await staffOrder([{ menuItemId: 'item_cana_cerveza', quantity: 2 }], 'table_02');
    const confirmed = await staffOrder([{ menuItemId: 'item_verdejo_copa', quantity: 1 }], 'table_02');
    const served = await staffOrder([{ menuItemId: 'item_rioja_crianza_copa', quantity: 1 }], 'table_02');
    // Moved line by line, so this test does not depend on PATCH /api/orders/:id/status.
    const lineUrl = (o: Order) => `/api/orders/${o.id}/items/${o.items[0]!.id}/status`;
    expect((await patchStatus(t.staff.kitchen, lineUrl(confirmed), 'CONFIRMED')).statusCode).toBe(200);
    for (const status of ['CONFIRMED', 'IN_PROGRESS', 'READY', 'SERVED']) {
      expect((await patchStatus(t.staff.kitchen, lineUrl(served), status)).statusCode).toBe(200);
    }

    const res = await get(t.staff.kitchen, '/api/kitchen/queue');
    expect(res.statusCode, res.body).toBe(200);
    const queue = res.json<Queue>();
    expect(Object.keys(queue).sort()).toEqual(['CONFIRMED', 'IN_PROGRESS', 'PENDING', 'READY']);
    for (const [status, lines] of Object.entries(queue)) {
      for (const line of lines) expect(line.status).toBe(status);
      const times = lines.map((l) => Date.parse(l.createdAt));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
    const pendingIds = queue.PENDING.map((l) => l.orderId);
    expect(pendingIds.indexOf(older.id)).toBeGreaterThanOrEqual(0);
    expect(pendingIds.indexOf(older.id)).toBeLessThan(pendingIds.indexOf(newer.id));
    const newerLine = queue.PENDING.find((l) => l.orderId === newer.id);
    expect(newerLine).toMatchObject({
      orderNumber: newer.orderNumber,
      tableId: 'table_02',
      tableNumber: 2,
      itemId: newer.items[0]!.id,
      menuItemId: 'item_cana_cerveza',
      name: 'Caña de cerveza',
      quantity: 2,
      status: 'PENDING',
    });
    expect(queue.CONFIRMED.map((l) => l.orderId)).toContain(confirmed.id);
    expect(pendingIds).not.toContain(confirmed.id);
    const all = Object.values(queue).flat().map((l) => l.orderId);
    expect(all).not.toContain(served.id);

    expect((await get(t.staff.admin, '/api/kitchen/queue')).statusCode).toBe(200);
    expectProblem(await get(t.staff.waiter, '/api/kitchen/queue'), 403, 'FORBIDDEN');
    expectProblem(await get(undefined, '/api/kitchen/queue'), 401, 'UNAUTHENTICATED');
  });
});

// ---------------------------------------------------------------------------------------------
// 5. The menu
// ---------------------------------------------------------------------------------------------
function itemOf(menu: Menu, id: string): MenuItem | undefined {
  return menu.categories.flatMap((c) => c.items).find((i) => i.id === id);
}

describe('the menu', () => {
  it('GET /api/menu?restaurantId= → categories with available items, prices, allergens, stock state and an ETag', async () => {
    const res = await get(undefined, `/api/menu?restaurantId=${DEMO_RESTAURANT_ID}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers.etag).toMatch(/^".+"$/);
    const menu = res.json<Menu>();
    expect(menu).toMatchObject({ restaurantId: DEMO_RESTAURANT_ID, name: 'Enigma', currency: 'EUR' });
    expect(menu.version).toEqual(expect.any(Number));
    expect(menu.categories.map((c) => c.id)).toEqual(['cat_entrantes', 'cat_tapas', 'cat_principales', 'cat_postres', 'cat_bebidas', 'cat_vinos']);
    const bravas = itemOf(menu, 'item_patatas_bravas');
    expect(bravas).toMatchObject({ name: 'Patatas bravas', allergens: ['gluten', 'eggs'] });
    expect(cents(bravas!.price)).toBe(cents(await priceOf('item_patatas_bravas')));
    expect(['in_stock', 'low', 'sold_out']).toContain(bravas!.stockState);
    expect(itemOf(menu, 'item_jamon_iberico')?.allergens).toEqual([]);
    expect(itemOf(menu, 'item_torrija')).toBeUndefined();
    // Guests see the stock state, never the count.
    expect(JSON.stringify(menu)).not.toContain('"stock"');
  });

  it('If-None-Match with the ETag → 304 with no body', async () => {
    const first = await get(undefined, `/api/menu?restaurantId=${DEMO_RESTAURANT_ID}`);
    const etag = first.headers.etag;
    expect(typeof etag).toBe('string');
    const again = await t.app.inject({
      method: 'GET',
      url: `/api/menu?restaurantId=${DEMO_RESTAURANT_ID}`,
      headers: { 'if-none-match': String(etag) },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers.etag).toBe(etag);
    const other = await t.app.inject({
      method: 'GET',
      url: `/api/menu?restaurantId=${DEMO_RESTAURANT_ID}`,
      headers: { 'if-none-match': '"something-else"' },
    });
    expect(other.statusCode).toBe(200);
  });

  it("without ?restaurantId=: a guest's or staff token picks the restaurant; nothing → 400; unknown → 404", async () => {
    const guest = await t.guest('table_01');
    const viaGuest = await get(guest, '/api/menu');
    expect(viaGuest.statusCode, viaGuest.body).toBe(200);
    expect(viaGuest.json<Menu>().restaurantId).toBe(DEMO_RESTAURANT_ID);
    const viaStaff = await get(t.staff.kitchen, '/api/menu');
    expect(viaStaff.json<Menu>().restaurantId).toBe(DEMO_RESTAURANT_ID);
    expectProblem(await get(undefined, '/api/menu'), 400, 'VALIDATION_FAILED');
    expectProblem(await get('cmd_guest_notarealtokennotarealtokennotarealtok', '/api/menu'), 400, 'VALIDATION_FAILED');
    expectProblem(await get(undefined, '/api/menu?restaurantId=rest_no_existe'), 404, 'NOT_FOUND');
  });
});

describe('the menu without cache slack (menuCacheMaxAgeMs: 0)', () => {
  const m = fresh;

  const menuOf = (app: TestApp) => get(undefined, `/api/menu?restaurantId=${DEMO_RESTAURANT_ID}`, app);

  it('a price change shows at once with a new ETag; the old ETag no longer gives 304', async () => {
    const before = await menuOf(m);
    const oldEtag = String(before.headers.etag);
    const oldPrice = itemOf(before.json<Menu>(), 'item_patatas_bravas')!.price;
    await m.db.query(`UPDATE restaurante.menu_items SET price = price + 1 WHERE id = 'item_patatas_bravas'`);
    const after = await menuOf(m);
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(oldEtag);
    expect(cents(itemOf(after.json<Menu>(), 'item_patatas_bravas')!.price)).toBe(cents(oldPrice) + 100);
    expect(after.json<Menu>().version).toBeGreaterThan(before.json<Menu>().version);
    const conditional = await m.app.inject({
      method: 'GET',
      url: `/api/menu?restaurantId=${DEMO_RESTAURANT_ID}`,
      headers: { 'if-none-match': oldEtag },
    });
    expect(conditional.statusCode).toBe(200);
    // And orders are charged the new price.
    const guest = await m.guest('table_02');
    const order = await placeOk(guest, { items: [{ menuItemId: 'item_patatas_bravas', quantity: 1 }] }, m);
    expect(cents(order.totalAmount)).toBe(cents(oldPrice) + 100);
  });

  it("an order that takes item_tarta_queso to 0 makes it 'sold_out'", async () => {
    const before = itemOf((await menuOf(m)).json<Menu>(), 'item_tarta_queso');
    expect(before?.stockState).toBe('low');
    const stock = await stockOf('item_tarta_queso', m);
    expect(stock).toBe(3);
    const guest = await m.guest('table_03');
    await placeOk(guest, { items: [{ menuItemId: 'item_tarta_queso', quantity: stock }] }, m);
    expect(await stockOf('item_tarta_queso', m)).toBe(0);
    const after = itemOf((await menuOf(m)).json<Menu>(), 'item_tarta_queso');
    expect(after?.stockState).toBe('sold_out');
    // And the next one is refused.
    const res = await postOrder(guest, { items: [{ menuItemId: 'item_tarta_queso', quantity: 1 }] }, {}, m);
    expect(expectProblem(res, 409, 'OUT_OF_STOCK').items).toEqual([{ menuItemId: 'item_tarta_queso', requested: 1, available: 0 }]);
  });

  it('restaurante.get_complete_menu() returns the same document as the API', async () => {
    const res = await menuOf(m);
    const { rows } = await m.db.query<{ menu: unknown }>('SELECT restaurante.get_complete_menu($1) AS menu', [DEMO_RESTAURANT_ID]);
    expect(res.json<unknown>()).toEqual(rows[0]!.menu);
    const { rows: none } = await m.db.query<{ menu: unknown }>(`SELECT restaurante.get_complete_menu('rest_no_existe') AS menu`);
    expect(none[0]!.menu).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// 6. QR codes
// ---------------------------------------------------------------------------------------------
describe('QR codes', () => {
  async function printable(): Promise<Printable> {
    const res = await get(t.staff.admin, '/api/tables/table_05/qr');
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Printable>();
  }

  async function scansOf(userAgent: string): Promise<number> {
    const { rows } = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM restaurante.qr_scans WHERE table_id = 'table_05' AND user_agent = $1 AND session_id IS NOT NULL`,
      [userAgent],
    );
    return rows[0]!.n;
  }

  it('qr.svg is an SVG image', async () => {
    const res = await get(t.staff.admin, '/api/tables/table_05/qr.svg');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(res.body.trimStart()).toMatch(/^(<svg|<\?xml)/);
    expect(res.body).toContain('</svg>');
  });

  it('qr.png is a PNG image', async () => {
    const res = await get(t.staff.admin, '/api/tables/table_05/qr.png');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^image\/png/);
    expect([...res.rawPayload.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('the QR endpoints are for admins: kitchen → 403, unknown table → 404', async () => {
    expectProblem(await get(t.staff.kitchen, '/api/tables/table_05/qr'), 403, 'FORBIDDEN');
    expectProblem(await get(t.staff.admin, '/api/tables/table_99/qr'), 404, 'NOT_FOUND');
  });

  it('/qr gives the code and its URL; the code works and each scan is logged with its user agent', async () => {
    const qr = await printable();
    expect(qr).toMatchObject({ tableId: 'table_05', number: 5 });
    expect(qr.code.startsWith('table_05.')).toBe(true);
    expect(qr.url).toMatch(/\/t\//);
    expect(decodeURIComponent(qr.url.slice(qr.url.lastIndexOf('/') + 1))).toBe(qr.code);

    const agent = 'orders-api-test/1.0 (scan)';
    const before = await scansOf(agent);
    const res = await scanCode(t, qr.code, { 'user-agent': agent });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<Scan>().tableId).toBe('table_05');
    const again = await scanCode(t, qr.code, { 'user-agent': agent });
    expect(again.json<Scan>().joined).toBe(true);
    expect(await scansOf(agent)).toBe(before + 2);
  });

  it('a tampered code → 404 INVALID_QR_CODE, and it is not logged', async () => {
    const { code } = await printable();
    const last = code.at(-1)!;
    const tampered = code.slice(0, -1) + (last === 'A' ? 'B' : 'A');
    const agent = 'orders-api-test/1.0 (tampered)';
    expectProblem(await scanCode(t, tampered, { 'user-agent': agent }), 404, 'INVALID_QR_CODE');
    expectProblem(await scanCode(t, 'table_05.short', { 'user-agent': agent }), 404, 'INVALID_QR_CODE');
    expectProblem(await scanCode(t, code.replace('table_05', 'table_06'), { 'user-agent': agent }), 404, 'INVALID_QR_CODE');
    expect(await scansOf(agent)).toBe(0);
  });

  it('a code with a non-ASCII character in its MAC → 404 INVALID_QR_CODE (not 500)', async () => {
    const { code } = await printable();
    const tampered = code.slice(0, -1) + 'é';
    expectProblem(await scanCode(t, tampered), 404, 'INVALID_QR_CODE');
  });

  it('rotating invalidates the old code (and its session); the new code works', async () => {
    const old = await printable();
    const guest = (await scan(t, 'table_05')).sessionToken;
    const res = await t.app.inject({ method: 'POST', url: '/api/tables/table_05/qr/rotate', headers: t.auth(t.staff.admin) });
    expect(res.statusCode, res.body).toBe(200);
    const rotated = res.json<Printable>();
    expect(rotated.qrVersion).toBe(old.qrVersion + 1);
    expect(rotated.code).not.toBe(old.code);
    expect((await printable()).code).toBe(rotated.code);

    expectProblem(await scanCode(t, old.code), 404, 'INVALID_QR_CODE');
    expectProblem(await postOrder(guest, { items: [{ menuItemId: 'item_gilda', quantity: 1 }] }), 401, 'UNAUTHENTICATED');
    const fresh = await scanCode(t, rotated.code);
    expect(fresh.statusCode, fresh.body).toBe(201);
    expect(fresh.json<Scan>()).toMatchObject({ tableId: 'table_05', joined: false });
  });

  it('scans are rate-limited per client IP: the 4th of 3 per minute → 429 RATE_LIMITED with Retry-After', async () => {
    const code = await codeOf(limited, 'table_01');
    for (let i = 0; i < 3; i++) {
      const res = await scanCode(limited, code);
      expect(res.statusCode, res.body).toBe(201);
    }
    const res = await scanCode(limited, code);
    expectProblem(res, 429, 'RATE_LIMITED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    const { rows } = await limited.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM restaurante.qr_scans`);
    expect(rows[0]!.n).toBe(3);
  });
});

// ---------------------------------------------------------------------------------------------
// 7. The roadmap's §5.1 checks, in SQL
// ---------------------------------------------------------------------------------------------
describe("the roadmap's §5.1 checks in SQL", () => {
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
    const stock = await stockOf('item_patatas_bravas');
    const before = await counts();
    const result = await withClient((c) =>
      c.query<{ stock: number }>(`SELECT restaurante.decrease_menu_item_stock('item_patatas_bravas', 5) AS stock`),
    );
    expect(result.rows[0]!.stock).toBe(stock - 5);
    expect(await stockOf('item_patatas_bravas')).toBe(stock - 5);
    expect((await counts()).stockMovements).toBe(before.stockMovements + 1);
    const { rows } = await t.db.query<{ delta: number; stockAfter: number; reason: string }>(
      `SELECT delta, "stockAfter", reason FROM restaurante.stock_movements
        WHERE "menuItemId" = 'item_patatas_bravas' ORDER BY "createdAt" DESC, id LIMIT 1`,
    );
    expect(rows[0]).toEqual({ delta: -5, stockAfter: stock - 5, reason: 'order' });
  });

  it("asking for more than the stock raises 'Stock insuficiente' and changes nothing", async () => {
    const stock = await stockOf('item_patatas_bravas');
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
    expect(await stockOf('item_patatas_bravas')).toBe(stock);
    expect(await counts()).toEqual(before);
  });

  it("create_order_with_stock_check() with the roadmap's payload returns (order_id, true) and charges the database's prices", async () => {
    const price = await priceOf('item_secreto_iberico');
    const stock = await stockOf('item_secreto_iberico');
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
    expect(await stockOf('item_secreto_iberico')).toBe(stock - 2);
  });
});

// ---------------------------------------------------------------------------------------------
// 8. Lock timeout (roadmap §5.3, scenario 2)
// ---------------------------------------------------------------------------------------------
describe('a dish locked by a long transaction (roadmap §5.3 scenario 2)', () => {
  it('the order answers 503 DATABASE_BUSY with Retry-After within the lock timeout, and succeeds once the lock is gone', async () => {
    const guest = await t.guest('table_11');
    const payload = { items: [{ menuItemId: 'item_croquetas_jamon', quantity: 1 }] };
    const headers = { 'idempotency-key': 'lock-timeout-1' };
    const stock = await stockOf('item_croquetas_jamon');
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
    expect(await stockOf('item_croquetas_jamon')).toBe(stock - 1);
  });
});
