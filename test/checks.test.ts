// The operators' checks, each flagged by its condition created for real, and cleared once it is
// gone; the doctor's exit codes. Connection counts are server-wide, so that check runs on a
// cluster of its own.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCheck, runChecks, severity, type Check } from '../src/core/checks/check.js';
import { cacheHitRatio, statStatements } from '../src/core/checks/statements.js';
import { connections, idleInTransaction, longQueries } from '../src/core/checks/sessions.js';
import { deadTuples, wraparound } from '../src/core/checks/tables.js';
import { allChecks } from '../src/core/checks/registry.js';
import { blocking } from '../src/core/checks/sessions.js';
import { duplicateIndexes, invalidIndexes, unusedIndexes } from '../src/core/checks/indexes.js';
import { constraintAudit, sequences, stockLedger, stockLedgerFull } from '../src/core/checks/integrity.js';
import { Database } from '../src/core/db/database.js';
import { startEmbeddedPostgres } from '../src/embedded/postgres.js';
import { seedDemo } from '../src/core/seed.js';
import { pidOf, sleep, useClients } from './helpers/clients.js';
import { useTestDatabase } from './helpers/db.js';
import { runCliSync } from './helpers/cli.js';
import { changeStockBehindLedger } from './helpers/fixtures.js';

const { db, url } = await useTestDatabase();
await seedDemo(db);

const client = useClients(url);

