// Counters of pg_stat_database the peers watch (postgres_exporter's pg_stat_database_*): deadlocks,
// temporary files, and recovery conflicts on a standby. They only grow, so each check grades them
// per day since the statistics were last reset (pg_stat_database.stats_reset, else the server's
// start): once the cause is fixed, `SELECT pg_stat_reset()` in this database starts them afresh.
// /metrics exposes the raw counters for Prometheus' rate().
import type { Tx } from '../db/database.js';
import type { Check } from './check.js';
import { grade, num } from './check.js';

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

async function counters(tx: Tx): Promise<Counters> {
  const { rows } = await tx.query<{ deadlocks: string; conflicts: string; temp_files: string; temp_bytes: string; since: Date; days: string }>(READ);
  const r = rows[0]!;
  return { deadlocks: num(r.deadlocks), conflicts: num(r.conflicts), tempFiles: num(r.temp_files), tempBytes: num(r.temp_bytes), since: r.since, days: num(r.days) };
}

/** Per day, counting any period shorter than a day as one day (a fresh reset does not inflate rates). */
const perDay = (count: number, days: number) => Math.round((100 * count) / Math.max(1, days)) / 100;
const RESET = 'once the cause is fixed, SELECT pg_stat_reset() in this database starts the counters afresh';

export const deadlocks: Check = {
  name: 'deadlocks',
  description: 'Deadlocks in this database per day since the statistics were reset (pg_stat_database.deadlocks): each is a transaction PostgreSQL had to abort',
  unit: 'deadlocks per day',
  defaults: { warning: 0, critical: 10 },
  async run(tx, t) {
    const c = await counters(tx);
    const rate = perDay(c.deadlocks, c.days);
    return {
      status: grade(rate, t),
      summary: `${c.deadlocks} deadlock${c.deadlocks === 1 ? '' : 's'} since ${c.since.toISOString()} (${rate} a day)`,
      rows: [{ deadlocks: c.deadlocks, perDay: rate, since: c.since }],
      advice: `the server log has each deadlock with both statements (log_lock_waits on): make the transactions take their locks in one order (Comanda's orders lock dishes by id); ${RESET}`,
    };
  },
};

export const tempFiles: Check = {
  name: 'temp-files',
  description: 'Temporary files written by this database per day since the statistics were reset (sorts and hashes that did not fit in work_mem)',
  unit: 'MB of temporary files per day',
  defaults: { warning: 1_024, critical: 10_240 },
  async run(tx, t) {
    const c = await counters(tx);
    const mbPerDay = perDay(c.tempBytes / 1024 / 1024, c.days);
    return {
      status: grade(mbPerDay, t),
      summary: `${c.tempFiles} temporary file${c.tempFiles === 1 ? '' : 's'}, ${Math.round(c.tempBytes / 1024 / 1024)} MB since ${c.since.toISOString()} (${mbPerDay} MB a day)`,
      rows: [{ tempFiles: c.tempFiles, tempMb: Math.round(c.tempBytes / 1024 / 1024), mbPerDay, since: c.since }],
      advice: `log_temp_files = 0 logs each with its statement: index the sort, or raise work_mem for that role or query (comanda tune); ${RESET}`,
    };
  },
};

export const recoveryConflicts: Check = {
  name: 'recovery-conflicts',
  description: 'On a standby: queries cancelled by recovery conflicts per day since the statistics were reset (pg_stat_database.conflicts, by cause in pg_stat_database_conflicts)',
  unit: 'conflicts per day',
  defaults: { warning: 0, critical: 50 },
  async run(tx, t) {
    // Each standby counts the queries it cancelled in its own pg_stat_database; nothing reaches the
    // primary's (pg_stat_replication has no such column). So the check is only meaningful where it
    // runs on the standby, and on a primary it says where to look instead of a reassuring zero.
    const { rows: role } = await tx.query<{ standby: boolean; replicas: string }>(
      `SELECT pg_is_in_recovery() AS standby, (SELECT count(*) FROM pg_stat_replication) AS replicas`,
    );
    const c = await counters(tx);
    if (!role[0]?.standby) {
      const replicas = num(role[0]?.replicas);
      return {
        status: 'ok',
        summary: replicas
          ? `not a standby: each of its ${replicas} standby${replicas === 1 ? ' counts its' : 's counts their'} recovery conflicts; run this check there (DATABASE_URL naming the standby)`
          : 'not a standby: no recovery conflicts',
        rows: [{ conflicts: c.conflicts, replicas }],
      };
    }
    const { rows: causes } = await tx.query<Record<string, string>>(
      `SELECT confl_tablespace AS tablespace, confl_lock AS lock, confl_snapshot AS snapshot, confl_bufferpin AS bufferpin, confl_deadlock AS deadlock
         FROM pg_stat_database_conflicts WHERE datname = current_database()`,
    );
    const rate = perDay(c.conflicts, c.days);
    return {
      status: grade(rate, t),
      summary: `${c.conflicts} quer${c.conflicts === 1 ? 'y' : 'ies'} cancelled by recovery conflicts since ${c.since.toISOString()} (${rate} a day)`,
      rows: [{ conflicts: c.conflicts, perDay: rate, since: c.since, ...Object.fromEntries(Object.entries(causes[0] ?? {}).map(([k, v]) => [k, num(v)])) }],
      advice: `snapshot conflicts: hot_standby_feedback = on (at the cost of some bloat on the primary) or a larger max_standby_streaming_delay for reporting standbys; ${RESET}`,
    };
  },
};

export const databaseStatsChecks: Check[] = [deadlocks, tempFiles, recoveryConflicts];
