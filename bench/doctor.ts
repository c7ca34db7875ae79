// npm run bench:doctor [-- --keep] [-- --embedded] [-- --runs N]
//
// `comanda doctor` against a database the size the issue names: 1,000,000 orders and 3,000,000
// order items. Creates a fresh database (on the server at DATABASE_URL, else
// postgres://postgres@127.0.0.1:5432/postgres; --embedded starts a cluster of its own), migrates
// and seeds it, bulk-loads the orders with generate_series — consistent with the schema: totals
// equal their lines, every line's dish is on the menu, a stored status change per order and line
// (their creation entries are read from the rows), and the stock ledger (a restock per dish, then
// one movement per sold line) reconciling with menu_items.stock — then VACUUM ANALYZE, and runs
// every doctor check, timing each and the total (goal: under 2 s). The database is dropped at the
// end unless --keep.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runChecks, type CheckResult } from '../src/core/checks/check.js';
import { allChecks } from '../src/core/checks/registry.js';
import { Database, ident } from '../src/core/db/database.js';
import { MigrationRunner } from '../src/core/migrations/runner.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { startEmbeddedPostgres } from '../src/embedded/postgres.js';

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const embedded = args.includes('--embedded');
const runsIndex = args.indexOf('--runs');
const RUNS = runsIndex >= 0 ? Number(args[runsIndex + 1]) : 3;
const ORDERS = Number(process.env.BENCH_ORDERS ?? 1_000_000);
const ITEMS_PER_ORDER = 3;
const GOAL_MS = 2_000;

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
const log = (message: string) => process.stdout.write(`[${elapsed()}] ${message}\n`);

let adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
let stopCluster: (() => Promise<void>) | undefined;
let clusterRoot: string | undefined;
if (embedded) {
  clusterRoot = await mkdtemp(path.join(tmpdir(), 'comanda-bench-doctor-'));
  await chmod(clusterRoot, 0o711);
  const cluster = await startEmbeddedPostgres({
    clusterDir: path.join(clusterRoot, 'cluster'),
    password: randomBytes(12).toString('hex'),
    logFile: path.join(clusterRoot, 'postgres.log'),
    settings: { max_wal_size: '4GB', checkpoint_timeout: '15min' },
  });
  adminUrl = cluster.adminUrl;
  stopCluster = () => cluster.stop();
}

const name = `comanda_bench_doctor_${randomBytes(3).toString('hex')}`;
const urlOf = (database: string) => {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
};
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${ident(name)}`);
log(`created database ${name} on ${new URL(adminUrl).host}${embedded ? ' (embedded cluster)' : ''}`);

const url = urlOf(name);
const db = new Database({ connectionString: url, poolSize: 2, applicationName: 'comanda-bench-doctor' });
const loader = new pg.Client({ connectionString: url, application_name: 'comanda-bench-doctor-load' });
let exitCode = 0;
try {
  await new MigrationRunner({ connectionString: url }).up();
  await seedDemo(db);
  log('migrated and seeded the demo restaurant');
  await loader.connect();
  await load(loader);
  await report(await measure());
} catch (err) {
  exitCode = 1;
  process.stderr.write(`bench:doctor failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
} finally {
  await loader.end().catch(() => undefined);
  await db.close();
  if (keep) {
    log(`kept database ${name} (drop it with: DROP DATABASE ${name})`);
  } else {
    await admin.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
    log(`dropped database ${name}`);
  }
  await admin.end();
  if (stopCluster && !keep) {
    await stopCluster();
    if (clusterRoot) await rm(clusterRoot, { recursive: true, force: true });
  } else if (stopCluster) {
    await stopCluster();
    log(`kept the cluster directory ${clusterRoot}`);
  }
}
process.exit(exitCode);

