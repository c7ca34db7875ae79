// `comanda chaos`: each scenario against a service of its own (listening on a port, reaching its
// database through the fault proxy) on an embedded cluster of its own (a restart and a full
// server are server-wide), with real orders over HTTP; every run must keep the invariants
// (0 acknowledged orders lost, 0 duplicates, 0 oversold, stock = ledger) and recover. Plus: an
// unmarked database is refused, and the CLI drives the proxy through its control API.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffToken } from '../src/core/auth/staff-tokens.js';
import { formatReport, runChaos, type ChaosOptions, type ChaosReport, type Scenario } from '../src/core/chaos/index.js';
import { startFaultProxy, startProxyControl, type FaultProxy } from '../src/core/chaos/proxy.js';
import { Database } from '../src/core/db/database.js';
import { loadMigrations, MigrationRunner } from '../src/core/migrations/runner.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/embedded/postgres.js';
import { build, defaultOrderingSettings } from '../src/http/app.js';
import { runCli } from './helpers/cli.js';
import { createDatabase, dropDatabase } from './helpers/db.js';

const root = await mkdtemp(path.join(tmpdir(), 'comanda-chaos-'));
await chmod(root, 0o711);
const password = randomBytes(12).toString('hex');
let cluster: EmbeddedPostgres;
let port: number | undefined;
let proxy: FaultProxy;
let db: Database;
let app: FastifyInstance;
let target: string;
let token: string;
const dishes = ['item_patatas_bravas', 'item_croquetas_jamon'];
const SCARCE = 12; // the first dish sells out during a run: refusals, never overselling

const start = () =>
  startEmbeddedPostgres({
    clusterDir: path.join(root, 'cluster'),
    password,
    preferredPort: port,
    logFile: path.join(root, 'pg.log'),
    settings: { max_connections: '40', fsync: 'off', synchronous_commit: 'off' },
  });

const query = async (sql: string, params: unknown[] = []) => {
  const c = new pg.Client({ connectionString: cluster.url });
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end();
  }
};

beforeAll(async () => {
  cluster = await start();
  port = cluster.port;
  await new MigrationRunner({ connectionString: cluster.url }).up();
  await query(`ALTER DATABASE ${new URL(cluster.url).pathname.slice(1)} SET comanda.environment = 'test'`);
  proxy = await startFaultProxy({ upstreamHost: '127.0.0.1', upstreamPort: cluster.port });
  const viaProxy = new URL(cluster.url);
  viaProxy.port = String(proxy.port);
  db = new Database({ connectionString: viaProxy.toString(), poolSize: 6, minConnections: 6, connectTimeoutMs: 1_000, lockTimeoutMs: 500, statementTimeoutMs: 2_000 });
  await seedDemo(db);
  token = (await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'admin' })).token;
  app = await build({
    db,
    secret: 'chaos-secret-0123456789abcdefghijklmnopqrst',
    expectedMigrations: (await loadMigrations()).map((m) => m.version),
    logLevel: 'silent',
    ordering: { ...defaultOrderingSettings, rateLimits: { qrScansPerMinute: 30, ordersPerMinute: 100_000, ordersPerIpPerMinute: 100_000 } },
  });
  target = await app.listen({ port: 0, host: '127.0.0.1' });
}, 90_000);

afterAll(async () => {
  await app?.close();
  await db?.close().catch(() => undefined);
  await proxy?.close();
  await cluster?.stop();
  await rm(root, { recursive: true, force: true });
});

const reports: ChaosReport[] = [];
async function rehearse(scenario: Scenario, extra: Partial<ChaosOptions> = {}): Promise<ChaosReport> {
  await query(`UPDATE restaurante.menu_items SET stock = CASE id WHEN $1 THEN ${SCARCE} ELSE 1000 END WHERE id = ANY($2)`, [dishes[0], dishes]);
  const report = await runChaos({
    scenario,
    target,
    token,
    databaseUrl: cluster.url,
    durationMs: 6_000,
    faultMs: 2_500,
    rate: 10,
    dishes,
    proxy: { inject: (f) => Promise.resolve(proxy.inject(f)), heal: () => Promise.resolve(proxy.heal()) },
    ...extra,
  });
  reports.push(report);
  console.log(formatReport(report));
  return report;
}

