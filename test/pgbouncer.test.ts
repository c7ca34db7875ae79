// Everything works behind a real PgBouncer in transaction mode: no session state, no named
// prepared statements, advisory locks only at transaction level, timeouts with SET LOCAL.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createStaffToken } from '../src/core/auth/staff-tokens.js';
import { Database } from '../src/core/db/database.js';
import { loadMigrations } from '../src/core/migrations/runner.js';
import { qrCodeOf, tableOf } from '../src/core/ordering/table-sessions.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { build, defaultOrderingSettings } from '../src/http/app.js';
import { useTestDatabase } from './helpers/db.js';
import { startPgBouncer, type PgBouncer } from './helpers/pgbouncer.js';
import { describeWith, pgbouncerTool } from './helpers/tools.js';

const direct = await useTestDatabase();
let bouncer: PgBouncer;
let pooled: Database;
let app: FastifyInstance;
let staffToken: string;
const SECRET = 'pgbouncer-test-secret-0123456789abcdefghij';

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describeWith([pgbouncerTool()], 'through PgBouncer in transaction mode', () => {
  beforeAll(async () => {
    await seedDemo(direct.db);
    await direct.db.query(`UPDATE restaurante.menu_items SET stock = 100 WHERE id = 'item_patatas_bravas'`);
    staffToken = (await createStaffToken(direct.db, { restaurantId: DEMO_RESTAURANT_ID, role: 'admin' })).token;
    // 5 server connections behind 30 client connections: transactions of different clients share
    // server sessions, so any session state would leak between them.
    bouncer = await startPgBouncer(direct.url, { poolSize: 5 });
    pooled = new Database({ connectionString: bouncer.via(direct.url), poolSize: 30, statementTimeoutMs: 4_000, lockTimeoutMs: 1_500 });
    app = await build({
      db: pooled,
      secret: SECRET,
      expectedMigrations: (await loadMigrations()).map((m) => m.version),
      logLevel: 'silent',
      ordering: { ...defaultOrderingSettings, menuCacheMaxAgeMs: 0, rateLimits: { qrScansPerMinute: 1e6, ordersPerMinute: 1e6, ordersPerIpPerMinute: 1e6 } },
    });
  });

  afterAll(async () => {
    await app?.close();
    await pooled?.close();
    await bouncer?.stop();
  });

  it('really goes through PgBouncer, with fewer server connections than clients', async () => {
    const ports = await Promise.all(
      Array.from({ length: 12 }, () => pooled.query<{ port: number; pid: number }>('SELECT inet_server_port() AS port, pg_backend_pid() AS pid, pg_sleep(0.05)')),
    );
    const pids = new Set(ports.map((r) => r.rows[0]!.pid));
    expect(pids.size).toBeLessThanOrEqual(5);
    expect(new URL(bouncer.via(direct.url)).port).not.toBe(new URL(direct.url).port);
  });

  it('sets timeouts per transaction, leaking none into the shared server sessions', async () => {
    await pooled.transaction(async (tx) => {
      const { rows } = await tx.query<{ statement_timeout: string; lock_timeout: string }>(
        "SELECT current_setting('statement_timeout') AS statement_timeout, current_setting('lock_timeout') AS lock_timeout",
      );
      expect(rows[0]).toEqual({ statement_timeout: '4s', lock_timeout: '1500ms' });
    });
    // Outside Comanda's transactions, the server sessions keep their defaults.
    const results = await Promise.all(
      Array.from({ length: 10 }, () => pooled.pool.query<{ t: string; actor: string }>("SELECT current_setting('statement_timeout') AS t, coalesce(current_setting('comanda.actor', true), '') AS actor")),
    );
    for (const r of results) expect(r.rows[0]).toEqual({ t: '0', actor: '' });
  });

  it('is ready, serves the menu, and takes a guest order with an idempotency key', async () => {
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    const menu = await app.inject(`/api/menu?restaurantId=${DEMO_RESTAURANT_ID}`);
    expect(menu.statusCode).toBe(200);
    const table = await tableOf(pooled, DEMO_RESTAURANT_ID, 'table_02');
    const scan = await app.inject({ method: 'POST', url: '/api/qr/scan', payload: { code: qrCodeOf(SECRET, table) } });
    expect(scan.statusCode).toBe(201);
    const guest = scan.json<{ sessionToken: string }>().sessionToken;
    const request = {
      method: 'POST' as const,
      url: '/api/orders',
      headers: { ...auth(guest), 'idempotency-key': 'pgb-1' },
      payload: { items: [{ menuItemId: 'item_croquetas_jamon', quantity: 2 }] },
    };
    const first = await app.inject(request);
    expect(first.statusCode).toBe(201);
    const again = await app.inject(request);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json<{ order: { id: string } }>().order.id).toBe(first.json<{ order: { id: string } }>().order.id);
    const mine = await app.inject({ url: '/api/orders', headers: auth(guest) });
    expect(mine.json<{ orders: unknown[] }>().orders).toHaveLength(1);
  });

  it('keeps stock exact under 50 concurrent orders, and one idempotency key makes one order', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        app.inject({
          method: 'POST',
          url: '/api/orders',
          headers: { ...auth(staffToken), 'idempotency-key': `conc-${i % 40}` },
          payload: { source: 'presencial', items: [{ menuItemId: 'item_patatas_bravas', quantity: 1 }] },
        }),
      ),
    );
    const statuses = results.map((r) => r.statusCode);
    // 40 distinct keys: 40 orders; the 10 repeats are replays or "still in progress".
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const created = results.filter((r) => r.statusCode === 201 && r.headers['idempotent-replayed'] === undefined);
    expect(created).toHaveLength(40);
    const { rows } = await direct.db.query<{ stock: number }>(`SELECT stock FROM restaurante.menu_items WHERE id = 'item_patatas_bravas'`);
    expect(rows[0]!.stock).toBe(60);
  });

  it('moves an order through the kitchen and cancels another, giving stock back', async () => {
    const placed = await app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: auth(staffToken),
      payload: { source: 'telefono', items: [{ menuItemId: 'item_patatas_bravas', quantity: 3 }] },
    });
    const order = placed.json<{ order: { id: string } }>().order;
    const cancelled = await app.inject({ method: 'PATCH', url: `/api/orders/${order.id}/status`, headers: auth(staffToken), payload: { status: 'CANCELLED' } });
    expect(cancelled.statusCode).toBe(200);
    const { rows } = await direct.db.query<{ stock: number }>(`SELECT stock FROM restaurante.menu_items WHERE id = 'item_patatas_bravas'`);
    expect(rows[0]!.stock).toBe(60);
    const queue = await app.inject({ url: '/api/kitchen/queue', headers: auth(staffToken) });
    expect(queue.statusCode).toBe(200);
  });
});
