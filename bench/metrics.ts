// npm run bench:metrics [-- --scrapes N]
//
// How long a Prometheus scrape of Comanda's GET /metrics takes, next to Debian's
// prometheus-postgres-exporter on the same database. Starts a PostgreSQL cluster of its own with
// the demo restaurant and some orders, runs Comanda in a process of its own (as in production) and
// the exporter on a free port with DATA_SOURCE_NAME pointing at the same database, then scrapes
// each /metrics N times (default 200) one after another, body read in full, and prints p50, p99,
// max and the body size. Comanda serves cached values (its collector reads the database every
// METRICS_COLLECT_INTERVAL_SECONDS); the exporter queries the database on every scrape.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { createStaffToken } from '../src/core/auth/staff-tokens.js';
import { freePort, startEmbeddedPostgres } from '../src/embedded/postgres.js';
import { demoDatabase } from './setup.js';

const argIndex = process.argv.indexOf('--scrapes');
const SCRAPES = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 200;
const EXPORTER = '/usr/bin/prometheus-postgres-exporter';
const TOKEN = randomBytes(24).toString('hex');

const root = await mkdtemp(path.join(tmpdir(), 'comanda-bench-metrics-'));
await chmod(root, 0o711);
const cluster = await startEmbeddedPostgres({
  clusterDir: path.join(root, 'cluster'),
  password: randomBytes(12).toString('hex'),
  logFile: path.join(root, 'postgres.log'),
});
const children: ChildProcess[] = [];
const cleanup = async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await cluster.stop().catch(() => undefined);
  await rm(root, { recursive: true, force: true });
};

try {
  // The database: migrated, the demo restaurant, pg_stat_statements, a few hundred orders.
  const { url: databaseUrl, db } = await demoDatabase(cluster.adminUrl, 'comanda_bench', 4);
  await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const { token: staff } = await createStaffToken(db, { restaurantId: 'rest_enigma_001', role: 'waiter', label: 'bench' });
  await db.close();

  const port = await freePort();
  const comanda = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      COMANDA_SECRET: randomBytes(32).toString('hex'),
      PORT: String(port),
      LOG_LEVEL: 'warn',
      EMAIL_WORKER: 'false',
      METRICS_TOKEN: TOKEN,
      RATE_LIMIT_ORDERS_PER_MINUTE: '1000000',
      RATE_LIMIT_ORDERS_PER_IP_PER_MINUTE: '1000000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(comanda);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/readyz`, comanda, 'Comanda');
  for (let i = 0; i < 300; i++) {
    const res = await request(`${base}/api/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${staff}`, 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ menuItemId: i % 7 === 0 ? 'item_no_such_dish' : 'item_pan_tomate', quantity: 1 }] }),
    });
    await res.body.dump();
  }

  if (!existsSync(EXPORTER)) throw new Error(`${EXPORTER} is missing: apt-get install prometheus-postgres-exporter`);
  const exporterPort = await freePort();
  const dsn = new URL(databaseUrl);
  dsn.searchParams.set('sslmode', 'disable');
  const exporter = spawn(EXPORTER, [`--web.listen-address=127.0.0.1:${exporterPort}`], {
    env: { ...process.env, DATA_SOURCE_NAME: dsn.toString() },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  children.push(exporter);
  await waitFor(`http://127.0.0.1:${exporterPort}/metrics`, exporter, 'prometheus-postgres-exporter');

  // The first scrape starts Comanda's collector; measure the steady state, once its first
  // database collection and check run are done (they repeat every 15 s / 60 s in the background).
  for (let waited = 0; ; waited += 200) {
    const res = await request(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await res.body.text();
    if (text.includes('comanda_metrics_collector_success{collector="checks"} 1')) break;
    if (waited > 60_000) throw new Error('the checks never completed');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const comandaResult = await scrapeMany('comanda /metrics', `${base}/metrics`, { authorization: `Bearer ${TOKEN}` });
  const exporterResult = await scrapeMany('prometheus-postgres-exporter', `http://127.0.0.1:${exporterPort}/metrics`, {});

  console.log(`\n/metrics scrape latency, ${SCRAPES} sequential scrapes each (after 20 warm-up), same database`);
  console.log('target                           p50 ms   p99 ms   max ms   body KiB   series');
  for (const r of [comandaResult, exporterResult]) {
    console.log(
      `${r.name.padEnd(32)}${r.p50.toFixed(2).padStart(7)}${r.p99.toFixed(2).padStart(9)}${r.max.toFixed(2).padStart(9)}` +
        `${(r.bytes / 1024).toFixed(1).padStart(11)}${String(r.series).padStart(9)}`,
    );
  }
  const goal = comandaResult.p99 < 20;
  console.log(`\ngoal: a scrape under 20 ms → comanda p99 ${comandaResult.p99.toFixed(2)} ms: ${goal ? 'met' : 'NOT met'}`);
  await cleanup();
  process.exit(goal ? 0 : 1);
} catch (err) {
  console.error(err);
  await cleanup();
  process.exit(1);
}

async function waitFor(target: string, child: ChildProcess, name: string): Promise<void> {
  for (let waited = 0; ; waited += 100) {
    const ok = await request(target).then(
      async (r) => {
        await r.body.dump();
        return r.statusCode === 200 || r.statusCode === 401;
      },
      () => false,
    );
    if (ok) return;
    if (waited > 30_000 || child.exitCode !== null) throw new Error(`${name} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface ScrapeResult {
  name: string;
  p50: number;
  p99: number;
  max: number;
  bytes: number;
  series: number;
}

async function scrapeMany(name: string, target: string, headers: Record<string, string>): Promise<ScrapeResult> {
  const once = async () => {
    const started = performance.now();
    const res = await request(target, { headers });
    const body = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${name}: ${res.statusCode}`);
    return { ms: performance.now() - started, body };
  };
  for (let i = 0; i < 20; i++) await once();
  const times: number[] = [];
  let last = '';
  for (let i = 0; i < SCRAPES; i++) {
    const { ms, body } = await once();
    times.push(ms);
    last = body;
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]!;
  return {
    name,
    p50: at(50),
    p99: at(99),
    max: times[times.length - 1]!,
    bytes: Buffer.byteLength(last),
    series: last.split('\n').filter((l) => l && !l.startsWith('#')).length,
  };
}
