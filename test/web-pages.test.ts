// The web layer without a browser: pages, headers, assets, the table-joining rule (#11 item 5),
// table requests, the booking link's page, log redaction. Browser tests: test/web-browser.test.ts.
import http from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { qrCodeOf, tableOf } from '../src/core/ordering/table-sessions.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { build } from '../src/http/app.js';
import { loadMigrations } from '../src/core/migrations/runner.js';
import { escapeHtml, html, jsonData } from '../src/web/html.js';
import { fromAcceptLanguage } from '../src/web/i18n.js';
import { issueReservationToken } from '../src/core/reservations/tokens.js';
import { TEST_SECRET, useTestApp } from './helpers/app.js';
import { futureTuesday } from './helpers/dates.js';

const t = await useTestApp();
const { app, db, staff } = t;
const auth = (token: string) => t.auth(token);
const codeOf = async (tableId: string) => qrCodeOf(TEST_SECRET, await tableOf(db, DEMO_RESTAURANT_ID, tableId));
const scan = async (tableId: string) => {
  const res = await app.inject({ method: 'POST', url: '/api/qr/scan', payload: { code: await codeOf(tableId) } });
  expect(res.statusCode).toBe(201);
  return res.json<{ sessionToken: string; pending: boolean; phone: number }>();
};
const view = async (token: string) => (await app.inject({ url: '/api/table-session', headers: auth(token) })).json<{
  me: { id: string; phone: number; state: string };
  phones: Array<{ id: string; phone: number; state: string }>;
  orders: Array<{ orderNumber: string; phone: number | null; items: unknown[] }>;
  session: { open: boolean };
}>();
const order = (token: string, extra: Record<string, unknown> = {}) =>
  app.inject({ method: 'POST', url: '/api/orders', headers: auth(token), payload: { items: [{ menuItemId: 'item_agua_mineral', quantity: 1 }], ...extra } });

// Independent of the weekday the tests run on: the demo restaurant opens today.
await db.query(
  `INSERT INTO restaurante.opening_exceptions ("restaurantId", date, closed, opens_at, closes_at)
   VALUES ($1, (now() AT TIME ZONE 'Europe/Madrid')::date, false, '00:00', '23:59')`,
  [DEMO_RESTAURANT_ID],
);

describe('the HTML helpers', () => {
  it('escape by default, and JSON data cannot close its element', () => {
    const evil = '<img src=x onerror=alert(1)>';
    expect(html`<p>${evil}</p>`.value).toBe('<p>&lt;img src=x onerror=alert(1)&gt;</p>');
    expect(html`<a title="${'" onmouseover="x'}">`.value).toBe('<a title="&quot; onmouseover=&quot;x">');
    expect(jsonData('d', { name: '</script><script>alert(1)</script>' }).value).not.toContain('</script><script>');
    expect(escapeHtml(`&'`)).toBe('&amp;&#39;');
  });

  it('pick the language from Accept-Language by q-value', () => {
    expect(fromAcceptLanguage('en-GB,en;q=0.9,es;q=0.8')).toBe('en');
    expect(fromAcceptLanguage('fr-FR, es;q=0.5, en;q=0.4')).toBe('es');
    expect(fromAcceptLanguage('de')).toBeUndefined();
  });
});

