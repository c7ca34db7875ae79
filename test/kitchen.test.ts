// The kitchen display's API: tickets (lines, notes, allergens, table, oldest first), stations,
// thresholds, bumps, the undo of a bump (same session, 10 s, unchanged lines, stock untouched),
// the recall list, roles, and the snapshot shared by a restaurant's screens.
import { describe, expect, it } from 'vitest';
import { LiveHub } from '../src/core/live.js';
import { KitchenSnapshots } from '../src/core/ordering/kitchen-snapshots.js';
import type { KitchenSnapshot, Ticket } from '../src/core/ordering/kitchen.js';
import type { Order } from '../src/core/ordering/orders.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { useTestApp } from './helpers/app.js';
import { stockOf } from './helpers/fixtures.js';
import { expectProblem } from './helpers/problems.js';

const t = await useTestApp();

async function call<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, token: string, payload?: unknown) {
  const res = await t.app.inject({ method, url, headers: t.auth(token), ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  return { res, body: (res.body ? res.json() : null) as T };
}

async function guestOrder(tableId: string, items: Array<{ menuItemId: string; quantity: number; notes?: string }>): Promise<Order> {
  const token = await t.guest(tableId);
  const { res, body } = await call<{ order: Order }>('POST', '/api/orders', token, { items });
  expect(res.statusCode, res.body).toBe(201);
  return body.order;
}

const tickets = async (token = t.staff.kitchen, query = '') => (await call<KitchenSnapshot & { now: string }>('GET', `/api/kitchen/tickets${query}`, token)).body;
const ticketOf = (s: KitchenSnapshot, orderId: string): Ticket | undefined => s.tickets.find((x) => x.orderId === orderId);

describe('kitchen tickets', () => {
  it('open orders oldest first, each line with quantity, dish, notes, allergens; table and time; defaults 10/20', async () => {
    const first = await guestOrder('table_03', [{ menuItemId: 'item_croquetas_jamon', quantity: 2, notes: 'sin sal' }]);
    const second = await guestOrder('table_04', [{ menuItemId: 'item_gambas_ajillo', quantity: 1 }]);
    const s = await tickets();
    expect(s.settings).toMatchObject({ amberMinutes: 10, redMinutes: 20, stations: [] });
    const ids = s.tickets.map((x) => x.orderId);
    expect(ids.indexOf(first.id)).toBeLessThan(ids.indexOf(second.id));
    const ticket = ticketOf(s, first.id)!;
    expect(ticket).toMatchObject({ tableNumber: 3, status: 'PENDING', orderNumber: first.orderNumber, orderedAt: first.orderedAt });
    expect(ticket.lines).toHaveLength(1);
    expect(ticket.lines[0]).toMatchObject({ quantity: 2, notes: 'sin sal', status: 'PENDING' });
    expect(ticket.lines[0]!.name).toMatch(/Croquetas/);
    expect(ticket.lines[0]!.allergens.length).toBeGreaterThan(0);
    // The kitchen sees no guest contact details anywhere in it.
    expect(JSON.stringify(s)).not.toMatch(/@|customerEmail/);
    // The waiter is not the kitchen: no queue.
    expectProblem((await call('GET', '/api/kitchen/tickets', t.staff.waiter)).res, 403, 'FORBIDDEN');
    expectProblem((await call('GET', '/api/kitchen/tickets?junk=1', t.staff.kitchen)).res, 400, 'VALIDATION_FAILED');
  });

  it('bump a line and a ticket; served and cancelled tickets go to the recall list', async () => {
    const order = await guestOrder('table_05', [
      { menuItemId: 'item_pan_tomate', quantity: 1 },
      { menuItemId: 'item_salmorejo', quantity: 1 },
    ]);
    const [a, b] = order.items;
    const line = await call<{ bump: { id: string; lines: unknown[] }; order: Order }>('POST', '/api/kitchen/bump', t.staff.kitchen, { orderId: order.id, itemId: a!.id });
    expect(line.res.statusCode, line.res.body).toBe(200);
    expect(line.body.bump.lines).toEqual([{ itemId: a!.id, from: 'PENDING', to: 'CONFIRMED' }]);
    expect(line.body.order.status).toBe('PENDING'); // follows its slowest line
    // A ticket bump moves the lines at the slowest status: b catches up, a stays.
    const ticket = await call<{ bump: { lines: unknown[] }; order: Order }>('POST', '/api/kitchen/bump', t.staff.kitchen, { orderId: order.id });
    expect(ticket.body.bump.lines).toEqual([{ itemId: b!.id, from: 'PENDING', to: 'CONFIRMED' }]);
    for (let i = 0; i < 3; i++) expect((await call('POST', '/api/kitchen/bump', t.staff.kitchen, { orderId: order.id })).res.statusCode).toBe(200);
    const s = await tickets();
    expect(ticketOf(s, order.id)).toBeUndefined();
    expect(s.recall[0]).toMatchObject({ orderId: order.id, status: 'SERVED' });
    expectProblem((await call('POST', '/api/kitchen/bump', t.staff.kitchen, { orderId: order.id })).res, 409, 'INVALID_TRANSITION');
    expectProblem((await call('POST', '/api/kitchen/bump', t.staff.kitchen, { orderId: order.id, itemId: a!.id })).res, 409, 'INVALID_TRANSITION');
    expectProblem((await call('POST', '/api/kitchen/bump', t.staff.kitchen, { orderId: 'nope' })).res, 404, 'NOT_FOUND');
    expectProblem((await call('POST', '/api/kitchen/bump', t.staff.kitchen, { orderId: order.id, extra: 1 })).res, 400, 'VALIDATION_FAILED');
    // A cancelled order is in the recall list too.
    const cancelled = await guestOrder('table_06', [{ menuItemId: 'item_gilda', quantity: 1 }]);
    expect((await call('PATCH', `/api/orders/${cancelled.id}/status`, t.staff.waiter, { status: 'CANCELLED' })).res.statusCode).toBe(200);
    expect((await tickets()).recall[0]).toMatchObject({ orderId: cancelled.id, status: 'CANCELLED' });
  });
});

describe('undo of a bump', () => {
  it('reverses the lines once, for the same token only, stock untouched, the history recorded', async () => {
    const before = await stockOf(t.db, 'item_tortilla_patatas');
    const order = await guestOrder('table_07', [{ menuItemId: 'item_tortilla_patatas', quantity: 2 }]);
    const afterOrder = await stockOf(t.db, 'item_tortilla_patatas');
    expect(afterOrder).toBe(before - 2);
    const bumped = await call<{ bump: { id: string } }>('POST', '/api/kitchen/bump', t.staff.kitchen, { orderId: order.id });
    const bumpId = bumped.body.bump.id;
    // Another session or token may not undo it: as if it did not exist.
    expectProblem((await call('POST', `/api/kitchen/bumps/${bumpId}/undo`, t.staff.admin)).res, 404, 'NOT_FOUND');
    const undone = await call<{ order: Order }>('POST', `/api/kitchen/bumps/${bumpId}/undo`, t.staff.kitchen);
    expect(undone.res.statusCode, undone.res.body).toBe(200);
    expect(undone.body.order).toMatchObject({ status: 'PENDING', items: [{ status: 'PENDING' }] });
    expect(await stockOf(t.db, 'item_tortilla_patatas')).toBe(afterOrder);
    expect(expectProblem((await call('POST', `/api/kitchen/bumps/${bumpId}/undo`, t.staff.kitchen)).res, 409, 'UNDO_UNAVAILABLE')).toMatchObject({ reason: 'undone' });
    const { rows } = await t.db.query<{ fromStatus: string; toStatus: string }>(
      `SELECT "fromStatus", "toStatus" FROM restaurante.order_status_history WHERE "orderId" = $1 AND "orderItemId" IS NOT NULL ORDER BY "changedAt"`,
      [order.id],
    );
    expect(rows.slice(-2)).toEqual([
      { fromStatus: 'PENDING', toStatus: 'CONFIRMED' },
      { fromStatus: 'CONFIRMED', toStatus: 'PENDING' },
    ]);
  });

  it('refused when a line changed since (another screen moved it) or after 10 s; nothing changes', async () => {
    const order = await guestOrder('table_08', [{ menuItemId: 'item_queso_manchego', quantity: 1 }]);
    const bumped = await call<{ bump: { id: string } }>('POST', '/api/kitchen/bump', t.staff.kitchen, { orderId: order.id });
    // The admin's screen moves it on.
    expect((await call('POST', '/api/kitchen/bump', t.staff.admin, { orderId: order.id })).res.statusCode).toBe(200);
    const problem = expectProblem((await call('POST', `/api/kitchen/bumps/${bumped.body.bump.id}/undo`, t.staff.kitchen)).res, 409, 'UNDO_UNAVAILABLE');
    expect(problem).toMatchObject({ reason: 'changed', items: [order.items[0]!.id] });
    expect(ticketOf(await tickets(), order.id)).toMatchObject({ status: 'IN_PROGRESS' });
    // Too late: the bump is made 11 s old.
    const late = await call<{ bump: { id: string } }>('POST', '/api/kitchen/bump', t.staff.kitchen, { orderId: order.id });
    await t.db.query(`UPDATE restaurante.kitchen_bumps SET "bumpedAt" = "bumpedAt" - interval '11 seconds' WHERE id = $1`, [late.body.bump.id]);
    expect(expectProblem((await call('POST', `/api/kitchen/bumps/${late.body.bump.id}/undo`, t.staff.kitchen)).res, 409, 'UNDO_UNAVAILABLE')).toMatchObject({ reason: 'expired' });
    expect(ticketOf(await tickets(), order.id)).toMatchObject({ status: 'READY' });
  });

  it('the waiter may bump (order lines) but not read the kitchen screen; cancelling is not a bump', async () => {
    const order = await guestOrder('table_09', [{ menuItemId: 'item_flan_casero', quantity: 1 }]);
    expect((await call('POST', '/api/kitchen/bump', t.staff.waiter, { orderId: order.id })).res.statusCode).toBe(200);
  });
});

describe('stations and thresholds (admin)', () => {
  it('a station screen shows its lines only; the kitchen cannot configure; validation', async () => {
    const created = await call<{ id: string; name: string }>('POST', '/api/kitchen/stations', t.staff.admin, { name: 'Postres' });
    expect(created.res.statusCode, created.res.body).toBe(201);
    const station = created.body.id;
    expectProblem((await call('POST', '/api/kitchen/stations', t.staff.admin, { name: 'postres' })).res, 409, 'CONFLICT');
    expectProblem((await call('POST', '/api/kitchen/stations', t.staff.kitchen, { name: 'Fríos' })).res, 403, 'FORBIDDEN');
    expectProblem((await call('PUT', '/api/kitchen/categories/cat_postres/station', t.staff.kitchen, { stationId: station })).res, 403, 'FORBIDDEN');
    expectProblem((await call('PUT', '/api/kitchen/categories/cat_postres/station', t.staff.admin, { stationId: 'nope' })).res, 404, 'NOT_FOUND');
    expectProblem((await call('PUT', '/api/kitchen/categories/nope/station', t.staff.admin, { stationId: station })).res, 404, 'NOT_FOUND');
    const set = await call<{ stations: Array<{ id: string; categoryIds: string[] }> }>('PUT', '/api/kitchen/categories/cat_postres/station', t.staff.admin, { stationId: station });
    expect(set.body.stations).toEqual([expect.objectContaining({ id: station, categoryIds: ['cat_postres'] })]);

    const order = await guestOrder('table_10', [
      { menuItemId: 'item_tarta_queso', quantity: 1 },
      { menuItemId: 'item_patatas_bravas', quantity: 1 },
    ]);
    const mine = ticketOf(await tickets(t.staff.kitchen, `?station=${station}`), order.id)!;
    expect(mine.lines.map((l) => l.menuItemId)).toEqual(['item_tarta_queso']);
    expect(ticketOf(await tickets(), order.id)!.lines).toHaveLength(2);
    expectProblem((await call('GET', '/api/kitchen/tickets?station=nope', t.staff.kitchen)).res, 404, 'NOT_FOUND');
    // A station's ticket bump moves its lines only.
    const bumped = await call<{ order: Order }>('POST', '/api/kitchen/bump', t.staff.kitchen, { orderId: order.id, stationId: station });
    expect(bumped.body.order.items.map((i) => [i.menuItemId, i.status])).toEqual([
      ['item_tarta_queso', 'CONFIRMED'],
      ['item_patatas_bravas', 'PENDING'],
    ]);

    const renamed = await call<{ name: string }>('PATCH', `/api/kitchen/stations/${station}`, t.staff.admin, { name: 'Pastelería' });
    expect(renamed.body.name).toBe('Pastelería');
    expect((await call('DELETE', `/api/kitchen/stations/${station}`, t.staff.admin)).res.statusCode).toBe(204);
    const after = await call<{ categories: Array<{ id: string; stationId: string | null }> }>('GET', '/api/kitchen/settings', t.staff.kitchen);
    expect(after.body.categories.find((c) => c.id === 'cat_postres')!.stationId).toBeNull();
    expectProblem((await call('DELETE', `/api/kitchen/stations/${station}`, t.staff.admin)).res, 404, 'NOT_FOUND');
  });

  it('thresholds: admin sets them, amber < red, kitchen cannot', async () => {
    const ok = await call('PUT', '/api/kitchen/settings', t.staff.admin, { amberMinutes: 8, redMinutes: 15 });
    expect(ok.res.statusCode, ok.res.body).toBe(200);
    expect((await tickets()).settings).toMatchObject({ amberMinutes: 8, redMinutes: 15 });
    expectProblem((await call('PUT', '/api/kitchen/settings', t.staff.admin, { amberMinutes: 15, redMinutes: 15 })).res, 400, 'VALIDATION_FAILED');
    expectProblem((await call('PUT', '/api/kitchen/settings', t.staff.admin, { amberMinutes: 0, redMinutes: 15 })).res, 400, 'VALIDATION_FAILED');
    expectProblem((await call('PUT', '/api/kitchen/settings', t.staff.kitchen, { amberMinutes: 5, redMinutes: 15 })).res, 403, 'FORBIDDEN');
    await call('PUT', '/api/kitchen/settings', t.staff.admin, { amberMinutes: 10, redMinutes: 20 });
  });
});

describe('the shared snapshot', () => {
  it('one build for many readers; a change (NOTIFY) makes the next read fresh', async () => {
    const live = new LiveHub(t.url);
    live.start();
    try {
      for (let i = 0; i < 100 && !live.live; i++) await new Promise((r) => setTimeout(r, 50));
      expect(live.live).toBe(true);
      const snapshots = new KitchenSnapshots(t.db, live);
      const reads = await Promise.all(Array.from({ length: 50 }, () => snapshots.get(DEMO_RESTAURANT_ID)));
      expect(snapshots.builds).toBe(1);
      expect(new Set(reads).size).toBe(1);
      const changed = new Promise<void>((resolve) => {
        const off = live.subscribe('comanda_orders', DEMO_RESTAURANT_ID, () => {
          off();
          resolve();
        });
      });
      const order = await guestOrder('table_11', [{ menuItemId: 'item_churros_chocolate', quantity: 1 }]);
      await changed;
      const fresh = await snapshots.get(DEMO_RESTAURANT_ID);
      expect(snapshots.builds).toBe(2);
      expect(ticketOf(fresh, order.id)).toBeDefined();
    } finally {
      await live.stop();
    }
  });
});
