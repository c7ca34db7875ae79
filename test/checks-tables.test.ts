// Table and connection checks, each flagged by its condition created for real and cleared once
// it is gone: bloat, upkeep, missing indexes,
// connections held by one application.
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../src/core/checks/check.js';
import { applicationConnections } from '../src/core/checks/sessions.js';
import { bloat, tableMaintenance } from '../src/core/checks/tables.js';
import { missingIndexes } from '../src/core/checks/indexes.js';
import { useClients } from './helpers/clients.js';
import { useTestDatabase } from './helpers/db.js';

const { db, url } = await useTestDatabase();

const open = useClients(url);
const client = (applicationName?: string) => open(url, { applicationName });
/** Makes this session's statistics visible to others now (PostgreSQL 15 flushes them lazily). */
const flush = async (c: pg.Client) => {
  await c.query('SELECT pg_stat_force_next_flush()');
  await c.query('SELECT 1');
};

describe('table checks', () => {
  it('bloat flags a table left mostly empty by deletes, and clears after VACUUM FULL (check_postgres agrees: check-postgres.test.ts)', async () => {
    const raw = await client();
    await raw.query('CREATE TABLE public.bloated (id int, pad text)');
    await raw.query(`INSERT INTO public.bloated SELECT g, repeat('x', 100) FROM generate_series(1, 100000) g`);
    expect((await runCheck(db, bloat)).rows.map((r) => r.table)).not.toContain('public.bloated');
    // Deleting 4 rows in 5 leaves every page 80 % empty; VACUUM makes the space reusable but
    // cannot give it back.
    await raw.query('DELETE FROM public.bloated WHERE id % 5 <> 0');
    await raw.query('VACUUM (ANALYZE) public.bloated');
    const flagged = await runCheck(db, bloat);
    expect(flagged.status).toBe('warning');
    const row = flagged.rows.find((r) => r.table === 'public.bloated')!;
    expect(row.pct).toBeGreaterThan(70);
    expect((await runCheck(db, bloat, { warning: 50, critical: 70 })).status).toBe('critical');

    await raw.query('VACUUM FULL public.bloated');
    await raw.query('ANALYZE public.bloated');
    expect((await runCheck(db, bloat)).rows.map((r) => r.table)).not.toContain('public.bloated');
    await raw.query('DROP TABLE public.bloated');
  }, 60_000);

  it('table-maintenance flags a table with autovacuum disabled and never analyzed, and clears after ANALYZE', async () => {
    const raw = await client();
    await raw.query('CREATE TABLE public.neglected (id int) WITH (autovacuum_enabled = false)');
    await raw.query('INSERT INTO public.neglected SELECT generate_series(1, 5000)');
    await flush(raw);
    const flagged = await runCheck(db, tableMaintenance);
    const row = flagged.rows.find((r) => r.table === 'public.neglected');
    expect(row).toMatchObject({ autovacuumEnabled: false, modified: 5000, problem: 'autovacuum disabled for this table' });
    // A server with autovacuum off altogether (this machine's may be) is critical whatever the tables.
    const autovacuumOn = (await db.query<{ on: string }>(`SELECT current_setting('autovacuum') AS on`)).rows[0]!.on === 'on';
    expect(flagged.status).toBe(autovacuumOn ? 'warning' : 'critical');
    if (!autovacuumOn) expect(flagged.summary).toMatch(/autovacuum is off/);

    await raw.query('ALTER TABLE public.neglected RESET (autovacuum_enabled)');
    await raw.query('ANALYZE public.neglected');
    await flush(raw);
    expect((await runCheck(db, tableMaintenance)).rows.map((r) => r.table)).not.toContain('public.neglected');
    // Changing most rows after the analyze brings it back, graded on the share changed.
    await raw.query('UPDATE public.neglected SET id = id + 1');
    await flush(raw);
    const changed = (await runCheck(db, tableMaintenance)).rows.find((r) => r.table === 'public.neglected');
    expect(changed).toMatchObject({ modified: 5000, pct: 100, problem: '100 % of rows changed since the last analyze' });
    await raw.query('DROP TABLE public.neglected');
  });

  it('missing-indexes flags a large table read by sequential scans, and clears once an index serves the queries', async () => {
    const raw = await client();
    await raw.query('CREATE TABLE public.unindexed (id int, code text)');
    await raw.query(`INSERT INTO public.unindexed SELECT g, 'c' || g FROM generate_series(1, 20000) g`);
    await raw.query('ANALYZE public.unindexed');
    for (let i = 0; i < 12; i++) await raw.query(`SELECT id FROM public.unindexed WHERE code = $1`, [`c${i * 7}`]);
    await flush(raw);
    const flagged = await runCheck(db, missingIndexes);
    expect(flagged.status).toBe('critical');
    expect(flagged.rows).toContainEqual(expect.objectContaining({ table: 'public.unindexed', seqScan: 12, idxScan: 0, pct: 0 }));

    await raw.query('CREATE INDEX unindexed_code ON public.unindexed (code)');
    await raw.query(`SELECT pg_stat_reset_single_table_counters('public.unindexed'::regclass)`);
    for (let i = 0; i < 12; i++) await raw.query(`SELECT id FROM public.unindexed WHERE code = $1`, [`c${i * 7}`]);
    await flush(raw);
    const cleared = await runCheck(db, missingIndexes);
    expect(cleared.rows.map((r) => r.table)).not.toContain('public.unindexed');
    await raw.query('DROP TABLE public.unindexed');
  });

  it('application-connections shows each application’s connections and flags one holding too many (leak detection)', async () => {
    const before = await runCheck(db, applicationConnections);
    const baselineTop = Number(before.rows[0]?.pct ?? 0);
    const leaky = await Promise.all(Array.from({ length: 8 }, () => client('leaky-worker')));
    const flagged = await runCheck(db, applicationConnections, { warning: baselineTop + 1, critical: 90 });
    expect(flagged.status).toBe('warning');
    expect(flagged.rows[0]).toMatchObject({ application: 'leaky-worker', total: 8, idle: 8 });
    expect(flagged.summary).toContain('leaky-worker with 8');
    await Promise.all(leaky.map((c) => c.end()));
    const cleared = await runCheck(db, applicationConnections, { warning: baselineTop + 1, critical: 90 });
    expect(cleared.rows.map((r) => r.application)).not.toContain('leaky-worker');
    expect(cleared.status).toBe('ok');
  });
});
