// Expand → migrate → contract under traffic (docs/migrations.md): the order's contact e-mail
// moves from orders.customer_email to a table of its own — an expand step (new table, dual-written
// by a trigger), a backfill in resumable batches, a switch of the functions to the new table, a
// contract step (old column dropped) — from test/fixtures/expand-contract, while orders with e-mails flow at a steady
// rate. Required: no failed request, no strong lock held by the migrations or the backfill longer
// than the migrations' lock_timeout, every e-mail the same before and after, and the fixtures
// lint clean.
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createStaffToken } from '../src/core/auth/staff-tokens.js';
import { runBackfill, type BackfillProgress } from '../src/core/migrations/backfill.js';
import { lintFiles } from '../src/core/migrations/lint.js';
import { defaultMigrationsDir, loadMigrations, MigrationRunner } from '../src/core/migrations/runner.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { build, defaultOrderingSettings } from '../src/http/app.js';
import { useTestDatabase } from './helpers/db.js';

const fixtures = path.resolve(import.meta.dirname, 'fixtures/expand-contract');
const { url, db } = await useTestDatabase({ lockTimeoutMs: 2_000 });
const MIGRATION_LOCK_TIMEOUT_MS = 1_000;
const BULK = 3_000;
let dir: string;
/** The version the expand step gets: the one after the last of the project's migrations. */
const EXPAND = Math.max(...(await loadMigrations()).map((m) => m.version)) + 1;
let app: FastifyInstance;
let token: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'comanda-expand-'));
  await cp(defaultMigrationsDir, dir, { recursive: true });
  // The worked example's two steps come right after the project's own migrations, whatever their number.
  for (const f of await readdir(fixtures)) {
    const step = Number(f.slice(0, 4)) - 23; // 0023 expand → 0, 0024 switch → 1, 0025 contract → 2
    await cp(path.join(fixtures, f), path.join(dir, `${String(EXPAND + step).padStart(4, '0')}${f.slice(4)}`));
  }
  await seedDemo(db);
  await db.query(`UPDATE restaurante.menu_items SET stock = 100000 WHERE id = 'item_patatas_bravas'`);
  // Orders from before the change, with e-mails, for the backfill to move.
  await db.query(
    `INSERT INTO restaurante.orders (id, "restaurantId", "orderNumber", source, customer_email)
     SELECT 'old_' || g, $1, 'OLD-' || g, 'presencial', CASE WHEN g % 7 = 0 THEN NULL ELSE 'guest' || g || '@example.com' END
       FROM generate_series(1, ${BULK}) g`,
    [DEMO_RESTAURANT_ID],
  );
  token = (await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'admin' })).token;
  app = await build({
    db,
    secret: 'expand-contract-secret-0123456789abcdefghij',
    expectedMigrations: (await loadMigrations()).map((m) => m.version),
    logLevel: 'silent',
    ordering: { ...defaultOrderingSettings, rateLimits: { qrScansPerMinute: 30, ordersPerMinute: 100_000, ordersPerIpPerMinute: 100_000 } },
  });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

it('the worked example lints clean (its justified exceptions say why)', async () => {
  const files = (await readdir(fixtures)).map((f) => path.join(fixtures, f));
  const report = await lintFiles(files, { baseline: null });
  expect(report.findings).toEqual([]);
  expect(report.ignored.map((f) => f.rule).sort()).toEqual(['ban-drop-column', 'constraint-missing-not-valid', 'require-concurrent-index-creation']);
});

