// `comanda explain`: plans inside a transaction that is always rolled back, with a timeout;
// ANALYZE only when asked, and for statements that write or lock rows only with --yes.
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkStatement, explain, ExplainRefused, secondStatementAt } from '../src/core/explain.js';
import { Database } from '../src/core/db/database.js';
import { seedDemo } from '../src/core/seed.js';
import { useTestDatabase } from './helpers/db.js';
import { runCliSync } from './helpers/cli.js';

const { db, url } = await useTestDatabase();
await seedDemo(db);

const count = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]!.n);
const scans = () => count('SELECT count(*) AS n FROM restaurante.qr_scans');
const stockOf = async (id: string) => (await db.query<{ stock: number }>('SELECT stock FROM restaurante.menu_items WHERE id = $1', [id])).rows[0]!.stock;
const ledger = () => count('SELECT count(*) AS n FROM restaurante.stock_movements');

beforeAll(async () => {
  await db.query(
    `INSERT INTO restaurante.qr_scans ("restaurantId", table_id, scanned_at)
     SELECT 'rest_enigma_001', 'table_0' || (1 + g % 9), now() - make_interval(mins => g) FROM generate_series(1, 60) g`,
  );
  await db.query('ANALYZE restaurante.qr_scans');
});

describe('explain: which statements', () => {
  it('refuses DDL, utility statements, EXPLAIN itself and empty text, naming what it takes', () => {
    for (const sql of ['DROP TABLE restaurante.qr_scans', 'CREATE TABLE t AS SELECT 1', 'VACUUM restaurante.orders', 'COPY restaurante.orders TO STDOUT', 'ALTER TABLE restaurante.orders ADD COLUMN x int', 'TRUNCATE restaurante.qr_scans', 'CALL p()', 'DO $$ BEGIN END $$']) {
      expect(() => checkStatement(sql), sql).toThrow(/cannot be explained: only SELECT, WITH, VALUES, TABLE, INSERT, UPDATE, DELETE and MERGE/);
    }
    expect(() => checkStatement('EXPLAIN SELECT 1')).toThrow(/without EXPLAIN/);
    expect(() => checkStatement('  -- nothing\n ')).toThrow(/no statement to explain/);
  });

  it('refuses more than one statement, but not semicolons inside strings, identifiers or comments', () => {
    expect(() => checkStatement('SELECT 1; DROP TABLE restaurante.qr_scans')).toThrow(/one statement at a time/);
    expect(() => checkStatement('SELECT 1;;SELECT 2')).toThrow(/one statement at a time/);
    expect(secondStatementAt(`SELECT ';' AS "a;b", $$x;y$$, $t$;$t$, E'\\';' /* ; */ -- ;\n;  `)).toBe(-1);
    expect(checkStatement('(SELECT 1);  ')).toBe('(SELECT 1)');
    expect(checkStatement('/* a */ -- b\n WITH x AS (SELECT 1) SELECT * FROM x')).toContain('WITH x');
  });
});

