// The monitor's jobs and their default schedules: health every 5 minutes,
// the slow-query report every 4 hours, integrity daily at 02:00, backup + verify daily at 03:00.
// A job either runs toolkit checks or calls a function (the backup job calls the backup module's
// backup-and-verify, injected by the caller so the monitor does not depend on it).
import { Cron } from 'croner';
import type { Check, CheckOutcome } from '../checks/check.js';
import { allChecks, fullChecks } from '../checks/registry.js';
import type { Database } from '../db/database.js';
import { topStatementsReport } from '../queries.js';

export type JobName = 'health' | 'slow-queries' | 'integrity' | 'backup' | 'query-report';

export interface MonitorJob {
  name: JobName | (string & {});
  /** Cron expression (5 fields, or 6 with seconds). */
  schedule: string;
  /** Toolkit checks the job runs. */
  checks?: Check[];
  /** Or: one task reported as a check of this name (thrown errors become critical). */
  task?: { check: string; run: () => Promise<CheckOutcome> };
  /** Or: a report sent to every channel as it is (not an alert: no state, not held back by maintenance). */
  report?: { name: string; build: (db: Database) => Promise<{ summary: string; rows: Array<Record<string, unknown>> }> };
}

export const DEFAULT_SCHEDULES: Record<Exclude<JobName, 'query-report'>, string> = {
  health: '*/5 * * * *',
  'slow-queries': '0 */4 * * *',
  integrity: '0 2 * * *',
  backup: '0 3 * * *',
};

/**
 * The daily integrity job: the schema and the data, which change slowly and
 * may take whole-table scans, rather than the server's load. It runs the full variant of a check
 * where there is one (e.g. integrity's whole-table orphan search).
 */
const INTEGRITY = [
  'integrity',
  'stock-ledger',
  'reservation-conflicts',
  'constraint-audit',
  'sequences',
  'invalid-indexes',
  'duplicate-indexes',
  'unused-indexes',
  'missing-indexes',
  'bloat',
  'settings',
];
const SLOW_QUERIES = ['pg-stat-statements'];

/**
 * Which checks each job runs. Health takes every check not placed elsewhere, so a check added to
 * the toolkit later is monitored every 5 minutes without anyone remembering to list it.
 */
export function checksOf(job: 'health' | 'slow-queries' | 'integrity', checks: Check[] = allChecks): Check[] {
  if (job === 'integrity') return checks.filter((c) => INTEGRITY.includes(c.name)).map((c) => fullChecks[c.name] ?? c);
  if (job === 'slow-queries') return checks.filter((c) => SLOW_QUERIES.includes(c.name));
  return checks.filter((c) => !INTEGRITY.includes(c.name) && !SLOW_QUERIES.includes(c.name));
}

/** Task of the backup job: backs up, verifies by restoring, and says how it went. */
export type BackupTask = () => Promise<CheckOutcome>;

export interface JobSettings {
  /** Per job; null turns the job off. */
  schedules: Partial<Record<JobName, string | null>>;
  /** Without one, the backup job is not scheduled (and `--once backup` says why). */
  backup?: BackupTask;
}

export function buildJobs(settings: JobSettings): MonitorJob[] {
  // The query report is off unless MONITOR_SCHEDULE_QUERY_REPORT is set: a report nobody asked for is noise.
  const schedule = (name: JobName) =>
    name === 'query-report' ? (settings.schedules[name] ?? null) : name in settings.schedules ? settings.schedules[name] : DEFAULT_SCHEDULES[name];
  const jobs: MonitorJob[] = [];
  for (const name of ['health', 'slow-queries', 'integrity'] as const) {
    const s = schedule(name);
    if (s) jobs.push({ name, schedule: s, checks: checksOf(name) });
  }
  const s = schedule('backup');
  if (s && settings.backup) jobs.push({ name: 'backup', schedule: s, task: { check: 'backup', run: settings.backup } });
  const report = schedule('query-report');
  if (report) jobs.push({ name: 'query-report', schedule: report, report: { name: 'top-statements', build: (db) => topStatementsReport(db) } });
  return jobs;
}

/** Throws with croner's reason when the expression is not a valid schedule. */
export function validateCron(expression: string, timezone?: string): void {
  const job = new Cron(expression, { paused: true, timezone });
  job.stop();
}
