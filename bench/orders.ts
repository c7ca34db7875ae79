// npm run bench:orders [-- --quick]
//
// Starts Comanda on a fresh embedded PostgreSQL and drives POST /api/orders over HTTP with
// autocannon: the planned service phases (5 orders/s for 60 s, then 20/s for 30 s), a steady 200/s,
// a maximum-throughput run and a hot-item run (everyone orders the same dish); then the cached
// menu. In the same run it measures two database limits for the same work with pgbench (see
// "The database limits" below): Comanda's own SQL and the minimal SQL for the job. It prints
// throughput, latency percentiles, answers by status, API / Comanda SQL and API / minimal SQL for
// the maximum-throughput and hot-item runs, and checks the invariant: initial − final stock =
// quantities of accepted orders = the ledger's sum.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import pg from 'pg';
import { createStaffToken } from '../src/core/auth/staff-tokens.js';
import { Database, ident } from '../src/core/db/database.js';
import { MigrationRunner } from '../src/core/migrations/runner.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { freePort, startEmbeddedPostgres } from '../src/embedded/postgres.js';

const quick = process.argv.includes('--quick');
/** Keep the cluster's directory (and its postgres.log) for a look afterwards. */
const keep = process.argv.includes('--keep');
const POOL = Number(process.env.BENCH_POOL_SIZE ?? 10);
const CONNECTIONS = 2 * POOL; // the load generator never runs more than twice the pool
const seconds = (full: number, short: number) => (quick ? short : full);
const ITEMS = Array.from({ length: 20 }, (_, i) => `bench_item_${String(i).padStart(2, '0')}`);
const HOT = 'bench_hot';
const STOCK = 10_000_000;

// ---------------------------------------------------------------------------------------------
// Set-up: a cluster of its own, two databases (the service's, and pgbench's for the raw limit).
// ---------------------------------------------------------------------------------------------
const root = await mkdtemp(path.join(tmpdir(), 'comanda-bench-'));
await chmod(root, 0o711);
const cluster = await startEmbeddedPostgres({
  clusterDir: path.join(root, 'cluster'),
  password: randomBytes(12).toString('hex'),
  logFile: path.join(root, 'postgres.log'),
  settings: { max_connections: '200', log_autovacuum_min_duration: '0', log_checkpoints: 'on' },
});
const urlOf = (database: string) => {
  const url = new URL(cluster.adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
};

async function prepareDatabase(name: string): Promise<{ url: string; db: Database; token: string; tokenId: string }> {
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${ident(name)}`);
  await admin.query(`CREATE DATABASE ${ident(name)}`);
  await admin.end();
  const url = urlOf(name);
  await new MigrationRunner({ connectionString: url }).up();
  const db = new Database({ connectionString: url, poolSize: POOL });
  await seedDemo(db);
  await db.query(
    `INSERT INTO restaurante.menu_items (id, "restaurantId", "categoryId", name, price, stock)
     SELECT id, $1, 'cat_tapas', 'Bench ' || id, 3.00, $2 FROM unnest($3::text[]) AS id`,
    [DEMO_RESTAURANT_ID, STOCK, [...ITEMS, HOT]],
  );
  const { token, info } = await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'waiter', label: 'bench' });
  return { url, db, token, tokenId: info.id };
}

const service = await prepareDatabase('comanda_bench');
// The service runs in a process of its own, as in production (and so that the load generator
// does not share its event loop).
const port = await freePort();
const server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
  cwd: path.resolve(import.meta.dirname, '..'),
  env: {
    ...process.env,
    DATABASE_URL: service.url,
    COMANDA_SECRET: randomBytes(32).toString('hex'),
    PORT: String(port),
    LOG_LEVEL: 'warn',
    DATABASE_POOL_SIZE: String(POOL),
    EMAIL_WORKER: 'false',
    RATE_LIMIT_ORDERS_PER_MINUTE: '1000000',
    RATE_LIMIT_ORDERS_PER_IP_PER_MINUTE: '1000000',
    RATE_LIMIT_QR_SCANS_PER_MINUTE: '1000000',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const base = `http://127.0.0.1:${port}`;
for (let waited = 0; ; waited += 100) {
  const ready = await fetch(`${base}/readyz`).then((r) => r.status === 200, () => false);
  if (ready) break;
  if (waited > 30_000 || server.exitCode !== null) throw new Error('the service did not start');
  await new Promise((resolve) => setTimeout(resolve, 100));
}

// ---------------------------------------------------------------------------------------------
// Load runs
// ---------------------------------------------------------------------------------------------
interface RunResult {
  name: string;
  seconds: number;
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  byStatus: Record<string, number>;
  /** Units of stock the accepted orders took. */
  units: number;
  /** CPU milliseconds per answered request: the service, PostgreSQL, the load generator. */
  cpu?: { service: number; postgres: number; generator: number };
}

// ---------------------------------------------------------------------------------------------
// Where the CPU goes (Linux): the service's process, the cluster's processes (the postmaster, its
// live children, and its children that exited), and this process, which generates the load.
// ---------------------------------------------------------------------------------------------
const TICK_MS = 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
/** utime + stime (+ the exited children's, with `children`) of a process, in ms; 0 if gone. */
function cpuMsOf(pid: number, children = false): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]) + (children ? Number(fields[13]) + Number(fields[14]) : 0);
    return ticks * TICK_MS;
  } catch {
    return 0;
  }
}
function postgresCpuMs(postmaster: number): number {
  let total = cpuMsOf(postmaster, true);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      if (ppid === postmaster) total += cpuMsOf(Number(entry));
    } catch {
      // exited meanwhile: counted in the postmaster's children time
    }
  }
  return total;
}
function cpuSample(): { service: number; postgres: number; generator: number } {
  const self = process.cpuUsage();
  return {
    service: server.pid ? cpuMsOf(server.pid) : 0,
    postgres: cluster.pid && existsSync('/proc') ? postgresCpuMs(cluster.pid) : 0,
    generator: (self.user + self.system) / 1000,
  };
}
/** Runs `measure` and adds the CPU per answered request it cost each process. */
async function withCpu(measure: () => Promise<RunResult>): Promise<RunResult> {
  const start = cpuSample();
  const result = await measure();
  const end = cpuSample();
  const per = (k: keyof typeof start) => (end[k] - start[k]) / Math.max(1, result.requests);
  return { ...result, cpu: { service: per('service'), postgres: per('postgres'), generator: per('generator') } };
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN);

