// The peers' checks that watch activity and maintenance, each made to fire by creating its
// condition for real on the file's own database, then seen to clear: sizes, time since the last
// vacuum / analyze, the oldest transaction, locks by mode, disabled triggers, deadlocks (two
// sessions locking rows in opposite orders) and temporary files; and their /metrics series.
import { describe, expect, it } from 'vitest';
import { runCheck } from '../src/core/checks/check.js';
import { deadlocks } from '../src/core/checks/sessions.js';
import { tempFiles } from '../src/core/checks/statements.js';
import { recoveryConflicts } from '../src/core/checks/replication.js';
import { allChecks } from '../src/core/checks/registry.js';
import { analyzeAge, vacuumAge } from '../src/core/checks/tables.js';
import { disabledTriggers } from '../src/core/checks/integrity.js';
import { locks, oldestTransaction } from '../src/core/checks/sessions.js';
import { databaseSize, tableSize } from '../src/core/checks/tables.js';
import { indexSize } from '../src/core/checks/indexes.js';
import { serverState, tableStats } from '../src/core/metrics/collector.js';
import { ComandaMetrics } from '../src/core/metrics/metrics.js';
import { useClients, sleep } from './helpers/clients.js';
import { useTestDatabase } from './helpers/db.js';

const { db, url } = await useTestDatabase();
const client = useClients(url);
const flush = async () => {
  const c = await client();
  await c.query('SELECT pg_stat_force_next_flush()');
  await c.end();
};
const LOW = { critical: 1e12 };

describe('new checks: registered with defaults', () => {
  it('are all in the toolkit and ok on a fresh database', async () => {
    const names = ['database-size', 'table-size', 'index-size', 'vacuum-age', 'analyze-age', 'checkpoint-age', 'oldest-transaction', 'prepared-transactions', 'locks', 'disabled-triggers', 'deadlocks', 'temp-files', 'recovery-conflicts', 'pgbouncer-pools'];
    for (const name of names) expect(allChecks.map((c) => c.name)).toContain(name);
    for (const check of allChecks.filter((c) => names.includes(c.name) && c.name !== 'checkpoint-age')) {
      const result = await runCheck(db, check);
      expect(result.status, `${check.name}: ${result.summary}`).toBe('ok');
    }
    expect((await runCheck(db, recoveryConflicts)).summary).toBe('not a standby: no recovery conflicts');
  });
});

describe('sizes', () => {
  it('database-size, table-size and index-size flag what passes the threshold, and clear', async () => {
    await db.query(`CREATE TABLE restaurante.size_probe (id int PRIMARY KEY, pad text)`);
    await db.query(`INSERT INTO restaurante.size_probe SELECT g, repeat('x', 500) FROM generate_series(1, 6000) g`);
    const table = await runCheck(db, tableSize, { warning: 2, ...LOW });
    expect(table.status).toBe('warning');
    expect(table.rows[0]).toMatchObject({ name: 'restaurante.size_probe' });
    expect(Number(table.rows[0]!.sizeMb)).toBeGreaterThan(2);
    const index = await runCheck(db, indexSize, { warning: 0.05, ...LOW });
    expect(index.rows.map((r) => r.name)).toContain('restaurante.size_probe_pkey');
    expect(index.status).toBe('warning');
    const database = await runCheck(db, databaseSize, { warning: 1, critical: 2 });
    expect(database.status).toBe('critical');
    await db.query(`DROP TABLE restaurante.size_probe`);
    expect((await runCheck(db, tableSize, { warning: 2, ...LOW })).status).toBe('ok');
    expect((await runCheck(db, indexSize, { warning: 0.05, ...LOW })).rows.map((r) => r.name)).not.toContain('restaurante.size_probe_pkey');
  });
});

