// Tables' QR codes over HTTP: the printable SVG/PNG and code, scans logged with their user agent,
// tampered codes refused, rotation, and the per-IP scan rate limit.
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { codeOf, scan, scanCode, orderingRequests, type Printable, type Scan } from '../helpers/ordering.js';
import { expectProblem } from '../helpers/problems.js';

// The file's own app over its own database (the demo restaurant seeded).
const t = await useTestApp();
// The same app over its own database, with a low QR-scan rate limit.
const limited = await useTestApp({
  ordering: { rateLimits: { qrScansPerMinute: 3, ordersPerMinute: 10_000, ordersPerIpPerMinute: 10_000 } },
});
const { postOrder, get } = orderingRequests(t);

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
