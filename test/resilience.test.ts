// The service when its database is busy, saturated, or gone — on a cluster of its own, since
// stopping the server is server-wide: quick 503s with Retry-After, never a hang, and recovery by
// itself when the database returns.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffToken } from '../src/core/auth/staff-tokens.js';
import { Database } from '../src/core/db/database.js';
import { loadMigrations, MigrationRunner } from '../src/core/migrations/runner.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/embedded/postgres.js';
import { build, defaultOrderingSettings } from '../src/http/app.js';

const root = await mkdtemp(path.join(tmpdir(), 'comanda-resilience-'));
await chmod(root, 0o711);
const password = randomBytes(12).toString('hex');
let cluster: EmbeddedPostgres;
let db: Database;
let app: FastifyInstance;
let token: string;

const start = () => startEmbeddedPostgres({ clusterDir: path.join(root, 'cluster'), password, preferredPort: port, logFile: path.join(root, 'pg.log') });
let port: number | undefined;

beforeAll(async () => {
  cluster = await start();
  port = cluster.port;
  await new MigrationRunner({ connectionString: cluster.url }).up();
  db = new Database({ connectionString: cluster.url, poolSize: 4, connectTimeoutMs: 500, lockTimeoutMs: 500 });
  await seedDemo(db);
  token = (await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'admin' })).token;
  app = await build({
    db,
    secret: 'resilience-secret-0123456789abcdefghijklmnop',
    expectedMigrations: (await loadMigrations()).map((m) => m.version),
    logLevel: 'silent',
    ordering: { ...defaultOrderingSettings, menuCacheMaxAgeMs: 0 },
  });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await db?.close().catch(() => undefined);
  await cluster?.stop();
  await rm(root, { recursive: true, force: true });
});

const order = () =>
  app.inject({
    method: 'POST',
    url: '/api/orders',
    headers: { authorization: `Bearer ${token}` },
    payload: { source: 'presencial', items: [{ menuItemId: 'item_patatas_bravas', quantity: 1 }] },
  });

describe('when the database is in trouble', () => {
  it('a warm pool opens its minimum of connections up front, idle and ready', async () => {
    const warm = new Database({ connectionString: cluster.url, poolSize: 4, minConnections: 3, applicationName: 'comanda-warm-test' });
    const open = async () =>
      Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'comanda-warm-test'`)).rows[0]!.n);
    try {
      expect(await open()).toBe(0);
      await warm.warm();
      expect(await open()).toBe(3);
      expect(warm.pool.idleCount).toBe(3);
    } finally {
      await warm.close();
    }
  });

  it('a saturated pool answers 503 DATABASE_UNAVAILABLE within the connect timeout, then serves again', async () => {
    // Hold every pooled connection in a transaction.
    const held = await Promise.all(Array.from({ length: 4 }, () => db.pool.connect()));
    for (const client of held) await client.query('BEGIN');
    const started = Date.now();
    const res = await order();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect(res.headers['retry-after']).toBeDefined();
    for (const client of held) {
      await client.query('ROLLBACK');
      client.release();
    }
    expect((await order()).statusCode).toBe(201);
  });

  it('a real exhausted server (max_connections reached) is 503, not 500', async () => {
    const { rows } = await db.query<{ max: string; reserved: string }>(
      "SELECT current_setting('max_connections') AS max, current_setting('superuser_reserved_connections') AS reserved",
    );
    // Open real connections up to the limit (a connection-exhaustion scenario done for real: docs/design.md#connection-exhaustion-test), then
    // ask a service instance that has no connection yet.
    const hogs: pg.Client[] = [];
    const limit = Number(rows[0]!.max);
    const other = new Database({ connectionString: cluster.url, poolSize: 4, connectTimeoutMs: 500 });
    const fresh = await build({ db: other, secret: 'resilience-secret-0123456789abcdefghijklmnop', expectedMigrations: [], logLevel: 'silent' });
    for (let i = 0; i < limit; i++) {
      const client = new pg.Client({ connectionString: cluster.url });
      try {
        await client.connect();
        hogs.push(client);
      } catch {
        break; // "too many clients" / "remaining connection slots are reserved"
      }
    }
    expect(hogs.length).toBeGreaterThan(limit - Number(rows[0]!.reserved) - 10);
    const res = await fresh.inject(`/api/menu?restaurantId=${DEMO_RESTAURANT_ID}`);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    await Promise.all(hogs.map((c) => c.end()));
    expect((await fresh.inject(`/api/menu?restaurantId=${DEMO_RESTAURANT_ID}`)).statusCode).toBe(200);
    await fresh.close();
    await other.close();
  });

  it('a database that goes away gives quick 503s and /readyz 503; when it returns, the service recovers by itself', async () => {
    expect((await order()).statusCode).toBe(201);
    await cluster.stop();
    const started = Date.now();
    const down = await order();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect((await app.inject('/healthz')).statusCode).toBe(200);

    cluster = await start();
    expect(cluster.port).toBe(port);
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await order()).statusCode;
      if (status === 201) break;
      expect(status).toBe(503); // never a 500 while it comes back
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(201);
    expect((await app.inject('/readyz')).statusCode).toBe(200);
  }, 60_000);
});
