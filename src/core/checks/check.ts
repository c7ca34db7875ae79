// Operators' checks: each a module with default thresholds (the spec's where it gives them)
// that returns ok | warning | critical | unknown, a summary sentence, the rows behind it and what
// to do. The CLI (`comanda doctor`, `comanda check`), and later /metrics and the monitor, render
// the same results. Checks run read-only with short timeouts, so they never wait behind a
// migration or add load, and degrade to `unknown` with the reason when something is unreadable.
import type { Database, Tx } from '../db/database.js';
import { AppError, INSUFFICIENT_PRIVILEGE, sqlstateOf } from '../errors.js';

export type CheckStatus = 'ok' | 'warning' | 'critical' | 'unknown';

export interface Thresholds {
  warning: number;
  critical: number;
}

export interface CheckOutcome {
  status: CheckStatus;
  summary: string;
  rows: Array<Record<string, unknown>>;
  /** What to do; shown only when the status is not ok. */
  advice?: string;
}

export interface CheckResult extends CheckOutcome {
  name: string;
  durationMs: number;
}

export interface Check {
  name: string;
  description: string;
  /** What the thresholds measure, for people (e.g. "% of max_connections"). */
  unit: string;
  defaults: Thresholds;
  /** true when lower values are worse (e.g. the cache hit ratio). */
  lowerIsWorse?: boolean;
  /** Statement timeout for checks that scan whole tables by design (default 5 s). */
  timeoutMs?: number;
  run(tx: Tx, thresholds: Thresholds): Promise<CheckOutcome>;
}

/**
 * Prefixed to every statement a check sends, so pg_stat_statements (which keeps a statement's
 * first text, comments included) can tell the toolkit's own queries from the workload.
 */
export const TOOLKIT_TAG = '/* comanda:toolkit */ ';

/** A transaction whose statements carry TOOLKIT_TAG. */
function tagged(tx: Tx): Tx {
  const query = (text: unknown, ...rest: unknown[]) =>
    (tx.query as (...args: unknown[]) => unknown)(typeof text === 'string' ? TOOLKIT_TAG + text : text, ...rest);
  return { query: query as Tx['query'] };
}

/** Numbers from the catalog arrive as strings (bigint, numeric) or null. */
export const num = (v: unknown): number => Number(v ?? 0);

export const severity: Record<CheckStatus, number> = { ok: 0, warning: 1, critical: 2, unknown: 3 };

/** The status of a measured value against thresholds. */
export function grade(value: number, thresholds: Thresholds, lowerIsWorse = false): CheckStatus {
  if (lowerIsWorse) return value < thresholds.critical ? 'critical' : value < thresholds.warning ? 'warning' : 'ok';
  return value > thresholds.critical ? 'critical' : value > thresholds.warning ? 'warning' : 'ok';
}

export const worst = (statuses: CheckStatus[]): CheckStatus =>
  statuses.reduce<CheckStatus>((a, b) => (severity[b] > severity[a] ? b : a), 'ok');

/** Runs one check read-only with short timeouts; an error makes it `unknown` with the reason. */
export async function runCheck(db: Database, check: Check, overrides: Partial<Thresholds> = {}): Promise<CheckResult> {
  const thresholds = { ...check.defaults, ...overrides };
  const started = performance.now();
  try {
    const outcome = await db.transaction((tx) => check.run(tagged(tx), thresholds), { readOnly: true, statementTimeoutMs: check.timeoutMs ?? 5_000, lockTimeoutMs: 1_000 });
    return {
      name: check.name,
      ...outcome,
      advice: outcome.status === 'ok' ? undefined : outcome.advice,
      durationMs: Math.round(performance.now() - started),
    };
  } catch (err) {
    // The server's own words ("permission denied for …", "cannot execute … in a read-only
    // transaction") say more to an operator than the catalogue's sentence the error was mapped to.
    const cause = err instanceof AppError && err.cause instanceof Error ? err.cause : err;
    const reason = cause instanceof Error ? cause.message : String(cause);
    return {
      name: check.name,
      status: 'unknown',
      summary: `could not run: ${reason}`,
      rows: [],
      advice: sqlstateOf(err) === INSUFFICIENT_PRIVILEGE ? 'run the toolkit as a role with pg_monitor and read access to restaurante (sql/roles.sql: comanda_monitor)' : undefined,
      durationMs: Math.round(performance.now() - started),
    };
  }
}

export async function runChecks(db: Database, checks: Check[], overrides: Record<string, Partial<Thresholds>> = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) results.push(await runCheck(db, check, overrides[check.name]));
  // Worst first; unknown after critical (it says nothing is known, not that something is wrong).
  const order: Record<CheckStatus, number> = { critical: 0, warning: 1, unknown: 2, ok: 3 };
  return results.sort((a, b) => order[a.status] - order[b.status] || a.name.localeCompare(b.name));
}

/**
 * Counters of pg_stat_database the peers watch (postgres_exporter's pg_stat_database_*): deadlocks,
 * temporary files, and recovery conflicts on a standby. They only grow, so the checks grade them
 * per day since the statistics were last reset (pg_stat_database.stats_reset, else the server's
 * start). /metrics exposes the raw counters for Prometheus' rate().
 */
interface Counters {
  deadlocks: number;
  conflicts: number;
  tempFiles: number;
  tempBytes: number;
  since: Date;
  days: number;
}

const READ = `SELECT deadlocks, conflicts, temp_files, temp_bytes, coalesce(stats_reset, pg_postmaster_start_time()) AS since,
                     extract(epoch FROM now() - coalesce(stats_reset, pg_postmaster_start_time())) / 86400 AS days
                FROM pg_stat_database WHERE datname = current_database()`;

export async function databaseCounters(tx: Tx): Promise<Counters> {
  const { rows } = await tx.query<{ deadlocks: string; conflicts: string; temp_files: string; temp_bytes: string; since: Date; days: string }>(READ);
  const r = rows[0]!;
  return { deadlocks: num(r.deadlocks), conflicts: num(r.conflicts), tempFiles: num(r.temp_files), tempBytes: num(r.temp_bytes), since: r.since, days: num(r.days) };
}

/** Per day, counting any period shorter than a day as one day (a fresh reset does not inflate rates). */
export const perDay = (count: number, days: number) => Math.round((100 * count) / Math.max(1, days)) / 100;
export const COUNTERS_RESET = 'once the cause is fixed, SELECT pg_stat_reset() in this database starts the counters afresh';