describe('explain: running it', () => {
  it('gives the plan without running anything by default, with a summary', async () => {
    const result = await explain(db, `SELECT * FROM restaurante.qr_scans WHERE table_id = 'table_01'`);
    expect(result).toMatchObject({ kind: 'read', analyzed: false, rolledBack: true });
    expect(result.summary.topNode).toMatch(/Scan .*on restaurante\.qr_scans/);
    expect(result.summary.estimatedRows).toBeGreaterThan(0);
    expect(result.summary.actualRows).toBeUndefined();
    expect(result.summary.executionMs).toBeUndefined();
    expect(result.text).toMatch(/^\S.*\(cost=\d+\.\d\d\.\.\d+\.\d\d rows=\d+ width=\d+\)$/m);
    expect(Array.isArray(result.plan)).toBe(true);
  });

  it('EXPLAIN ANALYZE of a SELECT reports actual rows; it runs read-only', async () => {
    const result = await explain(db, 'SELECT id FROM restaurante.qr_scans', { analyze: true });
    expect(result).toMatchObject({ kind: 'read', analyzed: true });
    expect(result.summary.actualRows).toBe(60);
    expect(result.summary.executionMs).toBeGreaterThanOrEqual(0);
    expect(result.text).toMatch(/actual time=.* rows=60 loops=1/);
    // A function that writes, called from a SELECT, fails instead of writing.
    const before = await stockOf('item_salmorejo');
    await expect(explain(db, `SELECT restaurante.decrease_menu_item_stock('item_salmorejo', 1)`, { analyze: true })).rejects.toMatchObject({ code: '25006' });
    expect(await stockOf('item_salmorejo')).toBe(before);
  });

  it('plans DML without running it; ANALYZE of DML needs the yes, and is rolled back even then', async () => {
    const plain = await explain(db, 'DELETE FROM restaurante.qr_scans');
    expect(plain).toMatchObject({ kind: 'write', analyzed: false });
    expect(plain.summary.topNode).toBe('Delete on restaurante.qr_scans');
    await expect(explain(db, 'DELETE FROM restaurante.qr_scans', { analyze: true })).rejects.toThrow(ExplainRefused);
    await expect(explain(db, 'DELETE FROM restaurante.qr_scans', { analyze: true })).rejects.toThrow(/add --yes/);
    expect(await scans()).toBe(60);

    const ran = await explain(db, 'DELETE FROM restaurante.qr_scans', { analyze: true, allowWrites: true });
    expect(ran).toMatchObject({ kind: 'write', analyzed: true, rolledBack: true });
    expect(ran.text).toMatch(/Seq Scan on restaurante\.qr_scans .*actual time=.* rows=60 loops=1/);
    expect(await scans()).toBe(60);

    // An UPDATE whose triggers write the stock ledger: all of it is rolled back.
    const [stock, movements] = [await stockOf('item_salmorejo'), await ledger()];
    await explain(db, `UPDATE restaurante.menu_items SET stock = stock - 1 WHERE id = 'item_salmorejo'`, { analyze: true, allowWrites: true });
    expect(await stockOf('item_salmorejo')).toBe(stock);
    expect(await ledger()).toBe(movements);
  });

  it('counts a data-modifying WITH and SELECT … FOR UPDATE as writes', async () => {
    const cte = 'WITH d AS (DELETE FROM restaurante.qr_scans RETURNING 1) SELECT count(*) FROM d';
    expect((await explain(db, cte)).kind).toBe('write');
    await expect(explain(db, cte, { analyze: true })).rejects.toThrow(ExplainRefused);
    expect(await scans()).toBe(60);
    await expect(explain(db, 'SELECT * FROM restaurante.menu_items FOR UPDATE', { analyze: true })).rejects.toThrow(/writes or locks rows/);
  });

  it('stops at the statement timeout', async () => {
    await expect(explain(db, 'SELECT pg_sleep(5)', { analyze: true, timeoutMs: 300 })).rejects.toMatchObject({ code: '57014' });
    // The connection is fine afterwards.
    expect((await explain(db, 'SELECT 1')).kind).toBe('read');
  });

  it('gives the generic plan of a statement with $n parameters, as pg_stat_statements shows them, and leaves no prepared statement behind', async () => {
    const one = new Database({ connectionString: url, poolSize: 1 });
    try {
      const sql = 'SELECT * FROM restaurante.qr_scans WHERE table_id = $1 AND scanned_at > $2 LIMIT $3';
      const generic = await explain(one, sql);
      expect(generic).toMatchObject({ kind: 'read', analyzed: false, parameters: 3 });
      expect(generic.text).toMatch(/\$1/);
      expect(generic.text).toMatch(/\$2/);
      // The same connection explains it again: nothing of the first run is left on the session.
      expect((await explain(one, sql)).parameters).toBe(3);
      const before = await stockOf('item_patatas_bravas');
      const dml = await explain(one, 'UPDATE restaurante.menu_items SET stock = stock - $1 WHERE id = $2');
      expect(dml).toMatchObject({ kind: 'write', parameters: 2 });
      expect(await stockOf('item_patatas_bravas')).toBe(before);
      await expect(explain(one, sql, { analyze: true })).rejects.toThrow(/3 parameters \(\$1…\) and no values to run with: drop --analyze/);
      await expect(explain(one, 'SELECT 1 WHERE $1 IS NULL')).rejects.toThrow(ExplainRefused);
      await expect(explain(one, 'SELECT 1 WHERE $1 IS NULL')).rejects.toThrow(/could not determine data type of parameter \$1: give it a type with a cast/);
      // "$1" in a string is not a parameter: ANALYZE is fine.
      expect(await explain(one, `SELECT '$1' AS x`, { analyze: true })).toMatchObject({ parameters: 0, analyzed: true });
      expect((await one.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_statements')).rows[0]!.n).toBe(0);
    } finally {
      await one.close();
    }
  });

  it('points out sequential scans of big tables', async () => {
    const sql = `SELECT * FROM restaurante.qr_scans WHERE user_agent = 'x'`;
    expect((await explain(db, sql)).summary.seqScansOnBigTables).toEqual([]); // 60 rows is not big
    const small = await explain(db, sql, { bigTableRows: 50 });
    expect(small.summary.seqScansOnBigTables).toEqual([{ table: 'restaurante.qr_scans', tableRows: 60, filter: expect.stringContaining('user_agent') as unknown }]);
  });
});

describe('comanda explain', () => {
  const cli = (...args: string[]) => runCliSync(['explain', ...args], { DATABASE_URL: url });

  it('prints the plan and the summary, or JSON', () => {
    const text = cli('SELECT count(*) FROM restaurante.orders', '--analyze');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^Top node: +Aggregate/m);
    expect(text.stdout).toMatch(/^Rows: +1 estimated, 1 actual/m);
    expect(text.stdout).toContain('The statement ran and was rolled back.');
    const generic = cli('SELECT * FROM restaurante.orders WHERE id = $1');
    expect(generic.status).toBe(0);
    expect(generic.stdout).toContain('Generic plan: the plan for any values of $1…$1');
    const json = cli('SELECT 1', '--json');
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: 'read', analyzed: false, rolledBack: true, summary: { topNode: 'Result' } });
  });

  it('refuses with exit 2 and says what to do; a PostgreSQL error exits 1', async () => {
    const ddl = cli('DROP TABLE restaurante.qr_scans');
    expect(ddl.status).toBe(2);
    expect(ddl.stderr).toContain('"DROP" cannot be explained');
    const dml = cli('DELETE FROM restaurante.qr_scans', '--analyze');
    expect(dml.status).toBe(2);
    expect(dml.stderr).toContain('add --yes');
    const yes = cli('DELETE FROM restaurante.qr_scans', '--analyze', '--yes');
    expect(yes.status).toBe(0);
    expect(await scans()).toBe(60);
    const bad = cli('SELECT * FROM no_such_table');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('relation "no_such_table" does not exist');
    expect(cli('SELECT 1', '--timeout-ms', 'soon').status).toBe(2);
    const slow = cli('SELECT pg_sleep(3)', '--analyze', '--timeout-ms', '200');
    expect(slow.status).toBe(1);
    expect(slow.stderr).toContain('raise --timeout-ms');
  });
});

// The rolled-back transaction really leaves nothing behind for other sessions either.
it('leaves no transaction open on the server', async () => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    expect(Number(rows[0]!.n)).toBe(0);
  } finally {
    await c.end();
  }
});