function orderBody(hot: boolean): { body: string; units: number } {
  if (hot) return { body: JSON.stringify({ source: 'presencial', items: [{ menuItemId: HOT, quantity: 1 }] }), units: 1 };
  const a = ITEMS[Math.floor(Math.random() * ITEMS.length)]!;
  const b = ITEMS[Math.floor(Math.random() * ITEMS.length)]!;
  return {
    body: JSON.stringify({ source: 'presencial', items: [{ menuItemId: a, quantity: 1 }, { menuItemId: b, quantity: 1 }] }),
    units: 2,
  };
}

async function run(name: string, options: { duration: number; rate?: number; hot?: boolean; menu?: boolean }): Promise<RunResult> {
  const latencies: number[] = [];
  const byStatus: Record<string, number> = {};
  let done!: (result: autocannon.Result) => void;
  let failed!: (err: unknown) => void;
  const finished = new Promise<autocannon.Result>((resolve, reject) => ((done = resolve), (failed = reject)));
  const instance = autocannon({
    url: base,
    connections: options.menu ? 20 : CONNECTIONS,
    duration: options.duration,
    ...(options.rate ? { overallRate: options.rate } : {}),
    requests: [
      options.menu
        ? { method: 'GET', path: `/api/menu?restaurantId=${DEMO_RESTAURANT_ID}` }
        : {
            method: 'POST',
            path: '/api/orders',
            setupRequest: (request) => {
              const key = randomUUID();
              const { body } = orderBody(options.hot ?? false);
              return {
                ...request,
                headers: {
                  'content-type': 'application/json',
                  authorization: `Bearer ${service.token}`,
                  'idempotency-key': key,
                },
                body,
              };
            },
          },
    ],
  }, (err, result) => (err ? failed(err) : done(result)));
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
    byStatus[statusCode] = (byStatus[statusCode] ?? 0) + 1;
  });
  const result = await finished;
  latencies.sort((a, b) => a - b);
  // Every accepted order takes 2 units (two lines of 1), or 1 on the hot item.
  const units = options.menu ? 0 : (byStatus['201'] ?? 0) * (options.hot ? 1 : 2);
  return {
    name,
    seconds: options.duration,
    requests: latencies.length,
    rps: latencies.length / options.duration,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    byStatus: { ...byStatus, ...(result.errors ? { 'socket errors': result.errors } : {}), ...(result.timeouts ? { timeouts: result.timeouts } : {}) },
    units,
  };
}

