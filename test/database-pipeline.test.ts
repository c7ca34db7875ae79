// Database.transaction on pipelined connections: BEGIN and its settings go out with the body's first
// statement, and lastStatement sends COMMIT with the last one. What must hold: every statement runs
// inside the transaction with its timeouts; a failure anywhere commits nothing and leaves the
// connection clean (no ROLLBACK outside a transaction, no warning); a COMMIT that fails is the
// transaction's error, never a result; many transactions at once on a small pool all land.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database, lastStatement, prepared } from '../src/core/db/database.js';
import { useTestDatabase } from './helpers/db.js';

const { db, url } = await useTestDatabase({ poolSize: 4, statementTimeoutMs: 4_321 });
const notices: string[] = [];
db.pool.on('connect', (client) => client.on('notice', (notice) => notices.push(notice.message ?? '')));

beforeAll(async () => {
  await db.query(`CREATE TABLE public.pipeline_rows (id integer PRIMARY KEY,
                    parent integer REFERENCES public.pipeline_rows (id) DEFERRABLE INITIALLY DEFERRED)`);
});
afterAll(() => expect(notices).toEqual([]));

const count = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM public.pipeline_rows')).rows[0]!.n);

describe('pipelined transactions', () => {
  it("the first statement, sent with BEGIN, runs in the transaction with its timeouts; the last one's COMMIT commits", async () => {
    const seen = await db.transaction(async (tx) => {
      const first = (await tx.query<{ timeout: string; xid: string }>(`SELECT current_setting('statement_timeout') AS timeout, txid_current()::text AS xid`)).rows[0]!;
      await tx.query('INSERT INTO public.pipeline_rows (id) VALUES (1)');
      const last = (await lastStatement<{ xid: string }>(tx, 'INSERT INTO public.pipeline_rows (id) VALUES (2) RETURNING txid_current()::text AS xid', [])).rows[0]!;
      return { ...first, lastXid: last.xid };
    });
    expect(seen.timeout).toBe('4321ms');
    expect(seen.lastXid).toBe(seen.xid);
    expect(await count()).toBe(2);
  });

  it('a last statement that fails commits nothing (its COMMIT is answered ROLLBACK) and the connection is clean', async () => {
    const before = await count();
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO public.pipeline_rows (id) VALUES (10)');
        return lastStatement(tx, 'INSERT INTO public.pipeline_rows (id) VALUES (1)', []); // duplicate key
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT', cause: { code: '23505' } });
    expect(await count()).toBe(before);
    // Every connection of the pool still works, outside any transaction.
    const states = await Promise.all(
      Array.from({ length: 4 }, () => db.transaction(async (tx) => (await tx.query<{ n: string }>('SELECT count(*) AS n FROM public.pipeline_rows')).rows[0]!.n)),
    );
    expect(states).toEqual(Array.from({ length: 4 }, () => String(before)));
  });

  it('a COMMIT that fails (a deferred foreign key) is the transaction’s error, not the last statement’s result', async () => {
    const before = await count();
    await expect(
      db.transaction((tx) => lastStatement(tx, 'INSERT INTO public.pipeline_rows (id, parent) VALUES (20, 999) RETURNING id', [])),
    ).rejects.toMatchObject({ code: 'REFERENCE_NOT_FOUND', cause: { code: '23503' } });
    expect(await count()).toBe(before);
  });

  it('a statement after the last statement is refused', async () => {
    await expect(
      db.transaction(async (tx) => {
        const done = lastStatement(tx, 'SELECT 1', []);
        await tx.query('SELECT 2');
        return done;
      }),
    ).rejects.toThrow(/after the transaction's last statement/);
  });

  it('a body that fails before its first statement rolls back cleanly', async () => {
    await expect(
      db.transaction(() => {
        throw new Error('refused before any statement');
      }),
    ).rejects.toThrow('refused before any statement');
    expect(await db.transaction(async (tx) => (await tx.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one)).toBe(1);
  });

  it('200 transactions at once on a pool of 4, each ending with lastStatement: all committed, each once', async () => {
    const before = await count();
    const ids = Array.from({ length: 200 }, (_, i) => 1_000 + i);
    const answered = await Promise.all(
      ids.map((id) =>
        db.transaction(async (tx) => {
          await tx.query('SELECT pg_advisory_xact_lock(42)'); // one at a time in the database
          return (await lastStatement<{ id: number }>(tx, 'INSERT INTO public.pipeline_rows (id) VALUES ($1) RETURNING id', [id])).rows[0]!.id;
        }),
      ),
    );
    expect(answered.sort((a, b) => a - b)).toEqual(ids);
    expect(await count()).toBe(before + 200);
  });
});

describe('prepared statements (a Database with preparedStatements)', () => {
  const preparedOn = (client: Database) =>
    client.transaction(async (tx) => (await tx.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements ORDER BY prepare_time')).rows.map((r) => r.statement));

  it('a marked statement is parsed once per connection and runs again without its text; an unmarked one is not prepared', async () => {
    const one = new Database({ connectionString: url, poolSize: 1, preparedStatements: true });
    try {
      const text = prepared('SELECT $1::integer + 1 AS next -- database-pipeline.test, marked');
      for (const n of [1, 2, 3]) expect((await one.query<{ next: number }>(text, [n])).rows[0]!.next).toBe(n + 1);
      expect(await lastStatementIn(one, text, 41)).toBe(42);
      expect((await one.statement<{ next: number }>(text, [9])).rows[0]!.next).toBe(10);
      await one.query('SELECT $1::integer AS unmarked', [1]);
      expect(await preparedOn(one)).toEqual([text]);
    } finally {
      await one.close();
    }
  });

  it('off (the default, for a transaction-mode pooler): nothing is prepared', async () => {
    const off = new Database({ connectionString: url, poolSize: 1 });
    try {
      const text = prepared('SELECT $1::integer AS n -- database-pipeline.test, off');
      expect((await off.query<{ n: number }>(text, [7])).rows[0]!.n).toBe(7);
      expect(await preparedOn(off)).toEqual([]);
    } finally {
      await off.close();
    }
  });

  it('a marked statement that fails to parse (its function is not there yet) is parsed again once it can be', async () => {
    const one = new Database({ connectionString: url, poolSize: 1, preparedStatements: true });
    try {
      const text = prepared('SELECT public.pipeline_later($1::integer) AS v');
      await expect(one.query(text, [1])).rejects.toThrow(/does not exist/);
      await db.query('CREATE FUNCTION public.pipeline_later(n integer) RETURNS integer LANGUAGE sql AS $$ SELECT n * 2 $$');
      expect((await one.query<{ v: number }>(text, [21])).rows[0]!.v).toBe(42);
      // A new definition of the function (a migration) is what the next run uses.
      await db.query('CREATE OR REPLACE FUNCTION public.pipeline_later(n integer) RETURNS integer LANGUAGE sql AS $$ SELECT n * 3 $$');
      expect((await one.query<{ v: number }>(text, [2])).rows[0]!.v).toBe(6);
    } finally {
      await one.close();
    }
  });
});

async function lastStatementIn(client: Database, text: string, n: number): Promise<number> {
  return client.transaction(async (tx) => (await lastStatement<{ next: number }>(tx, text, [n])).rows[0]!.next);
}
