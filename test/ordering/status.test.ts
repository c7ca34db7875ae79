// The order status machine over HTTP (whole orders and line by line, cancellations giving the
// stock back through the ledger, the status history) and the kitchen's queue.
import { describe, expect, it } from 'vitest';
import type { Order } from '../../src/core/ordering/orders.js';
import { useTestApp } from '../helpers/app.js';
import { stockOf } from '../helpers/fixtures.js';
import { cents, orderingRequests, type Queue } from '../helpers/ordering.js';
import { expectProblem } from '../helpers/problems.js';

// The file's own app over its own database (the demo restaurant seeded).
const t = await useTestApp();
const { placeOk, get, patchStatus, movementsOf } = orderingRequests(t);

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
    const stock = await stockOf(t.db, 'item_flan_casero');
    const order = await staffOrder([{ menuItemId: 'item_flan_casero', quantity: 2 }]);
    expect(await stockOf(t.db, 'item_flan_casero')).toBe(stock - 2);
    expect((await patchStatus(t.staff.kitchen, `/api/orders/${order.id}/status`, 'CONFIRMED')).statusCode).toBe(200);
    const res = await patchStatus(t.staff.waiter, `/api/orders/${order.id}/status`, 'CANCELLED');
    expect(res.statusCode, res.body).toBe(200);
    const cancelled = res.json<{ order: Order }>().order;
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.items.map((i) => i.status)).toEqual(['CANCELLED']);
    expect(await stockOf(t.db, 'item_flan_casero')).toBe(stock);
    expect(await movementsOf(order.id, 'order_cancelled')).toEqual([{ menuItemId: 'item_flan_casero', delta: 2, stockAfter: stock }]);
    expect(await movementsOf(order.id, 'order')).toEqual([{ menuItemId: 'item_flan_casero', delta: -2, stockAfter: stock - 2 }]);
  });

  it('cancelling after the kitchen started (IN_PROGRESS) → 409, the stock stays out', async () => {
    const stock = await stockOf(t.db, 'item_tarta_santiago');
    const order = await staffOrder([{ menuItemId: 'item_tarta_santiago', quantity: 1 }]);
    for (const status of ['CONFIRMED', 'IN_PROGRESS']) {
      expect((await patchStatus(t.staff.kitchen, `/api/orders/${order.id}/status`, status)).statusCode).toBe(200);
    }
    const problem = expectProblem(await patchStatus(t.staff.waiter, `/api/orders/${order.id}/status`, 'CANCELLED'), 409, 'INVALID_TRANSITION');
    expect(problem).toMatchObject({ from: 'IN_PROGRESS', to: 'CANCELLED' });
    expect(await stockOf(t.db, 'item_tarta_santiago')).toBe(stock - 1);
    expect(await movementsOf(order.id, 'order_cancelled')).toEqual([]);
  });

  it('an order with a line the kitchen has started cannot be cancelled as a whole', async () => {
    // A line in IN_PROGRESS cannot be cancelled on its own (409); cancelling its order must not
    // cancel it either, nor give its stock back.
    const churros = await stockOf(t.db, 'item_churros_chocolate');
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
    expect(await stockOf(t.db, 'item_churros_chocolate')).toBe(churros - 1);
  });

  it('line by line: the order follows its slowest line; a cancelled line leaves the total and returns its stock', async () => {
    const crema = await stockOf(t.db, 'item_crema_catalana');
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

    expect(await stockOf(t.db, 'item_crema_catalana')).toBe(crema - 3);
    const cancel = await patchStatus(t.staff.kitchen, itemUrl(cremaLine!.id), 'CANCELLED');
    expect(cancel.statusCode, cancel.body).toBe(200);
    const afterCancel = cancel.json<{ order: Order }>().order;
    expect(afterCancel.status).toBe('CONFIRMED');
    expect(afterCancel.items.map((i) => i.status)).toEqual(['CONFIRMED', 'CANCELLED']);
    expect(cents(afterCancel.totalAmount)).toBe(cents(order.totalAmount) - cents(cremaLine!.totalPrice));
    expect(cents(afterCancel.totalAmount)).toBe(cents(padron!.totalPrice));
    expect(await stockOf(t.db, 'item_crema_catalana')).toBe(crema);
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
