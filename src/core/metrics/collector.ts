// The database's side of /metrics: read by the background collector every
// METRICS_COLLECT_INTERVAL_SECONDS, never on the scrape path. Plain SQL over the statistics views;
// each optional source (pg_stat_statements, the backups table) in a statement of its own, so its
// absence leaves that value out instead of failing the rest.
import type { Database } from '../db/database.js';
import { num, TOOLKIT_TAG } from '../checks/check.js';
import { WORKLOAD } from '../checks/statements.js';
import { STANDBY_LAG_SECONDS } from '../checks/replication.js';

export interface DatabaseMetrics {
  /** Client backends on the whole server, and max_connections. */
  connections: number;
  maxConnections: number;
  /** Active queries of this database running longer than the long-queries check's warning (30 s). */
  longRunningQueries: number;
  /** Sessions of this database idle in a transaction longer than the idle-in-transaction check's warning (5 min). */
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
  /** The server state the peers watch; undefined when it could not be read (e.g. no pg_monitor). */
  server?: ServerStateMetrics;
}

export interface ServerStateMetrics {
  sizeBytes: number;
  /** Cumulative counters of pg_stat_database. */
  deadlocks: number;
  conflicts: number;
  tempFiles: number;
  tempBytes: number;
  oldestTransactionSeconds: number;
  preparedTransactions: number;
  checkpointAgeSeconds: number;
  /** Locks of this database (and shared objects) by mode, granted or waiting. */
  locks: Array<{ mode: string; granted: number; waiting: number }>;
  /** Per table of restaurante: rows, dead rows, size, (auto)vacuum and (auto)analyze counts. */
  tables: TableStat[];
}

export interface TableStat {
  table: string;
  liveRows: number;
  deadRows: number;
  sizeBytes: number;
  vacuums: number;
  autovacuums: number;
  analyzes: number;
  autoanalyzes: number;
  lastVacuum: Date | null;
  lastAutovacuum: Date | null;
  lastAnalyze: Date | null;
  lastAutoanalyze: Date | null;
}

/** Per-table statistics of a schema (the future dashboard's maintenance page, /metrics). */
export async function tableStats(db: Pick<Database, 'query'>, schema = 'restaurante'): Promise<TableStat[]> {
  const { rows } = await db.query<Record<string, string | Date | null>>(
    TOOLKIT_TAG +
      `SELECT relname AS table, n_live_tup, n_dead_tup, pg_total_relation_size(relid) AS bytes, vacuum_count, autovacuum_count, analyze_count, autoanalyze_count,
              last_vacuum, last_autovacuum, last_analyze, last_autoanalyze
         FROM pg_stat_user_tables WHERE schemaname = $1 ORDER BY relname`,
    [schema],
  );
  const date = (v: unknown) => (v instanceof Date ? v : null);
  return rows.map((r) => ({
    table: String(r.table), liveRows: num(r.n_live_tup), deadRows: num(r.n_dead_tup), sizeBytes: num(r.bytes),
    vacuums: num(r.vacuum_count), autovacuums: num(r.autovacuum_count), analyzes: num(r.analyze_count), autoanalyzes: num(r.autoanalyze_count),
    lastVacuum: date(r.last_vacuum), lastAutovacuum: date(r.last_autovacuum), lastAnalyze: date(r.last_analyze), lastAutoanalyze: date(r.last_autoanalyze),
  }));
}

/** Size, pg_stat_database counters, oldest transaction, prepared transactions, checkpoint age, locks by mode, tables. */
export async function serverState(db: Pick<Database, 'query'>): Promise<ServerStateMetrics> {
  const { rows } = await db.query<Record<string, string>>(
    TOOLKIT_TAG +
      `SELECT pg_database_size(current_database()) AS size, d.deadlocks, d.conflicts, d.temp_files, d.temp_bytes,
              (SELECT coalesce(max(extract(epoch FROM now() - xact_start)), 0) FROM pg_stat_activity
                WHERE datname = current_database() AND xact_start IS NOT NULL AND backend_type = 'client backend' AND pid <> pg_backend_pid()) AS oldest,
              (SELECT count(*) FROM pg_prepared_xacts) AS prepared,
              (SELECT extract(epoch FROM now() - checkpoint_time) FROM pg_control_checkpoint()) AS checkpoint_age
         FROM pg_stat_database d WHERE d.datname = current_database()`,
    [],
    options,
  );
  const { rows: locks } = await db.query<{ mode: string; granted: string; waiting: string }>(
    TOOLKIT_TAG +
      `SELECT l.mode, count(*) FILTER (WHERE l.granted) AS granted, count(*) FILTER (WHERE NOT l.granted) AS waiting
         FROM pg_locks l
        WHERE l.pid <> pg_backend_pid() AND l.pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())
        GROUP BY l.mode ORDER BY l.mode`,
    [],
    options,
  );
  const r = rows[0]!;
  return {
    sizeBytes: num(r.size), deadlocks: num(r.deadlocks), conflicts: num(r.conflicts), tempFiles: num(r.temp_files), tempBytes: num(r.temp_bytes),
    oldestTransactionSeconds: Math.max(0, num(r.oldest)), preparedTransactions: num(r.prepared), checkpointAgeSeconds: Math.max(0, num(r.checkpoint_age)),
    locks: locks.map((l) => ({ mode: l.mode, granted: num(l.granted), waiting: num(l.waiting) })),
    tables: await tableStats(db),
  };
}

const options = { readOnly: true, statementTimeoutMs: 2_000, lockTimeoutMs: 500 } as const;

/**
 * The session-age thresholds the gauges count past: the long-queries and idle-in-transaction
 * checks' warning thresholds (their defaults, or COMANDA_CHECKS_FILE's), so /metrics and the
 * doctor count the same sessions.
 */
export interface SessionAgeThresholds {
  longRunningSeconds: number;
  idleInTransactionSeconds: number;
}

export async function collectDatabaseMetrics(db: Database, ages: SessionAgeThresholds): Promise<DatabaseMetrics> {
  const { rows } = await db.query<Record<string, unknown>>(
    TOOLKIT_TAG +
    `SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS connections,
            current_setting('max_connections')::int AS max_connections,
            (SELECT count(*) FROM pg_stat_activity
              WHERE datname = current_database() AND backend_type = 'client backend' AND state = 'active'
                AND query_start < now() - make_interval(secs => $1)) AS long_running,
            (SELECT count(*) FROM pg_stat_activity
              WHERE datname = current_database() AND backend_type = 'client backend'
                AND state IN ('idle in transaction', 'idle in transaction (aborted)')
                AND state_change < now() - make_interval(secs => $2)) AS idle_in_transaction,
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
    [ages.longRunningSeconds, ages.idleInTransactionSeconds],
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

  try {
    metrics.server = await serverState(db);
  } catch {
    // Not readable by this role (pg_control_checkpoint needs pg_monitor): those series stay absent.
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