function expectInvariants(report: ChaosReport) {
  expect(report.problems).toEqual([]);
  expect(report.invariants).toEqual({ acknowledgedLost: 0, duplicates: 0, oversoldUnits: 0, stockLedgerMismatches: 0 });
  expect(report.recoveryMs).not.toBeNull();
  expect(report.load.acknowledged).toBeGreaterThan(10);
  // The scarce dish sold out: refused (409 OUT_OF_STOCK), and never one unit more than it had.
  expect(Object.keys(report.load.byStatus).some((k) => k.includes('OUT_OF_STOCK'))).toBe(true);
  expect(report.ok).toBe(true);
}

describe('chaos scenarios keep the invariants', () => {
  it('db-restart: the server restarts under load', async () => {
    const report = await rehearse('db-restart', {
      restart: async () => {
        await cluster.stop();
        // Down for a second, as a real restart is: a 100 ms one can fall between two orders.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        cluster = await start();
      },
    });
    expectInvariants(report);
    expect(report.load.retries).toBeGreaterThan(0); // the outage was felt, and retried through
  }, 60_000);

  it('connection-exhaustion: every free slot held', async () => {
    const report = await rehearse('connection-exhaustion');
    expectInvariants(report);
  }, 60_000);

  it('lock-storm: hot dishes locked', async () => {
    const report = await rehearse('lock-storm');
    expectInvariants(report);
    expect(Object.keys(report.load.byStatus).some((k) => k.startsWith('503'))).toBe(true); // requests gave up on locks, quickly
  }, 60_000);

  it('slow-network: 300 ms each way between the service and its database', async () => {
    const report = await rehearse('slow-network', { latencyMs: 300 });
    expectInvariants(report);
  }, 60_000);

  it('network-cut, driven by the CLI through the proxy control API', async () => {
    await query(`UPDATE restaurante.menu_items SET stock = CASE id WHEN $1 THEN ${SCARCE} ELSE 1000 END WHERE id = ANY($2)`, [dishes[0], dishes]);
    const control = await startProxyControl(proxy);
    try {
      const run = await runCli(
        ['chaos', 'network-cut', '--target', target, '--proxy', control.url, '--duration', '6s', '--fault', '2500ms', '--rate', '10', '--dish', ...dishes, '--json'],
        { DATABASE_URL: cluster.url, DATABASE_DIRECT_URL: undefined, COMANDA_CHAOS_TOKEN: token },
      );
      const report = JSON.parse(run.stdout) as ChaosReport;
      reports.push(report);
      console.log(formatReport(report));
      expectInvariants(report);
      expect(report.load.byStatus['no answer'] ?? 0).toBe(0); // the service answered (503) rather than hang
      expect(run.status).toBe(0);
      expect(proxy.state().fault).toBeNull(); // healed
    } finally {
      await control.close();
    }
  }, 60_000);
});

describe('chaos refuses what is not a test environment', () => {
  it('an unmarked database: refused before any load, exit 2', async () => {
    const { name, url } = await createDatabase();
    try {
      await expect(runChaos({ scenario: 'lock-storm', target, token, databaseUrl: url })).rejects.toThrow(/not marked as a test environment.*comanda\.environment = 'staging'/);
      const run = await runCli(['chaos', 'lock-storm', '--target', target], { DATABASE_URL: url, DATABASE_DIRECT_URL: undefined, COMANDA_CHAOS_TOKEN: token });
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/refused: the target's database is not marked/);
    } finally {
      await dropDatabase(name);
    }
  });

  it('the proxy control API refuses a fault without a duration', async () => {
    const control = await startProxyControl(proxy);
    try {
      const res = await fetch(`${control.url}/fault`, { method: 'POST', body: JSON.stringify({ cut: true }) });
      expect(res.status).toBe(400);
      expect(proxy.state().fault).toBeNull();
    } finally {
      await control.close();
    }
  });
});