describe('GET /t/<code>', () => {
  it('renders the menu with strict headers and no inline script', async () => {
    const res = await app.inject({ url: `/t/${await codeOf('table_01')}`, headers: { 'accept-language': 'en' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).not.toContain('unsafe');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toContain('<html lang="en">');
    expect(res.body).toContain('Table 1');
    // Every <script> is either the page's module (same origin) or JSON data.
    for (const tag of res.body.match(/<script[^>]*>/g) ?? []) expect(tag).toMatch(/type="module" src="\/assets\/|type="application\/json"/);
    expect(res.body).not.toMatch(/\son[a-z]+=/i);
    expect(res.body).not.toMatch(/style=/);
  });

  it('shows a dish named like markup as text', async () => {
    await db.query(`UPDATE restaurante.menu_items SET name = '<img src=x onerror=alert(1)>' WHERE id = 'item_agua_mineral'`);
    await new Promise((r) => setTimeout(r, 1_100)); // the menu cache re-checks versions after 1 s
    try {
      const res = await app.inject({ url: `/t/${await codeOf('table_01')}` });
      expect(res.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
      expect(res.body).not.toContain('<img src=x');
    } finally {
      await db.query(`UPDATE restaurante.menu_items SET name = 'Agua mineral (50 cl)' WHERE id = 'item_agua_mineral'`);
    }
  });

  it('answers a clear page for an invalid code, a rotated one and a closed restaurant', async () => {
    const invalid = await app.inject({ url: '/t/table_01.AAAAAAAAAAAAAAAAAAAAAA', headers: { accept: 'text/html' } });
    expect(invalid.statusCode).toBe(404);
    expect(invalid.headers['content-type']).toContain('text/html');
    expect(invalid.body).toContain('Este código QR no es válido');

    const old = await codeOf('table_09');
    expect((await app.inject({ method: 'POST', url: '/api/tables/table_09/qr/rotate', headers: auth(staff.admin) })).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 1_100)); // the page's table cache lives 1 s
    const rotated = await app.inject({ url: `/t/${old}`, headers: { 'accept-language': 'en' } });
    expect(rotated.statusCode).toBe(410);
    expect(rotated.body).toContain('Ask the staff for the new one');

    await db.query(`UPDATE restaurante.opening_exceptions SET closed = true, opens_at = NULL, closes_at = NULL WHERE "restaurantId" = $1`, [DEMO_RESTAURANT_ID]);
    try {
      await new Promise((r) => setTimeout(r, 1_100));
      const closed = await app.inject({ url: `/t/${await codeOf('table_01')}`, headers: { 'accept-language': 'en' } });
      expect(closed.body).toContain('is closed today');
    } finally {
      await db.query(`UPDATE restaurante.opening_exceptions SET closed = false, opens_at = '00:00', closes_at = '23:59' WHERE "restaurantId" = $1`, [DEMO_RESTAURANT_ID]);
      await new Promise((r) => setTimeout(r, 1_100));
    }
  });

  it('switches language with ?lang= and remembers it in a cookie', async () => {
    const res = await app.inject({ url: `/t/${await codeOf('table_01')}?lang=en`, headers: { 'accept-language': 'es' } });
    expect(res.body).toContain('<html lang="en">');
    expect(String(res.headers['set-cookie'])).toContain('lang=en');
    const again = await app.inject({ url: `/t/${await codeOf('table_01')}`, headers: { cookie: 'lang=en', 'accept-language': 'es' } });
    expect(again.body).toContain('<html lang="en">');
  });

  it('serves hashed assets compressed with a year-long immutable cache', async () => {
    const page = await app.inject({ url: `/t/${await codeOf('table_01')}` });
    const src = /src="(\/assets\/guest\.[0-9a-f]{10}\.js)"/.exec(page.body)![1]!;
    const res = await app.inject({ url: src, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await app.inject({ url: '/assets/guest.0000000000.js' })).statusCode).toBe(404);
  });

  it('unknown pages get an HTML page for browsers, a problem document for API clients', async () => {
    const page = await app.inject({ url: '/nowhere', headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(404);
    expect(page.headers['content-type']).toContain('text/html');
    const api = await app.inject({ url: '/nowhere' });
    expect(api.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });
});

describe('joining a table (a photo of the code is not a key)', () => {
  it('a later phone waits until a phone at the table lets it in; it sees no other guest’s e-mail', async () => {
    const first = await scan('table_05');
    expect(first).toMatchObject({ pending: false, phone: 1 });
    expect((await order(first.sessionToken, { customerEmail: 'ana@example.com' })).statusCode).toBe(201);

    const second = await scan('table_05');
    expect(second).toMatchObject({ pending: true, phone: 2 });
    // Waiting: it can read its own state only, and cannot order or read orders.
    const waiting = await view(second.sessionToken);
    expect(waiting.me.state).toBe('pending');
    expect(waiting.orders).toEqual([]);
    expect((await order(second.sessionToken)).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/orders', headers: auth(second.sessionToken) })).statusCode).toBe(401);
    // A stranger's token of another table cannot let it in.
    const other = await scan('table_06');
    const phoneId = waiting.me.id;
    expect((await app.inject({ method: 'POST', url: `/api/table-session/phones/${phoneId}/approve`, headers: auth(other.sessionToken) })).statusCode).toBe(404);
    // The first phone sees the request and lets it in.
    const firstView = await view(first.sessionToken);
    expect(firstView.phones.map((p) => [p.phone, p.state])).toEqual([[1, 'admitted'], [2, 'pending']]);
    const approved = await app.inject({ method: 'POST', url: `/api/table-session/phones/${phoneId}/approve`, headers: auth(first.sessionToken) });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ phone: { phone: 2, state: 'admitted', decidedBy: 'phone 1' } });
    expect((await app.inject({ method: 'POST', url: `/api/table-session/phones/${phoneId}/approve`, headers: auth(first.sessionToken) })).json()).toMatchObject({ code: 'CONFLICT' });

    expect((await order(second.sessionToken)).statusCode).toBe(201);
    const shared = await view(second.sessionToken);
    expect(shared.orders.map((o) => o.phone).sort()).toEqual([1, 2]);
    expect(JSON.stringify(shared)).not.toContain('ana@example.com');
    const listed = (await app.inject({ url: '/api/orders', headers: auth(second.sessionToken) })).json<{ orders: Array<{ customerEmail: string | null }> }>();
    expect(listed.orders.map((o) => o.customerEmail)).toEqual([null, null]);
    const own = (await app.inject({ url: '/api/orders', headers: auth(first.sessionToken) })).json<{ orders: Array<{ customerEmail: string | null }> }>();
    expect(own.orders.map((o) => o.customerEmail).sort()).toEqual(['ana@example.com', null]);

    // Staff see every phone; a third one is turned away by staff.
    const third = await scan('table_05');
    const thirdId = (await view(third.sessionToken)).me.id;
    expect((await app.inject({ method: 'POST', url: `/api/table-session/phones/${thirdId}/deny`, headers: auth(staff.kitchen) })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: `/api/table-session/phones/${thirdId}/deny`, headers: auth(staff.waiter) })).statusCode).toBe(200);
    expect((await view(third.sessionToken)).me.state).toBe('denied');
    expect((await order(third.sessionToken)).statusCode).toBe(401);
    const session = (await app.inject({ url: '/api/tables/table_05/session', headers: auth(staff.waiter) })).json<{ phones: Array<{ phone: number; state: string }> }>();
    expect(session.phones.map((p) => [p.phone, p.state])).toEqual([[1, 'admitted'], [2, 'admitted'], [3, 'denied']]);

    // After staff close the table, the next scan opens a fresh session with no approval needed.
    await app.inject({ method: 'POST', url: '/api/tables/table_05/close', headers: auth(staff.waiter) });
    expect((await view(first.sessionToken)).session.open).toBe(false);
    expect(await scan('table_05')).toMatchObject({ pending: false, phone: 1 });
  });

  it('the event stream sends the table view with its version as the id, and resumes from it', async () => {
    const first = await scan('table_07');
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const stream1 = openStream(`${address}/api/table-session/events`, auth(first.sessionToken));
    const text = await stream1.until('event: state');
    const version = /id: (\S+)/.exec(text)![1]!;
    stream1.close();
    // Resuming with the same version: nothing is re-sent until something changes.
    const stream2 = openStream(`${address}/api/table-session/events`, { ...auth(first.sessionToken), 'last-event-id': version });
    expect(await stream2.until('retry:')).not.toContain('event: state');
    expect((await order(first.sessionToken)).statusCode).toBe(201);
    expect(await stream2.until('event: state')).toContain('"orderNumber"');
    stream2.close();
  });
});

/** An event stream read with node:http (fetch's pool keeps spare sockets the server would wait for). */
function openStream(url: string, headers: Record<string, string>) {
  let buffer = '';
  let wake: (() => void) | undefined;
  const request = http.get(url, { headers }, (res) => {
    expect(res.headers['content-type']).toContain('text/event-stream');
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      wake?.();
    });
  });
  request.on('error', () => undefined);
  return {
    async until(text: string): Promise<string> {
      while (!buffer.includes(text)) await new Promise<void>((resolve) => (wake = resolve));
      return buffer;
    },
    close: () => request.destroy(),
  };
}

describe('table requests', () => {
  it('a guest calls a waiter once, staff list and resolve it', async () => {
    const guest = await t.guest('table_08');
    const ask = () => app.inject({ method: 'POST', url: '/api/table-requests', headers: auth(guest), payload: { kind: 'waiter' } });
    const first = await ask();
    expect(first.statusCode).toBe(201);
    const again = await ask();
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ created: false, request: { id: first.json<{ request: { id: string } }>().request.id } });
    expect((await app.inject({ method: 'POST', url: '/api/table-requests', headers: auth(guest), payload: { kind: 'dessert' } })).json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await app.inject({ url: '/api/table-requests', headers: auth(staff.kitchen) })).statusCode).toBe(403);
    const open = (await app.inject({ url: '/api/table-requests', headers: auth(staff.waiter) })).json<{ requests: Array<{ id: string; tableNumber: number; kind: string }> }>();
    expect(open.requests).toEqual([expect.objectContaining({ tableNumber: 8, kind: 'waiter', phone: 1 })]);
    const id = open.requests[0]!.id;
    const resolved = await app.inject({ method: 'POST', url: `/api/table-requests/${id}/resolve`, headers: auth(staff.waiter) });
    expect(resolved.json()).toMatchObject({ request: { status: 'resolved' } });
    expect(resolved.json<{ request: { resolvedBy: string } }>().request.resolvedBy).toMatch(/^staff:waiter:/);
    expect((await app.inject({ method: 'POST', url: `/api/table-requests/${id}/resolve`, headers: auth(staff.waiter) })).json()).toMatchObject({ code: 'CONFLICT' });
    expect((await view(guest)).orders).toBeDefined();
  });

  it('is rate-limited per phone', async () => {
    const guest = await t.guest('table_10');
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await app.inject({ method: 'POST', url: '/api/table-requests', headers: auth(guest), payload: { kind: i % 2 ? 'bill' : 'waiter' } });
      codes.push(res.statusCode);
    }
    expect(codes.filter((c) => c === 429).length).toBeGreaterThan(0);
  });
});

