// Tables and their maintenance: estimated bloat, dead rows, autovacuum and analyze upkeep, time
// since the last (auto)vacuum and (auto)analyze, transaction id wraparound, and space — the
// database and its largest tables. User tables of every schema, not only restaurante: an
// operator's own tables bloat too.
//
// Sizes (check_postgres' database_size / relation_size, pghero's space page) have generous defaults
// — size is a planning question, not an emergency — meant to be set per site (COMANDA_CHECKS_FILE)
// to what the disk and the backups can hold.
//
// The age checks (check_postgres' last_vacuum / last_analyze, pghero's maintenance page) count a
// table only when it has something to do: dead rows for vacuum, rows changed since its last analyze
// for analyze — an unchanged table needs neither however long ago it was done. A table never
// vacuumed (analyzed) is flagged once it has 1,000 dead (changed) rows: autovacuum should have come
// by then.
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

export const deadTuples: Check = {
  name: 'dead-tuples',
  description: 'Tables of restaurante whose dead rows exceed the threshold share of their rows (20 %), with at least 100 dead rows',
  unit: '% dead rows',
  defaults: { warning: 20, critical: 50 },
  async run(tx, t) {
    const { rows } = await tx.query<{ table: string; live: string; dead: string; pct: string; last_autovacuum: Date | null; last_vacuum: Date | null }>(
      `SELECT relname AS table, n_live_tup AS live, n_dead_tup AS dead,
              round(100.0 * n_dead_tup / greatest(n_live_tup + n_dead_tup, 1), 1) AS pct, last_autovacuum, last_vacuum
         FROM pg_stat_user_tables
        WHERE schemaname = 'restaurante' AND n_dead_tup >= 100
          AND 100.0 * n_dead_tup / greatest(n_live_tup + n_dead_tup, 1) > $1
        ORDER BY n_dead_tup DESC`,
      [t.warning],
    );
    const worstPct = rows.length ? Math.max(...rows.map((r) => num(r.pct))) : 0;
    const status = grade(worstPct, t);
    return {
      status,
      summary: rows.length ? `${rows.length} table${rows.length === 1 ? '' : 's'} over ${t.warning} % dead rows (worst ${worstPct} %)` : 'no table with many dead rows',
      rows: rows.map((r) => ({ ...r, live: num(r.live), dead: num(r.dead), pct: num(r.pct) })),
      advice: 'VACUUM (ANALYZE) restaurante.<table> for the tables listed; if it keeps coming back, lower their autovacuum_vacuum_scale_factor',
    };
  },
};

const NEVER_ROWS = 1_000;

function ageCheck(spec: { name: 'vacuum-age' | 'analyze-age'; what: 'vacuum' | 'analyze' }): Check {
  const pending = spec.what === 'vacuum' ? 'n_dead_tup' : 'n_mod_since_analyze';
  return {
    name: spec.name,
    description: `Hours since the last ${spec.what} or auto${spec.what} of each table with ${spec.what === 'vacuum' ? 'dead rows' : 'rows changed since its last analyze'} (never: flagged from ${NEVER_ROWS} such rows)`,
    unit: 'hours since the last one (the oldest)',
    defaults: { warning: 168, critical: 720 },
    async run(tx, t) {
      const { rows } = await tx.query<{ table: string; pending: string; last: Date | null; lastManual: Date | null; lastAuto: Date | null; count: string; hours: string | null }>(
        `SELECT format('%I.%I', schemaname, relname) AS table, ${pending} AS pending,
                greatest(last_${spec.what}, last_auto${spec.what}) AS last, last_${spec.what} AS "lastManual", last_auto${spec.what} AS "lastAuto",
                ${spec.what}_count + auto${spec.what}_count AS count,
                round((extract(epoch FROM now() - greatest(last_${spec.what}, last_auto${spec.what})) / 3600)::numeric, 4) AS hours
           FROM pg_stat_user_tables
          WHERE ${pending} > 0
          ORDER BY greatest(last_${spec.what}, last_auto${spec.what}) NULLS FIRST`,
      );
      const flagged = rows
        .map((r) => ({ table: r.table, pending: num(r.pending), last: r.last, lastManual: r.lastManual, lastAuto: r.lastAuto, count: num(r.count), hours: r.hours === null ? null : num(r.hours) }))
        .filter((r) => (r.hours === null ? r.pending >= NEVER_ROWS : r.hours > t.warning));
      const never = flagged.filter((r) => r.hours === null);
      const oldest = Math.max(0, ...flagged.map((r) => r.hours ?? 0));
      // A table never done counts as just over the warning threshold (how long is unknown).
      const status = grade(never.length ? Math.max(oldest, t.warning + 0.001) : oldest, t);
      return {
        status,
        summary: flagged.length
          ? `${flagged.length} table${flagged.length === 1 ? '' : 's'} not ${spec.what === 'vacuum' ? 'vacuumed' : 'analyzed'} for over ${t.warning} h${never.length ? ` (${never.length} never)` : ''}${oldest ? `; oldest ${oldest} h ago` : ''}`
          : `every table with ${spec.what === 'vacuum' ? 'dead rows' : 'changes'} was ${spec.what === 'vacuum' ? 'vacuumed' : 'analyzed'} within ${t.warning} h`,
        rows: flagged,
        advice:
          spec.what === 'vacuum'
            ? 'VACUUM (ANALYZE) the tables listed (comanda vacuum TABLE --analyze); if autovacuum never gets to them, look for long transactions holding it back (comanda check oldest-transaction) and lower their autovacuum_vacuum_scale_factor'
            : 'ANALYZE the tables listed (comanda vacuum TABLE --analyze); stale statistics give bad plans; lower autovacuum_analyze_scale_factor for tables that change in bursts',
      };
    },
  };
}

