// GET /metrics end to end on the file's own PostgreSQL database: the Prometheus text format
// (checked by Debian's promtool), the six database metrics of docs/metrics.md and every toolkit check as a
// gauge, counters that move with real orders through the API, bounded labels, METRICS_TOKEN, and
// a collector that keeps scrapes off the database.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { allChecks } from '../src/core/checks/registry.js';
import { Database } from '../src/core/db/database.js';
import { loadMigrations } from '../src/core/migrations/runner.js';
import { ComandaMetrics } from '../src/core/metrics/metrics.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { build } from '../src/http/app.js';
import { TEST_SECRET, useTestApp } from './helpers/app.js';
import { expectProblem } from './helpers/problems.js';
import { itWith, promtoolTool } from './helpers/tools.js';

const t = await useTestApp();

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text exposition's samples (names, labels, values); comments are skipped. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

async function scrape(app = t.app, headers: Record<string, string> = {}): Promise<{ text: string; samples: Sample[] }> {
  const res = await app.inject({ method: 'GET', url: '/metrics', headers });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return { text: res.body, samples: parse(res.body) };
}

/** The value of one series (labels must match exactly those given, among others); undefined when absent. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} series`);
  return found[0]?.value;
}

async function current(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  return valueOf((await scrape()).samples, name, labels);
}

function promtool(args: string[], stdin?: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(stdin ?? '');
  });
}

async function order(token: string, items: Array<{ menuItemId: string; quantity: number }>, key?: string) {
  return t.app.inject({
    method: 'POST',
    url: '/api/orders',
    headers: { ...t.auth(token), ...(key ? { 'idempotency-key': key } : {}) },
    payload: { items },
  });
}

describe('GET /metrics', () => {
  itWith([promtoolTool()], 'is valid Prometheus text (promtool check metrics) with the six database metrics and every check', async () => {
    // The first scrape starts the collector; wait for all of it here (the checks may take seconds).
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    await t.app.metrics.refresh();
    const { text, samples } = await scrape();
    const checked = await promtool(['check', 'metrics'], text);
    expect(checked.output).toBe('');
    expect(checked.code).toBe(0);

    // The six database metrics of docs/metrics.md, in base units.
    const utilization = valueOf(samples, 'comanda_db_connection_utilization_ratio')!;
    expect(utilization).toBeGreaterThan(0);
    expect(utilization).toBeLessThanOrEqual(1);
    expect(valueOf(samples, 'comanda_db_connections')).toBeGreaterThanOrEqual(1);
    expect(utilization).toBeCloseTo(valueOf(samples, 'comanda_db_connections')! / valueOf(samples, 'comanda_db_max_connections')!, 6);
    const dead = valueOf(samples, 'comanda_db_dead_tuple_ratio')!;
    expect(dead).toBeGreaterThanOrEqual(0);
    expect(dead).toBeLessThan(1);
    // The test server is a primary without standbys: caught up, so 0 (not a growing clock).
    expect(valueOf(samples, 'comanda_db_replication_lag_seconds')).toBe(0);
    expect(valueOf(samples, 'comanda_db_replication_lag_bytes')).toBe(0);
    expect(valueOf(samples, 'comanda_db_in_recovery')).toBe(0);
    const hit = valueOf(samples, 'comanda_db_cache_hit_ratio')!;
    expect(hit).toBeGreaterThan(0);
    expect(hit).toBeLessThanOrEqual(1);
    expect(valueOf(samples, 'comanda_db_transactions_rolled_back_total')).toBeGreaterThanOrEqual(0);
    expect(valueOf(samples, 'comanda_db_transactions_committed_total')).toBeGreaterThan(0);
    expect(valueOf(samples, 'comanda_db_up')).toBe(1);
    expect(valueOf(samples, 'comanda_metrics_collector_success', { collector: 'database' })).toBe(1);
    expect(valueOf(samples, 'comanda_metrics_collector_success', { collector: 'checks' })).toBe(1);

    // Every toolkit check, 0 ok … 3 unknown.
    for (const check of allChecks) {
      const status = valueOf(samples, 'comanda_check_status', { check: check.name });
      expect([0, 1, 2, 3], check.name).toContain(status);
    }
    expect(samples.filter((s) => s.name === 'comanda_check_status')).toHaveLength(allChecks.length);

    // This instance's pool, read from the pool itself.
    expect(valueOf(samples, 'comanda_db_pool_max')).toBe(20);
    for (const state of ['in_use', 'idle', 'waiting']) {
      expect(valueOf(samples, 'comanda_db_pool_connections', { state })).toBeGreaterThanOrEqual(0);
    }
  });

  it('reports the mean query time from pg_stat_statements, and leaves it out where the extension is missing', async () => {
    await t.db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await t.app.metrics.refresh();
    let samples = (await scrape()).samples;
    expect(valueOf(samples, 'comanda_db_pg_stat_statements_available')).toBe(1);
    expect(valueOf(samples, 'comanda_db_query_mean_seconds')).toBeGreaterThanOrEqual(0);

    await t.db.query('DROP EXTENSION pg_stat_statements');
    await t.app.metrics.refresh();
    samples = (await scrape()).samples;
    expect(valueOf(samples, 'comanda_db_pg_stat_statements_available')).toBe(0);
    expect(valueOf(samples, 'comanda_db_query_mean_seconds')).toBeUndefined();
    // The rest is still collected.
    expect(valueOf(samples, 'comanda_db_up')).toBe(1);
  });

  it('counts orders created, rejected by reason, stock conflicts and idempotent replays from real requests', async () => {
    const before = (await scrape()).samples;
    const count = (samples: Sample[], name: string, labels: Record<string, string> = {}) => valueOf(samples, name, labels) ?? 0;
    const guest = await t.guest('table_03');

    expect((await order(guest, [{ menuItemId: 'item_patatas_bravas', quantity: 1 }])).statusCode).toBe(201);
    const key = randomUUID();
    expect((await order(guest, [{ menuItemId: 'item_pan_tomate', quantity: 1 }], key)).statusCode).toBe(201);
    const replay = await order(guest, [{ menuItemId: 'item_pan_tomate', quantity: 1 }], key);
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expectProblem(await order(guest, [{ menuItemId: 'item_patatas_bravas', quantity: 100 }]), 409, 'OUT_OF_STOCK');
    expectProblem(await order(guest, [{ menuItemId: 'item_no_such_dish', quantity: 1 }]), 422, 'UNKNOWN_MENU_ITEM');
    expectProblem(await order('not-a-token', [{ menuItemId: 'item_pan_tomate', quantity: 1 }]), 401, 'UNAUTHENTICATED');

    const after = (await scrape()).samples;
    const delta = (name: string, labels: Record<string, string> = {}) => count(after, name, labels) - count(before, name, labels);
    expect(delta('comanda_orders_created_total')).toBe(2);
    expect(delta('comanda_idempotent_replays_total', { route: '/api/orders' })).toBe(1);
    expect(delta('comanda_orders_rejected_total', { reason: 'OUT_OF_STOCK' })).toBe(1);
    expect(delta('comanda_orders_rejected_total', { reason: 'UNKNOWN_MENU_ITEM' })).toBe(1);
    expect(delta('comanda_orders_rejected_total', { reason: 'UNAUTHENTICATED' })).toBe(1);
    expect(delta('comanda_stock_conflicts_total')).toBe(1);
    const http = { method: 'POST', route: '/api/orders' };
    expect(delta('comanda_http_request_duration_seconds_count', { ...http, status_code: '201' })).toBe(3);
    expect(delta('comanda_http_request_duration_seconds_count', { ...http, status_code: '409' })).toBe(1);
    expect(delta('comanda_http_request_duration_seconds_count', { ...http, status_code: '422' })).toBe(1);
    // Every observation falls in the +Inf bucket.
    expect(count(after, 'comanda_http_request_duration_seconds_bucket', { ...http, status_code: '201', le: '+Inf' })).toBe(
      count(after, 'comanda_http_request_duration_seconds_count', { ...http, status_code: '201' }),
    );
  });

  it('keeps labels low-cardinality: route patterns, never ids or raw URLs', async () => {
    const staff = t.auth(t.staff.admin);
    const ids = Array.from({ length: 15 }, () => `ord_${randomUUID()}`);
    for (const id of ids) expect((await t.app.inject({ method: 'GET', url: `/api/orders/${id}`, headers: staff })).statusCode).toBe(404);
    for (const id of ids.slice(0, 5)) expect((await t.app.inject({ method: 'GET', url: `/nowhere/${id}?q=${id}` })).statusCode).toBe(404);
    await t.app.inject({ method: 'GET', url: `/api/menu?restaurantId=${DEMO_RESTAURANT_ID}` });

    const { text, samples } = await scrape();
    for (const id of ids) expect(text).not.toContain(id);
    expect(text).not.toContain(DEMO_RESTAURANT_ID);
    const http = samples.filter((s) => s.name === 'comanda_http_request_duration_seconds_count');
    const routes = new Set(http.map((s) => s.labels.route));
    expect(routes).toContain('/api/orders/:id');
    expect(routes).toContain('unmatched');
    expect(routes).toContain('/api/menu');
    // 15 different order ids are one series; 5 unknown URLs are one more.
    expect(valueOf(samples, 'comanda_http_request_duration_seconds_count', { method: 'GET', route: '/api/orders/:id', status_code: '404' })).toBe(15);
    expect(valueOf(samples, 'comanda_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status_code: '404' })).toBe(5);
    // No label anywhere carries a value that looks like an id, a query string or free text.
    for (const s of samples.filter((x) => x.name.startsWith('comanda_'))) {
      for (const [name, value] of Object.entries(s.labels)) {
        // mode: a lock mode; table, kind: a table of restaurante and vacuum/analyze (bounded by the schema).
        expect(['method', 'route', 'status_code', 'le', 'reason', 'state', 'status', 'check', 'collector', 'mode', 'table', 'kind'], `${s.name} label ${name}`).toContain(name);
        expect(value, `${s.name}{${name}}`).toMatch(/^[A-Za-z0-9_:/.+-]{1,64}$/);
        expect(value).not.toContain('?');
      }
    }
    const series = new Set(samples.filter((s) => s.name.startsWith('comanda_')).map((s) => `${s.name}${JSON.stringify(s.labels)}`));
    expect(series.size).toBeLessThan(500);
  });

  it('reads the e-mail outbox and the age of the last verified backup from the database', async () => {
    await t.app.metrics.refresh();
    let samples = (await scrape()).samples;
    const pending = valueOf(samples, 'comanda_email_outbox', { status: 'pending' })!;
    const failed = valueOf(samples, 'comanda_email_outbox', { status: 'failed' })!;
    expect(pending).toBeGreaterThanOrEqual(0);
    // No verified backup yet: absent, not 0 (which would read as "just verified").
    expect(valueOf(samples, 'comanda_backup_last_verified_age_seconds')).toBeUndefined();

    const mail = (status: string, retries: number) =>
      t.db.query(
        `INSERT INTO restaurante.email_logs ("restaurantId", email_type, recipient_email, status, retry_count, message_id, created_at)
         VALUES ($1, 'alert', 'ops@example.com', $2, $3, $4, now() - interval '10 minutes')`,
        [DEMO_RESTAURANT_ID, status, retries, `<${randomUUID()}@test>`],
      );
    await mail('failed', 3);
    await mail('failed', 3);
    await mail('pending', 1);
    // The comanda.backups table of migration 0008, made here with the columns used if this tree lacks it.
    await t.db.query(`CREATE SCHEMA IF NOT EXISTS comanda`);
    await t.db.query(
      `CREATE TABLE IF NOT EXISTS comanda.backups (id bigserial PRIMARY KEY, file text NOT NULL, created_at timestamptz NOT NULL,
         size_bytes bigint NOT NULL, sha256 text NOT NULL, verified_at timestamptz)`,
    );
    const backup = (file: string, verifiedAgo: string | null) =>
      t.db.query(
        `INSERT INTO comanda.backups (file, created_at, size_bytes, sha256, verified_at)
         VALUES ($1, now() - interval '3 hours', 1024, repeat('a', 64), now() - $2::interval)`,
        [file, verifiedAgo],
      );
    await backup('/backups/unverified.dump', null);
    await t.app.metrics.refresh();
    expect(valueOf((await scrape()).samples, 'comanda_backup_last_verified_age_seconds')).toBeUndefined();
    await backup('/backups/old.dump', '30 hours');
    await backup('/backups/new.dump', '2 hours');

    await t.app.metrics.refresh();
    samples = (await scrape()).samples;
    expect(valueOf(samples, 'comanda_email_outbox', { status: 'failed' })).toBe(failed + 2);
    expect(valueOf(samples, 'comanda_email_outbox', { status: 'pending' })).toBe(pending + 1);
    expect(valueOf(samples, 'comanda_email_outbox_retrying')).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, 'comanda_email_outbox_oldest_pending_seconds')).toBeGreaterThanOrEqual(600);
    const age = valueOf(samples, 'comanda_backup_last_verified_age_seconds')!;
    expect(age).toBeGreaterThanOrEqual(7200);
    expect(age).toBeLessThan(7200 + 600);
    await t.db.query(`DELETE FROM comanda.backups WHERE file LIKE '/backups/%'`);
    await t.db.query(`DELETE FROM restaurante.email_logs WHERE recipient_email = 'ops@example.com'`);
  });

  it('mirrors rolled-back transactions from pg_stat_database', async () => {
    await t.app.metrics.refresh();
    const before = (await current('comanda_db_transactions_rolled_back_total'))!;
    for (let i = 0; i < 3; i++) {
      await t.db.transaction(() => Promise.reject(new Error('roll back')), {}).catch(() => undefined);
    }
    // The server publishes a backend's statistics within about a second.
    const deadline = Date.now() + 15_000;
    let after = before;
    while (after < before + 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      await t.app.metrics.refresh();
      after = (await current('comanda_db_transactions_rolled_back_total'))!;
    }
    expect(after).toBeGreaterThanOrEqual(before + 3);
  });

  it('grades the checks with the thresholds given (COMANDA_CHECKS_FILE)', async () => {
    const connections = allChecks.find((c) => c.name === 'connections')!;
    const strict = new ComandaMetrics(t.db, { thresholds: { connections: { warning: 0, critical: 0 } } }, [connections]);
    const lenient = new ComandaMetrics(t.db, { thresholds: { connections: { warning: 100, critical: 100 } } }, [connections]);
    try {
      await Promise.all([strict.refresh(), lenient.refresh()]);
      // Any connection at all is over 0 % (critical); none can be over 100 %.
      expect(valueOf(parse(await strict.render()), 'comanda_check_status', { check: 'connections' })).toBe(2);
      expect(valueOf(parse(await lenient.render()), 'comanda_check_status', { check: 'connections' })).toBe(0);
    } finally {
      await Promise.all([strict.stop(), lenient.stop()]);
    }
  });

  it('counts long queries and idle transactions past the checks\' thresholds, not constants of its own', async () => {
    const idle = new Database({ connectionString: t.url, poolSize: 2 });
    const metrics = new ComandaMetrics(t.db, { thresholds: { 'long-queries': { warning: 1 }, 'idle-in-transaction': { warning: 1 } } }, []);
    const defaults = new ComandaMetrics(t.db, {}, []);
    const slow = idle.query('SELECT pg_sleep(4)');
    const open = await idle.pool.connect();
    try {
      await open.query('BEGIN');
      await open.query('SELECT 1');
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await Promise.all([metrics.refresh(), defaults.refresh()]);
      const samples = parse(await metrics.render());
      expect(valueOf(samples, 'comanda_db_long_running_queries')).toBeGreaterThanOrEqual(1);
      expect(valueOf(samples, 'comanda_db_idle_in_transaction_sessions')).toBeGreaterThanOrEqual(1);
      // With the defaults (30 s, 5 min) neither counts yet.
      const plain = parse(await defaults.render());
      expect(valueOf(plain, 'comanda_db_long_running_queries')).toBe(0);
      expect(valueOf(plain, 'comanda_db_idle_in_transaction_sessions')).toBe(0);
    } finally {
      await open.query('ROLLBACK');
      open.release();
      await slow;
      await Promise.all([metrics.stop(), defaults.stop()]);
      await idle.close();
    }
  });

  it('collects on its timer, so values change without a refresh', async () => {
    const metrics = new ComandaMetrics(t.db, { collectIntervalSeconds: 1, checksIntervalSeconds: 3600 }, []);
    try {
      await metrics.start();
      const read = async () => valueOf(parse(await metrics.render()), 'comanda_email_outbox', { status: 'failed' })!;
      const before = await read();
      await t.db.query(
        `INSERT INTO restaurante.email_logs ("restaurantId", email_type, recipient_email, status, message_id)
         VALUES ($1, 'alert', 'timer@example.com', 'failed', $2)`,
        [DEMO_RESTAURANT_ID, `<${randomUUID()}@test>`],
      );
      const deadline = Date.now() + 10_000;
      let after = before;
      while (after === before && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        after = await read();
      }
      expect(after).toBe(before + 1);
    } finally {
      await metrics.stop();
      await t.db.query(`DELETE FROM restaurante.email_logs WHERE recipient_email = 'timer@example.com'`);
    }
  });

  it('serves scrapes from the cache: rendering needs no database, and a database that is down reads as comanda_db_up 0', async () => {
    const own = new Database({ connectionString: t.url, poolSize: 2 });
    const metrics = new ComandaMetrics(own, { collectIntervalSeconds: 3600, checksIntervalSeconds: 3600 }, allChecks.slice(0, 2));
    await metrics.start();
    await metrics.stop();
    await own.close();
    // The pool is closed: a scrape that touched the database would fail.
    const cached = parse(await metrics.render());
    expect(valueOf(cached, 'comanda_db_up')).toBe(1);
    expect(valueOf(cached, 'comanda_db_connection_utilization_ratio')).toBeGreaterThan(0);

    const nowhere = new Database({ connectionString: 'postgres://comanda@127.0.0.1:1/comanda', connectTimeoutMs: 1_000 });
    const failures: string[] = [];
    const down = new ComandaMetrics(nowhere, { onCollectError: (collector) => failures.push(collector) }, allChecks.slice(0, 1));
    try {
      await down.refresh();
      const samples = parse(await down.render());
      expect(valueOf(samples, 'comanda_db_up')).toBe(0);
      expect(valueOf(samples, 'comanda_metrics_collector_success', { collector: 'database' })).toBe(0);
      // No stale or made-up values for the database.
      expect(valueOf(samples, 'comanda_db_connection_utilization_ratio')).toBeUndefined();
      expect(valueOf(samples, 'comanda_db_transactions_rolled_back_total')).toBeUndefined();
      expect(valueOf(samples, 'comanda_check_status', { check: allChecks[0]!.name })).toBe(3);
      expect(down.lastError?.collector).toBe('database');
      // Told to the service (which logs it), without the connection URL.
      expect(failures).toEqual(['database']);
      expect(down.lastError?.message).not.toContain('postgres://');
    } finally {
      await down.stop();
      await nowhere.close();
    }
  });
});

// The same service with METRICS_TOKEN set, over the same database.
const token = `metrics-${randomUUID()}`;
const secured = await build({
  db: t.db,
  secret: TEST_SECRET,
  expectedMigrations: (await loadMigrations()).map((m) => m.version),
  logLevel: 'silent',
  metrics: { token, collectIntervalSeconds: 3600, checksIntervalSeconds: 3600 },
});
afterAll(() => secured.close());

describe('METRICS_TOKEN', () => {
  it('is required as a bearer token when set, compared in full', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-of-some-length' }, { authorization: `Bearer ${token}x` }, { authorization: token }, { authorization: `Basic ${token}` }]) {
      const res = await secured.inject({ method: 'GET', url: '/metrics', headers });
      const problem = expectProblem(res, 401, 'UNAUTHENTICATED');
      expect(problem.detail).toMatch(/METRICS_TOKEN/);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      expect(res.body).not.toContain(token);
    }
    const { samples } = await scrape(secured, { authorization: `Bearer ${token}` });
    expect(valueOf(samples, 'comanda_db_up')).toBe(1);
    // The open app of this file needs none, and a staff token is no metrics token.
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    expectProblem(await secured.inject({ method: 'GET', url: '/metrics', headers: t.auth(t.staff.admin) }), 401, 'UNAUTHENTICATED');
  });

  it('is not part of the OpenAPI document', async () => {
    const doc = (await secured.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).not.toContain('/metrics');
    expect(Object.keys(doc.paths)).toContain('/api/orders');
  });
});