/** The bulk load: set-based SQL, one statement per table, in one transaction. */
async function load(c: pg.Client): Promise<void> {
  const step = async (what: string, sql: string, params: unknown[] = []) => {
    const t = performance.now();
    const result = await c.query(sql, params);
    log(`${what}: ${result.rowCount ?? 0} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  };
  await c.query('SET synchronous_commit = off');
  await c.query('SET maintenance_work_mem = \'256MB\'');
  await c.query('SET work_mem = \'64MB\'');
  await c.query('BEGIN');
  await c.query(`SET LOCAL comanda.actor = 'bench'`);
  // The row triggers of orders and order_items notify and check each line's dish one row at a
  // time; this load writes a status change set-based below and only uses dishes that are on the
  // menu and available. Foreign keys and CHECK constraints stay on.
  await c.query('ALTER TABLE restaurante.orders DISABLE TRIGGER USER');
  await c.query('ALTER TABLE restaurante.order_items DISABLE TRIGGER USER');
  // The dishes lines are drawn from: available ones, numbered 0..n-1.
  await c.query(`CREATE TEMP TABLE bench_dishes ON COMMIT DROP AS
                   SELECT (row_number() OVER (ORDER BY id) - 1)::int AS k, id, price
                     FROM restaurante.menu_items WHERE "restaurantId" = $1 AND "isAvailable"`, [DEMO_RESTAURANT_ID]);
  await c.query(`CREATE TEMP TABLE bench_tables ON COMMIT DROP AS
                   SELECT (row_number() OVER (ORDER BY id) - 1)::int AS k, id FROM restaurante.tables WHERE "restaurantId" = $1`, [DEMO_RESTAURANT_ID]);
  const { rows } = await c.query<{ dishes: number; tables: number }>(
    'SELECT (SELECT count(*) FROM bench_dishes)::int AS dishes, (SELECT count(*) FROM bench_tables)::int AS tables',
  );
  const { dishes, tables } = rows[0]!;
  // Line j (0..2) of order g: dish (3g + j) mod dishes (three different dishes per order, as
  // dishes > 3), quantity 1 + (g + j) mod 3. Orders spread over the last 365 days, oldest first.
  await c.query(`CREATE TEMP TABLE bench_lines ON COMMIT DROP AS
                   SELECT g, j, d.id AS dish, d.price, 1 + (g + j) % 3 AS quantity,
                          now() - make_interval(secs => ($1::int - g) * (365 * 86400.0 / $1::int)) AS at
                     FROM generate_series(1, $1::int) g CROSS JOIN generate_series(0, ${ITEMS_PER_ORDER - 1}) j
                     JOIN bench_dishes d ON d.k = (3 * g + j) % $2::int`, [ORDERS, dishes]);
  log(`generated ${ORDERS * ITEMS_PER_ORDER} lines over ${dishes} dishes and ${tables} tables`);
  await step(
    'orders',
    `INSERT INTO restaurante.orders (id, "restaurantId", "orderNumber", "tableId", source, status, "totalAmount", "createdBy", "orderedAt", "updatedAt")
     SELECT 'bench-o-' || lpad(l.g::text, 8, '0'), $1, 'BENCH-' || lpad(l.g::text, 8, '0'), t.id, 'qr', 'SERVED', sum(l.price * l.quantity), 'bench', min(l.at), min(l.at)
       FROM bench_lines l JOIN bench_tables t ON t.k = l.g % $2::int
      GROUP BY l.g, t.id ORDER BY l.g`,
    [DEMO_RESTAURANT_ID, tables],
  );
  await step(
    'order_items',
    `INSERT INTO restaurante.order_items (id, "restaurantId", "orderId", "menuItemId", quantity, "unitPrice", "totalPrice", status, "createdAt", "updatedAt")
     SELECT 'bench-i-' || lpad(g::text, 8, '0') || '-' || j, $1, 'bench-o-' || lpad(g::text, 8, '0'), dish, quantity, price, price * quantity, 'SERVED', at, at
       FROM bench_lines ORDER BY g, j`,
    [DEMO_RESTAURANT_ID],
  );
  await step(
    'order_status_changes (the last change of each order and line: READY → SERVED; creation entries are read from the rows)',
    `INSERT INTO restaurante.order_status_changes (id, "restaurantId", "orderId", "orderItemId", "fromStatus", "toStatus", "changedBy", "changedAt")
     SELECT 'bench-h-' || lpad(g::text, 8, '0') || '-o', $1, 'bench-o-' || lpad(g::text, 8, '0'), NULL, 'READY', 'SERVED', 'bench', min(at)
       FROM bench_lines GROUP BY g
     UNION ALL
     SELECT 'bench-h-' || lpad(g::text, 8, '0') || '-' || j, $1, 'bench-o-' || lpad(g::text, 8, '0'), 'bench-i-' || lpad(g::text, 8, '0') || '-' || j,
            'READY', 'SERVED', 'bench', at
       FROM bench_lines`,
    [DEMO_RESTAURANT_ID],
  );
  // The ledger: a restock of exactly what will be sold, before the first order, then one
  // 'order' movement per line; stock after each is the running sum, and the dish's stock ends
  // where the seed left it, so stock = the ledger's sum without touching menu_items.
  await step(
    'stock_movements (restock per dish, then one per sold line)',
    `WITH sold AS (SELECT dish, sum(quantity)::int AS total FROM bench_lines GROUP BY dish),
          base AS (SELECT mi.id, mi.stock FROM restaurante.menu_items mi JOIN sold ON sold.dish = mi.id),
          moves AS (
            SELECT 'bench-m-' || s.dish AS id, s.dish, s.total AS delta, 'restock' AS reason, NULL::text AS "orderId",
                   now() - interval '366 days' AS at, 0 AS g, 0 AS j
              FROM sold s
            UNION ALL
            SELECT 'bench-m-' || lpad(g::text, 8, '0') || '-' || j, dish, -quantity, 'order', 'bench-o-' || lpad(g::text, 8, '0'), at, g, j
              FROM bench_lines)
     INSERT INTO restaurante.stock_movements (id, "restaurantId", "menuItemId", delta, "stockAfter", reason, "orderId", actor, "createdAt")
     SELECT m.id, $1, m.dish, m.delta, b.stock + sum(m.delta) OVER (PARTITION BY m.dish ORDER BY m.g, m.j), m.reason, m."orderId", 'bench', m.at
       FROM moves m JOIN base b ON b.id = m.dish`,
    [DEMO_RESTAURANT_ID],
  );
  await c.query('ALTER TABLE restaurante.orders ENABLE TRIGGER USER');
  await c.query('ALTER TABLE restaurante.order_items ENABLE TRIGGER USER');
  const t = performance.now();
  await c.query('COMMIT');
  log(`committed in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const v = performance.now();
  await c.query('VACUUM ANALYZE');
  log(`VACUUM ANALYZE in ${((performance.now() - v) / 1000).toFixed(1)} s`);
}

async function measure(): Promise<Array<{ wallMs: number; results: CheckResult[] }>> {
  const runs: Array<{ wallMs: number; results: CheckResult[] }> = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const results = await runChecks(db, allChecks);
    runs.push({ wallMs: performance.now() - t, results });
  }
  return runs;
}

async function report(runs: Array<{ wallMs: number; results: CheckResult[] }>): Promise<void> {
  const { rows } = await db.query<{ orders: string; items: string; history: string; movements: string; size: string }>(
    `SELECT (SELECT count(*) FROM restaurante.orders) AS orders, (SELECT count(*) FROM restaurante.order_items) AS items,
            (SELECT count(*) FROM restaurante.order_status_changes) AS history, (SELECT count(*) FROM restaurante.stock_movements) AS movements,
            pg_size_pretty(pg_database_size(current_database())) AS size`,
    [],
    { statementTimeoutMs: 120_000 },
  );
  const r = rows[0]!;
  process.stdout.write(
    `\nDatabase: ${r.orders} orders, ${r.items} order items, ${r.history} stored status changes, ${r.movements} stock movements; ${r.size}\n\n`,
  );
  const names = runs[0]!.results.map((x) => x.name).sort();
  const header = ['check', 'status', ...runs.map((_, i) => `run ${i + 1} ms`), 'summary'];
  const table = names.map((n) => {
    const cells = runs.map((run) => run.results.find((x) => x.name === n)!);
    return [n, cells[0]!.status, ...cells.map((x) => String(x.durationMs)), cells[0]!.summary.slice(0, 90)];
  });
  table.sort((a, b) => Number(b[2]) - Number(a[2]));
  const totals = ['total (wall)', '', ...runs.map((run) => String(Math.round(run.wallMs))), ''];
  const all = [header, ...table, totals];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write([line(header), line(widths.map((w) => '-'.repeat(w))), ...table.map(line), line(totals)].join('\n') + '\n\n');
  const best = Math.min(...runs.map((run) => run.wallMs));
  const first = runs[0]!.wallMs;
  process.stdout.write(
    `doctor: ${allChecks.length} checks; first run ${Math.round(first)} ms, best ${Math.round(best)} ms; goal < ${GOAL_MS} ms: ${first < GOAL_MS ? 'met' : 'NOT met'}\n`,
  );
  const slow = runs[0]!.results.filter((x) => x.durationMs > 250).map((x) => `${x.name} (${x.durationMs} ms)`);
  if (slow.length) process.stdout.write(`slowest checks on the first run: ${slow.join(', ')}\n`);
}