export const vacuumAge = ageCheck({ name: 'vacuum-age', what: 'vacuum' });
export const analyzeAge = ageCheck({ name: 'analyze-age', what: 'analyze' });

export const wraparound: Check = {
  name: 'xid-wraparound',
  description: 'Age of the oldest unfrozen transaction id of this database, as % of the 2^31 limit',
  unit: '% of the wraparound limit',
  defaults: { warning: 40, critical: 70 },
  async run(tx, t) {
    const { rows } = await tx.query<{ age: string }>(`SELECT age(datfrozenxid) AS age FROM pg_database WHERE datname = current_database()`);
    const age = num(rows[0]?.age);
    const pct = Math.round((1000 * age) / 2_147_483_648) / 10;
    const status = grade(pct, t);
    return {
      status,
      summary: `transaction id age ${age} (${pct} % of the limit)`,
      rows: [{ age, pct }],
      advice: 'make sure autovacuum can freeze: no very long transactions or idle-in-transaction sessions, no abandoned replication slots; then VACUUM (FREEZE)',
    };
  },
};

const MB = 1024 * 1024;
/** Megabytes to one decimal (sizes; bloat's `mb` keeps two). */
const megabytes = (bytes: number) => Math.round((10 * bytes) / MB) / 10;

export const databaseSize: Check = {
  name: 'database-size',
  description: 'Size of this database on disk (pg_database_size), against thresholds set for the disk and the backups',
  unit: 'MB',
  defaults: { warning: 50_000, critical: 200_000 },
  async run(tx, t) {
    const { rows } = await tx.query<{ bytes: string }>(`SELECT pg_database_size(current_database()) AS bytes`);
    const size = megabytes(num(rows[0]?.bytes));
    return {
      status: grade(size, t),
      summary: `this database takes ${size} MB`,
      rows: [{ sizeMb: size }],
      advice:
        'see what grows (comanda space --growth 7d): purge or archive old rows (DATA_RETENTION_DAYS), remove bloat (comanda check bloat), drop unused indexes (comanda check unused-indexes); make sure the disk and the backup space keep up',
    };
  },
};

/** The largest relations of a kind, graded by the largest (table-size here, index-size in indexes.ts). */
export function largest(spec: { name: string; description: string; kind: 'table' | 'index'; defaults: { warning: number; critical: number }; advice: string }): Check {
  return {
    name: spec.name,
    description: spec.description,
    unit: 'MB (the largest)',
    defaults: spec.defaults,
    async run(tx, t) {
      const { rows } =
        spec.kind === 'table'
          ? await tx.query<{ name: string; bytes: string; rows: string }>(
              `SELECT format('%I.%I', schemaname, relname) AS name, pg_total_relation_size(relid) AS bytes, n_live_tup AS rows
                 FROM pg_stat_user_tables ORDER BY 2 DESC LIMIT 10`,
            )
          : await tx.query<{ name: string; bytes: string; rows: string }>(
              `SELECT format('%I.%I', schemaname, indexrelname) AS name, pg_relation_size(indexrelid) AS bytes, NULL AS rows
                 FROM pg_stat_user_indexes ORDER BY 2 DESC LIMIT 10`,
            );
      const top: Array<{ name: string; sizeMb: number; rows?: number }> = rows.map((r) => ({ name: r.name, sizeMb: megabytes(num(r.bytes)), ...(spec.kind === 'table' ? { rows: num(r.rows) } : {}) }));
      const biggest = top[0]?.sizeMb ?? 0;
      const over = top.filter((r) => r.sizeMb > t.warning);
      return {
        status: grade(biggest, t),
        summary: top.length
          ? over.length
            ? `${over.length} ${spec.kind === 'table' ? 'table' : 'index'}${over.length === 1 ? '' : spec.kind === 'table' ? 's' : 'es'} over ${t.warning} MB (largest ${top[0]!.name}, ${biggest} MB)`
            : `largest ${spec.kind}: ${top[0]!.name} (${biggest} MB)`
          : `no ${spec.kind === 'table' ? 'tables' : 'indexes'}`,
        rows: top,
        advice: spec.advice,
      };
    },
  };
}

export const tableSize = largest({
  name: 'table-size',
  description: 'Largest tables with their indexes and TOAST (pg_total_relation_size), graded by the largest',
  kind: 'table',
  defaults: { warning: 10_000, critical: 50_000 },
  advice: 'a table this large wants a plan: archive or partition old rows (orders by month), check its bloat (comanda check bloat), and that VACUUM keeps up (comanda check vacuum-age)',
});
