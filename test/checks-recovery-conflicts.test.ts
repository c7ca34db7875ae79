// The recovery-conflicts check and its /metrics series on a real streaming standby (pg_basebackup
// from Debian's postgresql-client; the standby runs the embedded server binary, as in
// test/checks-replication.test.ts), started with max_standby_streaming_delay = 0: a query on the
// standby that still needs rows the primary has deleted is cancelled as soon as the primary's
// VACUUM removes them. The standby's pg_stat_database counts it; the check run there reports it (by
// cause), /metrics run there exposes it, the primary reports that it is not a standby, and
// pg_stat_reset() on the standby clears it.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCheck } from '../src/core/checks/check.js';
import { recoveryConflicts } from '../src/core/checks/replication.js';
import { Database } from '../src/core/db/database.js';
import { serverState } from '../src/core/metrics/collector.js';
import { ComandaMetrics } from '../src/core/metrics/metrics.js';
import { MigrationRunner } from '../src/core/migrations/runner.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/embedded/postgres.js';
import { startStandby, waitFor } from './helpers/standby.js';
import { describeWith, pgBasebackupTool } from './helpers/tools.js';


let root: string;
let primary: EmbeddedPostgres;
let stopStandby: (() => Promise<void>) | undefined;
let standbyUrl: string;
let primaryDb: Database;
let standbyDb: Database;
const clients: pg.Client[] = [];

async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  c.on('error', () => undefined);
  clients.push(c);
  return c;
}

describeWith([pgBasebackupTool()], 'recovery-conflicts on a streaming standby', () => {
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'comanda-conflicts-'));
    await chmod(root, 0o711);
    primary = await startEmbeddedPostgres({
      clusterDir: path.join(root, 'primary'),
      password: randomBytes(8).toString('hex'),
      settings: { wal_level: 'replica', max_wal_senders: '5' },
    });
    // A standby of a Comanda database: the /metrics collector reads the schema's tables too.
    await new MigrationRunner({ connectionString: primary.url }).up();
    const setup = await connect(primary.url);
    await setup.query('CREATE TABLE public.conflict_probe (id int PRIMARY KEY, note text) WITH (autovacuum_enabled = off)');
    await setup.query(`INSERT INTO public.conflict_probe SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g`);
    // No feedback to the primary and no grace period: a conflicting query is cancelled at once.
    const standby = await startStandby(primary, root, { hot_standby_feedback: 'off', max_standby_streaming_delay: '0', shared_preload_libraries: '' });
    standbyUrl = standby.url;
    stopStandby = standby.stop;
    primaryDb = new Database({ connectionString: primary.url, poolSize: 2 });
    standbyDb = new Database({ connectionString: standbyUrl, poolSize: 2 });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await standbyDb?.close();
    await primaryDb?.close();
    await stopStandby?.();
    await primary?.stop();
    await rm(root, { recursive: true, force: true });
  }, 60_000);

  it('a standby query cancelled by the primary\'s VACUUM is reported by the check and /metrics there, and clears with pg_stat_reset()', async () => {
    // Before: nothing to report on either side.
    const standbyBefore = await runCheck(standbyDb, recoveryConflicts);
    expect(standbyBefore.status).toBe('ok');
    expect(standbyBefore.rows[0]).toMatchObject({ conflicts: 0, snapshot: 0 });
    // The primary counts none of its standbys' conflicts, and says where to look.
    const primaryView = await runCheck(primaryDb, recoveryConflicts);
    expect(primaryView).toMatchObject({ status: 'ok', summary: expect.stringMatching(/^not a standby: each of its 1 standby counts its recovery conflicts; run this check there/) as unknown });

    // A reporting query on the standby holds a snapshot that still sees every row…
    const reader = await connect(standbyUrl);
    await waitFor('the table on the standby', async () =>
      (await reader.query<{ n: string }>('SELECT count(*) AS n FROM public.conflict_probe')).rows[0]?.n === '5000' ? true : undefined,
    );
    await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    expect((await reader.query<{ n: string }>('SELECT count(*) AS n FROM public.conflict_probe')).rows[0]!.n).toBe('5000');
    const longQuery = reader.query('SELECT pg_sleep(60), (SELECT count(*) FROM public.conflict_probe)');
    // …while the primary deletes them and VACUUM removes them: replaying the removal conflicts with
    // the snapshot, and with max_standby_streaming_delay = 0 the standby cancels the query at once.
    const writer = await connect(primary.url);
    await writer.query('DELETE FROM public.conflict_probe WHERE id % 2 = 0');
    await writer.query('VACUUM public.conflict_probe');
    const cancelled = await longQuery.then(
      () => undefined,
      (err: { code?: string; message?: string }) => err,
    );
    expect(cancelled).toMatchObject({ code: '40001', message: expect.stringContaining('conflict with recovery') as unknown });
    await reader.query('ROLLBACK');
    await reader.query('SELECT pg_stat_force_next_flush()');

    // The check, run on the standby, reports it with its cause; the primary never counts these.
    const found = await waitFor('the standby to count the conflict', async () => {
      const r = await runCheck(standbyDb, recoveryConflicts);
      return r.status === 'warning' ? r : undefined;
    });
    expect(found.summary).toMatch(/^1 query cancelled by recovery conflicts since /);
    expect(found.rows[0]).toMatchObject({ conflicts: 1, snapshot: 1, lock: 0, bufferpin: 0 });
    expect(found.advice).toContain('hot_standby_feedback');
    expect((await runCheck(primaryDb, recoveryConflicts)).status).toBe('ok');
    expect((await serverState(primaryDb)).conflicts).toBe(0);

    // /metrics of an instance reading the standby: the counter and the check's status.
    expect((await serverState(standbyDb)).conflicts).toBe(1);
    const metrics = new ComandaMetrics(standbyDb, { collectIntervalSeconds: 3600, checksIntervalSeconds: 3600 }, [recoveryConflicts]);
    try {
      await metrics.refresh();
      const text = await metrics.render();
      expect(metrics.lastError).toBeUndefined();
      expect(text).toMatch(/^comanda_db_recovery_conflicts_total 1$/m);
      expect(text).toMatch(/^comanda_check_status\{check="recovery-conflicts"\} 1$/m);
    } finally {
      await metrics.stop();
    }

    // Fixed (say, hot_standby_feedback on): resetting the standby's statistics clears it.
    await reader.query('SELECT pg_stat_reset()');
    const cleared = await waitFor('the reset', async () => {
      const r = await runCheck(standbyDb, recoveryConflicts);
      return r.status === 'ok' ? r : undefined;
    });
    expect(cleared.rows[0]).toMatchObject({ conflicts: 0 });
  }, 90_000);
});
