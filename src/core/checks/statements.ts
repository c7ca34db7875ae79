// Statements: the workload's statements in pg_stat_statements, reads served from shared buffers,
// and temporary files written by sorts and hashes that did not fit in work_mem.
import type { Check } from './check.js';
import { COUNTERS_RESET, databaseCounters, grade, num, perDay, TOOLKIT_TAG, worst, type CheckStatus } from './check.js';

/**
 * Statements that are not the application's workload: DDL, maintenance, transaction control,
 * settings. pg_stat_statements keeps a statement's text as sent, so a migration's leading
 * `-- comment` lines and C-style comment blocks come before its keyword: both are skipped.
 */
const NOT_WORKLOAD =
  '^(\\s|--[^\\n]*(\\n|$)|/\\*([^*]|\\*+[^*/])*\\*+/)*(create|alter|drop|vacuum|analyze|reindex|cluster|grant|revoke|comment|truncate|set|reset|begin|start|commit|rollback|savepoint|release|show|explain|listen|unlisten|notify|lock|discard|deallocate|prepare|checkpoint|copy|refresh|security|load|do)\\y';

/**
 * The application's statements in pg_stat_statements: this database's, not the toolkit's own
 * (tagged, see TOOLKIT_TAG), not DDL, maintenance or transaction control, whose times say nothing
 * about the workload. Shared by the pg-stat-statements check and /metrics.
 */
const WORKLOAD_WHERE = `dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE $1 || '%' AND query !~* $2`;
export const WORKLOAD = {
  where: WORKLOAD_WHERE,
  params: [TOOLKIT_TAG, NOT_WORKLOAD],
  meanSql: `SELECT sum(total_exec_time) / nullif(sum(calls), 0) AS mean, sum(calls) AS calls FROM pg_stat_statements WHERE ${WORKLOAD_WHERE}`,
};

export const statStatements: Check = {
  name: 'pg-stat-statements',
  description:
    'pg_stat_statements is loaded and installed, and each statement of the workload graded by its mean execution time (above 500 ms is a warning); one run slower than the critical threshold (max_exec_time) is a warning',
  unit: 'ms mean execution time of a statement',
  defaults: { warning: 500, critical: 2000 },
  async run(tx, t) {
    const { rows: state } = await tx.query<{ preloaded: boolean; installed: boolean }>(
      `SELECT 'pg_stat_statements' = ANY(string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')) AS preloaded,
              EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS installed`,
    );
    if (!state[0]?.preloaded) {
      return { status: 'unknown', summary: 'pg_stat_statements is not loaded', rows: [], advice: "add pg_stat_statements to shared_preload_libraries in postgresql.conf and restart PostgreSQL" };
    }
    if (!state[0].installed) {
      return { status: 'unknown', summary: 'pg_stat_statements is not installed in this database', rows: [], advice: 'run CREATE EXTENSION pg_stat_statements as a superuser in this database' };
    }
    const own = WORKLOAD.where;
    const { rows } = await tx.query<{ mean: string | null; calls: string | null }>(WORKLOAD.meanSql, WORKLOAD.params);
    const query = `left(regexp_replace(query, '\\s+', ' ', 'g'), 200)`;
    // Every statement over the warning threshold by its mean, or whose slowest run passed the
    // critical one (a single 12 s statement must not hide in a fast overall mean).
    const { rows: slow } = await tx.query<{ queryid: string; query: string; calls: string; meanMs: string; maxMs: string; totalMs: string; rows: string }>(
      `SELECT queryid::text, ${query} AS query, calls, round(mean_exec_time::numeric, 2) AS "meanMs", round(max_exec_time::numeric, 2) AS "maxMs",
              round(total_exec_time::numeric, 1) AS "totalMs", rows
         FROM pg_stat_statements WHERE ${own} AND (mean_exec_time > $3 OR max_exec_time > $4)
        ORDER BY mean_exec_time DESC LIMIT 50`,
      [...WORKLOAD.params, t.warning, t.critical],
    );
    const { rows: top } = await tx.query<{ by: string; query: string; calls: string; meanMs: string; maxMs: string; totalMs: string; rows: string }>(
      `(SELECT 'mean' AS by, ${query} AS query, calls, round(mean_exec_time::numeric, 2) AS "meanMs", round(max_exec_time::numeric, 2) AS "maxMs",
               round(total_exec_time::numeric, 1) AS "totalMs", rows
          FROM pg_stat_statements WHERE ${own} ORDER BY mean_exec_time DESC LIMIT 5)
       UNION ALL
       (SELECT 'total', ${query}, calls, round(mean_exec_time::numeric, 2), round(max_exec_time::numeric, 2),
               round(total_exec_time::numeric, 1), rows
          FROM pg_stat_statements WHERE ${own} ORDER BY total_exec_time DESC LIMIT 5)`,
      WORKLOAD.params,
    );
    const mean = Math.round(num(rows[0]?.mean) * 10) / 10;
    const graded = slow.map((r) => {
      const byMean = grade(num(r.meanMs), t);
      // An outlier run (max over critical) with an acceptable mean is a warning, not critical.
      const status: CheckStatus = byMean !== 'ok' ? byMean : 'warning';
      return { by: 'slow', status, queryid: r.queryid, query: r.query, calls: num(r.calls), meanMs: num(r.meanMs), maxMs: num(r.maxMs), totalMs: num(r.totalMs), rows: num(r.rows) };
    });
    const status = worst(graded.map((g) => g.status));
    const overMean = graded.filter((g) => g.meanMs > t.warning).length;
    const outliers = graded.length - overMean;
    const parts = [
      overMean ? `${overMean} statement${overMean === 1 ? '' : 's'} over ${t.warning} ms on average (slowest ${graded[0]!.meanMs} ms)` : '',
      outliers ? `${outliers} with a run over ${t.critical} ms` : '',
    ].filter(Boolean);
    return {
      status,
      summary: `${parts.length ? `${parts.join('; ')}; ` : ''}mean statement time ${mean} ms over ${num(rows[0]?.calls)} calls${top[0] ? `; slowest on average ${num(top[0].meanMs)} ms` : ''}`,
      rows: [
        ...graded,
        ...top.map((r) => ({ by: r.by, query: r.query, calls: num(r.calls), meanMs: num(r.meanMs), maxMs: num(r.maxMs), totalMs: num(r.totalMs), rows: num(r.rows) })),
      ],
      advice: 'EXPLAIN the statements listed (comanda explain "…"): by mean they are slow, by total they cost the most, a high max is an occasional slow run (a lock wait, a cold cache, a bad plan for some values); index what they filter on',
    };
  },
};

