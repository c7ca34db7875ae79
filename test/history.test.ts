// The history Comanda keeps (migration 0018), on the file's own database: deltas of
// pg_stat_statements between captures, counters that reset, one capture at a time under real
// concurrency, sizes and their growth, check statuses, retention and the size bound, and the CLI.
import { beforeAll, describe, expect, it } from 'vitest';
import { connections } from '../src/core/checks/sessions.js';
import { deadTuples } from '../src/core/checks/tables.js';
import { Database } from '../src/core/db/database.js';
import {
  captureHistory, checkTimeline, delta, historyCost, historyStatementSeries, historyTopStatements, historyWindow, prune, spaceGrowth, type HistoryOptions,
} from '../src/core/history/index.js';
import { runCli } from './helpers/cli.js';
import { useClients } from './helpers/clients.js';
import { useTestDatabase } from './helpers/db.js';

const { db, url } = await useTestDatabase();
const client = useClients(url);
const options: HistoryOptions = { intervalMinutes: 0, retentionDays: 14, maxMb: 256, maxStatements: 200, sizesEveryMinutes: 0, checks: [connections, deadTuples] };
const captured = async (o: Partial<HistoryOptions> = {}) => {
  const r = await captureHistory(db, { ...options, ...o });
  if (!r.captured) throw new Error(`not captured: ${r.reason}`);
  return r;
};
const DAY = 86_400_000;

beforeAll(async () => {
  await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await db.query('SELECT pg_stat_statements_reset()');
});

describe('history captures', () => {
  it('stores what each statement did between two captures, sizes and check statuses', async () => {
    const first = await captured();
    expect(first).toMatchObject({ baseline: true, statements: 0, checks: 2 });
    expect(first.sizes).toBeGreaterThan(30);

    const raw = await client();
    for (let i = 0; i < 7; i++) await raw.query('SELECT count(*) AS history_probe FROM restaurante.menu_items WHERE stock > $1', [i]);
    const second = await captured();
    expect(second.baseline).toBe(false);
    const top = await historyTopStatements(db, { sinceMs: DAY });
    const probe = top.find((s) => s.query.includes('history_probe'));
    expect(probe).toMatchObject({ calls: 7, captures: 1 });
    expect(probe!.totalMs).toBeGreaterThan(0);
    expect(probe!.meanMs).toBeCloseTo(probe!.totalMs / 7, 1);
    // The toolkit's own queries and the history's are not the workload.
    const own = top.filter((s) => /comanda:toolkit|pg_stat_statements|history_/.test(s.query) && !s.query.includes('history_probe'));
    expect(own.map((s) => s.query)).toEqual([]);

    // Three more calls: the next delta is 3, not 10.
    for (let i = 0; i < 3; i++) await raw.query('SELECT count(*) AS history_probe FROM restaurante.menu_items WHERE stock > $1', [i]);
    await captured();
    const series = await historyStatementSeries(db, probe!.queryid, DAY);
    expect(series.map((p) => p.calls)).toEqual([7, 3]);
    expect((await historyTopStatements(db, { sinceMs: DAY })).find((s) => s.queryid === probe!.queryid)).toMatchObject({ calls: 10, captures: 2 });

    const timeline = await checkTimeline(db, DAY);
    expect(timeline.filter((t) => t.check === 'connections')).toHaveLength(3);
    expect(await historyWindow(db, DAY)).toMatchObject({ captures: 3, countersReset: 0 });
  });

  it('counts from zero after pg_stat_statements_reset(): no negative delta, the capture says so', async () => {
    const raw = await client();
    for (let i = 0; i < 20; i++) await raw.query('SELECT $1::int AS reset_probe', [i]);
    await captured();
    await db.query('SELECT pg_stat_statements_reset()');
    for (let i = 0; i < 4; i++) await raw.query('SELECT $1::int AS reset_probe', [i]);
    const after = await captured();
    expect(after.countersReset).toBe(true);
    const { rows } = await db.query<{ calls: string }>(
      `SELECT s.calls FROM comanda.history_statements s JOIN comanda.history_queries q USING (queryid) WHERE s.capture_id = $1 AND q.query LIKE '%reset_probe%'`,
      [after.id],
    );
    expect(rows.map((r) => Number(r.calls))).toEqual([4]);
    const { rows: negative } = await db.query(`SELECT 1 FROM comanda.history_statements WHERE calls < 0 OR total_ms < 0 OR rows < 0`);
    expect(negative).toEqual([]);
    // A statement whose counters went down without a reset (evicted, seen again) counts from zero too.
    expect(delta({ calls: 2, totalMs: 5, rows: 2, hit: 1, read: 0 }, { calls: 9, totalMs: 50, rows: 9, hit: 9, read: 9 }, false)).toEqual({ calls: 2, totalMs: 5, rows: 2, hit: 1, read: 0 });
  });

  it('captures once when two instances try at the same moment', async () => {
    // As if the last capture was an interval ago: every instance's timer fires now.
    await db.query(`UPDATE comanda.history_state SET last_capture_at = now() - interval '5 minutes'`);
    const before = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM comanda.history_captures')).rows[0]!.n);
    const instances = [new Database({ connectionString: url, poolSize: 2 }), new Database({ connectionString: url, poolSize: 2 }), new Database({ connectionString: url, poolSize: 2 })];
    try {
      const results = await Promise.all(instances.map((d) => captureHistory(d, { ...options, intervalMinutes: 5, checks: [] })));
      expect(results.filter((r) => r.captured)).toHaveLength(1);
      for (const r of results.filter((r) => !r.captured)) expect(['locked', 'recent']).toContain((r as { reason: string }).reason);
    } finally {
      await Promise.all(instances.map((d) => d.close()));
    }
    const after = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM comanda.history_captures')).rows[0]!.n);
    expect(after).toBe(before + 1);
  });

  it('shows a growing table with its growth, and prunes by age and by size', async () => {
    await db.query('CREATE TABLE restaurante.growth_probe (id int, pad text)');
    await captured();
    await db.query(`INSERT INTO restaurante.growth_probe SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g`);
    // A backend reports its row counts lazily (PostgreSQL 15 flushes them up to 10 s later): wait
    // for the insert's +5000 before ANALYZE sets the count, or it would be added on top of it.
    const live = async () =>
      Number((await db.query<{ n: string }>(`SELECT n_live_tup AS n FROM pg_stat_user_tables WHERE relid = 'restaurante.growth_probe'::regclass`)).rows[0]?.n ?? 0);
    await expect.poll(live, { timeout: 20_000, interval: 250 }).toBe(5000);
    await db.query('ANALYZE restaurante.growth_probe');
    await captured();
    const space = await spaceGrowth(db, { sinceMs: DAY, kind: 'table' });
    const probe = space.rows.find((r) => r.name === 'restaurante.growth_probe');
    expect(probe!.growthBytes).toBeGreaterThan(1_000_000);
    expect(probe!.liveRows).toBe(5000);
    const all = await spaceGrowth(db, { sinceMs: DAY });
    expect(all.rows[0]!.kind).toBe('database');

    // Retention: a capture older than the retention goes, with what belongs to it.
    await db.query(`UPDATE comanda.history_captures SET at = now() - interval '15 days' WHERE id = (SELECT min(id) FROM comanda.history_captures)`);
    const captures = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM comanda.history_captures')).rows[0]!.n);
    const count = await captures();
    const pruned = await db.transaction((tx) => prune(tx, { retentionDays: 14, maxMb: 256 }));
    expect(pruned).toBe(1);
    expect(await captures()).toBe(count - 1);
    // The size bound: over it, the oldest tenth goes (at least one), never the newest capture.
    const newest = (await db.query<{ id: string }>('SELECT max(id) AS id FROM comanda.history_captures')).rows[0]!.id;
    for (let i = 0; i < 20 && (await captures()) > 1; i++) await db.transaction((tx) => prune(tx, { retentionDays: 14, maxMb: 256, maxBytes: 1 }));
    expect(await captures()).toBe(1);
    expect((await db.query<{ id: string }>('SELECT id FROM comanda.history_captures')).rows[0]!.id).toBe(newest);
    const { rows: orphans } = await db.query(`SELECT 1 FROM comanda.history_sizes s WHERE NOT EXISTS (SELECT 1 FROM comanda.history_captures c WHERE c.id = s.capture_id)`);
    expect(orphans).toEqual([]);
    const cost = await historyCost(db);
    expect(cost.captures).toBe(1);
    expect(cost.totalBytes).toBeGreaterThan(0);
  });
});