describe('time since the last vacuum and analyze', () => {
  it('flags a table with dead rows vacuumed too long ago (1 s here), and one never vacuumed; VACUUM clears both', async () => {
    const c = await client();
    await c.query(`CREATE TABLE restaurante.vacuum_probe (id int, v int) WITH (autovacuum_enabled = false)`);
    await c.query(`INSERT INTO restaurante.vacuum_probe SELECT g, 0 FROM generate_series(1, 3000) g`);
    await c.query('VACUUM ANALYZE restaurante.vacuum_probe');
    await c.query('DELETE FROM restaurante.vacuum_probe WHERE id <= 100');
    await c.query(`UPDATE restaurante.vacuum_probe SET v = 1 WHERE id > 2900`);
    await c.query('SELECT pg_stat_force_next_flush()');
    await sleep(1_300);
    await c.query('SELECT 1');
    const second = 1 / 3600;
    const vacuum = await runCheck(db, vacuumAge, { warning: second, ...LOW });
    expect(vacuum.status).toBe('warning');
    expect(vacuum.rows.find((r) => r.table === 'restaurante.vacuum_probe')).toMatchObject({ pending: 200, count: 1 });
    const analyze = await runCheck(db, analyzeAge, { warning: second, ...LOW });
    expect(analyze.status).toBe('warning');
    expect(Number(analyze.rows.find((r) => r.table === 'restaurante.vacuum_probe')?.pending)).toBeGreaterThanOrEqual(200);
    // Default thresholds (a week): fine.
    expect((await runCheck(db, vacuumAge)).status).toBe('ok');

    // Never vacuumed, with 1,000+ dead rows: flagged at the default thresholds.
    await c.query(`CREATE TABLE restaurante.never_probe (id int) WITH (autovacuum_enabled = false)`);
    await c.query(`INSERT INTO restaurante.never_probe SELECT generate_series(1, 1500)`);
    await c.query(`DELETE FROM restaurante.never_probe`);
    await c.query('SELECT pg_stat_force_next_flush()');
    await c.query('SELECT 1');
    const never = await runCheck(db, vacuumAge);
    expect(never.status).toBe('warning');
    expect(never.rows.find((r) => r.table === 'restaurante.never_probe')).toMatchObject({ pending: 1500, hours: null });

    await c.query('VACUUM ANALYZE restaurante.vacuum_probe');
    await c.query('VACUUM ANALYZE restaurante.never_probe');
    await c.query('SELECT pg_stat_force_next_flush()');
    await c.query('SELECT 1');
    expect((await runCheck(db, vacuumAge, { warning: second, ...LOW })).rows.filter((r) => String(r.table).includes('_probe'))).toEqual([]);
    expect((await runCheck(db, analyzeAge, { warning: second, ...LOW })).rows.filter((r) => String(r.table).includes('_probe'))).toEqual([]);
    await c.query('DROP TABLE restaurante.vacuum_probe, restaurante.never_probe');
  });
});

describe('transactions, locks and triggers', () => {
  it('oldest-transaction flags a transaction open too long, and clears when it ends', async () => {
    const c = await client();
    await c.query('BEGIN');
    await c.query('SELECT 1');
    await sleep(1_200);
    const open = await runCheck(db, oldestTransaction, { warning: 1, ...LOW });
    expect(open.status).toBe('warning');
    expect(open.rows[0]).toMatchObject({ state: 'idle in transaction' });
    await c.query('COMMIT');
    expect((await runCheck(db, oldestTransaction, { warning: 1, ...LOW })).status).toBe('ok');
  });

  it('locks counts the locks a transaction holds, by mode, and clears when it ends', async () => {
    const c = await client();
    const { rows: tables } = await db.query<{ t: string }>(`SELECT format('%I.%I', schemaname, tablename) AS t FROM pg_tables WHERE schemaname = 'restaurante'`);
    await c.query('BEGIN');
    for (const { t } of tables) await c.query(`LOCK TABLE ${t} IN SHARE MODE`);
    const held = await runCheck(db, locks, { warning: 0.05, ...LOW });
    expect(held.status).toBe('warning');
    expect(held.rows.find((r) => r.mode === 'ShareLock')).toMatchObject({ granted: tables.length, waiting: 0 });
    const state = await serverState(db);
    expect(state.locks.find((l) => l.mode === 'ShareLock')?.granted).toBe(tables.length);
    await c.query('ROLLBACK');
    expect((await runCheck(db, locks, { warning: 0.05, ...LOW })).rows.find((r) => r.mode === 'ShareLock')).toBeUndefined();
  });

  it('disabled-triggers finds a disabled trigger (the stock ledger) with the SQL to enable it, and clears', async () => {
    await db.query('ALTER TABLE restaurante.menu_items DISABLE TRIGGER USER');
    const found = await runCheck(db, disabledTriggers);
    expect(found.status).toBe('critical');
    expect(found.rows.length).toBeGreaterThan(0);
    expect(found.rows[0]).toMatchObject({ table: 'restaurante.menu_items', internal: false });
    expect(String(found.rows[0]!.fix)).toMatch(/^ALTER TABLE restaurante\.menu_items ENABLE TRIGGER /);
    await db.query('ALTER TABLE restaurante.menu_items ENABLE TRIGGER USER');
    expect((await runCheck(db, disabledTriggers)).status).toBe('ok');
  });
});

