// Issue 11, item 12: every answer follows the problem+json catalogue (the router's own refusals,
// wrong methods, other media types), values reach PostgreSQL only as bind parameters, and the API
// validates as the database's checks do, so the database is never the one to refuse a row.
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { errorCodes } from '../src/core/errors.js';
import { adjustStock } from '../src/core/ordering/menu-admin.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { useTestApp } from './helpers/app.js';
import { futureTuesday } from './helpers/dates.js';
import { expectProblem } from './helpers/problems.js';

const t = await useTestApp();

const inject = (method: string, url: string, options: { headers?: Record<string, string>; payload?: unknown } = {}) =>
  t.app.inject({ method: method as 'GET', url, headers: options.headers, payload: options.payload as string });

describe('the router and the body parser answer from the catalogue', () => {
  it('a 101-character id → 414 URI_TOO_LONG, without echoing the URL', async () => {
    const id = 'a'.repeat(101);
    const problem = expectProblem(await inject('GET', `/api/orders/${id}`, { headers: t.auth(t.staff.admin) }), 414, 'URI_TOO_LONG');
    expect(JSON.stringify(problem)).not.toContain(id);
  });

  it('a bad percent-encoding or %00 → 400 MALFORMED_URL', async () => {
    expectProblem(await inject('GET', '/api/orders/%ZZ', { headers: t.auth(t.staff.admin) }), 400, 'MALFORMED_URL');
    expectProblem(await inject('GET', '/api/orders/abc%00def', { headers: t.auth(t.staff.admin) }), 400, 'MALFORMED_URL');
  });

  it('a wrong method → 405 METHOD_NOT_ALLOWED with Allow; an unknown path stays 404', async () => {
    const res = await inject('DELETE', '/api/orders');
    expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe('GET, HEAD, POST');
    const one = await inject('PUT', '/api/orders/some-id');
    expectProblem(one, 405, 'METHOD_NOT_ALLOWED');
    expect(one.headers.allow).toBe('GET, HEAD');
    expectProblem(await inject('GET', '/api/qr/scan'), 405, 'METHOD_NOT_ALLOWED');
    expectProblem(await inject('DELETE', '/api/no-such-thing'), 404, 'ROUTE_NOT_FOUND');
  });

  it('JSON sent as text/plain → 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await inject('POST', '/api/qr/scan', { headers: { 'content-type': 'text/plain' }, payload: '{"code":"table_01.x"}' });
    expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('every route of the OpenAPI document, asked with a method it lacks, answers problem+json with a catalogued code', async () => {
    const doc = (await inject('GET', '/openapi.json')).json<{ paths: Record<string, Record<string, unknown>> }>();
    const answers: LightMyRequestResponse[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      const url = path.replace(/\{[^}]+\}/g, 'x');
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
        if (method.toLowerCase() in operations) continue;
        answers.push(await inject(method, url));
      }
    }
    expect(answers.length).toBeGreaterThan(20);
    for (const res of answers) {
      expect(res.statusCode, res.body).toBe(405);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(errorCodes).toContain(res.json<{ code: string }>().code);
    }
  });
});

describe('values are bind parameters; the API validates as the database does', () => {
  it('a NUL character in a stock note: 400 from the API, and a data error (not a broken statement) from the core', async () => {
    const body = JSON.stringify({ delta: 1, reason: 'restock', note: 'caja\u0000rota' });
    const res = await inject('POST', '/api/admin/menu-items/item_agua_mineral/stock', {
      headers: { ...t.auth(t.staff.admin), 'content-type': 'application/json' },
      payload: body,
    });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    const staff = { kind: 'staff', tokenId: 'stf_test', restaurantId: DEMO_RESTAURANT_ID, role: 'admin' } as const;
    await expect(adjustStock(t.db, staff, 'item_agua_mineral', { delta: 1, reason: 'restock', note: "x'); DROP TABLE x; --\u0000" })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    // A quote is just text.
    const quoted = await adjustStock(t.db, staff, 'item_agua_mineral', { delta: 1, reason: 'restock', note: "it's O'Brien's delivery" });
    expect(quoted.movement.note).toBe("it's O'Brien's delivery");
  });

  it("an e-mail address the orders table would refuse is refused by the API (400), not by the database (422)", async () => {
    const guest = await t.guest('table_03');
    const res = await inject('POST', '/api/orders', {
      headers: t.auth(guest),
      payload: { customerEmail: "o'brien@example.com", items: [{ menuItemId: 'item_agua_mineral', quantity: 1 }] },
    });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    // A booking (no such rule on reservations) takes it.
    const booked = await inject('POST', '/api/reservations', {
      payload: { restaurantId: DEMO_RESTAURANT_ID, partySize: 2, time: futureTuesday(1), customerName: "Seán O'Brien", customerEmail: "o'brien@example.com" },
    });
    expect(booked.statusCode, booked.body).toBe(201);
  });

  it('an order of 10,000 or more → 422 ORDER_TOO_LARGE before any row is written', async () => {
    await t.db.query(`UPDATE restaurante.menu_items SET price = 500, stock = 1000 WHERE id = 'item_jamon_iberico'`);
    const before = (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM restaurante.orders')).rows[0]!.n;
    const res = await inject('POST', '/api/orders', {
      headers: t.auth(t.staff.waiter),
      payload: { tableId: 'table_09', items: [{ menuItemId: 'item_jamon_iberico', quantity: 20 }] },
    });
    expectProblem(res, 422, 'ORDER_TOO_LARGE');
    expect((await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM restaurante.orders')).rows[0]!.n).toBe(before);
    const under = await inject('POST', '/api/orders', {
      headers: t.auth(t.staff.waiter),
      payload: { tableId: 'table_09', items: [{ menuItemId: 'item_jamon_iberico', quantity: 19 }] },
    });
    expect(under.statusCode, under.body).toBe(201);
  });
});
