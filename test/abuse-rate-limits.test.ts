// Issue 11, items 3 and 4, and the shared rate limits: each limit applies as documented, junk from
// an address does not eat a real caller's budget, the limits hold across instances (they are
// counted in PostgreSQL), and only the address a trusted proxy saw counts.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadConfig, ConfigError } from '../src/config.js';
import { loadMigrations } from '../src/core/migrations/runner.js';
import { qrCodeOf, tableOf } from '../src/core/ordering/table-sessions.js';
import { RateLimiter } from '../src/core/rate-limits.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { build, defaultOrderingSettings } from '../src/http/app.js';
import { TEST_SECRET, useTestApp } from './helpers/app.js';
import { expectProblem } from './helpers/problems.js';

const t = await useTestApp({ ordering: { rateLimits: { ordersPerMinute: 2, ordersPerIpPerMinute: 5, qrScansPerMinute: 10_000 } } });
const proxied = await useTestApp({ trustProxy: ['127.0.0.1'], ordering: { rateLimits: { qrScansPerMinute: 3 } } });

const drink = { items: [{ menuItemId: 'item_agua_mineral', quantity: 1 }] };
const order = (app: FastifyInstance, token: string | undefined, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/api/orders',
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    payload: token?.startsWith('cmd_staff_') ? { ...drink, tableId: 'table_09' } : drink,
  });
const statuses = (responses: LightMyRequestResponse[]) => responses.map((r) => r.statusCode);