describe('pg_stat_database counters', () => {
  it('deadlocks: two sessions locking rows in opposite orders; pg_stat_reset() clears it', async () => {
    await db.query(`CREATE TABLE restaurante.deadlock_probe (id int PRIMARY KEY, v int)`);
    await db.query(`INSERT INTO restaurante.deadlock_probe VALUES (1, 0), (2, 0)`);
    const [a, b] = [await client(), await client()];
    await a.query('BEGIN');
    await b.query('BEGIN');
    await a.query('UPDATE restaurante.deadlock_probe SET v = 1 WHERE id = 1');
    await b.query('UPDATE restaurante.deadlock_probe SET v = 2 WHERE id = 2');
    const outcomes = await Promise.allSettled([
      a.query('UPDATE restaurante.deadlock_probe SET v = 1 WHERE id = 2'),
      b.query('UPDATE restaurante.deadlock_probe SET v = 2 WHERE id = 1'),
    ]);
    expect(outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as { code?: string }).code] : []))).toEqual(['40P01']);
    await a.query('ROLLBACK');
    await b.query('ROLLBACK');
    for (const c of [a, b]) await c.query('SELECT pg_stat_force_next_flush()');
    await flush();
    const found = await runCheck(db, deadlocks);
    expect(found.status).toBe('warning');
    expect(found.rows[0]).toMatchObject({ deadlocks: 1 });
    expect((await serverState(db)).deadlocks).toBe(1);
    await db.query('SELECT pg_stat_reset()');
    await flush();
    expect((await runCheck(db, deadlocks)).status).toBe('ok');
    await db.query('DROP TABLE restaurante.deadlock_probe');
  });

  it('temp-files: a sort larger than work_mem spills to disk; pg_stat_reset() clears it', async () => {
    const c = await client();
    await c.query(`SET work_mem = '64kB'`);
    await c.query('SELECT g FROM generate_series(1, 200000) g ORDER BY md5(g::text)');
    await c.query('SELECT pg_stat_force_next_flush()');
    await flush();
    const found = await runCheck(db, tempFiles, { warning: 0, ...LOW });
    expect(found.status).toBe('warning');
    expect(Number(found.rows[0]!.tempFiles)).toBeGreaterThan(0);
    expect((await runCheck(db, tempFiles)).status).toBe('ok');
    await db.query('SELECT pg_stat_reset()');
    await flush();
    expect((await runCheck(db, tempFiles, { warning: 0, ...LOW })).status).toBe('ok');
  });
});

describe('/metrics series for the dashboard and Prometheus', () => {
  it('exposes size, counters, locks by mode and per-table rows and maintenance', async () => {
    await db.query('VACUUM restaurante.orders').catch(() => undefined);
    const metrics = new ComandaMetrics(db, { collectIntervalSeconds: 3600, checksIntervalSeconds: 3600 }, []);
    try {
      await metrics.refresh();
      const text = await metrics.render();
      for (const name of ['comanda_db_size_bytes', 'comanda_db_deadlocks_total', 'comanda_db_temp_bytes_total', 'comanda_db_recovery_conflicts_total', 'comanda_db_oldest_transaction_seconds', 'comanda_db_prepared_transactions', 'comanda_db_checkpoint_age_seconds']) {
        expect(text).toMatch(new RegExp(`^${name} \\d`, 'm'));
      }
      expect(text).toMatch(/^comanda_db_table_dead_rows\{table="orders"\} \d+/m);
      expect(text).toMatch(/^comanda_db_table_maintenance_total\{table="menu_items",kind="autovacuum"\} \d+/m);
    } finally {
      await metrics.stop();
    }
    const tables = await tableStats(db);
    expect(tables.map((t) => t.table)).toContain('orders');
  });
});
