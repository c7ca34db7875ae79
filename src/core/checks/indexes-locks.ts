// Locks and indexes (P1 of docs/runbook.md): who blocks whom, invalid, duplicate and unused
// indexes, each with the SQL to fix it.
import type { Check } from './check.js';
import { grade, num } from './check.js';


export const blocking: Check = {
  name: 'blocking',
  description: 'Sessions of this database waiting for a lock held by another, and for how long (pg_blocking_pids)',
  unit: 'seconds waited',
  defaults: { warning: 5, critical: 30 },
  async run(tx, t) {
    const { rows } = await tx.query<{ pid: number; blockedBy: number[]; seconds: string; query: string; blockerQuery: string | null }>(
      `SELECT a.pid, pg_blocking_pids(a.pid) AS "blockedBy",
              round(extract(epoch FROM now() - coalesce(a.query_start, a.state_change))::numeric, 1) AS seconds,
              left(a.query, 120) AS query,
              (SELECT left(b.query, 120) FROM pg_stat_activity b WHERE b.pid = (pg_blocking_pids(a.pid))[1]) AS "blockerQuery"
         FROM pg_stat_activity a
        WHERE a.datname = current_database() AND cardinality(pg_blocking_pids(a.pid)) > 0
        ORDER BY 3 DESC`,
    );
    const longest = rows.length ? num(rows[0]!.seconds) : 0;
    const status = rows.length ? grade(longest, t) : 'ok';
    return {
      status,
      summary: rows.length ? `${rows.length} session${rows.length === 1 ? '' : 's'} waiting on locks (longest ${longest} s)` : 'no session is waiting on a lock',
      rows: rows.map((r) => ({ ...r, seconds: num(r.seconds) })),
      advice: 'look at the blocking sessions (blockedBy): a long or idle transaction is the usual cause; end it if it must (pg_terminate_backend)',
    };
  },
};

export const invalidIndexes: Check = {
  name: 'invalid-indexes',
  description: 'Indexes left invalid by a failed CREATE INDEX CONCURRENTLY or REINDEX (not those being built now)',
  unit: 'indexes',
  defaults: { warning: 0, critical: 10 },
  async run(tx, t) {
    const { rows } = await tx.query<{ index: string; table: string; fix: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS index, i.indrelid::regclass::text AS table,
              format('DROP INDEX CONCURRENTLY %I.%I; -- then create it again', n.nspname, c.relname) AS fix
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT i.indisvalid
          AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid)
        ORDER BY 1`,
    );
    const status = grade(rows.length, t);
    return {
      status,
      summary: rows.length ? `${rows.length} invalid index${rows.length === 1 ? '' : 'es'}` : 'no invalid index',
      rows,
      advice: 'an invalid index is maintained on every write but never used: drop it and build it again (rows[].fix)',
    };
  },
};

export const duplicateIndexes: Check = {
  name: 'duplicate-indexes',
  description: 'Indexes whose columns lead another index of the same table, method and predicate (the longer one serves both)',
  unit: 'indexes',
  defaults: { warning: 0, critical: 20 },
  async run(tx, t) {
    const { rows } = await tx.query<{ index: string; coveredBy: string; table: string; size: string; fix: string }>(
      `SELECT format('%I.%I', n.nspname, ca.relname) AS index, format('%I.%I', n.nspname, cb.relname) AS "coveredBy",
              a.indrelid::regclass::text AS table, pg_size_pretty(pg_relation_size(a.indexrelid)) AS size,
              format('DROP INDEX CONCURRENTLY %I.%I;', n.nspname, ca.relname) AS fix
         FROM pg_index a
         JOIN pg_index b ON b.indrelid = a.indrelid AND b.indexrelid <> a.indexrelid
         JOIN pg_class ca ON ca.oid = a.indexrelid
         JOIN pg_class cb ON cb.oid = b.indexrelid
         JOIN pg_namespace n ON n.oid = ca.relnamespace
        WHERE n.nspname = 'restaurante'
          AND NOT a.indisunique AND NOT a.indisprimary AND NOT a.indisexclusion
          AND ca.relam = cb.relam
          AND a.indnkeyatts <= b.indnkeyatts
          AND (a.indkey::int2[])[0:a.indnkeyatts - 1] = (b.indkey::int2[])[0:a.indnkeyatts - 1]
          AND pg_get_expr(a.indpred, a.indrelid) IS NOT DISTINCT FROM pg_get_expr(b.indpred, b.indrelid)
          AND pg_get_expr(a.indexprs, a.indrelid) IS NOT DISTINCT FROM pg_get_expr(b.indexprs, b.indrelid)
          AND (a.indclass::oid[])[0:a.indnkeyatts - 1] = (b.indclass::oid[])[0:a.indnkeyatts - 1]
          AND (a.indnkeyatts < b.indnkeyatts OR a.indexrelid > b.indexrelid)
        ORDER BY 1`,
    );
    const status = grade(rows.length, t);
    return {
      status,
      summary: rows.length ? `${rows.length} index${rows.length === 1 ? ' is' : 'es are'} covered by another` : 'no duplicate index',
      rows,
      advice: 'drop the covered index (rows[].fix) after checking no constraint or query needs it alone',
    };
  },
};

export const unusedIndexes: Check = {
  name: 'unused-indexes',
  description: 'Indexes of restaurante never scanned since statistics were reset, not backing a constraint, by total size',
  unit: 'MB of unused indexes',
  defaults: { warning: 100, critical: 1000 },
  async run(tx, t) {
    // The spec's query selects tablename/indexname, which pg_stat_user_indexes does not have.
    const { rows } = await tx.query<{ index: string; table: string; bytes: string; fix: string }>(
      `SELECT format('%I.%I', s.schemaname, s.indexrelname) AS index, s.relname AS table, pg_relation_size(s.indexrelid) AS bytes,
              format('DROP INDEX CONCURRENTLY %I.%I;', s.schemaname, s.indexrelname) AS fix
         FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
        WHERE s.schemaname = 'restaurante' AND s.idx_scan = 0
          AND NOT i.indisunique AND NOT i.indisprimary AND NOT i.indisexclusion
        ORDER BY pg_relation_size(s.indexrelid) DESC, 1`,
    );
    const mb = Math.round(rows.reduce((sum, r) => sum + num(r.bytes), 0) / 10_485.76) / 100;
    const status = rows.length ? grade(mb, t) : 'ok';
    return {
      status,
      summary: rows.length ? `${rows.length} unused index${rows.length === 1 ? '' : 'es'} (${mb} MB)` : 'every index has been used',
      rows: rows.map((r) => ({ ...r, bytes: num(r.bytes) })),
      advice: 'unused for as long as statistics go back (check on replicas too) — drop what no query needs (rows[].fix)',
    };
  },
};
