// npm run bench:plan [-- --orders N]
//
// `comanda migrate plan` on production-like volume: the demo restaurant with N orders (default
// 1 000 000) and their lines, backed up with `comanda backup`'s code, then planned with pending
// migrations from a temporary directory: the expand → contract worked example
// (test/fixtures/expand-contract: a new table and a trigger, functions switched, a dropped column), a type
// change PostgreSQL makes in place, and one that rewrites order_items. Prints the plan and the timings. Uses
// TEST_DATABASE_URL's server when set, else an embedded cluster of its own.
import { randomBytes } from 'node:crypto';
import { chmod, cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createBackup } from '../src/core/backup/index.js';
import { Database, ident } from '../src/core/db/database.js';
import { planMigrations } from '../src/core/migrations/plan.js';
import { defaultMigrationsDir, loadMigrations, MigrationRunner } from '../src/core/migrations/runner.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { benchServer } from './setup.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ORDERS = arg('--orders', 1_000_000);
const root = path.resolve(import.meta.dirname, '..');
const work = await mkdtemp(path.join(tmpdir(), 'comanda-bench-plan-'));
await chmod(work, 0o711);

const { adminUrl, cluster } = await benchServer(work);
const name = `comanda_bench_plan_${randomBytes(3).toString('hex')}`;
const url = new URL(adminUrl);
url.pathname = `/${name}`;
const admin = async (sql: string) => {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

try {
  await admin(`CREATE DATABASE ${ident(name)}`);
  await new MigrationRunner({ connectionString: url.toString() }).up();
  const db = new Database({ connectionString: url.toString(), poolSize: 1, statementTimeoutMs: 0 });
  let t = performance.now();
  try {
    await seedDemo(db);
  } finally {
    await db.close();
  }
  const load = new pg.Client({ connectionString: url.toString() });
  await load.connect();
  try {
    await load.query(
      `INSERT INTO restaurante.orders (id, "restaurantId", "orderNumber", source, status, "totalAmount", customer_email, "orderedAt")
       SELECT format('bench-%s', g), $1, format('B-%s', g), 'qr', 'SERVED', 12.50,
              CASE WHEN g % 4 = 0 THEN format('guest%s@example.com', g) END, now() - make_interval(secs => g)
         FROM generate_series(1, $2::int) g`,
      [DEMO_RESTAURANT_ID, ORDERS],
    );
    await load.query(
      `INSERT INTO restaurante.order_items ("restaurantId", "orderId", "menuItemId", quantity, "unitPrice", "totalPrice", status)
       SELECT $1, format('bench-%s', g), 'item_patatas_bravas', 1, 12.50, 12.50, 'SERVED' FROM generate_series(1, $2::int) g`,
      [DEMO_RESTAURANT_ID, ORDERS],
    );
    await load.query('VACUUM ANALYZE restaurante.orders, restaurante.order_items');
  } finally {
    await load.end();
  }
  console.log(`data: ${ORDERS} orders with their lines in ${seconds(performance.now() - t)}`);

  t = performance.now();
  const backup = await createBackup({ url: url.toString(), dir: path.join(work, 'backups') });
  console.log(`backup: ${backup.manifest.sizeBytes} bytes in ${seconds(performance.now() - t)}`);

  const migrations = path.join(work, 'migrations');
  await cp(defaultMigrationsDir, migrations, { recursive: true });
  // The pending migrations come after the project's own, whatever their number: the worked
  // example's steps (numbered 0023… in its directory), then a widening that PostgreSQL does in
  // place (numeric precision up, same scale), and one that rewrites the table (integer → bigint).
  let next = Math.max(...(await loadMigrations()).map((m) => m.version)) + 1;
  const numbered = (name: string) => `${String(next).padStart(4, '0')}_${name}`;
  const fixtures = path.join(root, 'test/fixtures/expand-contract');
  const steps = [...new Set((await readdir(fixtures)).map((f) => f.slice(0, 4)))].sort();
  for (const step of steps) {
    for (const f of (await readdir(fixtures)).filter((name) => name.startsWith(step))) {
      await cp(path.join(fixtures, f), path.join(migrations, numbered(f.slice(5))));
    }
    next++;
  }
  await writeFile(path.join(migrations, numbered('orders_total_wider.sql')), 'ALTER TABLE restaurante.orders ALTER COLUMN "totalAmount" TYPE numeric(12, 2);\n');
  await writeFile(path.join(migrations, numbered('orders_total_wider.down.sql')), 'ALTER TABLE restaurante.orders ALTER COLUMN "totalAmount" TYPE numeric(10, 2);\n');
  next++;
  await writeFile(path.join(migrations, numbered('order_items_quantity_bigint.sql')), 'ALTER TABLE restaurante.order_items ALTER COLUMN quantity TYPE bigint;\n');
  await writeFile(path.join(migrations, numbered('order_items_quantity_bigint.down.sql')), 'ALTER TABLE restaurante.order_items ALTER COLUMN quantity TYPE integer;\n');

  t = performance.now();
  const plan = await planMigrations({ file: backup.file, url: url.toString(), dir: migrations, lockTimeoutMs: 5_000 });
  console.log(`plan: ${seconds(performance.now() - t)} in all, of which the restore ${seconds(plan.restoreMs)}`);
  console.log('migration                      ms      strongest lock         on                        rewrites                     rows');
  for (const m of plan.migrations) {
    console.log(
      [
        `${String(m.version).padStart(4, '0')}_${m.name}`.padEnd(30),
        String(m.durationMs).padStart(6),
        (m.strongestLock?.mode ?? '-').padEnd(22),
        (m.strongestLock?.relations.join(', ') ?? '-').padEnd(25),
        (m.rewrites.map((r) => `${r.relation} (${(r.sizeBytes / 1_048_576).toFixed(0)} MiB)`).join(', ') || '-').padEnd(28),
        m.rowsTouched,
        m.ok ? '' : `FAILED: ${m.error}`,
      ].join(' '),
    );
  }
} finally {
  await admin(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`).catch(() => undefined);
  await cluster?.stop();
  await rm(work, { recursive: true, force: true });
}
