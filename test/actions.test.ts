// Safe actions, each on real conditions in the file's own database: VACUUM of a table full of dead
// rows (and refusals of anything outside restaurante), terminating a session idle in a
// transaction while the autovacuum launcher (or another server process), another database's
// session and the command's own are refused, and REINDEX CONCURRENTLY of indexes left invalid by
// failed CREATE INDEX CONCURRENTLY (one whose data is still bad fails again and is reported; one
// being built is left alone). The CLI runs as a child process without a terminal: it refuses
// without --yes.
import { userInfo } from 'node:os';
import { describe, expect, inject, it } from 'vitest';
import { withSession, type Session } from '../src/core/actions/action.js';
import { planReindexInvalid } from '../src/core/actions/reindex.js';
import { planTerminate } from '../src/core/actions/terminate.js';
import { parseDuration } from '../src/cli/flags.js';
import { planVacuum } from '../src/core/actions/vacuum.js';
import { seedDemo } from '../src/core/seed.js';
import { pidOf, sleep, useClients } from './helpers/clients.js';
import { useTestDatabase } from './helpers/db.js';
import { runCli } from './helpers/cli.js';

const { db, url } = await useTestDatabase();
await seedDemo(db);

const client = useClients(url);
const alive = async (pid: number) => (await db.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 1;
const session = <T>(fn: (s: Session) => Promise<T>) => withSession(db, fn);

const cli = (args: string[]) => runCli(args, { DATABASE_URL: url, DATABASE_DIRECT_URL: '' });

async function logged(): Promise<number> {
  return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM comanda.actions_log')).rows[0]!.n;
}

async function deadRows(table: string): Promise<number> {
  const { rows } = await db.query<{ dead: string }>(`SELECT n_dead_tup AS dead FROM pg_stat_user_tables WHERE schemaname = 'restaurante' AND relname = $1`, [table]);
  return Number(rows[0]?.dead ?? 0);
}

async function makeDeadRows(n: number): Promise<void> {
  const raw = await client();
  await raw.query(`INSERT INTO restaurante.qr_scans ("restaurantId", table_id) SELECT 'rest_enigma_001', 'table_02' FROM generate_series(1, $1)`, [n]);
  await raw.query(`DELETE FROM restaurante.qr_scans WHERE table_id = 'table_02'`);
  await raw.query('SELECT pg_stat_force_next_flush()');
  await raw.query('SELECT 1');
}

describe('vacuum', () => {
  it('refuses anything but an existing table of restaurante, quoting the name it runs', async () => {
    await session(async (s) => {
      expect((await planVacuum(s, 'pg_catalog.pg_class')).refused).toMatch(/only tables of the restaurante schema/);
      expect((await planVacuum(s, 'public.orders')).refused).toMatch(/only tables of the restaurante schema/);
      expect((await planVacuum(s, 'orders; DROP TABLE orders')).refused).toMatch(/no table "orders; DROP TABLE orders" in the restaurante schema; its tables: .*orders/);
      expect((await planVacuum(s, 'orders; DROP TABLE restaurante.orders')).refused).toMatch(/only tables of the restaurante schema/);
      expect((await planVacuum(s, 'menu_items_category')).refused).toMatch(/no table/); // an index, not a table
      const plan = await planVacuum(s, 'restaurante.orders', { analyze: true });
      expect(plan.refused).toBeUndefined();
      expect(plan.sql).toEqual(['VACUUM (ANALYZE) "restaurante"."orders"']);
      const full = await planVacuum(s, 'orders', { full: true });
      expect(full).toMatchObject({ sql: ['VACUUM (FULL) "restaurante"."orders"'], requiresYesFlag: true });
      expect(full.warnings.join(' ')).toContain('ACCESS EXCLUSIVE');
    });
  });

  it('vacuums a table full of dead rows, and reports before and after', async () => {
    await makeDeadRows(300);
    expect(await deadRows('qr_scans')).toBeGreaterThanOrEqual(300);
    const result = await session(async (s) => (await planVacuum(s, 'qr_scans')).run());
    expect(result.status).toBe('done');
    expect(result.rows[0]).toMatchObject({ table: '"restaurante"."qr_scans"', deadRowsAfter: 0 });
    expect(Number(result.rows[0]!.deadRowsBefore)).toBeGreaterThanOrEqual(300);
    expect(await deadRows('qr_scans')).toBe(0);
  });

  it('the CLI refuses without --yes when there is no terminal, and runs and logs with it', async () => {
    await makeDeadRows(50);
    const before = await logged();
    const refused = await cli(['vacuum', 'qr_scans']);
    expect(refused.status).toBe(2);
    expect(refused.stdout).toContain('VACUUM "restaurante"."qr_scans";');
    expect(refused.stderr).toMatch(/no terminal to ask for confirmation; pass --yes/);
    expect(await deadRows('qr_scans')).toBeGreaterThanOrEqual(50); // nothing done
    const full = await cli(['vacuum', 'qr_scans', '--full']);
    expect(full.status).toBe(2);
    expect(full.stderr).toContain('needs --yes');
    expect(full.stdout).toContain('ACCESS EXCLUSIVE');
    const bad = await cli(['vacuum', 'pg_authid', '--yes']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('no table "pg_authid" in the restaurante schema');
    const done = await cli(['vacuum', 'qr_scans', '--analyze', '--yes', '--json']);
    expect(done.status).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ action: 'vacuum', status: 'done', sql: ['VACUUM (ANALYZE) "restaurante"."qr_scans"'] });
    expect(done.stderr).toMatch(/^comanda: \S+ action=vacuum status=done database=\S+ role=\S+ os_user=\S+ duration_ms=\d+ sql="VACUUM \(ANALYZE\)/m);
    expect(await deadRows('qr_scans')).toBe(0);

    // Refusals changed nothing and are not recorded; what ran is, with who ran it.
    expect(await logged()).toBe(before + 1);
    const listed = await cli(['actions', '--json', '--limit', '1']);
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual({
      actions: [
        expect.objectContaining({
          action: 'vacuum',
          status: 'done',
          sql: ['VACUUM (ANALYZE) "restaurante"."qr_scans"'],
          targets: [expect.objectContaining({ table: '"restaurante"."qr_scans"' })],
          dbRole: (await db.query<{ r: string }>('SELECT current_user AS r')).rows[0]!.r,
          osUser: userInfo().username,
        }),
      ],
    });
    const table = await cli(['actions']);
    expect(table.stdout).toMatch(/vacuum\s+done/);
    expect((await cli(['actions', '--limit', '0'])).stderr).toContain('--limit: "0" is not a whole number from 1 to 100000');
    expect((await cli(['actions', '--action', 'drop'])).stderr).toContain('use vacuum, terminate or reindex');

    // An action that cannot be recorded has still run: a warning, exit 0.
    await db.query('ALTER TABLE comanda.actions_log RENAME TO actions_log_away');
    try {
      await makeDeadRows(10);
      const unrecorded = await cli(['vacuum', 'qr_scans', '--yes']);
      expect(unrecorded.status).toBe(0);
      expect(unrecorded.stderr).toContain('vacuum ran but could not be recorded in comanda.actions_log');
      expect(await deadRows('qr_scans')).toBe(0);
    } finally {
      await db.query('ALTER TABLE comanda.actions_log_away RENAME TO actions_log');
    }
    expect(await logged()).toBe(before + 1);
  }, 60_000);
});

describe('terminate', () => {
  it('parses durations and says how to write them', () => {
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(() => parseDuration('5')).toThrow(/write it like 30s, 5m or 1h/);
  });

  it('ends a session idle in a transaction, and leaves busy, idle and other databases\' sessions alone', async () => {
    const idleTx = await client();
    const idleTxPid = await pidOf(idleTx);
    await idleTx.query('BEGIN');
    await idleTx.query('SELECT 1');
    const idle = await client(); // idle, not in a transaction
    const idlePid = await pidOf(idle);
    const elsewhere = await client(inject('adminUrl')); // another database, idle in a transaction too
    const elsewherePid = await pidOf(elsewhere);
    await elsewhere.query('BEGIN');
    await elsewhere.query('SELECT 1');
    await sleep(1_200);
    try {
      await session(async (s) => {
        const young = await planTerminate(s, { idleInTransactionOlderThanMs: 60_000 });
        expect(young.targets.map((t) => t.pid)).not.toContain(idleTxPid);
        const plan = await planTerminate(s, { idleInTransactionOlderThanMs: 1_000 });
        const pids = plan.targets.map((t) => t.pid);
        expect(pids).toContain(idleTxPid);
        expect(pids).not.toContain(idlePid);
        expect(pids).not.toContain(elsewherePid);
        expect(plan.sql[0]).toMatch(/backend_type = 'client backend' AND datname = current_database\(\) AND pid <> pg_backend_pid\(\)/);
        const result = await plan.run();
        expect(result.status).toBe('done');
        expect(result.rows).toContainEqual({ pid: idleTxPid, terminated: true, note: 'terminated' });
      });
      expect(await alive(idleTxPid)).toBe(false);
      expect(await alive(idlePid)).toBe(true);
      expect(await alive(elsewherePid)).toBe(true);
    } finally {
      await elsewhere.query('ROLLBACK');
    }
  });

  it('refuses autovacuum and other server processes, other databases\' sessions, its own, and unknown pids — naming why', async () => {
    // The autovacuum launcher (long-lived, unlike its workers); a server with autovacuum off has
    // other server processes (checkpointer, walwriter, …), refused the same way.
    const { rows } = await db.query<{ pid: number; type: string }>(
      `SELECT pid, backend_type AS type FROM pg_stat_activity
        WHERE backend_type NOT IN ('client backend', 'autovacuum worker', 'parallel worker')
        ORDER BY backend_type = 'autovacuum launcher' DESC, backend_type LIMIT 1`,
    );
    const launcher = rows[0]!.pid;
    const launcherType = rows[0]!.type;
    const elsewhere = await client(inject('adminUrl'));
    const elsewherePid = await pidOf(elsewhere);
    await session(async (s) => {
      const own = (await s.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      expect((await planTerminate(s, { pid: launcher })).refused).toContain(`it is a server process (${launcherType}), not a client session: comanda never terminates autovacuum, replication`);
      expect((await planTerminate(s, { pid: elsewherePid })).refused).toMatch(/it belongs to database \S+, not to this one/);
      expect((await planTerminate(s, { pid: own })).refused).toMatch(/this command's own connection/);
      expect((await planTerminate(s, { pid: 2_000_000_000 })).refused).toMatch(/no server process has pid 2000000000/);
      const refused = await planTerminate(s, { pid: launcher });
      await expect(refused.run()).rejects.toThrow(/refused/);
    });
    expect(await alive(launcher)).toBe(true);
    expect(await alive(elsewherePid)).toBe(true);

    const cliRefused = await cli(['terminate', String(launcher), '--yes']);
    expect(cliRefused.status).toBe(2);
    expect(cliRefused.stderr).toContain(`server process (${launcherType})`);
    expect((await cli(['terminate'])).stderr).toContain('comanda terminate PID, or comanda terminate --idle-in-transaction');
    expect((await cli(['terminate', '--idle-in-transaction', '--older-than', 'soon'])).stderr).toContain('write it like 30s, 5m or 1h');
  }, 60_000);

  it('the CLI terminates a pid with --yes and prints what it did as JSON', async () => {
    const victim = await client();
    const pid = await pidOf(victim);
    await victim.query('BEGIN');
    await victim.query(`SELECT 'guest@example.com' AS email`);
    const asked = await cli(['terminate', String(pid)]);
    expect(asked.status).toBe(2);
    expect(await alive(pid)).toBe(true);
    const done = await cli(['terminate', String(pid), '--yes', '--json']);
    expect(done.status).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ action: 'terminate', status: 'done', rows: [{ pid, terminated: true }] });
    expect(done.stderr).toMatch(/action=terminate status=done/);
    expect(await alive(pid)).toBe(false);
    // The log keeps whose session it was, never the query it ran (it may quote customer data).
    const listed = await cli(['actions', '--action', 'terminate', '--json']);
    const [entry] = (JSON.parse(listed.stdout) as { actions: Array<{ targets: unknown[] }> }).actions;
    expect(entry).toMatchObject({ action: 'terminate', status: 'done', targets: [expect.objectContaining({ pid })] });
    expect(listed.stdout).not.toContain('guest@example.com');
  }, 60_000);
});

describe('reindex --invalid', () => {
  it('rebuilds indexes a failed CREATE INDEX CONCURRENTLY left invalid, reports one that fails again, and cleans up after it', async () => {
    const raw = await client();
    await raw.query('CREATE TABLE restaurante.reindex_probe (id integer, v integer)');
    try {
      await raw.query('INSERT INTO restaurante.reindex_probe VALUES (1, 0), (1, 5), (2, 7)');
      await expect(raw.query('CREATE UNIQUE INDEX CONCURRENTLY reindex_probe_id ON restaurante.reindex_probe (id)')).rejects.toThrow(/could not create unique index/);
      await expect(raw.query('CREATE INDEX CONCURRENTLY reindex_probe_ratio ON restaurante.reindex_probe ((100 / v))')).rejects.toThrow(/division by zero/);
      const invalid = async () =>
        (await db.query<{ name: string }>(`SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE NOT i.indisvalid AND c.relname LIKE 'reindex_probe%' ORDER BY 1`)).rows.map((r) => r.name);
      expect(await invalid()).toEqual(['reindex_probe_id', 'reindex_probe_ratio']);

      // Fix the data of one; the other still has duplicates and fails again.
      await raw.query('UPDATE restaurante.reindex_probe SET v = 1 WHERE v = 0');
      const partial = await session(async (s) => {
        const plan = await planReindexInvalid(s);
        expect(plan.sql).toEqual(['REINDEX INDEX CONCURRENTLY "restaurante"."reindex_probe_id"', 'REINDEX INDEX CONCURRENTLY "restaurante"."reindex_probe_ratio"']);
        return plan.run();
      });
      expect(partial.status).toBe('partial');
      expect(partial.rows).toContainEqual(expect.objectContaining({ index: '"restaurante"."reindex_probe_ratio"', result: 'valid' }));
      const failed = partial.rows.find((r) => r.index === '"restaurante"."reindex_probe_id"')!;
      expect(failed).toMatchObject({ result: 'failed', error: expect.stringContaining('SQLSTATE 23505') as unknown, cleanedUp: ['"restaurante"."reindex_probe_id_ccnew"'] });
      expect(failed.advice).toContain('remove the duplicates');
      expect(String(failed.error)).not.toContain('(1)'); // no row values from the DETAIL
      expect(await invalid()).toEqual(['reindex_probe_id']); // nothing new left behind

      // Remove the duplicates: the CLI rebuilds the rest.
      await raw.query('DELETE FROM restaurante.reindex_probe WHERE v = 5');
      const asked = await cli(['reindex', '--invalid']);
      expect(asked.status).toBe(2);
      expect(asked.stdout).toContain('REINDEX INDEX CONCURRENTLY "restaurante"."reindex_probe_id";');
      const done = await cli(['reindex', '--invalid', '--yes', '--json']);
      expect(done.status).toBe(0);
      expect(JSON.parse(done.stdout)).toMatchObject({ action: 'reindex', status: 'done', rows: [{ index: '"restaurante"."reindex_probe_id"', result: 'valid' }] });
      expect(await invalid()).toEqual([]);
      const nothing = await cli(['reindex', '--invalid', '--json']);
      expect(nothing.status).toBe(0);
      expect(JSON.parse(nothing.stdout)).toMatchObject({ status: 'nothing-to-do', summary: 'no invalid index' });
      expect((await cli(['reindex'])).status).toBe(2);
    } finally {
      await raw.query('DROP TABLE IF EXISTS restaurante.reindex_probe');
    }
  }, 90_000);

  it('leaves alone an index being built right now', async () => {
    const raw = await client();
    await raw.query('CREATE TABLE restaurante.reindex_building (v integer)');
    const snapshot = await client();
    const builder = await client();
    try {
      // An open snapshot makes CREATE INDEX CONCURRENTLY wait, with its index still invalid.
      await snapshot.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await snapshot.query('SELECT 1 FROM restaurante.restaurants LIMIT 1');
      const building = builder.query('CREATE INDEX CONCURRENTLY reindex_building_v ON restaurante.reindex_building (v)');
      const builderPid = await (async () => {
        for (let i = 0; i < 50; i++) {
          const { rows } = await db.query<{ pid: number }>(`SELECT pid FROM pg_stat_progress_create_index WHERE relid = 'restaurante.reindex_building'::regclass AND index_relid <> 0`);
          if (rows[0]) return rows[0].pid;
          await sleep(100);
        }
        throw new Error('the index build never showed up in pg_stat_progress_create_index');
      })();
      const plan = await session((s) => planReindexInvalid(s));
      expect(plan.targets).toContainEqual(expect.objectContaining({ index: '"restaurante"."reindex_building_v"', plan: `skip: being built now by pid ${builderPid}` }));
      expect(plan.sql.join(' ')).not.toContain('reindex_building_v');
      await snapshot.query('COMMIT');
      await building;
    } finally {
      await snapshot.query('ROLLBACK').catch(() => undefined);
      await raw.query('DROP TABLE IF EXISTS restaurante.reindex_building');
    }
  }, 60_000);
});
