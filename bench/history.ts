// npm run bench:history [-- --rounds N]
//
// What the history Comanda keeps costs (migration 0018, src/core/history): on a fresh embedded
// PostgreSQL with the demo restaurant, N rounds (default 6) of traffic through the real HTTP app
// (orders placed by staff, menu reads, the kitchen queue, order lists) each followed by a capture
// with every check, as the service does every HISTORY_INTERVAL_MINUTES. Prints per capture the
// rows it added to each history table and the time it took, then the table sizes; extrapolates
// rows and bytes to a day of captures every 5 minutes (288). The rows per capture depend on the
// number of distinct statements and relations, not on the number of orders; the capture's time
// is printed so it can be compared on a large database (BENCH_ORDERS bulk-loads that many extra
// orders before the captures, e.g. BENCH_ORDERS=1000000).
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createStaffToken } from '../src/core/auth/staff-tokens.js';
import { allChecks } from '../src/core/checks/registry.js';
import { Database } from '../src/core/db/database.js';
import { captureHistory, historyCost, HISTORY_TABLES } from '../src/core/history/index.js';
import { loadMigrations, MigrationRunner } from '../src/core/migrations/runner.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { startEmbeddedPostgres } from '../src/embedded/postgres.js';
import { build, defaultOrderingSettings } from '../src/http/app.js';

const roundsIndex = process.argv.indexOf('--rounds');
const ROUNDS = roundsIndex >= 0 ? Number(process.argv[roundsIndex + 1]) : 24;
const EXTRA_ORDERS = Number(process.env.BENCH_ORDERS ?? 0);
const log = (m: string) => process.stdout.write(`${m}\n`);