/** Stock taken from the bench dishes, the ledger's order movements, and the ordered quantities. */
/**
 * A fixed arrival rate, for the latency figures: autocannon's rate limit sends each second's
 * quota back to back and then waits for the next second, which measures bursts, not a steady
 * rate. Here requests leave on an even schedule (every 1000/rate ms) over at most CONNECTIONS
 * keep-alive connections (undici), and latency is counted from the scheduled time, so a
 * generator or server falling behind shows up in the figures (no coordinated omission).
 */
async function paced(name: string, rate: number, duration: number): Promise<RunResult> {
  const pool = new Pool(base, { connections: CONNECTIONS, pipelining: 1 });
  const latencies: number[] = [];
  const byStatus: Record<string, number> = {};
  const total = Math.round(rate * duration);
  const interval = 1000 / rate;
  const start = performance.now();
  const inFlight: Array<Promise<void>> = [];
  // BENCH_TRACE=1: the slowest requests with their wall-clock time, to line up with postgres.log.
  const slowest: Array<{ at: number; ms: number }> = [];
  for (let i = 0; i < total; i++) {
    const scheduled = start + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const { body } = orderBody(false);
    inFlight.push(
      pool
        .request({
          method: 'POST',
          path: '/api/orders',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${service.token}`, 'idempotency-key': randomUUID() },
          body,
        })
        .then(async (res) => {
          await res.body.text();
          latencies.push(performance.now() - scheduled);
          if (process.env.BENCH_TRACE) slowest.push({ at: Date.now(), ms: Math.round(performance.now() - scheduled) });
          byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
        })
        .catch(() => {
          byStatus['socket errors'] = (byStatus['socket errors'] ?? 0) + 1;
        }),
    );
  }
  await Promise.all(inFlight);
  await pool.close();
  if (process.env.BENCH_TRACE) {
    const top = slowest.sort((a, b) => b.ms - a.ms).slice(0, 10);
    console.error(`${name}, slowest answers: ${top.map((r) => `${r.ms} ms at ${new Date(r.at).toISOString().slice(11, 23)}`).join(', ')}`);
  }
  latencies.sort((a, b) => a - b);
  return {
    name,
    seconds: duration,
    requests: latencies.length,
    rps: latencies.length / duration,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    byStatus,
    units: (byStatus['201'] ?? 0) * 2,
  };
}

async function stockTaken(db: Database): Promise<{ taken: number; ledger: number; ordered: number }> {
  const { rows } = await db.query<{ taken: string; ledger: string; ordered: string }>(
    `SELECT (SELECT $2::bigint * count(*) - sum(stock) FROM restaurante.menu_items WHERE id = ANY($1)) AS taken,
            (SELECT coalesce(-sum(delta), 0) FROM restaurante.stock_movements WHERE "menuItemId" = ANY($1) AND reason = 'order') AS ledger,
            (SELECT coalesce(sum(quantity), 0) FROM restaurante.order_items WHERE "menuItemId" = ANY($1)) AS ordered`,
    [[...ITEMS, HOT], STOCK],
  );
  return { taken: Number(rows[0]!.taken), ledger: Number(rows[0]!.ledger), ordered: Number(rows[0]!.ordered) };
}

// ---------------------------------------------------------------------------------------------
// The database limits, by pgbench in a database of their own, clients = the service's pool:
// - Comanda's SQL: the service's statements, round trip for round trip (BEGIN with the timeouts,
//   who is calling and the key's claim; place_order with the key's record, and COMMIT); the rate
//   limit's hit, a statement of its own that the service counts for many requests at once, is not
//   in it;
// - the minimal SQL for the same job — conditional stock UPDATEs (in id order), INSERT the order,
//   INSERT its lines, one transaction — on tables with the same columns, keys, checks and indexes
//   as Comanda's (CREATE TABLE … LIKE … INCLUDING ALL) but no triggers and no foreign keys. This
//   is what the hardware does for an order; API / minimal says how much of it the design keeps.
// ---------------------------------------------------------------------------------------------
const pgbenchPath = ['/usr/lib/postgresql/15/bin/pgbench', '/usr/bin/pgbench'].find((p) => existsSync(p));
type Limit = { tps: number; tool: string } | { tps: number; tool: string; missing: string };
const PGBENCH_MISSING = 'needs pgbench (apt-get install postgresql-15)';

function pgbench(url: string, name: string, script: string, duration: number): Promise<number> {
  return (async () => {
    const file = path.join(root, `${name}.sql`);
    await writeFile(file, script + '\n');
    const target = new URL(url);
    const out = spawnSync(
      pgbenchPath!,
      ['-n', '-f', file, '-c', String(POOL), '-j', '2', '-T', String(duration), '-h', '127.0.0.1', '-p', target.port, '-U', 'postgres', target.pathname.slice(1)],
      { env: { ...process.env, PGPASSWORD: decodeURIComponent(target.password) }, encoding: 'utf8' },
    );
    const match = /tps = ([\d.]+)/.exec(out.stdout);
    if (!match) throw new Error(`pgbench failed:\n${out.stdout}\n${out.stderr}`);
    return Number(match[1]);
  })();
}

const raw = await prepareDatabase('comanda_bench_raw');
const itemArray = `ARRAY[${ITEMS.map((id) => `'${id}'`).join(',')}]`;

async function comandaLimit(duration: number, hot: boolean): Promise<Limit> {
  const tokenHash = createHash('sha256').update(raw.token).digest('hex');
  const actor = `staff:waiter:${raw.tokenId}`;
  const begin = `BEGIN \\; SET LOCAL statement_timeout = ${raw.db.statementTimeoutMs} \\; SET LOCAL lock_timeout = ${raw.db.lockTimeoutMs};`;
  const line = (item: string) => `json_build_object('menuItemId', ${item}, 'quantity', 1)`;
  const lines = hot ? line(`'${HOT}'`) : `${line(`(${itemArray})[:a + 1]`)}, ${line(`(${itemArray})[:b + 1]`)}`;
  const script = [
    `\\set a random(0, ${ITEMS.length - 1})`,
    `\\set b random(0, ${ITEMS.length - 1})`,
    '\\set k random(1, 2000000000)',
    // Two round trips, as the service's pipelined connection sends them (src/core/db/database.ts):
    // BEGIN with the settings, who is calling and the key's claim; place_order with the key's
    // record, and COMMIT, then the order's announcement (the service coalesces those: one per
    // order is their most).
    `${begin.slice(0, -1)} \\; SELECT set_config('comanda.notify', 'after-commit', true) \\; SELECT p.kind, p."restaurantId", p."tokenId", p.role, p."sessionId", p."tableId", p.phone, ` +
      `(SELECT to_jsonb(c) || jsonb_build_object('scope', p."idempotencyScope") FROM restaurante.claim_idempotency_key(p."restaurantId", p."idempotencyScope", 'k-:client_id-:k') c) AS claim ` +
      `FROM restaurante.caller_of('${tokenHash}') p;`,
    `WITH work AS (SELECT jsonb_build_object('order', restaurante.place_order('${DEMO_RESTAURANT_ID}', '{"tableId":null,"source":"presencial","createdBy":"${actor}"}', json_build_array(${lines})::jsonb)) AS result), ` +
      `recorded AS (INSERT INTO restaurante.idempotency_keys ("restaurantId", scope, key, operation, fingerprint, "responseBody", "expiresAt") ` +
      `SELECT '${DEMO_RESTAURANT_ID}', 'staff:${raw.tokenId}', 'k-:client_id-:k', 'place_order', 'bench', result, now() + interval '24 hours' FROM work ON CONFLICT DO NOTHING) ` +
      `SELECT result FROM work \\; COMMIT \\; SELECT pg_notify('comanda_orders', '${DEMO_RESTAURANT_ID}');`,
  ].join('\n');
  if (!pgbenchPath) return { tps: NaN, tool: 'pgbench', missing: PGBENCH_MISSING };
  return { tps: await pgbench(raw.url, hot ? 'comanda-hot' : 'comanda', script, duration), tool: `pgbench (${POOL} clients)` };
}

async function minimalLimit(duration: number, hot: boolean): Promise<Limit> {
  if (!pgbenchPath) return { tps: NaN, tool: 'pgbench', missing: PGBENCH_MISSING };
  await raw.db.query(`
    DROP SCHEMA IF EXISTS minimal CASCADE;
    CREATE SCHEMA minimal;
    CREATE TABLE minimal.menu_items (LIKE restaurante.menu_items INCLUDING ALL);
    CREATE TABLE minimal.orders (LIKE restaurante.orders INCLUDING ALL);
    CREATE TABLE minimal.order_items (LIKE restaurante.order_items INCLUDING ALL);
    CREATE SEQUENCE minimal.order_number;
    INSERT INTO minimal.menu_items SELECT * FROM restaurante.menu_items;`);
  const take = (item: string, into: string) =>
    `UPDATE minimal.menu_items SET stock = stock - 1 WHERE id = ${item} AND stock >= 1 RETURNING price AS ${into} \\gset`;
  const order = (total: string) =>
    `INSERT INTO minimal.orders ("restaurantId", "orderNumber", source, "totalAmount") VALUES ('${DEMO_RESTAURANT_ID}', nextval('minimal.order_number')::text, 'presencial', ${total}) RETURNING id AS order_id \\gset`;
  const lineOf = (item: string, price: string) => `('${DEMO_RESTAURANT_ID}', ':order_id', ${item}, 1, ${price}, ${price})`;
  const insertLines = (values: string[]) =>
    `INSERT INTO minimal.order_items ("restaurantId", "orderId", "menuItemId", quantity, "unitPrice", "totalPrice") VALUES ${values.join(', ')};`;
  const first = `(${itemArray})[least(:a, :b) + 1]`;
  const second = `(${itemArray})[greatest(:a, :b) + 1]`;
  const script = hot
    ? ['BEGIN;', take(`'${HOT}'`, 'p1'), order(':p1'), insertLines([lineOf(`'${HOT}'`, ':p1')]), 'COMMIT;']
    : [
        `\\set a random(0, ${ITEMS.length - 1})`,
        `\\set b random(0, ${ITEMS.length - 1})`,
        'BEGIN;',
        take(first, 'p1'),
        take(second, 'p2'),
        order(':p1 + :p2'),
        insertLines([lineOf(first, ':p1'), lineOf(second, ':p2')]),
        'COMMIT;',
      ];
  return { tps: await pgbench(raw.url, hot ? 'minimal-hot' : 'minimal', script.join('\n'), duration), tool: `pgbench (${POOL} clients)` };
}

// ---------------------------------------------------------------------------------------------
const results: RunResult[] = [];
const before = await stockTaken(service.db);
const serverVersion = (await service.db.query<{ v: string }>('SELECT version() AS v')).rows[0]!.v.split(' on ')[0];
const warmUp = await run('warm-up', { duration: 3 });
results.push(await withCpu(() => paced('sustained 5/s', 5, seconds(60, 10))));
results.push(await withCpu(() => paced('peak 20/s', 20, seconds(30, 5))));
results.push(await withCpu(() => paced('steady 200/s', 200, Number(process.env.BENCH_STEADY_SECONDS ?? seconds(30, 10)))));
const max = await withCpu(() => run('maximum throughput', { duration: seconds(30, 10) }));
results.push(max);
const hot = await withCpu(() => run('hot item (all order one dish)', { duration: seconds(20, 10), hot: true }));
results.push(hot);
const after = await stockTaken(service.db);
const menu = await withCpu(() => run('cached menu GET', { duration: seconds(10, 5), menu: true }));
server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
await service.db.close();
const limits = {
  comanda: await comandaLimit(max.seconds, false),
  minimal: await minimalLimit(max.seconds, false),
  comandaHot: await comandaLimit(hot.seconds, true),
  minimalHot: await minimalLimit(hot.seconds, true),
};
await raw.db.close();

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
console.log(`\nComanda order benchmark${quick ? ' (--quick)' : ''}: pool ${POOL}, ${CONNECTIONS} connections, ${new Date().toISOString()}`);
console.log(`node ${process.version}, ${serverVersion}, ${cpus().length} CPUs, server + database + load generator on this machine\n`);
console.log('run                               s     req      req/s    p50 ms   p95 ms   p99 ms   answers');
for (const r of [...results, menu]) {
  const answers = Object.entries(r.byStatus)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  console.log(
    `${r.name.padEnd(32)} ${String(r.seconds).padStart(3)} ${String(r.requests).padStart(7)} ${fmt(r.rps).padStart(10)} ${fmt(r.p50).padStart(8)} ${fmt(r.p95).padStart(8)} ${fmt(r.p99).padStart(8)}   ${answers}`,
  );
}
const accepted201 = (r: RunResult) => (r.byStatus['201'] ?? 0) / r.seconds;
console.log(`\ndatabase limits, ${limits.comanda.tool}, same durations (orders/s):`);
console.log('run                               API    Comanda SQL   minimal SQL   API/Comanda   API/minimal');
for (const [r, comanda, minimal] of [
  [max, limits.comanda, limits.minimal],
  [hot, limits.comandaHot, limits.minimalHot],
] as const) {
  const api = accepted201(r);
  console.log(
    `${r.name.padEnd(32)} ${fmt(api).padStart(6)} ${fmt(comanda.tps).padStart(13)} ${fmt(minimal.tps).padStart(13)} ${fmt(api / comanda.tps, 2).padStart(13)} ${fmt(api / minimal.tps, 2).padStart(13)}`,
  );
}
if ('missing' in limits.minimal) console.log(`(database limits: ${limits.minimal.missing})`);
console.log(`\nCPU per answered request (ms): the service's process, PostgreSQL's processes, the load generator (${cpus().length} CPUs):`);
console.log('run                              service   PostgreSQL   generator');
for (const r of [...results, menu]) {
  if (!r.cpu) continue;
  console.log(`${r.name.padEnd(32)} ${fmt(r.cpu.service, 2).padStart(8)} ${fmt(r.cpu.postgres, 2).padStart(12)} ${fmt(r.cpu.generator, 2).padStart(11)}`);
}

// Orders still in flight when a run's clock stops are committed but their answers are not
// counted by the load generator: the database's accepted quantities are the reference, and the
// 201s seen by the client may fall short of them by at most the requests in flight.
const answered = [warmUp, ...results].reduce((sum, r) => sum + r.units, 0);
const accepted = after.ordered - before.ordered;
const taken = after.taken - before.taken;
const ledger = after.ledger - before.ledger;
const inFlight = accepted - answered;
console.log(
  `\ninvariant: initial − final stock = ${taken}; quantities of accepted orders = ${accepted}; ledger = ${ledger}` +
    ` (answered 201 before the clock stopped: ${answered}; in flight at the cut-offs: ${inFlight})`,
);
const fiveHundreds = results.reduce((sum, r) => sum + Object.entries(r.byStatus).filter(([k]) => k.startsWith('5')).reduce((s, [, v]) => s + v, 0), 0);
const phases5xx = results
  .slice(0, 2)
  .reduce((sum, r) => sum + Object.entries(r.byStatus).filter(([k]) => k.startsWith('5')).reduce((s, [, v]) => s + v, 0), 0);
const okInvariant = taken === ledger && taken === accepted && inFlight >= 0 && inFlight <= (results.length + 1) * CONNECTIONS * 2;
console.log(`5xx answers: ${fiveHundreds} (service phases: ${phases5xx})`);
console.log(`invariant ${okInvariant ? 'holds' : 'BROKEN'}`);
await cluster.stop();
if (keep) console.log(`kept ${root} (postgres.log inside)`);
else await rm(root, { recursive: true, force: true });
process.exit(okInvariant && phases5xx === 0 ? 0 : 1);
