// Issue 11, item 13: least privilege. Each cell of the role matrix (src/core/auth/roles.ts,
// docs/security.md) is tried against the API: allowed → 2xx, not allowed → 403 FORBIDDEN; the
// kitchen sees no guest contact details; a confirmed guest can still cancel.
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { permissions, type Permission } from '../src/core/auth/roles.js';
import type { StaffRole } from '../src/core/auth/staff-tokens.js';
import { reservationTokenFor } from '../src/core/reservations/tokens.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { TEST_SECRET, useTestApp } from './helpers/app.js';
import { futureTuesday } from './helpers/dates.js';
import { expectProblem } from './helpers/problems.js';

const t = await useTestApp();
const roles: StaffRole[] = ['admin', 'waiter', 'kitchen'];

const call = (role: StaffRole, method: string, url: string, payload?: object): Promise<LightMyRequestResponse> =>
  t.app.inject({ method: method as 'GET', url, payload, headers: { authorization: `Bearer ${t.staff[role]}` } });

let weeks = 0;
async function order(status?: 'READY'): Promise<{ id: string; lineId: string }> {
  const res = await call('waiter', 'POST', '/api/orders', { tableId: 'table_09', customerEmail: 'guest@example.com', items: [{ menuItemId: 'item_agua_mineral', quantity: 1 }] });
  expect(res.statusCode, res.body).toBe(201);
  const placed = res.json<{ order: { id: string; items: Array<{ id: string }> } }>().order;
  if (status) for (const s of ['CONFIRMED', 'IN_PROGRESS', 'READY']) expect((await call('admin', 'PATCH', `/api/orders/${placed.id}/status`, { status: s })).statusCode).toBe(200);
  return { id: placed.id, lineId: placed.items[0]!.id };
}
async function reservation(): Promise<{ id: string; date: string }> {
  const time = futureTuesday(weeks++);
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/reservations',
    payload: { restaurantId: DEMO_RESTAURANT_ID, partySize: 2, time, customerName: 'Marta', customerEmail: `marta${weeks}@example.com`, customerPhone: '+34 600 123 456' },
  });
  expect(res.statusCode, res.body).toBe(201);
  return { id: res.json<{ reservation: { id: string } }>().reservation.id, date: time.slice(0, 10) };
}

/** One request per permission, made by `role`, on fresh data. */
const tries: Record<Permission, (role: StaffRole) => Promise<LightMyRequestResponse>> = {
  'orders.place': (role) => call(role, 'POST', '/api/orders', { tableId: 'table_09', items: [{ menuItemId: 'item_agua_mineral', quantity: 1 }] }),
  'orders.advance': async (role) => call(role, 'PATCH', `/api/orders/${(await order()).id}/status`, { status: 'CONFIRMED' }),
  'orders.serve': async (role) => call(role, 'PATCH', `/api/orders/${(await order('READY')).id}/status`, { status: 'SERVED' }),
  'orders.cancel': async (role) => call(role, 'PATCH', `/api/orders/${(await order()).id}/status`, { status: 'CANCELLED' }),
  'order-lines.move': async (role) => {
    const o = await order();
    return call(role, 'PATCH', `/api/orders/${o.id}/items/${o.lineId}/status`, { status: 'CANCELLED' });
  },
  'orders.read': (role) => call(role, 'GET', '/api/orders'),
  'kitchen.queue': (role) => call(role, 'GET', '/api/kitchen/queue'),
  'tables.close': (role) => call(role, 'POST', '/api/tables/table_10/close'),
  'tables.qr': (role) => call(role, 'GET', '/api/tables/table_10/qr'),
  'menu.manage': (role) => call(role, 'GET', '/api/admin/categories'),
  'reservations.read': async (role) => call(role, 'GET', `/api/admin/reservations?date=${(await reservation()).date}`),
  'reservations.book': (role) =>
    call(role, 'POST', '/api/reservations', {
      restaurantId: DEMO_RESTAURANT_ID,
      partySize: 2,
      time: futureTuesday(weeks++),
      customerName: 'Por teléfono',
      customerEmail: `phone${weeks}@example.com`,
    }),
  'reservations.edit': async (role) => call(role, 'PATCH', `/api/admin/reservations/${(await reservation()).id}`, { status: 'CONFIRMED' }),
  'reservations.tokens': async (role) => call(role, 'POST', `/api/admin/reservations/${(await reservation()).id}/token`),
  'customers.gdpr': (role) => call(role, 'GET', '/api/admin/customers?email=marta1@example.com'),
  'staff.manage': (role) => call(role, 'GET', '/api/staff/accounts'),
  'ops.manage': (role) => call(role, 'GET', '/api/ops/capabilities'),
};