describe('checks', () => {
  it('idle-in-transaction flags a session left in a transaction, and clears when it ends', async () => {
    const idle = await client();
    const pid = await pidOf(idle);
    await idle.query('BEGIN');
    await idle.query('SELECT 1');
    await sleep(1_500);
    const flagged = await runCheck(db, idleInTransaction, { warning: 1, critical: 60 });
    expect(flagged.status).toBe('warning');
    expect(flagged.rows.map((r) => r.pid)).toContain(pid);
    expect(flagged.advice).toContain('idle_in_transaction_session_timeout');
    expect((await runCheck(db, idleInTransaction, { warning: 1, critical: 1.2 })).status).toBe('critical');
    await idle.query('ROLLBACK');
    expect((await runCheck(db, idleInTransaction, { warning: 1, critical: 60 })).status).toBe('ok');
  });

  it('long-queries flags a query running past the threshold, and clears when it stops', async () => {
    const busy = await client();
    const pid = await pidOf(busy);
    const running = busy.query('SELECT pg_sleep(20)').catch(() => undefined);
    await sleep(2_500);
    const flagged = await runCheck(db, longQueries, { warning: 1, critical: 60 });
    expect(flagged.status).toBe('warning');
    expect(flagged.rows.map((r) => r.pid)).toContain(pid);
    const admin = await client();
    await admin.query('SELECT pg_cancel_backend($1)', [pid]);
    await running;
    // The cancelled backend reports itself idle on its own schedule: wait for it (briefly) on a busy machine.
    await expect.poll(async () => (await runCheck(db, longQueries, { warning: 1, critical: 60 })).status, { timeout: 5_000 }).toBe('ok');
  });

  it('dead-tuples flags a table full of dead rows, and clears after VACUUM', async () => {
    const raw = await client();
    await raw.query(
      `INSERT INTO restaurante.qr_scans ("restaurantId", table_id, scanned_at)
       SELECT 'rest_enigma_001', 'table_01', now() FROM generate_series(1, 400)`,
    );
    await raw.query(`DELETE FROM restaurante.qr_scans WHERE table_id = 'table_01'`);
    await raw.query('SELECT pg_stat_force_next_flush()');
    await raw.query('SELECT 1');
    const flagged = await runCheck(db, deadTuples);
    expect(flagged.status).toBe('critical');
    expect(flagged.rows.find((r) => r.table === 'qr_scans')).toMatchObject({ dead: 400 });
    await raw.query('VACUUM restaurante.qr_scans');
    expect((await runCheck(db, deadTuples)).rows.find((r) => r.table === 'qr_scans')).toBeUndefined();
  });

  it('pg-stat-statements is unknown with the fix when not installed, and reports once it is', async () => {
    const raw = await client();
    await raw.query('DROP EXTENSION IF EXISTS pg_stat_statements');
    const missing = await runCheck(db, statStatements);
    expect(missing).toMatchObject({ status: 'unknown', advice: 'run CREATE EXTENSION pg_stat_statements as a superuser in this database' });
    await raw.query('CREATE EXTENSION pg_stat_statements');
    const present = await runCheck(db, statStatements);
    expect(present.status).toBe('ok');
    expect(present.summary).toMatch(/mean statement time/);
    // A threshold below the measured mean flags it.
    expect((await runCheck(db, statStatements, { warning: -1, critical: 1e9 })).status).toBe('warning');

    // The top statements by mean and by total are the workload's: not the toolkit's own queries
    // (which read pg_stat_statements itself), not DDL or transaction control.
    // Slower than anything else this file runs (the demo seed script included).
    for (let i = 0; i < 3; i++) await raw.query('SELECT pg_sleep(0.3), $1::int AS probe', [i]);
    await raw.query('CREATE TABLE restaurante.ddl_probe (a int)');
    await raw.query('DROP TABLE restaurante.ddl_probe');
    const top = await runCheck(db, statStatements, { warning: -1, critical: 1e9 });
    const byMean = top.rows.filter((r) => r.by === 'mean');
    expect(byMean[0]).toMatchObject({ query: expect.stringContaining('pg_sleep') as unknown, calls: 3 });
    expect(Number(byMean[0]!.meanMs)).toBeGreaterThanOrEqual(300);
    expect(top.rows.filter((r) => r.by === 'total').length).toBeGreaterThan(0);
    const texts = top.rows.map((r) => String(r.query));
    expect(texts.filter((q) => /pg_stat_statements|comanda:toolkit|^\s*(create|drop|begin)/i.test(q))).toEqual([]);
  });

  it('cache-hit-ratio and xid-wraparound grade their measures against the thresholds', async () => {
    for (let i = 0; i < 300; i++) await db.query('SELECT count(*) FROM restaurante.menu_items');
    const ratio = await runCheck(db, cacheHitRatio);
    expect(ratio.status).toBe('ok');
    expect(ratio.rows[0]!.ratio).toBeGreaterThan(90);
    expect((await runCheck(db, cacheHitRatio, { warning: 101, critical: 0 })).status).toBe('warning');
    expect((await runCheck(db, cacheHitRatio, { warning: 101, critical: 100.5 })).status).toBe('critical');
    expect((await runCheck(db, wraparound)).status).toBe('ok');
    expect((await runCheck(db, wraparound, { warning: -1, critical: 100 })).status).toBe('warning');
  });

  it('a check that cannot run is unknown with the reason, never an exception', async () => {
    const broken: Check = {
      name: 'broken',
      description: 'reads a table that does not exist',
      unit: '',
      defaults: { warning: 1, critical: 2 },
      async run(tx) {
        await tx.query('SELECT * FROM no_such_table');
        return { status: 'ok', summary: '', rows: [] };
      },
    };
    expect(await runCheck(db, broken)).toMatchObject({ name: 'broken', status: 'unknown', summary: expect.stringContaining('no_such_table') as unknown });
    // Checks are read-only: one that tries to write is refused.
    const writer: Check = { ...broken, name: 'writer', run: async (tx) => (await tx.query('CREATE TABLE x (a int)'), { status: 'ok', summary: '', rows: [] }) };
    expect((await runCheck(db, writer)).summary).toMatch(/read-only transaction/);
  });

  it('blocking shows who waits on whom, and clears when the lock is released', async () => {
    const holder = await client();
    const waiter = await client();
    const [holderPid, waiterPid] = [await pidOf(holder), await pidOf(waiter)];
    await holder.query('BEGIN');
    await holder.query(`UPDATE restaurante.menu_items SET price = price WHERE id = 'item_patatas_bravas'`);
    const waiting = waiter.query(`UPDATE restaurante.menu_items SET price = price WHERE id = 'item_patatas_bravas'`);
    await sleep(1_500);
    const flagged = await runCheck(db, blocking, { warning: 1, critical: 60 });
    expect(flagged.status).toBe('warning');
    expect(flagged.rows).toContainEqual(expect.objectContaining({ pid: waiterPid, blockedBy: [holderPid] }));
    await holder.query('ROLLBACK');
    await waiting;
    expect((await runCheck(db, blocking, { warning: 1, critical: 60 })).status).toBe('ok');
  });

  it('invalid-indexes flags the index a failed CREATE INDEX CONCURRENTLY leaves behind, with the fix', async () => {
    const raw = await client();
    await expect(raw.query('CREATE UNIQUE INDEX CONCURRENTLY idx_test_invalid ON restaurante.menu_items ("categoryId")')).rejects.toThrow(/could not create unique index/);
    const flagged = await runCheck(db, invalidIndexes);
    expect(flagged.status).toBe('warning');
    expect(flagged.rows).toContainEqual(expect.objectContaining({ index: 'restaurante.idx_test_invalid', fix: expect.stringContaining('DROP INDEX CONCURRENTLY restaurante.idx_test_invalid') as unknown }));
    await raw.query('DROP INDEX restaurante.idx_test_invalid');
    expect((await runCheck(db, invalidIndexes)).status).toBe('ok');
  });

  it('duplicate-indexes flags an index that another one covers, and only that', async () => {
    expect((await runCheck(db, duplicateIndexes)).status).toBe('ok'); // the shipped schema has none
    const raw = await client();
    await raw.query('CREATE INDEX idx_test_short ON restaurante.orders (customer_email)');
    await raw.query('CREATE INDEX idx_test_long ON restaurante.orders (customer_email, status)');
    const flagged = await runCheck(db, duplicateIndexes);
    expect(flagged.status).toBe('warning');
    expect(flagged.rows).toEqual([expect.objectContaining({ index: 'restaurante.idx_test_short', coveredBy: 'restaurante.idx_test_long' })]);
    await raw.query('DROP INDEX restaurante.idx_test_short');
    expect((await runCheck(db, duplicateIndexes)).status).toBe('ok');
    await raw.query('DROP INDEX restaurante.idx_test_long');
  });

  it('unused-indexes lists never-scanned indexes (not constraint ones) until a query uses them', async () => {
    const raw = await client();
    await raw.query('CREATE INDEX idx_test_unused ON restaurante.orders (notes)');
    const listed = await runCheck(db, unusedIndexes, { warning: 0, critical: 1000 });
    expect(listed.status).toBe('warning');
    expect(listed.rows.map((r) => r.index)).toContain('restaurante.idx_test_unused');
    expect(listed.rows.map((r) => r.index)).not.toContain('restaurante.orders_pkey');
    await raw.query('SET enable_seqscan = off');
    await raw.query(`SELECT id FROM restaurante.orders WHERE notes = 'x'`);
    await raw.query('SELECT pg_stat_force_next_flush()');
    await raw.query('SELECT 1');
    expect((await runCheck(db, unusedIndexes)).rows.map((r) => r.index)).not.toContain('restaurante.idx_test_unused');
    await raw.query('DROP INDEX restaurante.idx_test_unused');
  });

  it("sequences measures against the column's type and flags one near its limit", async () => {
    const raw = await client();
    await raw.query('CREATE TABLE restaurante.seq_probe (id integer GENERATED BY DEFAULT AS IDENTITY, n smallserial)');
    expect((await runCheck(db, sequences)).status).toBe('ok');
    await raw.query(`SELECT setval(pg_get_serial_sequence('restaurante.seq_probe', 'id'), 2000000000)`); // 93 % of int4
    const flagged = await runCheck(db, sequences);
    expect(flagged.status).toBe('critical');
    expect(flagged.rows).toEqual([expect.objectContaining({ column: 'restaurante.seq_probe.id', type: 'integer' })]);
    await raw.query(`SELECT setval(pg_get_serial_sequence('restaurante.seq_probe', 'n'), 26000)`); // 79 % of int2
    expect((await runCheck(db, sequences)).rows.map((r) => r.column)).toContain('restaurante.seq_probe.n');
    await raw.query('DROP TABLE restaurante.seq_probe');
    expect((await runCheck(db, sequences)).status).toBe('ok');
  });

  it('constraint-audit flags a required constraint that is missing (critical) or not validated (warning)', async () => {
    expect((await runCheck(db, constraintAudit)).status).toBe('ok');
    const raw = await client();
    await raw.query('ALTER TABLE restaurante.menu_items DROP CONSTRAINT check_stock_non_negative');
    const missing = await runCheck(db, constraintAudit);
    expect(missing.status).toBe('critical');
    expect(missing.rows).toEqual([expect.objectContaining({ name: 'check_stock_non_negative', problem: 'missing' })]);
    await raw.query('ALTER TABLE restaurante.menu_items ADD CONSTRAINT check_stock_non_negative CHECK (stock >= 0) NOT VALID');
    expect((await runCheck(db, constraintAudit)).status).toBe('warning');
    await raw.query('ALTER TABLE restaurante.menu_items VALIDATE CONSTRAINT check_stock_non_negative');
    expect((await runCheck(db, constraintAudit)).status).toBe('ok');
  });

  it('stock-ledger flags stock changed behind the ledger, and clears once it reconciles', async () => {
    expect((await runCheck(db, stockLedger)).status).toBe('ok');
    const raw = await client();
    // Only a superuser with the trigger disabled can do this; the check is there to notice.
    await changeStockBehindLedger(raw, 'item_croquetas_jamon', 7);
    const flagged = await runCheck(db, stockLedger);
    expect(flagged.status).toBe('critical');
    expect(flagged.rows).toEqual([expect.objectContaining({ id: 'item_croquetas_jamon', difference: 7 })]);
    await changeStockBehindLedger(raw, 'item_croquetas_jamon', -7);
    expect((await runCheck(db, stockLedger)).status).toBe('ok');
    expect((await runCheck(db, stockLedgerFull)).status).toBe('ok');
  });

  it('stock-ledger --full sums every movement: a movement that does not add up is flagged, a correction clears it', async () => {
    const raw = await client();
    const movement = (delta: number) =>
      raw.query(
        `INSERT INTO restaurante.stock_movements ("restaurantId", "menuItemId", delta, "stockAfter", reason)
         SELECT "restaurantId", id, $1, stock, 'correction' FROM restaurante.menu_items WHERE id = 'item_croquetas_jamon'`,
        [delta],
      );
    await movement(5); // says +5 but leaves the stock where it was
    expect((await runCheck(db, stockLedger)).status).toBe('ok'); // the latest stockAfter still matches
    const flagged = await runCheck(db, stockLedgerFull);
    expect(flagged.status).toBe('critical');
    expect(flagged.rows).toEqual([expect.objectContaining({ id: 'item_croquetas_jamon', difference: -5 })]);
    await movement(-5);
    expect((await runCheck(db, stockLedgerFull)).status).toBe('ok');
  });

  it('connections flags use above the threshold share of max_connections, on a cluster of its own', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'comanda-checks-'));
    await chmod(root, 0o711);
    const cluster = await startEmbeddedPostgres({ clusterDir: path.join(root, 'c'), password: randomBytes(8).toString('hex'), settings: { max_connections: '50' } });
    const own = new Database({ connectionString: cluster.url, poolSize: 2 });
    try {
      const before = await runCheck(own, connections);
      expect(before.status).toBe('ok');
      const used = (rows: Array<Record<string, unknown>>) => rows.reduce((n, r) => n + Number(r.connections), 0);
      const baseline = used(before.rows);
      // 50 allowed: 30 more is over 60 % (warning), 12 more again over 80 % (critical).
      const extra = await Promise.all(Array.from({ length: 30 }, () => client(cluster.url)));
      const flagged = await runCheck(own, connections);
      expect(used(flagged.rows)).toBeGreaterThanOrEqual(baseline + 30);
      expect(flagged.status).toBe('warning');
      extra.push(...(await Promise.all(Array.from({ length: 12 }, () => client(cluster.url)))));
      expect((await runCheck(own, connections)).status).toBe('critical');
      await Promise.all(extra.map((c) => c.end()));
      expect((await runCheck(own, connections)).status).toBe('ok');
    } finally {
      await own.close();
      await cluster.stop();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('the doctor runs every check, worst first, and exits with the monitoring-plugin code', async () => {
    const results = await runChecks(db, allChecks);
    expect(results.map((r) => r.name).sort()).toEqual(allChecks.map((c) => c.name).sort());
    const cli = (...args: string[]) => runCliSync(args, { DATABASE_URL: url });
    const doctor = cli('doctor', '--json');
    const report = JSON.parse(doctor.stdout) as { status: keyof typeof severity; checks: Array<{ name: string; status: string }> };
    expect(doctor.status).toBe(severity[report.status]);
    expect(report.checks).toHaveLength(allChecks.length);
    const idle = await client();
    await idle.query('BEGIN');
    await idle.query('SELECT 1');
    await sleep(1_200);
    const warned = cli('check', 'idle-in-transaction', '--warning', '1', '--critical', '600');
    expect(warned.status).toBe(1);
    expect(warned.stdout).toMatch(/^WARNING\s+idle-in-transaction/m);
    const critical = cli('check', 'idle-in-transaction', '--warning', '0.5', '--critical', '1');
    expect(critical.status).toBe(2);
    await idle.query('ROLLBACK');
    expect(cli('check', 'idle-in-transaction').status).toBe(0);
    const bad = cli('check', 'idle-in-transaction', '--warning', 'soon');
    expect(bad.status).toBe(3);
    expect(bad.stderr).toContain('--warning must be a number');
    expect(cli('check', 'no-such-check').status).toBe(3);
    const list = cli('check', 'list', '--json');
    expect(list.status).toBe(0);
    expect((JSON.parse(list.stdout) as { checks: unknown[] }).checks).toHaveLength(allChecks.length);
  }, 60_000);
});
