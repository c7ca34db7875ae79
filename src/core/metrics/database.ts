// The database's side of /metrics (roadmap §4.1): read by the background collector every
// METRICS_COLLECT_INTERVAL_SECONDS, never on the scrape path. Plain SQL over the statistics views;
// each optional source (pg_stat_statements, the backups table) in a statement of its own, so its
// absence leaves that value out instead of failing the rest.
import type { Database } from '../db/database.js';
import { num, TOOLKIT_TAG } from '../checks/check.js';
import { WORKLOAD } from '../checks/health.js';
import { STANDBY_LAG_SECONDS } from '../checks/replication.js';

export interface DatabaseMetrics {
  /** Client backends on the whole server, and max_connections. */
  connections: number;
  maxConnections: number;
  /** Active queries of this database running longer than 30 s (roadmap §1.1, §4.2). */
  longRunningQueries: number;
  /** Sessions of this database idle in a transaction for longer than 5 minutes (roadmap §1.1). */
  idleInTransaction: number;
  /** Dead rows / (live + dead) rows over the restaurante schema's tables; 0 with no rows. */
  deadTupleRatio: number;
  /** blks_hit / (blks_hit + blks_read) of this database; undefined before any block was read. */
  cacheHitRatio: number | undefined;
  /** Cumulative counters of pg_stat_database (reset with the statistics). */
  transactionsCommitted: number;
  transactionsRolledBack: number;
  /** Replication lag: on a standby its own replay lag, on a primary the worst replica's; 0 when caught up. */
  replication: { inRecovery: boolean; replicas: number; lagBytes: number; lagSeconds: number };
  /** Weighted mean execution time of this database's statements (pg_stat_statements); undefined when unavailable. */
  meanQuerySeconds: number | undefined;
  /** Why meanQuerySeconds is missing, for the logs and the docs. */
  statStatementsUnavailable?: string;
  /** The e-mail outbox: e-mails waiting (pending), waiting again after a failed attempt, given up (failed). */
  email: { pending: number; retrying: number; failed: number; oldestPendingSeconds: number };
  /** Seconds since the newest verified backup; undefined when there is no backups table or no verified backup. */
  lastVerifiedBackupAgeSeconds: number | undefined;
}

const options = { readOnly: true, statementTimeoutMs: 2_000, lockTimeoutMs: 500 } as const;

export async function collectDatabaseMetrics(db: Database): Promise<DatabaseMetrics> {
  const { rows } = await db.query<Record<string, unknown>>(
    TOOLKIT_TAG +
    `SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS connections,
            current_setting('max_connections')::int AS max_connections,
            (SELECT count(*) FROM pg_stat_activity
              WHERE datname = current_database() AND backend_type = 'client backend' AND state = 'active'
                AND query_start < now() - interval '30 seconds') AS long_running,
            (SELECT count(*) FROM pg_stat_activity
              WHERE datname = current_database() AND backend_type = 'client backend'
                AND state IN ('idle in transaction', 'idle in transaction (aborted)')
                AND state_change < now() - interval '5 minutes') AS idle_in_transaction,
            (SELECT sum(n_dead_tup) FROM pg_stat_user_tables WHERE schemaname = 'restaurante') AS dead,
            (SELECT sum(n_live_tup) FROM pg_stat_user_tables WHERE schemaname = 'restaurante') AS live,
            d.blks_hit, d.blks_read, d.xact_commit, d.xact_rollback,
            pg_is_in_recovery() AS in_recovery,
            (SELECT count(*) FROM pg_stat_replication) AS replicas,
            CASE WHEN pg_is_in_recovery()
                 THEN coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0)
                 ELSE coalesce((SELECT max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)) FROM pg_stat_replication), 0)
            END AS lag_bytes,
            CASE WHEN pg_is_in_recovery()
                 THEN ${STANDBY_LAG_SECONDS}
                 ELSE coalesce((SELECT max(extract(epoch FROM replay_lag)) FROM pg_stat_replication), 0)
            END AS lag_seconds,
            e.pending, e.retrying, e.failed, e.oldest_pending,
            EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS stat_statements,
            to_regclass('comanda.backups') IS NOT NULL AS backups_table
       FROM pg_stat_database d,
            LATERAL (SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
                            count(*) FILTER (WHERE status = 'pending' AND retry_count > 0) AS retrying,
                            count(*) FILTER (WHERE status = 'failed') AS failed,
                            coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending')), 0) AS oldest_pending
                       FROM restaurante.email_logs WHERE status IN ('pending', 'failed')) e
      WHERE d.datname = current_database()`,
    [],
    options,
  );
  const r = rows[0]!;
  const dead = num(r.dead);
  const live = num(r.live);
  const hit = num(r.blks_hit);
  const read = num(r.blks_read);
  const metrics: DatabaseMetrics = {
    connections: num(r.connections),
    maxConnections: num(r.max_connections),
    longRunningQueries: num(r.long_running),
    idleInTransaction: num(r.idle_in_transaction),
    deadTupleRatio: dead + live > 0 ? dead / (dead + live) : 0,
    cacheHitRatio: hit + read > 0 ? hit / (hit + read) : undefined,
    transactionsCommitted: num(r.xact_commit),
    transactionsRolledBack: num(r.xact_rollback),
    replication: {
      inRecovery: r.in_recovery === true,
      replicas: num(r.replicas),
      lagBytes: Math.max(0, num(r.lag_bytes)),
      lagSeconds: Math.max(0, num(r.lag_seconds)),
    },
    meanQuerySeconds: undefined,
    email: { pending: num(r.pending), retrying: num(r.retrying), failed: num(r.failed), oldestPendingSeconds: num(r.oldest_pending) },
    lastVerifiedBackupAgeSeconds: undefined,
  };

  if (r.stat_statements !== true) {
    metrics.statStatementsUnavailable = 'the pg_stat_statements extension is not installed in this database';
  } else {
    try {
      // The same statements the pg-stat-statements check grades: the workload, not the toolkit.
      const { rows: pss } = await db.query<{ mean: string | null }>(TOOLKIT_TAG + WORKLOAD.meanSql, WORKLOAD.params, options);
      // No statements recorded yet (just reset) is a mean of 0, not an absent metric.
      metrics.meanQuerySeconds = num(pss[0]?.mean) / 1000;
    } catch (err) {
      // Installed but not preloaded ("must be loaded via shared_preload_libraries"), or not readable.
      metrics.statStatementsUnavailable = err instanceof Error ? err.message : String(err);
    }
  }

  if (r.backups_table === true) {
    try {
      const { rows: backups } = await db.query<{ age: string | null }>(
        TOOLKIT_TAG +
        `SELECT extract(epoch FROM now() - max(verified_at)) AS age FROM comanda.backups WHERE verified_at IS NOT NULL`,
        [],
        options,
      );
      const age = backups[0]?.age;
      if (age !== null && age !== undefined) metrics.lastVerifiedBackupAgeSeconds = Math.max(0, Number(age));
    } catch {
      // A backups table of another shape (or not readable by this role): the metric stays absent.
    }
  }
  return metrics;
}
