// GET /api/floor: every table's state as a party goes through it (free → seated → ordering →
// waiting → bill → free), the session's phones, open and handled requests with who handled them,
// the roles that may read it, and nothing of another restaurant or of the guests' contact details.
import { beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../src/core/auth/staff-accounts.js';
import { createStaffToken } from '../src/core/auth/staff-tokens.js';
import type { Floor, FloorTable } from '../src/core/ordering/floor.js';
import { qrCodeOf, tableOf } from '../src/core/ordering/table-sessions.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { TEST_SECRET, useTestApp, type TestApp } from './helpers/app.js';

describe('GET /api/floor', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await useTestApp();
  }, 60_000);

  const floor = async (token: string): Promise<Floor> => {
    const res = await t.app.inject({ url: '/api/floor', headers: t.auth(token) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    return res.json<Floor>();
  };
  const table = async (id: string): Promise<FloorTable> => (await floor(t.staff.waiter)).tables.find((x) => x.id === id)!;

  it('lists every active table, all free at first', async () => {
    const f = await floor(t.staff.waiter);
    expect(f.tables).toHaveLength(12);
    expect(f.tables.map((x) => x.number)).toEqual([...f.tables.map((x) => x.number)].sort((a, b) => a - b));
    expect(new Set(f.tables.map((x) => x.state))).toEqual(new Set(['free']));
    expect(f.tables[0]!.session).toBeNull();
    expect(f.open).toEqual([]);
  });

  it('follows a party: seated, ordering, waiting for food, asked for the bill, then free after closing', async () => {
    const guest = await t.guest('table_03');
    let x = await table('table_03');
    expect(x.state).toBe('seated');
    expect(x.session?.phones).toMatchObject([{ phone: 1, state: 'admitted', decidedBy: 'first phone' }]);

    const placed = await t.app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: t.auth(guest),
      payload: { customerEmail: 'secret-guest@example.com', items: [{ menuItemId: 'item_jamon_iberico', quantity: 2 }] },
    });
    expect(placed.statusCode, placed.body).toBe(201);
    const orderId = placed.json<{ order: { id: string } }>().order.id;
    x = await table('table_03');
    expect(x.state).toBe('ordering');
    expect(x.orders).toMatchObject({ count: 1, pending: 2, inKitchen: 0, ready: 0, served: 0, totalAmount: 48 });

    const moved = await t.app.inject({ method: 'PATCH', url: `/api/orders/${orderId}/status`, headers: t.auth(t.staff.kitchen), payload: { status: 'CONFIRMED' } });
    expect(moved.statusCode, moved.body).toBe(200);
    x = await table('table_03');
    expect(x.state).toBe('waiting');
    expect(x.orders).toMatchObject({ pending: 0, inKitchen: 2 });

    const bill = await t.app.inject({ method: 'POST', url: '/api/table-requests', headers: t.auth(guest), payload: { kind: 'bill' } });
    expect(bill.statusCode).toBe(201);
    x = await table('table_03');
    expect(x.state).toBe('bill');
    expect(x.requests).toMatchObject([{ kind: 'bill', status: 'open', tableNumber: x.number, phone: 1 }]);

    // A second phone waits to be let in, and shows so.
    const code = qrCodeOf(TEST_SECRET, await tableOf(t.db, DEMO_RESTAURANT_ID, 'table_03'));
    const scan = await t.app.inject({ method: 'POST', url: '/api/qr/scan', payload: { code } });
    expect(scan.json<{ pending: boolean }>().pending).toBe(true);
    x = await table('table_03');
    expect(x.session?.phones.map((p) => p.state)).toEqual(['admitted', 'pending']);

    // Nothing of the guests' contact details reaches the floor.
    expect(JSON.stringify(await floor(t.staff.admin))).not.toContain('secret-guest');

    const closed = await t.app.inject({ method: 'POST', url: '/api/tables/table_03/close', headers: t.auth(t.staff.waiter) });
    expect(closed.statusCode).toBe(200);
    x = await table('table_03');
    expect(x.state).toBe('free');
    expect(x.session).toBeNull();
    expect(x.orders.count).toBe(0);
    // The bill request outlived its session: still open for the staff, no longer the table's.
    expect(x.requests).toEqual([]);
    expect((await floor(t.staff.waiter)).open.map((r) => r.kind)).toEqual(['bill']);
  });

  it('shows who handled a request by name', async () => {
    const account = await createAccount(t.db, { restaurantId: DEMO_RESTAURANT_ID, name: 'Lucía', login: 'lucia-floor', role: 'waiter', password: 'a long enough password' });
    expect(account.account.id).toBeTruthy();
    const labelled = await createStaffToken(t.db, { restaurantId: DEMO_RESTAURANT_ID, role: 'waiter', label: 'bar tablet' });
    const guest = await t.guest('table_04');
    const asked = await t.app.inject({ method: 'POST', url: '/api/table-requests', headers: t.auth(guest), payload: { kind: 'waiter' } });
    const id = asked.json<{ request: { id: string } }>().request.id;
    expect((await table('table_04')).requests.map((r) => r.kind)).toEqual(['waiter']);
    const resolved = await t.app.inject({ method: 'POST', url: `/api/table-requests/${id}/resolve`, headers: t.auth(labelled.token) });
    expect(resolved.statusCode).toBe(200);
    const f = await floor(t.staff.waiter);
    expect(f.resolved[0]).toMatchObject({ id, status: 'resolved', resolvedBy: 'bar tablet', tableNumber: (await table('table_04')).number });
    expect(f.open.find((r) => r.id === id)).toBeUndefined();
    expect(f.tables.find((x) => x.id === 'table_04')!.state).toBe('seated');
  });

  it('is for waiters and admins of the restaurant only', async () => {
    expect((await t.app.inject({ url: '/api/floor' })).statusCode).toBe(401);
    const kitchen = await t.app.inject({ url: '/api/floor', headers: t.auth(t.staff.kitchen) });
    expect(kitchen.statusCode).toBe(403);
    expect(kitchen.json()).toMatchObject({ code: 'FORBIDDEN' });
    const guest = await t.guest('table_05');
    expect((await t.app.inject({ url: '/api/floor', headers: t.auth(guest) })).statusCode).toBe(403);

    await t.db.query(
      `INSERT INTO restaurante.restaurants (id, name, timezone, currency, "defaultLanguage", slot_interval_minutes, buffer_minutes)
       VALUES ('rest_floor_b', 'Otro', 'Europe/Madrid', 'EUR', 'es', 15, 15)`,
    );
    await t.db.query(`INSERT INTO restaurante.tables (id, "restaurantId", number, capacity) VALUES ('table_b_1', 'rest_floor_b', 1, 2)`);
    const other = await createStaffToken(t.db, { restaurantId: 'rest_floor_b', role: 'admin' });
    const f = await floor(other.token);
    expect(f.tables.map((x) => x.id)).toEqual(['table_b_1']);
    expect(f.open).toEqual([]);
    expect(f.resolved).toEqual([]);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { summary: string }>> }>();
    expect(doc.paths['/api/floor']?.get?.summary).toMatch(/floor/i);
  });
});
