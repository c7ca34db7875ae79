// Guests at a table over HTTP: scanning the table's QR code opens (or joins) a session, ordering
// charges the database's prices, a guest sees only their own table's orders and no staff route,
// and closing the table ends the session.
import { describe, expect, it } from 'vitest';
import type { Order } from '../../src/core/ordering/orders.js';
import { DEMO_RESTAURANT_ID } from '../../src/core/seed.js';
import { useTestApp } from '../helpers/app.js';
import { priceOf, stockOf } from '../helpers/fixtures.js';
import { cents, scan, orderingRequests, type Placed, type Scan } from '../helpers/ordering.js';
import { expectProblem } from '../helpers/problems.js';

// The file's own app over its own database (the demo restaurant seeded).
const t = await useTestApp();
const { postOrder, placeOk, get, patchStatus, counts } = orderingRequests(t);

describe('guests: scan, order, share the table, lose access when it closes', () => {
  let first: Scan;
  let second: Scan;
  let order: Order;

  it("scanning table_03's QR code opens a session, and ordering uses the database's prices", async () => {
    first = await scan(t, 'table_03');
    expect(first).toMatchObject({ tableId: 'table_03', restaurantId: DEMO_RESTAURANT_ID, joined: false });
    expect(first.sessionToken).toMatch(/^cmd_guest_/);
    expect(Date.parse(first.expiresAt)).toBeGreaterThan(Date.now());

    const bravas = await priceOf(t.db, 'item_patatas_bravas');
    const pan = await priceOf(t.db, 'item_pan_tomate');
    const bravasStock = await stockOf(t.db, 'item_patatas_bravas');
    const panStock = await stockOf(t.db, 'item_pan_tomate');
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
    expect(await stockOf(t.db, 'item_patatas_bravas')).toBe(bravasStock - 2);
    expect(await stockOf(t.db, 'item_pan_tomate')).toBe(panStock - 1);
  });

  it('a second scan of the same table joins the session once the first phone lets it in, and sees the same orders', async () => {
    second = await scan(t, 'table_03');
    expect(second.joined).toBe(true);
    expect(second.sessionToken).not.toBe(first.sessionToken);
    // A phone joining an open session waits until a phone at the table lets it in.
    expectProblem(await get(second.sessionToken, '/api/orders'), 401, 'UNAUTHENTICATED');
    const me = (await get(second.sessionToken, '/api/table-session')).json<{ me: { id: string; state: string } }>().me;
    expect(me.state).toBe('pending');
    const letIn = await t.app.inject({ method: 'POST', url: `/api/table-session/phones/${me.id}/approve`, headers: t.auth(first.sessionToken) });
    expect(letIn.statusCode).toBe(200);

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