export const cacheHitRatio: Check = {
  name: 'cache-hit-ratio',
  description: 'Share of block reads served from shared buffers in this database (below 90 % is worth a look)',
  unit: '%',
  defaults: { warning: 90, critical: 80 },
  lowerIsWorse: true,
  async run(tx, t) {
    const { rows } = await tx.query<{ hit: string; read: string }>(
      `SELECT blks_hit AS hit, blks_read AS read FROM pg_stat_database WHERE datname = current_database()`,
    );
    const hit = num(rows[0]?.hit);
    const read = num(rows[0]?.read);
    if (hit + read < 1000) return { status: 'ok', summary: 'too few reads yet to judge', rows: [{ hit, read }] };
    const pct = Math.round((1000 * hit) / (hit + read)) / 10;
    const status = grade(pct, t, true);
    return {
      status,
      summary: `${pct} % of reads from shared buffers`,
      rows: [{ hit, read, ratio: pct }],
      advice: 'raise shared_buffers (about 25 % of RAM), or find the queries that read the most (pg_stat_statements)',
    };
  },
};

export const tempFiles: Check = {
  name: 'temp-files',
  description: 'Temporary files written by this database per day since the statistics were reset (sorts and hashes that did not fit in work_mem)',
  unit: 'MB of temporary files per day',
  defaults: { warning: 1_024, critical: 10_240 },
  async run(tx, t) {
    const c = await databaseCounters(tx);
    const mbPerDay = perDay(c.tempBytes / 1024 / 1024, c.days);
    return {
      status: grade(mbPerDay, t),
      summary: `${c.tempFiles} temporary file${c.tempFiles === 1 ? '' : 's'}, ${Math.round(c.tempBytes / 1024 / 1024)} MB since ${c.since.toISOString()} (${mbPerDay} MB a day)`,
      rows: [{ tempFiles: c.tempFiles, tempMb: Math.round(c.tempBytes / 1024 / 1024), mbPerDay, since: c.since }],
      advice: `log_temp_files = 0 logs each with its statement: index the sort, or raise work_mem for that role or query (comanda tune); ${COUNTERS_RESET}`,
    };
  },
};
