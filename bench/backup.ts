// npm run bench:backup [-- --orders N] [-- --runs N]
//
// `comanda backup` + `comanda backup verify` (run as the CLI, as an operator would) against plain
// `pg_dump -Fc` + `pg_restore` into a scratch database of the same data, with the same pg_dump
// selection (schemas restaurante and comanda, extension btree_gist) and pg_restore flags; the
// goal is within 1.5×. The data: the demo restaurant with N orders (default 100 000) with their
// lines, status history and stock-ledger rows, and a few hundred reservations. Uses TEST_DATABASE_URL's server when set, else an embedded cluster of its own.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Database, ident } from '../src/core/db/database.js';
import { MigrationRunner } from '../src/core/migrations/runner.js';
import { book } from '../src/core/reservations/reservations.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { libpqConnection } from '../src/core/backup/pg-tools.js';
import { benchServer } from './setup.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ORDERS = arg('--orders', 100_000);
const RUNS = arg('--runs', 3);
const root = path.resolve(import.meta.dirname, '..');
const work = await mkdtemp(path.join(tmpdir(), 'comanda-bench-backup-'));
await chmod(work, 0o711);

const { adminUrl, cluster } = await benchServer(work);
const urlOf = (database: string) => {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
};
async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const name = `comanda_bench_backup_${randomBytes(3).toString('hex')}`;
const url = urlOf(name);
const scratchNames: string[] = [];
try {
  // ------------------------------------------------------------------------------------------
  // The data.
  // ------------------------------------------------------------------------------------------
  await admin(`CREATE DATABASE ${ident(name)}`);
  await new MigrationRunner({ connectionString: url, log: () => undefined }).up();
  const db = new Database({ connectionString: url, poolSize: 2, statementTimeoutMs: 0 });
  const loadStarted = performance.now();
  try {
    await seedDemo(db);
    await db.transaction(
      async (tx) => {
        await tx.query(`UPDATE restaurante.menu_items SET stock = stock + 10000000, "isAvailable" = true WHERE "restaurantId" = $1`, [DEMO_RESTAURANT_ID]);
      },
      { settings: { 'comanda.stock_reason': 'restock', 'comanda.actor': 'bench' } },
    );
    // Orders in bulk (place_order one by one would take most of the run): each with two lines
    // at the menu's prices, its status history (the schema's triggers), and a stock-ledger row
    // per line whose running "stockAfter" is what place_order would have written; the stock is
    // then set to match (with the ledger trigger off for that one statement, as its movements
    // are already recorded), so the stock-ledger check holds on the copy as on the original.
    const load = new pg.Client({ connectionString: url });
    await load.connect();
    try {
      await load.query('BEGIN');
      await load.query(`SET LOCAL comanda.actor = 'bench'`);
      await load.query(
        `CREATE TEMP TABLE bench_lines ON COMMIT DROP AS
         SELECT g, l.line, m.id AS item, l.q, m.price
           FROM generate_series(1, $2::int) g
           CROSS JOIN LATERAL (VALUES (1, 1 + g % 40, 1 + g % 3), (2, 1 + (g * 7 + 3) % 40, 1)) AS l(line, idx, q)
           JOIN (SELECT id, price, row_number() OVER (ORDER BY id) AS rn FROM restaurante.menu_items WHERE "restaurantId" = $1) m
             ON m.rn = 1 + (l.idx - 1) % (SELECT count(*) FROM restaurante.menu_items WHERE "restaurantId" = $1)`,
        [DEMO_RESTAURANT_ID, ORDERS],
      );
      await load.query(
        `INSERT INTO restaurante.orders (id, "restaurantId", "orderNumber", "tableId", source, status, "totalAmount", customer_email, "createdBy", "orderedAt")
         SELECT format('bench-%s', g), $1, format('B-%s', g), format('table_%s', lpad((1 + g % 12)::text, 2, '0')),
                (ARRAY['presencial', 'qr', 'qr', 'telefono', 'online'])[1 + g % 5],
                (ARRAY['SERVED', 'SERVED', 'SERVED', 'READY', 'PENDING'])[1 + g % 5]::restaurante."OrderStatus",
                sum(price * q), CASE WHEN g % 4 = 0 THEN format('guest%s@example.com', g) END, 'bench',
                now() - make_interval(secs => ($2::int - g) * 30)
           FROM bench_lines GROUP BY g`,
        [DEMO_RESTAURANT_ID, ORDERS],
      );
      await load.query(
        `INSERT INTO restaurante.order_items ("restaurantId", "orderId", "menuItemId", quantity, "unitPrice", "totalPrice", status)
         SELECT $1, format('bench-%s', g), item, q, price, price * q, 'SERVED' FROM bench_lines ORDER BY g, line`,
        [DEMO_RESTAURANT_ID],
      );
      await load.query(
        `INSERT INTO restaurante.stock_movements ("restaurantId", "menuItemId", delta, "stockAfter", reason, "orderId", actor)
         SELECT $1, l.item, -l.q, mi.stock - sum(l.q) OVER (PARTITION BY l.item ORDER BY l.g, l.line), 'order', format('bench-%s', l.g), 'bench'
           FROM bench_lines l JOIN restaurante.menu_items mi ON mi.id = l.item ORDER BY l.g, l.line`,
        [DEMO_RESTAURANT_ID],
      );
      await load.query('ALTER TABLE restaurante.menu_items DISABLE TRIGGER menu_items_stock_ledger_update');
      await load.query(
        `UPDATE restaurante.menu_items mi SET stock = mi.stock - t.total
           FROM (SELECT item, sum(q) AS total FROM bench_lines GROUP BY item) t WHERE t.item = mi.id`,
      );
      await load.query('ALTER TABLE restaurante.menu_items ENABLE TRIGGER menu_items_stock_ledger_update');
      await load.query('COMMIT');
    } finally {
      await load.end();
    }
    // Reservations through the booking service: eight parties every Tuesday evening for a year.
    const tuesday = (weeks: number) => {
      const d = new Date();
      d.setUTCDate(d.getUTCDate() + 30 + 7 * weeks);
      while (d.getUTCDay() !== 2) d.setUTCDate(d.getUTCDate() + 1);
      return `${d.toISOString().slice(0, 10)}T20:00:00+01:00`;
    };
    for (let week = 0; week < 52; week++) {
      for (let party = 0; party < 8; party++) {
        await book(
          db,
          { restaurantId: DEMO_RESTAURANT_ID, partySize: 2 + (party % 3), time: tuesday(week), customerName: `Invitado ${week}-${party}`, customerEmail: `invitado${week}.${party}@example.com` },
          { secret: randomBytes(24).toString('hex'), tokenTtlDays: 7, idempotencyTtlHours: 24 },
        ).catch(() => undefined); // a full evening is fine: the rest stay unbooked
      }
    }
    await db.query('VACUUM ANALYZE', [], {}).catch(() => undefined);
  } finally {
    await db.close();
  }
  const counts = await (async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ orders: string; lines: string; ledger: string; reservations: string; size: string }>(
        `SELECT (SELECT count(*) FROM restaurante.orders) AS orders, (SELECT count(*) FROM restaurante.order_items) AS lines,
                (SELECT count(*) FROM restaurante.stock_movements) AS ledger, (SELECT count(*) FROM restaurante.reservations) AS reservations,
                pg_size_pretty(pg_database_size(current_database())) AS size`,
      );
      return rows[0]!;
    } finally {
      await client.end();
    }
  })();
  const loadSeconds = (performance.now() - loadStarted) / 1000;

  // ------------------------------------------------------------------------------------------
  // The runs.
  // ------------------------------------------------------------------------------------------
  const time = (fn: () => void): number => {
    const started = performance.now();
    fn();
    return (performance.now() - started) / 1000;
  };
  const must = (what: string, result: ReturnType<typeof spawnSync>) => {
    if (result.status !== 0) throw new Error(`${what} failed (${result.status}): ${String(result.stderr)}`);
    return result;
  };
  const cli = (...args: string[]) =>
    must(
      `comanda ${args.join(' ')}`,
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: url, COMANDA_DATA_DIR: path.join(work, 'data') },
        encoding: 'utf8',
      }),
    );
  const conn = libpqConnection(url);
  const tool = (bin: string, args: string[]) => must(bin, spawnSync(bin, args, { env: conn.env, encoding: 'utf8' }));

  // Startup of the CLI itself (node + tsx + imports), to read the figures fairly.
  const startup = time(() => cli('backup', 'list', '--dir', path.join(work, 'none'), '--json'));

  const comanda: Array<{ backup: number; verify: number; bytes: number }> = [];
  const plain: Array<{ dump: number; restore: number; bytes: number }> = [];
  for (let run = 1; run <= RUNS; run++) {
    const dir = path.join(work, `run${run}`);
    let file = '';
    const backup = time(() => {
      file = (JSON.parse(cli('backup', '--dir', dir, '--no-retention', '--json').stdout as string) as { file: string }).file;
    });
    const verify = time(() => cli('backup', 'verify', file, '--no-copy'));
    comanda.push({ backup, verify, bytes: (await stat(file)).size });

    const plainFile = path.join(work, `plain${run}.dump`);
    const dump = time(() => tool('pg_dump', ['-Fc', '-n', 'restaurante', '-n', 'comanda', '-e', 'btree_gist', '-f', plainFile, `--dbname=${conn.dbname}`]));
    const scratch = `comanda_bench_scratch_${run}_${randomBytes(2).toString('hex')}`;
    scratchNames.push(scratch);
    const restoreStarted = performance.now();
    await admin(`CREATE DATABASE ${ident(scratch)} TEMPLATE template0`);
    tool('pg_restore', ['--exit-on-error', '--no-owner', '--no-privileges', `--dbname=${libpqConnection(urlOf(scratch)).dbname}`, plainFile]);
    await admin(`DROP DATABASE ${ident(scratch)} WITH (FORCE)`);
    const restore = (performance.now() - restoreStarted) / 1000;
    plain.push({ dump, restore, bytes: (await stat(plainFile)).size });
    await rm(dir, { recursive: true, force: true });
    await rm(plainFile, { force: true });
  }

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const f = (n: number) => n.toFixed(2);
  const cBackup = median(comanda.map((r) => r.backup));
  const cVerify = median(comanda.map((r) => r.verify));
  const pDump = median(plain.map((r) => r.dump));
  const pRestore = median(plain.map((r) => r.restore));
  const serverVersion = spawnSync('pg_dump', ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`\nComanda backup benchmark: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} CPUs, ${serverVersion}, ${cluster ? 'embedded cluster' : 'TEST_DATABASE_URL server'}`);
  console.log(
    `data: ${counts.orders} orders, ${counts.lines} order lines, ${counts.ledger} stock-ledger rows, ${counts.reservations} reservations; database ${counts.size} (loaded in ${f(loadSeconds)} s)`,
  );
  console.log(`median of ${RUNS} runs, seconds; archive ${(comanda[0]!.bytes / 1_048_576).toFixed(1)} MiB (plain ${(plain[0]!.bytes / 1_048_576).toFixed(1)} MiB)\n`);
  console.log('                                   comanda          plain pg_dump/pg_restore   ratio');
  console.log(`backup (pg_dump + manifest)        ${f(cBackup).padStart(7)}          ${f(pDump).padStart(7)}                    ${f(cBackup / pDump)}`);
  console.log(`verify (restore into scratch + …)  ${f(cVerify).padStart(7)}          ${f(pRestore).padStart(7)}                    ${f(cVerify / pRestore)}`);
  console.log(`total                              ${f(cBackup + cVerify).padStart(7)}          ${f(pDump + pRestore).padStart(7)}                    ${f((cBackup + cVerify) / (pDump + pRestore))}`);
  const cliOverhead = 2 * startup;
  console.log(
    `\nCLI start-up (node + tsx, measured on \`backup list\`): ${f(startup)} s per command; total without it: ${f(cBackup + cVerify - cliOverhead)} s → ratio ${f((cBackup + cVerify - cliOverhead) / (pDump + pRestore))}`,
  );
  const ratio = (cBackup + cVerify) / (pDump + pRestore);
  console.log(`goal ≤ 1.5×: ${ratio <= 1.5 ? 'met' : 'NOT met'} (${f(ratio)}×)`);
} finally {
  for (const s of scratchNames) await admin(`DROP DATABASE IF EXISTS ${ident(s)} WITH (FORCE)`).catch(() => undefined);
  await admin(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`).catch(() => undefined);
  await cluster?.stop();
  await rm(work, { recursive: true, force: true });
}
