// Indexes (P1 of docs/runbook.md): invalid, duplicate and unused indexes, each with the SQL to fix
// it; tables an index would serve (read mostly by sequential scans); the largest indexes.
import type { Check } from './check.js';
import { grade, num } from './check.js';
import { largest } from './tables.js';

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

/** Scanning a table smaller than this sequentially is as fast as any index. */
const MISSING_INDEX_MIN_ROWS = 10_000;

export const missingIndexes: Check = {
  name: 'missing-indexes',
  description:
    'Tables of at least 10,000 rows read mostly by sequential scans (share of scans that used an index; pghero flags under 95 %), with at least 10 sequential scans',
  unit: '% of scans using an index',
  defaults: { warning: 95, critical: 50 },
  lowerIsWorse: true,
  async run(tx, t) {
    const { rows } = await tx.query<{ table: string; live: string; seqScan: string; seqRowsRead: string; idxScan: string; pct: string }>(
      `SELECT format('%I.%I', schemaname, relname) AS table, n_live_tup AS live, seq_scan AS "seqScan",
              seq_tup_read AS "seqRowsRead", coalesce(idx_scan, 0) AS "idxScan",
              round(100.0 * coalesce(idx_scan, 0) / (seq_scan + coalesce(idx_scan, 0)), 1) AS pct
         FROM pg_stat_user_tables
        WHERE n_live_tup >= $1 AND seq_scan >= 10
          AND 100.0 * coalesce(idx_scan, 0) / (seq_scan + coalesce(idx_scan, 0)) < $2
        ORDER BY seq_tup_read DESC`,
      [MISSING_INDEX_MIN_ROWS, t.warning],
    );
    const lowest = rows.length ? Math.min(...rows.map((r) => num(r.pct))) : 100;
    const status = grade(lowest, t, true);
    return {
      status,
      summary: rows.length
        ? `${rows.length} table${rows.length === 1 ? '' : 's'} read mostly by sequential scans (lowest index use ${lowest} %)`
        : 'no large table is read mostly by sequential scans',
      rows: rows.map((r) => ({
        table: r.table, rows: num(r.live), seqScan: num(r.seqScan), seqRowsRead: num(r.seqRowsRead), idxScan: num(r.idxScan), pct: num(r.pct),
      })),
      advice:
        "find the queries that scan these tables (comanda check pg-stat-statements, pg_stat_statements ordered by total time), EXPLAIN them (comanda explain), and index their WHERE/JOIN columns: CREATE INDEX CONCURRENTLY … (a migration with '-- comanda:no-transaction')",
    };
  },
};

export const indexSize = largest({
  name: 'index-size',
  description: 'Largest indexes (pg_relation_size), graded by the largest',
  kind: 'index',
  defaults: { warning: 5_000, critical: 20_000 },
  advice: 'check that it is used (comanda check unused-indexes) and not duplicated (comanda check duplicate-indexes); a bloated index shrinks with REINDEX INDEX CONCURRENTLY',
});