describe("the booking's e-mail link page", () => {
  let weeks = 0;
  async function booked(): Promise<{ id: string; token: string }> {
    const res = await app.inject({
      method: 'POST',
      url: '/api/reservations',
      payload: { restaurantId: DEMO_RESTAURANT_ID, partySize: 2, time: futureTuesday(weeks++), customerName: 'Lucía', customerEmail: 'lucia@example.com' },
    });
    expect(res.statusCode).toBe(201);
    const id = res.json<{ reservation: { id: string } }>().reservation.id;
    const { token } = await db.transaction((tx) => issueReservationToken(tx, TEST_SECRET, { id, restaurantId: DEMO_RESTAURANT_ID }, 7));
    return { id, token };
  }
  const statusOf = async (id: string) => (await db.query<{ status: string }>('SELECT status FROM restaurante.reservations WHERE id = $1', [id])).rows[0]!.status;

  it('GET changes nothing; Confirm is a POST; the used link gets a clear page', async () => {
    const { id, token } = await booked();
    const page = await app.inject({ url: `/reservations/${token}`, headers: { 'accept-language': 'en' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.body).toContain('Lucía');
    expect(page.body).toContain(`<form method="post" action="/reservations/${token}/confirm">`);
    expect(await statusOf(id)).toBe('PENDING');
    const confirm = await app.inject({ method: 'POST', url: `/reservations/${token}/confirm`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
    expect(confirm.statusCode).toBe(303);
    expect(confirm.headers.location).toBe(`/reservations/${token}?done=confirmed`);
    expect(await statusOf(id)).toBe('CONFIRMED');
    const after = await app.inject({ url: `/reservations/${token}?done=confirmed`, headers: { 'accept-language': 'en' } });
    expect(after.body).toContain('Booking confirmed');
    const reuse = await app.inject({ method: 'POST', url: `/reservations/${token}/cancel`, headers: { 'accept-language': 'en' } });
    expect(reuse.statusCode).toBe(409);
    expect(reuse.body).toContain('This link was already used');
    expect(await statusOf(id)).toBe('CONFIRMED');
  });

  it('invalid and expired links get clear pages', async () => {
    const invalid = await app.inject({ url: '/reservations/cmd_res_nonsense', headers: { 'accept-language': 'en' } });
    expect(invalid.statusCode).toBe(404);
    expect(invalid.body).toContain('This link is not valid');
    const { token } = await booked();
    await db.query(`UPDATE restaurante.reservation_tokens SET "expiresAt" = now() - interval '1 minute', "createdAt" = now() - interval '2 minutes'`);
    const expired = await app.inject({ url: `/reservations/${token}`, headers: { 'accept-language': 'en' } });
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toContain('This link has expired');
  });

  it('the booking page renders for a restaurant, and a clear 404 for an unknown one', async () => {
    const page = await app.inject({ url: `/r/${DEMO_RESTAURANT_ID}`, headers: { 'accept-language': 'en' } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Book at Enigma');
    expect((await app.inject({ url: '/r/rest_nowhere' })).statusCode).toBe(404);
  });
});

describe('logs', () => {
  it('never hold a table code or a booking link token', async () => {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    const logged = await build({ db, secret: TEST_SECRET, expectedMigrations: (await loadMigrations()).map((m) => m.version), logLevel: 'info', logStream: stream });
    const code = await codeOf('table_02');
    await logged.inject({ url: `/t/${code}` });
    await logged.inject({ url: '/reservations/cmd_res_AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB' });
    await logged.close();
    const text = lines.join('');
    expect(text).toContain('/t/[REDACTED]');
    expect(text).toContain('/reservations/[REDACTED]');
    expect(text).not.toContain(code.split('.')[1]!);
    expect(text).not.toContain('BBBBBBBBBBBB');
  });
});
