// The workload's statements from pg_stat_statements (the same filter as the pg-stat-statements
// check and /metrics: this database's, not the toolkit's own, not DDL or transaction control):
// the top ones now, the monitor's periodic report of them, and resetting the statistics.
import { num, TOOLKIT_TAG } from './checks/check.js';
import { WORKLOAD } from './checks/statements.js';
import type { Database } from './db/database.js';

export interface StatementSummary {
  queryid: string;
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  maxMs: number;
  rows: number;
  /** Share of the reads served from shared buffers (null without reads). */
  hitPct: number | null;
}

export type StatementOrder = 'total' | 'mean' | 'calls';

const ORDER: Record<StatementOrder, string> = { total: 'total_exec_time', mean: 'mean_exec_time', calls: 'calls' };

/** The top statements since the statistics were last reset, by total time, mean time or calls. */
export async function liveTopStatements(db: Pick<Database, 'query'>, options: { by?: StatementOrder; limit?: number } = {}): Promise<StatementSummary[]> {
  const { rows } = await db.query<Record<string, string | null>>(
    TOOLKIT_TAG +
      `SELECT queryid::text AS queryid, left(regexp_replace(query, '\\s+', ' ', 'g'), 300) AS query, calls,
              round(total_exec_time::numeric, 1) AS total, round(mean_exec_time::numeric, 2) AS mean, round(max_exec_time::numeric, 2) AS max, rows,
              round(100.0 * shared_blks_hit / nullif(shared_blks_hit + shared_blks_read, 0), 1) AS hit
         FROM pg_stat_statements WHERE ${WORKLOAD.where}
        ORDER BY ${ORDER[options.by ?? 'total']} DESC LIMIT $3`,
    [...WORKLOAD.params, options.limit ?? 10],
  );
  return rows.map((r) => ({
    queryid: r.queryid ?? '',
    query: r.query ?? '',
    calls: num(r.calls),
    totalMs: num(r.total),
    meanMs: num(r.mean),
    maxMs: num(r.max),
    rows: num(r.rows),
    hitPct: r.hit === null ? null : num(r.hit),
  }));
}

/** The monitor's periodic report (MONITOR_SCHEDULE_QUERY_REPORT): the 10 statements costing the most time. */
export async function topStatementsReport(db: Pick<Database, 'query'>): Promise<{ summary: string; rows: Array<Record<string, unknown>> }> {
  const top = await liveTopStatements(db, { by: 'total', limit: 10 });
  const { rows: since } = await db.query<{ reset: Date | null }>(TOOLKIT_TAG + `SELECT stats_reset AS reset FROM pg_stat_statements_info`);
  const from = since[0]?.reset ? ` since ${since[0].reset.toISOString()}` : '';
  return {
    summary: top.length
      ? `top ${top.length} statements by total time${from}; first: ${top[0]!.totalMs} ms in ${top[0]!.calls} calls (mean ${top[0]!.meanMs} ms, max ${top[0]!.maxMs} ms)`
      : `no statements recorded${from}`,
    rows: top.map(({ queryid, ...rest }) => ({ ...rest, queryid })),
  };
}

/**
 * pg_stat_statements_reset() for every statement, recorded in comanda.actions_log. Needs a role
 * allowed to run it (a superuser, or one granted EXECUTE on it).
 */
export async function resetStatements(db: Database, options: { osUser?: string | null } = {}): Promise<{ statements: number; at: Date }> {
  const started = performance.now();
  const { rows: count } = await db.query<{ n: string }>(TOOLKIT_TAG + `SELECT count(*) AS n FROM pg_stat_statements WHERE ${WORKLOAD.where}`, WORKLOAD.params);
  const sql = 'SELECT pg_stat_statements_reset()';
  await db.query(sql);
  const statements = num(count[0]?.n);
  const { rows } = await db.query<{ at: Date }>(
    `INSERT INTO comanda.actions_log (action, status, summary, sql, targets, os_user, duration_ms)
     VALUES ('queries.reset', 'done', $1, $2, '[]', $3, $4) RETURNING at`,
    [`pg_stat_statements reset (${statements} workload statements were recorded)`, [sql], options.osUser ?? null, Math.round(performance.now() - started)],
  );
  return { statements, at: rows[0]!.at };
}
