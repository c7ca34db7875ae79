// Tables: estimated bloat, vacuum and analyze upkeep, and tables read by
// sequential scans that an index would serve. User tables of every schema, not only restaurante:
// an operator's own tables bloat too.
import type { Check } from './check.js';
import { grade, num } from './check.js';

/** Tables wasting less than this are not worth a rewrite, whatever their share. */
const BLOAT_MIN_WASTED_BYTES = 1_048_576;

export const bloat: Check = {
  name: 'bloat',
  description:
    'Estimated share of each table that is empty space (from pg_stats row widths against its pages, as check_postgres and pghero estimate it); tables wasting at least 1 MB',
  unit: '% of the table wasted',
  defaults: { warning: 50, critical: 80 },
  async run(tx, t) {
    // Expected pages: rows × (tuple header 24 + row width aligned to 8 + line pointer 4), packed into
    // (block size − page header 24) × fillfactor. Tables never analyzed have no pg_stats rows and are
    // left to the table-maintenance check.
    const { rows } = await tx.query<{ table: string; pages: string; expected: string; wasted: string; pct: string }>(
      `WITH widths AS (
         SELECT schemaname, tablename, sum((1 - null_frac) * avg_width)::numeric AS width
           FROM pg_stats WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
          GROUP BY 1, 2),
       tables AS (
         SELECT format('%I.%I', n.nspname, c.relname) AS tbl, c.relpages::numeric AS pages, c.reltuples::numeric AS tuples,
                current_setting('block_size')::numeric AS bs, w.width,
                coalesce((SELECT substring(o FROM 'fillfactor=(\\d+)')::numeric FROM unnest(c.reloptions) o WHERE o LIKE 'fillfactor=%'), 100) AS ff
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN widths w ON w.schemaname = n.nspname AND w.tablename = c.relname
          WHERE c.relkind IN ('r', 'm') AND c.relpages > 0 AND c.reltuples >= 0),
       estimated AS (
         SELECT tbl, pages, bs,
                ceil(tuples / greatest(floor((bs - 24) * ff / 100 / (24 + ceil(width / 8) * 8 + 4)), 1)) AS expected
           FROM tables)
       SELECT tbl AS table, pages, expected, (pages - expected) * bs AS wasted, round(100 * (pages - expected) / pages, 1) AS pct
         FROM estimated
        WHERE (pages - expected) * bs >= $1
        ORDER BY wasted DESC`,
      [BLOAT_MIN_WASTED_BYTES],
    );
    const over = rows.filter((r) => num(r.pct) > t.warning);
    const top = over.length ? Math.max(...over.map((r) => num(r.pct))) : 0;
    const status = grade(top, t);
    return {
      status,
      summary: over.length
        ? `${over.length} table${over.length === 1 ? '' : 's'} over ${t.warning} % empty space (worst ${top} %, ${mb(over.reduce((s, r) => s + num(r.wasted), 0))} MB wasted)`
        : 'no table with much empty space',
      rows: over.map((r) => ({ table: r.table, pages: num(r.pages), expectedPages: num(r.expected), wastedMB: mb(num(r.wasted)), pct: num(r.pct) })),
      advice:
        'space inside a table is reused by new rows after VACUUM; to give it back, rewrite the table: VACUUM FULL (takes an exclusive lock: a maintenance window) or pg_repack (online)',
    };
  },
};

const mb = (bytes: number) => Math.round(bytes / 10_485.76) / 100;

/** Tables with fewer rows than this are analyzed quickly enough not to matter. */
const MAINTENANCE_MIN_ROWS = 1_000;

export const tableMaintenance: Check = {
  name: 'table-maintenance',
  description:
    'Autovacuum is on, and keeps up: rows changed since the last analyze as % of the table (autovacuum analyzes at 10 %), tables never analyzed, tables with autovacuum disabled; tables of at least 1,000 rows',
  unit: '% of rows changed since the last analyze',
  defaults: { warning: 50, critical: 200 },
  async run(tx, t) {
    const { rows: global } = await tx.query<{ autovacuum: string; track_counts: string }>(
      `SELECT current_setting('autovacuum') AS autovacuum, current_setting('track_counts') AS track_counts`,
    );
    const { rows } = await tx.query<{
      table: string; live: string; modified: string; pct: string; autovacuumEnabled: boolean;
      lastVacuum: Date | null; lastAutovacuum: Date | null; lastAnalyze: Date | null; lastAutoanalyze: Date | null;
    }>(
      `SELECT format('%I.%I', s.schemaname, s.relname) AS table, s.n_live_tup AS live, s.n_mod_since_analyze AS modified,
              round(100.0 * s.n_mod_since_analyze / greatest(s.n_live_tup, 1), 1) AS pct,
              NOT coalesce('autovacuum_enabled=false' = ANY(c.reloptions), false) AS "autovacuumEnabled",
              s.last_vacuum AS "lastVacuum", s.last_autovacuum AS "lastAutovacuum",
              s.last_analyze AS "lastAnalyze", s.last_autoanalyze AS "lastAutoanalyze"
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
        WHERE greatest(s.n_live_tup, s.n_mod_since_analyze) >= $1
          AND (100.0 * s.n_mod_since_analyze / greatest(s.n_live_tup, 1) > $2
               OR coalesce(s.last_analyze, s.last_autoanalyze) IS NULL
               OR 'autovacuum_enabled=false' = ANY(c.reloptions))
        ORDER BY pct DESC`,
      [MAINTENANCE_MIN_ROWS, t.warning],
    );
    const problems = rows.map((r) => ({
      ...r,
      live: num(r.live),
      modified: num(r.modified),
      pct: num(r.pct),
      problem: !r.autovacuumEnabled
        ? 'autovacuum disabled for this table'
        : !r.lastAnalyze && !r.lastAutoanalyze
          ? 'never analyzed'
          : `${num(r.pct)} % of rows changed since the last analyze`,
    }));
    if (global[0]?.autovacuum !== 'on' || global[0]?.track_counts !== 'on') {
      return {
        status: 'critical',
        summary: `autovacuum is off (autovacuum=${global[0]?.autovacuum}, track_counts=${global[0]?.track_counts}): dead rows pile up and transaction ids are not frozen`,
        rows: problems,
        advice: 'set autovacuum = on and track_counts = on in postgresql.conf and reload (SELECT pg_reload_conf())',
      };
    }
    const top = problems.length ? Math.max(...problems.map((r) => r.pct)) : 0;
    const status = problems.length ? (grade(top, t) === 'critical' ? 'critical' : 'warning') : 'ok';
    return {
      status,
      summary: problems.length
        ? `${problems.length} table${problems.length === 1 ? '' : 's'} behind on upkeep (worst: ${problems[0]!.table}, ${problems[0]!.problem})`
        : 'autovacuum keeps every table analyzed',
      rows: problems,
      advice:
        'ANALYZE the tables listed (VACUUM (ANALYZE) if they also have dead rows); re-enable autovacuum where it is off (ALTER TABLE … RESET (autovacuum_enabled)); for big busy tables lower autovacuum_analyze_scale_factor',
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

export const tableChecks: Check[] = [bloat, tableMaintenance, missingIndexes];