it('expand → backfill → contract while orders flow: no failed request, short locks, the same data', async () => {
  const before = new Map(
    (await db.query<{ id: string; email: string }>('SELECT id, customer_email AS email FROM restaurante.orders WHERE customer_email IS NOT NULL')).rows.map((r) => [r.id, r.email]),
  );
  expect(before.size).toBeGreaterThan(2_000);

  // Steady traffic: an order with an e-mail every 25 ms until told to stop.
  let flowing = true;
  const answers: { status: number; id?: string; email: string; problem?: unknown }[] = [];
  const traffic = (async () => {
    for (let i = 0; flowing; i++) {
      const email = `live${i}@example.com`;
      const res = await app.inject({
        method: 'POST',
        url: '/api/orders',
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': `expand-${i}` },
        payload: { source: 'presencial', customerEmail: email, items: [{ menuItemId: 'item_patatas_bravas', quantity: 1 }] },
      });
      answers.push(
        res.statusCode === 201
          ? { status: 201, id: res.json<{ order: { id: string } }>().order.id, email }
          : { status: res.statusCode, email, problem: res.json() },
      );
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();

  // Strong locks held by the migrator and the backfill, sampled from a session of its own.
  const held = new Map<string, { first: number; last: number }>();
  let sampling = true;
  const sampler = (async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      while (sampling) {
        const { rows } = await c.query<{ key: string }>(
          `SELECT l.pid || ' ' || l.relation::regclass::text || ' ' || l.mode AS key
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'relation' AND l.granted AND a.datname = current_database()
              AND a.application_name IN ('comanda-migrate', 'comanda-backfill')
              AND l.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')`,
        );
        const now = Date.now();
        for (const { key } of rows) {
          const entry = held.get(key);
          if (entry) entry.last = now;
          else held.set(key, { first: now, last: now });
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      await c.end();
    }
  })();

  const runner = new MigrationRunner({ connectionString: url, dir, lockTimeoutMs: MIGRATION_LOCK_TIMEOUT_MS });
  await new Promise((resolve) => setTimeout(resolve, 300));
  // Release N: expand.
  expect(await runner.up(1)).toEqual([EXPAND]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  // Release N+1's job: backfill in batches; stopped after 3 batches, then resumed to the end.
  const progress: BackfillProgress[] = [];
  const backfill = {
    connectionString: url,
    name: 'order_contacts',
    batchSql: `WITH batch AS (SELECT id, "restaurantId", customer_email FROM restaurante.orders WHERE id > $1 ORDER BY id LIMIT $2),
                    moved AS (INSERT INTO restaurante.order_contacts ("restaurantId", "orderId", email)
                              SELECT "restaurantId", id, customer_email FROM batch WHERE customer_email IS NOT NULL
                              ON CONFLICT ("restaurantId", "orderId") DO NOTHING)
               SELECT id AS key FROM batch`,
    batchSize: 500,
    lockTimeoutMs: MIGRATION_LOCK_TIMEOUT_MS,
    pauseMs: 20,
    onProgress: (p: BackfillProgress) => progress.push(p),
  };
  const first = await runBackfill({ ...backfill, maxBatches: 3 });
  expect(first).toMatchObject({ batches: 3, rows: 1_500, finished: false });
  const done = await runBackfill(backfill);
  expect(done.finished).toBe(true);
  expect(done.rows).toBeGreaterThanOrEqual(BULK);
  expect(progress.at(-1)).toEqual(done);
  await new Promise((resolve) => setTimeout(resolve, 300));
  // Release N+1: the functions switch to the new table (the dual write stays for callers already inside the old ones).
  expect(await runner.up(1)).toEqual([EXPAND + 1]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  // Release N+2: contract.
  expect(await runner.up(1)).toEqual([EXPAND + 2]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  flowing = false;
  await traffic;
  sampling = false;
  await sampler;

  // No failed request.
  expect(answers.length).toBeGreaterThan(20);
  expect(answers.filter((a) => a.status !== 201)).toEqual([]);
  // No strong lock held longer than the migrations' lock_timeout (what traffic may wait for).
  const longest = Math.max(0, ...[...held.values()].map((h) => h.last - h.first));
  expect(held.size).toBeGreaterThan(0); // the sampler saw the migrations' locks
  expect(longest).toBeLessThan(MIGRATION_LOCK_TIMEOUT_MS);
  // The same data: every e-mail from before, and every one ordered during the change.
  const after = new Map(
    (await db.query<{ id: string; email: string }>('SELECT "orderId" AS id, email FROM restaurante.order_contacts')).rows.map((r) => [r.id, r.email]),
  );
  for (const [id, email] of before) expect(after.get(id), id).toBe(email);
  for (const a of answers) expect(after.get(a.id!)).toBe(a.email);
  expect(after.size).toBe(before.size + answers.length);
  const { rows: column } = await db.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'customer_email'`);
  expect(column).toEqual([]);
  // The API reads the new table.
  const one = await app.inject({ method: 'GET', url: `/api/orders/${answers.at(-1)!.id}`, headers: { authorization: `Bearer ${token}` } });
  expect(one.json<{ order: { customerEmail: string } }>().order.customerEmail).toBe(answers.at(-1)!.email);
  console.log(
    `expand/contract: ${answers.length} orders during the change, 0 failed; ${done.rows} rows backfilled in ${done.batches} batches; longest strong lock ${longest} ms`,
  );

  // And back: down to the switched state, the expanded one, then to before the change, with the data kept.
  expect(await runner.down(3)).toEqual([EXPAND + 2, EXPAND + 1, EXPAND]);
  const restored = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM restaurante.orders WHERE customer_email IS NOT NULL`)).rows[0]!.n;
  expect(restored).toBe(before.size + answers.length);
}, 120_000);