const root = await mkdtemp(path.join(tmpdir(), 'comanda-bench-history-'));
await chmod(root, 0o711);
const cluster = await startEmbeddedPostgres({ clusterDir: path.join(root, 'cluster'), password: randomBytes(12).toString('hex'), logFile: path.join(root, 'postgres.log') });
const db = new Database({ connectionString: cluster.url, poolSize: 5 });
try {
  await new MigrationRunner({ connectionString: cluster.url }).up();
  await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await seedDemo(db);
  const { token } = await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'admin' });
  const app = await build({
    db, secret: randomBytes(24).toString('hex'), expectedMigrations: (await loadMigrations()).map((m) => m.version), logLevel: 'silent',
    ordering: { ...defaultOrderingSettings, rateLimits: { qrScansPerMinute: 1e6, ordersPerMinute: 1e6, ordersPerIpPerMinute: 1e6 } },
  });
  const headers = { authorization: `Bearer ${token}` };
  const { rows: dishes } = await db.query<{ id: string }>(`SELECT id FROM restaurante.menu_items WHERE "restaurantId" = $1 AND stock > 100 ORDER BY id`, [DEMO_RESTAURANT_ID]);
  await db.query(`UPDATE restaurante.menu_items SET stock = 1000000 WHERE "restaurantId" = $1`, [DEMO_RESTAURANT_ID]).catch(() => undefined);
  if (EXTRA_ORDERS > 0) {
    log(`bulk-loading ${EXTRA_ORDERS} orders…`);
    await db.query(
      `INSERT INTO restaurante.orders ("restaurantId", "orderNumber", "tableId", status, source, "totalAmount", "orderedAt")
       SELECT $1, 'BENCH-' || g, 'table_01', 'SERVED', 'presencial', 10, now() - interval '30 days' FROM generate_series(1, $2) g`,
      [DEMO_RESTAURANT_ID, EXTRA_ORDERS],
      { statementTimeoutMs: 0 },
    );
    await db.query('ANALYZE restaurante.orders', [], { statementTimeoutMs: 0 });
  }
  const options = { intervalMinutes: 0, retentionDays: 14, maxMb: 256, maxStatements: 200, sizesEveryMinutes: 0, checks: allChecks };
  await captureHistory(db, options); // the baseline
  const counts = async () =>
    Object.fromEntries(
      await Promise.all(HISTORY_TABLES.map(async (t) => [t, Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM comanda.${t}`)).rows[0]!.n)] as const)),
    );
  const appended = ['history_captures', 'history_statements', 'history_sizes', 'history_checks'];
  const bytesOf = async (table: string) => Number((await db.query<{ b: string }>(`SELECT pg_total_relation_size(format('comanda.%I', $1::text)::regclass) AS b`, [table])).rows[0]!.b);
  const appendedBytes = async () => Object.fromEntries(await Promise.all(appended.map(async (t) => [t, await bytesOf(t)] as const)));
  let before = await counts();
  let bytesAtFirst: Record<string, number> = {};
  const perCapture: Array<Record<string, number>> = [];
  const times: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (let i = 0; i < 100; i++) {
      const dish = dishes[i % dishes.length]!.id;
      await app.inject({ method: 'POST', url: '/api/orders', headers: { ...headers, 'idempotency-key': randomUUID() }, payload: { tableId: 'table_0' + ((i % 9) + 1), items: [{ menuItemId: dish, quantity: 1 }], source: 'presencial' } });
      if (i % 4 === 0) await app.inject({ method: 'GET', url: `/api/menu?restaurantId=${DEMO_RESTAURANT_ID}` });
      if (i % 10 === 0) await app.inject({ method: 'GET', url: '/api/kitchen/queue', headers });
      if (i % 10 === 5) await app.inject({ method: 'GET', url: '/api/orders?limit=20', headers });
    }
    const r = await captureHistory(db, options);
    if (!r.captured) throw new Error(`not captured: ${r.reason}`);
    const after = await counts();
    perCapture.push(Object.fromEntries(HISTORY_TABLES.map((t) => [t, after[t]! - before[t]!])));
    times.push(r.durationMs);
    if (round === 1) bytesAtFirst = await appendedBytes();
    log(`capture ${round}: ${r.statements} statements, ${r.sizes} sizes, ${r.checks} checks in ${r.durationMs} ms`);
    before = after;
  }
  await app.close();

  const cost = await historyCost(db);
  const mean = (t: string) => perCapture.reduce((s, c) => s + c[t]!, 0) / perCapture.length;
  const rowsPerCapture = appended.reduce((s, t) => s + mean(t), 0);
  // Marginal bytes per table: growth from the first capture to the last (empty pages of small tables aside).
  const bytesAtLast = await appendedBytes();
  const marginal = (t: string) => (bytesAtLast[t]! - bytesAtFirst[t]!) / (ROUNDS - 1);
  const bytesPerCapture = appended.reduce((s, t) => s + marginal(t), 0);
  // The service stores statements and checks every 5 minutes (288 a day), sizes hourly (24 a day).
  const perDay = (t: string) => (t === 'history_sizes' ? 24 : 288);
  const rowsPerDay = appended.reduce((s, t) => s + mean(t) * perDay(t), 0);
  const bytesPerDay = appended.reduce((s, t) => s + marginal(t) * perDay(t), 0);
  log('');
  log(`rows added per capture (mean of ${ROUNDS}): ${appended.map((t) => `${t.replace('history_', '')} ${mean(t).toFixed(1)}`).join(', ')} = ${rowsPerCapture.toFixed(0)}`);
  log(`bytes on disk per capture (appended tables, indexes included; growth over ${ROUNDS - 1} captures): ${(bytesPerCapture / 1024).toFixed(1)} kB`);
  log(`bytes per capture by table: ${appended.map((t) => `${t.replace('history_', '')} ${(marginal(t) / 1024).toFixed(1)} kB`).join(', ')}`);
  log(`per day (captures every 5 min, sizes hourly): ${Math.round(rowsPerDay)} rows, ${(bytesPerDay / 1024 / 1024).toFixed(1)} MB; 14 days: ${((bytesPerDay * 14) / 1024 / 1024).toFixed(0)} MB`);
  log(`capture time: mean ${Math.round(times.reduce((a, b) => a + b, 0) / times.length)} ms, max ${Math.max(...times)} ms (every check included)`);
  log(`tables: ${cost.tables.map((t) => `${t.table} ${t.rows} rows ${(t.bytes / 1024).toFixed(0)} kB`).join('; ')}`);
} finally {
  await db.close();
  await cluster.stop();
  await rm(root, { recursive: true, force: true });
}