describe('the CLI', () => {
  it('comanda queries --since, space --growth, history capture/status and queries reset (recorded)', async () => {
    const env = { DATABASE_URL: url, DATABASE_DIRECT_URL: undefined };
    const raw = await client();
    await captured();
    for (let i = 0; i < 5; i++) await raw.query('SELECT length($1::text) AS cli_probe', [String(i)]);
    const capture = await runCli(['history', 'capture'], env);
    expect(capture.status, capture.stderr).toBe(0);
    expect(capture.stdout).toMatch(/^captured \d+ statements/);

    const [queries, space, status, bad] = await Promise.all([
      runCli(['queries', '--since', '24h', '--by', 'calls', '--limit', '1000', '--json'], env),
      runCli(['space', '--growth', '7d'], env),
      runCli(['history', 'status'], env),
      runCli(['queries', '--since', 'yesterday'], env),
    ]);
    expect(queries.status, queries.stderr).toBe(0);
    const parsed = JSON.parse(queries.stdout) as { statements: Array<{ query: string; calls: number }> };
    expect(parsed.statements.find((s) => s.query.includes('cli_probe')), queries.stdout.slice(0, 3000)).toMatchObject({ calls: 5 });
    expect(space.stdout).toContain('restaurante.orders');
    expect(status.stdout).toMatch(/captures/);
    expect(status.stdout).toContain('comanda.history_statements');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--since');

    const refused = await runCli(['queries', 'reset'], env);
    expect(refused.status).toBe(2);
    const reset = await runCli(['queries', 'reset', '--yes'], env);
    expect(reset.status, reset.stderr).toBe(0);
    const { rows } = await db.query<{ action: string; sql: string[] }>(`SELECT action, sql FROM comanda.actions_log WHERE action = 'queries.reset'`);
    expect(rows).toEqual([{ action: 'queries.reset', sql: ['SELECT pg_stat_statements_reset()'] }]);
    const { rows: left } = await db.query(`SELECT 1 FROM pg_stat_statements WHERE query LIKE '%cli_probe%'`);
    expect(left).toEqual([]);
  });
});