describe('the role matrix (item 13)', () => {
  for (const permission of Object.keys(permissions) as Permission[]) {
    it(`${permission}: ${permissions[permission].join(', ')}`, async () => {
      for (const role of roles) {
        const res = await tries[permission](role);
        if (permission === 'reservations.book') {
          // Booking is open to anyone; with the right, a staff booking is CONFIRMED at once, without
          // it a staff token books like anyone else: a hold until confirmed from the e-mail.
          expect(res.statusCode, res.body).toBe(201);
          const expected = (permissions[permission] as readonly string[]).includes(role) ? 'CONFIRMED' : 'PENDING';
          expect(res.json<{ reservation: { status: string } }>().reservation.status, role).toBe(expected);
        } else if ((permissions[permission] as readonly string[]).includes(role)) {
          expect(res.statusCode, `${role}: ${res.body}`).toBeGreaterThanOrEqual(200);
          expect(res.statusCode, `${role}: ${res.body}`).toBeLessThan(300);
        } else {
          expectProblem(res, 403, 'FORBIDDEN');
        }
      }
    });
  }

  it('a refused change changes nothing: the kitchen cannot cancel an order, its stock stays out', async () => {
    const o = await order();
    expectProblem(await call('kitchen', 'PATCH', `/api/orders/${o.id}/status`, { status: 'CANCELLED' }), 403, 'FORBIDDEN');
    const { rows } = await t.db.query<{ status: string }>('SELECT status FROM restaurante.orders WHERE id = $1', [o.id]);
    expect(rows[0]!.status).toBe('PENDING');
  });

  it('the kitchen reads orders and the day\'s book without guests\' e-mail addresses or phone numbers', async () => {
    const o = await order();
    const forKitchen = (await call('kitchen', 'GET', `/api/orders/${o.id}`)).json<{ order: { customerEmail: string | null } }>().order;
    const forWaiter = (await call('waiter', 'GET', `/api/orders/${o.id}`)).json<{ order: { customerEmail: string | null } }>().order;
    expect(forKitchen.customerEmail).toBeNull();
    expect(forWaiter.customerEmail).toBe('guest@example.com');
    const r = await reservation();
    const book = (role: StaffRole) => call(role, 'GET', `/api/admin/reservations?date=${r.date}`).then((res) => res.json<{ reservations: Array<Record<string, unknown>> }>().reservations);
    expect((await book('kitchen'))[0]).toMatchObject({ id: r.id, customerEmail: null, customerPhone: null, partySize: 2 });
    expect((await book('waiter'))[0]).toMatchObject({ id: r.id, customerPhone: '+34 600 123 456' });
  });
});

describe('guest links: confirm and cancel are separate (item 13)', () => {
  it('confirming answers with a fresh link with which the confirmed guest can still cancel; the used link does nothing more', async () => {
    const r = await reservation();
    const { rows } = await t.db.query<{ tokenId: string }>(`SELECT payload->>'tokenId' AS "tokenId" FROM restaurante.email_logs WHERE reservation_id = $1`, [r.id]);
    const emailed = reservationTokenFor(TEST_SECRET, rows[0]!.tokenId);
    const confirmed = await t.app.inject({ method: 'POST', url: '/api/reservations/by-token/confirm', headers: { authorization: `Bearer ${emailed}` } });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    const body = confirmed.json<{ reservation: { status: string }; token: string }>();
    expect(body.reservation.status).toBe('CONFIRMED');
    expect(body.token).toMatch(/^cmd_res_/);
    expect(body.token).not.toBe(emailed);
    expectProblem(await t.app.inject({ method: 'POST', url: '/api/reservations/by-token/cancel', headers: { authorization: `Bearer ${emailed}` } }), 409, 'TOKEN_USED');
    const cancelled = await t.app.inject({ method: 'POST', url: '/api/reservations/by-token/cancel', payload: { token: body.token } });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json<{ reservation: { status: string } }>().reservation.status).toBe('CANCELLED');
    expect(cancelled.json<{ token?: string }>().token).toBeUndefined();
  });
});

describe('docs/security.md', () => {
  it('shows the role matrix exactly as src/core/auth/roles.ts has it', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../docs/security.md', import.meta.url), 'utf8');
    for (const permission of Object.keys(permissions) as Permission[]) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${permission}\``));
      expect(row, permission).toBeDefined();
      const cells = row!.split('|').slice(2, 5).map((c) => c.trim());
      expect(cells, permission).toEqual(roles.map((role) => ((permissions[permission] as readonly string[]).includes(role) ? '✓' : '—')));
    }
  });
});
