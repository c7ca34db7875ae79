// Health checks of the server and this database.
import type { Check } from './check.js';
import { grade, num, TOOLKIT_TAG, worst, type CheckStatus } from './check.js';

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


export const connections: Check = {
  name: 'connections',
  description: 'Connections in use against max_connections, by state (warning 60 %, critical 80 %)',
  unit: '% of max_connections',
  defaults: { warning: 60, critical: 80 },
  async run(tx, t) {
    // The spec's query fails (max_conn must be grouped); the setting is read once here.
    const { rows } = await tx.query<{ state: string | null; n: string; max: string }>(
      `SELECT state, count(*) AS n, current_setting('max_connections') AS max
         FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY state ORDER BY 2 DESC`,
    );
    const max = num(rows[0]?.max ?? 100);
    const used = rows.reduce((sum, r) => sum + num(r.n), 0);
    const pct = Math.round((1000 * used) / max) / 10;
    const status = grade(pct, t);
    return {
      status,
      summary: `${used} of ${max} connections in use (${pct} %)`,
      rows: rows.map((r) => ({ state: r.state ?? 'unknown', connections: num(r.n) })),
      advice: 'put PgBouncer in front (transaction mode), look for leaks by application_name, or raise max_connections with memory to match',
    };
  },
};

export const applicationConnections: Check = {
  name: 'application-connections',
  description:
    'Connections to this database by application_name (leak detection): the largest share of max_connections one application holds, and how many of its connections sit idle',
  unit: '% of max_connections held by one application',
  defaults: { warning: 30, critical: 50 },
  async run(tx, t) {
    const { rows } = await tx.query<{
      application: string; user: string; total: string; active: string; idle: string; idleInTransaction: string; oldestIdleSeconds: string | null; max: string;
    }>(
      `SELECT coalesce(nullif(application_name, ''), '(unnamed)') AS application, usename AS user, count(*) AS total,
              count(*) FILTER (WHERE state = 'active') AS active, count(*) FILTER (WHERE state = 'idle') AS idle,
              count(*) FILTER (WHERE state LIKE 'idle in transaction%') AS "idleInTransaction",
              round(extract(epoch FROM now() - min(state_change) FILTER (WHERE state = 'idle'))::numeric) AS "oldestIdleSeconds",
              current_setting('max_connections') AS max
         FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
        GROUP BY 1, 2 ORDER BY count(*) DESC`,
    );
    const max = num(rows[0]?.max ?? 100);
    const apps = rows.map((r) => ({
      application: r.application, user: r.user, total: num(r.total), active: num(r.active), idle: num(r.idle),
      idleInTransaction: num(r.idleInTransaction), oldestIdleSeconds: r.oldestIdleSeconds === null ? null : num(r.oldestIdleSeconds),
      pct: Math.round((1000 * num(r.total)) / max) / 10,
    }));
    const top = apps[0];
    const status = top ? grade(top.pct, t) : 'ok';
    return {
      status,
      summary: top
        ? `${apps.length} application${apps.length === 1 ? '' : 's'} connected; most: ${top.application} with ${top.total} (${top.pct} % of max_connections, ${top.idle} idle)`
        : 'no other connections to this database',
      rows: apps,
      advice:
        'an application holding many idle connections leaks them or sizes its pool too large: check that every client is released, cap the pool (DATABASE_POOL_SIZE), or pool through PgBouncer',
    };
  },
};

/**
 * Sessions of this database that have been in some state for longer than the threshold, by how
 * long (the long-queries and idle-in-transaction checks differ only in state, clock and words).
 */
function sessionAgeCheck(spec: {
  name: string;
  description: string;
  defaults: { warning: number; critical: number };
  /** SQL condition on pg_stat_activity, and the column the age is measured from. */
  where: string;
  since: 'query_start' | 'state_change';
  describe: (count: number, threshold: number, longest: number) => string;
  none: (threshold: number) => string;
  advice: string;
}): Check {
  return {
    name: spec.name,
    description: spec.description,
    unit: 'seconds',
    defaults: spec.defaults,
    async run(tx, t) {
      const { rows } = await tx.query<{ pid: number; seconds: string; usename: string; application_name: string; state: string; query: string }>(
        `SELECT pid, round(extract(epoch FROM now() - ${spec.since})::numeric, 1) AS seconds, usename, application_name, state,
                left(query, 120) AS query
           FROM pg_stat_activity
          WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
            AND ${spec.where} AND ${spec.since} < now() - make_interval(secs => $1)
          ORDER BY ${spec.since}`,
        [t.warning],
      );
      const longest = rows.length ? num(rows[0]!.seconds) : 0;
      const status = grade(longest, t);
      return {
        status,
        summary: rows.length ? spec.describe(rows.length, t.warning, longest) : spec.none(t.warning),
        rows: rows.map((r) => ({ ...r, seconds: num(r.seconds) })),
        advice: spec.advice,
      };
    },
  };
}

export const longQueries = sessionAgeCheck({
  name: 'long-queries',
  description: 'Queries of this database running longer than the threshold (30 s)',
  defaults: { warning: 30, critical: 300 },
  where: "state = 'active'",
  since: 'query_start',
  describe: (n, threshold, longest) => `${n} quer${n === 1 ? 'y' : 'ies'} running longer than ${threshold} s (longest ${longest} s)`,
  none: (threshold) => `no query running longer than ${threshold} s`,
  advice: 'look at the query (EXPLAIN); if it must stop: SELECT pg_cancel_backend(pid), or pg_terminate_backend(pid)',
});

export const idleInTransaction = sessionAgeCheck({
  name: 'idle-in-transaction',
  description: 'Sessions idle in a transaction longer than the threshold (5 minutes); they hold locks and block vacuum',
  defaults: { warning: 300, critical: 900 },
  where: "state IN ('idle in transaction', 'idle in transaction (aborted)')",
  since: 'state_change',
  describe: (n, threshold, longest) => `${n} session${n === 1 ? '' : 's'} idle in transaction for over ${threshold} s (longest ${longest} s)`,
  none: () => 'no long idle transaction',
  advice: 'fix the client that leaves transactions open; set idle_in_transaction_session_timeout; end one now with SELECT pg_terminate_backend(pid)',
});

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

export const healthChecks: Check[] = [connections, applicationConnections, longQueries, idleInTransaction, cacheHitRatio, deadTuples, wraparound, statStatements];
