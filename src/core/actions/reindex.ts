// `comanda reindex --invalid`: REINDEX INDEX CONCURRENTLY each index a failed CREATE INDEX
// CONCURRENTLY (or REINDEX) left invalid — maintained on every write, never used. Indexes being
// built right now (pg_stat_progress_create_index) are left alone, and so are the `_ccnew`/`_ccold`
// leftovers of an interrupted REINDEX CONCURRENTLY, for which PostgreSQL's advice is to drop them.
// REINDEX CONCURRENTLY cannot run in a transaction: each index is its own statement. When one
// fails (a unique index over duplicate rows fails again), the transient `_ccnew` index it leaves
// is dropped so the failure does not add an invalid index, and the error is reported without its
// DETAIL (which quotes row values).
import { ident } from '../db/database.js';
import { elapsed, errorText, type ActionPlan, type Session } from './action.js';

interface InvalidIndex {
  oid: number;
  schema: string;
  name: string;
  table: string;
  unique: boolean;
  bytes: string;
  buildingPid: number | null;
}

const LEFTOVER = /_cc(new|old)\d*$/;

async function invalidIndexes(session: Session): Promise<InvalidIndex[]> {
  const { rows } = await session.query<InvalidIndex>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, i.indrelid::regclass::text AS table, i.indisunique AS unique,
            pg_relation_size(c.oid) AS bytes,
            (SELECT p.pid FROM pg_stat_progress_create_index p
              WHERE p.index_relid = i.indexrelid OR (p.relid = i.indrelid AND c.relname ~ '_cc(new|old)[0-9]*$') LIMIT 1) AS "buildingPid"
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
      ORDER BY n.nspname, c.relname`,
  );
  return rows;
}

export async function planReindexInvalid(session: Session): Promise<ActionPlan> {
  const action = 'reindex';
  const found = await invalidIndexes(session);
  const targets = found.map((ix) => {
    const qualified = `${ident(ix.schema)}.${ident(ix.name)}`;
    const plan =
      ix.buildingPid !== null
        ? `skip: being built now by pid ${ix.buildingPid}`
        : LEFTOVER.test(ix.name)
          ? `skip: leftover of an interrupted REINDEX CONCURRENTLY; drop it: DROP INDEX CONCURRENTLY ${qualified}`
          : 'reindex';
    return { index: qualified, table: ix.table, unique: ix.unique, bytes: Number(ix.bytes), plan, sql: plan === 'reindex' ? `REINDEX INDEX CONCURRENTLY ${qualified}` : null, ix };
  });
  const work = targets.filter((t) => t.sql !== null);
  const sql = work.map((t) => t.sql!);
  return {
    action,
    targets: targets.map(({ ix: _ix, ...t }) => t),
    sql,
    warnings: work.length
      ? ['REINDEX CONCURRENTLY builds each index anew without blocking writes, but waits for transactions older than it and takes about as long as CREATE INDEX']
      : [],
    async run() {
      const started = performance.now();
      const skipped = targets.filter((t) => t.sql === null).map((t) => ({ index: t.index, result: t.plan }));
      if (work.length === 0) {
        return { action, status: 'nothing-to-do', sql: [], rows: skipped, summary: skipped.length ? `nothing to reindex (${skipped.length} skipped)` : 'no invalid index', durationMs: elapsed(started) };
      }
      const rows: Array<Record<string, unknown>> = [];
      for (const t of work) {
        const before = new Set((await invalidIndexes(session)).map((ix) => ix.oid));
        try {
          await session.query(t.sql!);
          const { rows: check } = await session.query<{ valid: boolean | null }>(
            `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relname = $2`,
            [t.ix.schema, t.ix.name],
          );
          rows.push({ index: t.index, result: check[0]?.valid ? 'valid' : 'still invalid', sql: t.sql });
        } catch (err) {
          // The failed REINDEX leaves its transient copy (<name>_ccnew) invalid: drop what it added.
          const added = (await invalidIndexes(session)).filter((ix) => !before.has(ix.oid) && LEFTOVER.test(ix.name));
          const dropped: string[] = [];
          for (const ix of added) {
            const q = `${ident(ix.schema)}.${ident(ix.name)}`;
            try {
              await session.query(`DROP INDEX CONCURRENTLY IF EXISTS ${q}`);
              dropped.push(q);
            } catch {
              // Reported below as not cleaned up.
            }
          }
          rows.push({
            index: t.index,
            result: 'failed',
            sql: t.sql,
            error: errorText(err),
            cleanedUp: dropped,
            advice: /23505/.test(errorText(err))
              ? 'the table holds duplicate values for this unique index: remove the duplicates, then run comanda reindex --invalid again (or drop the index)'
              : 'fix the cause and run again, or drop the index and create it again',
          });
        }
      }
      const ok = rows.filter((r) => r.result === 'valid').length;
      return {
        action,
        status: ok === rows.length ? 'done' : ok === 0 ? 'failed' : 'partial',
        sql,
        rows: [...rows, ...skipped],
        summary: `${ok} of ${rows.length} invalid index${rows.length === 1 ? '' : 'es'} rebuilt${skipped.length ? `, ${skipped.length} skipped` : ''}`,
        durationMs: elapsed(started),
      };
    },
  };
}
