// Issue 11, item 9: answers with personal data or tokens are never stored by browsers or proxies,
// no answer can be sniffed into another type or leak its URL in a Referer, and link tokens travel
// in headers or bodies, not URLs.
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { reservationTokenFor } from '../src/core/reservations/tokens.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { TEST_SECRET, useTestApp } from './helpers/app.js';
import { futureTuesday } from './helpers/dates.js';

const t = await useTestApp();

function expectPrivate(res: LightMyRequestResponse, cache = 'no-store') {
  expect(res.headers['cache-control'], `${res.statusCode} ${res.body.slice(0, 80)}`).toBe(cache);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['referrer-policy']).toBe('no-referrer');
}

async function booking(weeks: number) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/reservations',
    payload: { restaurantId: DEMO_RESTAURANT_ID, partySize: 2, time: futureTuesday(weeks), customerName: 'Lucía', customerEmail: `lucia${weeks}@example.com` },
  });
  expect(res.statusCode, res.body).toBe(201);
  expectPrivate(res);
  const id = res.json<{ reservation: { id: string } }>().reservation.id;
  const { rows } = await t.db.query<{ tokenId: string }>(`SELECT payload->>'tokenId' AS "tokenId" FROM restaurante.email_logs WHERE reservation_id = $1`, [id]);
  return { id, token: reservationTokenFor(TEST_SECRET, rows[0]!.tokenId) };
}

describe('headers (item 9)', () => {
  it('the guest\'s reservation view, a QR scan, a customer export and errors: no-store, nosniff, no-referrer', async () => {
    const { token } = await booking(1);
    expectPrivate(await t.app.inject({ method: 'GET', url: '/api/reservations/by-token', headers: t.auth(token) }));
    const scan = await t.app.inject({ method: 'POST', url: '/api/qr/scan', payload: { code: 'table_01.AAAAAAAAAAAAAAAAAAAAAA' } });
    expect(scan.statusCode).toBe(404);
    expectPrivate(scan);
    await t.guest('table_02');
    const { rows } = await t.db.query<{ id: string }>(`SELECT id FROM restaurante.customers WHERE email = 'lucia1@example.com'`);
    const exported = await t.app.inject({ method: 'GET', url: `/api/admin/customers/${rows[0]!.id}/export`, headers: t.auth(t.staff.admin) });
    expect(exported.statusCode).toBe(200);
    expectPrivate(exported);
    expectPrivate(await t.app.inject({ method: 'GET', url: '/api/nothing-here' }));
    expectPrivate(await t.app.inject({ method: 'GET', url: '/api/staff/me', headers: t.auth(t.staff.waiter) }));
  });

  it('a successful scan (it carries a session token) is no-store too; the public menu keeps its ETag revalidation', async () => {
    const { tableOf, qrCodeOf } = await import('../src/core/ordering/table-sessions.js');
    const code = qrCodeOf(TEST_SECRET, await tableOf(t.db, DEMO_RESTAURANT_ID, 'table_05'));
    const scan = await t.app.inject({ method: 'POST', url: '/api/qr/scan', payload: { code } });
    expect(scan.statusCode).toBe(201);
    expectPrivate(scan);
    const menu = await t.app.inject({ method: 'GET', url: `/api/menu?restaurantId=${DEMO_RESTAURANT_ID}` });
    expectPrivate(menu, 'no-cache');
  });
});

describe('tokens in headers or bodies (item 9)', () => {
  it('cancel with {"token"} in a JSON body, confirm with Authorization: Bearer; no token anywhere → 401 TOKEN_INVALID', async () => {
    const first = await booking(2);
    const confirmed = await t.app.inject({ method: 'POST', url: '/api/reservations/by-token/confirm', headers: t.auth(first.token) });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    const second = await booking(3);
    const cancelled = await t.app.inject({ method: 'POST', url: '/api/reservations/by-token/cancel', payload: { token: second.token } });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json<{ reservation: { status: string } }>().reservation.status).toBe('CANCELLED');
    const none = await t.app.inject({ method: 'POST', url: '/api/reservations/by-token/cancel' });
    expect(none.statusCode).toBe(401);
    expect(none.json<{ code: string }>().code).toBe('TOKEN_INVALID');
  });
});