describe('the per-session order limit (item 3)', () => {
  it('applies: with 2 orders per minute, one session gets 201, 201, then 429 with Retry-After; another session is not affected', async () => {
    const guest = await t.guest('table_03');
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await order(t.app, guest));
    expect(statuses(answers)).toEqual([201, 201, 429, 429]);
    const problem = expectProblem(answers[2]!, 429, 'RATE_LIMITED');
    expect(Number(answers[2]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(answers[2]!.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(problem.detail).toMatch(/orders/);
    // Only two orders exist for the session.
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM restaurante.orders WHERE "tableId" = 'table_03'`);
    expect(rows[0]!.n).toBe(2);
    const other = await t.guest('table_04');
    expect((await order(t.app, other)).statusCode).toBe(201);
  });

  it('junk from an address (no token, forged tokens) is limited per IP and never costs a real staff member there their order', async () => {
    const ip = { remoteAddress: '198.51.100.20' };
    const junk: LightMyRequestResponse[] = [];
    for (let i = 0; i < 4; i++) junk.push(await t.app.inject({ method: 'POST', url: '/api/orders', payload: drink, ...ip }));
    for (let i = 0; i < 4; i++) {
      const forged = `cmd_guest_${'x'.repeat(42)}${i}`;
      junk.push(await t.app.inject({ method: 'POST', url: '/api/orders', payload: drink, headers: { authorization: `Bearer ${forged}` }, ...ip }));
    }
    expect(statuses(junk)).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expectProblem(junk[5]!, 429, 'RATE_LIMITED');
    // A real staff member (and a guest) behind the same address still order.
    const staff = await t.app.inject({
      method: 'POST',
      url: '/api/orders',
      payload: { ...drink, tableId: 'table_09' },
      headers: { authorization: `Bearer ${t.staff.waiter}` },
      ...ip,
    });
    expect(staff.statusCode, staff.body).toBe(201);
    const guest = await t.guest('table_06');
    const guestOrder = await t.app.inject({ method: 'POST', url: '/api/orders', payload: drink, headers: { authorization: `Bearer ${guest}` }, ...ip });
    expect(guestOrder.statusCode, guestOrder.body).toBe(201);
  });
});

describe('limits are shared by every instance (counted in PostgreSQL)', () => {
  it('three instances over one database, 12 orders of one session at once: exactly 2 are placed', async () => {
    const versions = (await loadMigrations()).map((m) => m.version);
    const ordering = { ...defaultOrderingSettings, rateLimits: { qrScansPerMinute: 1_000, ordersPerMinute: 2, ordersPerIpPerMinute: 1_000 } };
    const instances = await Promise.all(
      [1, 2, 3].map(() => build({ db: t.db, secret: TEST_SECRET, expectedMigrations: versions, logLevel: 'silent', ordering })),
    );
    afterAll(() => Promise.all(instances.map((i) => i.close())));
    const guest = await t.guest('table_07');
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => order(instances[i % 3]!, guest)));
    expect(statuses(answers).filter((s) => s === 201)).toHaveLength(2);
    expect(statuses(answers).filter((s) => s === 429)).toHaveLength(10);
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM restaurante.orders WHERE "tableId" = 'table_07'`);
    expect(rows[0]!.n).toBe(2);
  });

  it('hits of one key that arrive together are counted together, each with its own number: exactly max are allowed, on two limiters at once', async () => {
    const limiters = [new RateLimiter(t.db, TEST_SECRET), new RateLimiter(t.db, TEST_SECRET)];
    const limit = { name: 'test:batch', max: 25, windowMs: 60_000 };
    const statements = vi.spyOn(t.db, 'statement');
    const hits = await Promise.all(Array.from({ length: 80 }, (_, i) => limiters[i % 2]!.consume(limit, 'one caller')));
    expect(hits.filter((h) => h.allowed)).toHaveLength(25);
    // Every hit got its own place in the window: 1 … 80, none twice.
    expect(hits.map((h) => h.hits).sort((a, b) => a - b)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    // Counted by fewer statements than hits (the spy counts, the statements run for real).
    expect(statements.mock.calls.length).toBeLessThan(80);
    statements.mockRestore();
  });

  it('the table holds no IP address or token: keys are HMACs under the server secret', async () => {
    const { rows } = await t.db.query<{ key: string }>('SELECT key FROM comanda.rate_limits');
    expect(rows.length).toBeGreaterThan(0);
    for (const { key } of rows) {
      expect(key).toMatch(/^[a-z-]+:[a-z]+:[A-Za-z0-9_-]{43}$/);
      expect(key).not.toContain('198.51.100.20');
      expect(key).not.toContain('cmd_');
    }
  });
});

describe('TRUST_PROXY names the proxies to believe (item 4)', () => {
  const scan = async (headers: Record<string, string>, remoteAddress = '127.0.0.1') => {
    const code = qrCodeOf(TEST_SECRET, await tableOf(proxied.db, DEMO_RESTAURANT_ID, 'table_02'));
    return proxied.app.inject({ method: 'POST', url: '/api/qr/scan', payload: { code }, headers, remoteAddress });
  };

  it('a client rotating forged X-Forwarded-For entries is still counted (and recorded) by the address the trusted proxy saw', async () => {
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await scan({ 'x-forwarded-for': `10.1.1.${i}, 203.0.113.7` }));
    expect(statuses(answers)).toEqual([201, 201, 201, 429, 429]);
    const { rows } = await proxied.db.query<{ ip: string }>('SELECT DISTINCT host(client_ip) AS ip FROM restaurante.qr_scans');
    expect(rows).toEqual([{ ip: '203.0.113.7' }]);
  });

  it('X-Forwarded-For from a peer that is not a trusted proxy is ignored', async () => {
    const res = await scan({ 'x-forwarded-for': '203.0.113.99' }, '192.0.2.50');
    expect(res.statusCode).toBe(201);
    const { rows } = await proxied.db.query<{ ip: string }>(`SELECT host(client_ip) AS ip FROM restaurante.qr_scans ORDER BY scanned_at DESC LIMIT 1`);
    expect(rows[0]!.ip).toBe('192.0.2.50');
  });

  it('TRUST_PROXY=true is refused with what to set instead; a hop count and CIDRs are accepted', () => {
    for (const value of ['true', '1.2.3.400', '10.0.0.0/33']) {
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(ConfigError);
    }
    try {
      loadConfig({ TRUST_PROXY: 'true' });
    } catch (err) {
      expect((err as ConfigError).problems[0]).toMatch(/^TRUST_PROXY: .*addresses\/CIDRs/);
    }
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1' }).trustProxy).toEqual(['127.0.0.1', '10.0.0.0/8', '::1']);
    expect(loadConfig({}).trustProxy).toBe(false);
  });
});
