// Comanda's Prometheus metrics: one prom-client Registry per instance (build() runs many times in
// the tests, so nothing goes to the library's global registry), the process' and the pool's
// metrics, and a background collector that reads the database and runs the
// toolkit's checks on timers. A scrape only renders cached values: it never queries the database.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Database } from '../db/database.js';
import { allChecks } from '../checks/registry.js';
import { runChecks, severity, type Check, type CheckResult } from '../checks/check.js';
import { idleInTransaction, longQueries } from '../checks/sessions.js';
import type { ThresholdOverrides } from '../checks/thresholds.js';
import { collectDatabaseMetrics, type DatabaseMetrics } from './collector.js';

export interface MetricsSettings {
  /** How often the database metrics are read (METRICS_COLLECT_INTERVAL_SECONDS). */
  collectIntervalSeconds: number;
  /** How often the toolkit's checks run for comanda_check_status (METRICS_CHECKS_INTERVAL_SECONDS). */
  checksIntervalSeconds: number;
  /** Check thresholds (COMANDA_CHECKS_FILE), as the doctor and the monitor use them; defaults otherwise. */
  thresholds?: ThresholdOverrides;
  /** Told when a collection fails (the service logs it); the metrics say so too (comanda_db_up, collector_success). */
  onCollectError?: (collector: 'database' | 'checks', err: unknown) => void;
}

export const defaultMetricsSettings: MetricsSettings = { collectIntervalSeconds: 15, checksIntervalSeconds: 60 };


type Collector = 'database' | 'checks';

/** Sets an unlabelled gauge, or removes its sample when the value is unknown (absent, not 0). */
function setOrRemove(gauge: Gauge, value: number | undefined): void {
  if (value === undefined || !Number.isFinite(value)) gauge.remove();
  else gauge.set(value);
}

export class ComandaMetrics {
  readonly registry = new Registry();
  readonly settings: MetricsSettings;

  private readonly up: Gauge;
  private readonly connectionsUsed: Gauge;
  private readonly connectionsMax: Gauge;
  private readonly connectionUtilization: Gauge;
  private readonly longRunning: Gauge;
  private readonly idleInTransaction: Gauge;
  private readonly meanQuery: Gauge;
  private readonly statStatementsAvailable: Gauge;
  private readonly deadTupleRatio: Gauge;
  private readonly replicationLagBytes: Gauge;
  private readonly replicationLagSeconds: Gauge;
  private readonly replicas: Gauge;
  private readonly inRecovery: Gauge;
  private readonly cacheHitRatio: Gauge;
  private readonly committed: Counter;
  private readonly rolledBack: Counter;
  private readonly outboxDepth: Gauge<'status'>;
  private readonly outboxRetrying: Gauge;
  private readonly outboxOldestPending: Gauge;
  private readonly backupAge: Gauge;
  private readonly server: {
    size: Gauge; deadlocks: Counter; conflicts: Counter; tempFiles: Counter; tempBytes: Counter; oldestXact: Gauge; prepared: Gauge; checkpointAge: Gauge;
    locks: Gauge<'mode' | 'state'>; tableLive: Gauge<'table'>; tableDead: Gauge<'table'>; tableSize: Gauge<'table'>; tableVacuums: Counter<'table' | 'kind'>;
  };
  private readonly checkStatus: Gauge<'check'>;
  private readonly checkDuration: Gauge<'check'>;
  private readonly collectorSuccess: Gauge<'collector'>;
  private readonly collectorDuration: Gauge<'collector'>;
  private readonly collectorLastSuccess: Gauge<'collector'>;

  private readonly timers: Partial<Record<Collector, NodeJS.Timeout>> = {};
  private readonly running: Partial<Record<Collector, Promise<void>>> = {};
  private first: Promise<void> | undefined;
  private stopped = false;
  /** The reason the last database collection failed, for the logs (never a secret: driver messages). */
  lastError: { collector: Collector; message: string } | undefined;

  constructor(
    private readonly db: Database,
    settings: Partial<MetricsSettings> = {},
    private readonly checks: Check[] = allChecks,
  ) {
    this.settings = { ...defaultMetricsSettings, ...settings };
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these gauges *_total, which Prometheus reserves for counters (promtool
    // check metrics rejects them); the process' handles and requests are not worth that. And
    // nodejs_eventloop_lag_seconds waits for a turn of the event loop on every scrape (most of a
    // scrape's time under load); nodejs_eventloop_lag_{min,mean,max,p50,p90,p99}_seconds stay.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total', 'nodejs_eventloop_lag_seconds']) {
      this.registry.removeSingleMetric(name);
    }

    const pool = db.pool;
    new Gauge({
      name: 'comanda_db_pool_connections',
      help: "This instance's database pool: connections in use, idle, and requests waiting for one.",
      labelNames: ['state'],
      registers,
      // Read from the pool itself at scrape time: counters in memory, no query.
      collect() {
        this.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
    new Gauge({ name: 'comanda_db_pool_max', help: "Size of this instance's database pool (DATABASE_POOL_SIZE).", registers }).set(pool.options.max);

    const gauge = (name: string, help: string) => new Gauge({ name, help, registers });
    this.up = gauge('comanda_db_up', '1 when the last collection of database metrics succeeded, 0 when the database could not be read.');
    this.connectionsUsed = gauge('comanda_db_connections', 'Client connections to the PostgreSQL server (all databases).');
    this.connectionsMax = gauge('comanda_db_max_connections', 'max_connections of the PostgreSQL server.');
    this.connectionUtilization = gauge('comanda_db_connection_utilization_ratio', 'Client connections / max_connections (critical above 0.8).');
    this.longRunning = gauge('comanda_db_long_running_queries', "Active queries of this database running longer than the long-queries check's warning threshold (30 s by default).");
    this.idleInTransaction = gauge('comanda_db_idle_in_transaction_sessions', "Sessions of this database idle in a transaction longer than the idle-in-transaction check's warning threshold (5 minutes by default).");
    this.meanQuery = gauge(
      'comanda_db_query_mean_seconds',
      "Mean execution time of this database's statements, from pg_stat_statements (warning above 0.5); absent without pg_stat_statements.",
    );
    this.statStatementsAvailable = gauge('comanda_db_pg_stat_statements_available', '1 when pg_stat_statements can be read in this database, else 0 (and comanda_db_query_mean_seconds is absent).');
    this.deadTupleRatio = gauge('comanda_db_dead_tuple_ratio', 'Dead rows / all rows of the restaurante schema (above 0.2 wants a vacuum).');
    this.replicationLagBytes = gauge('comanda_db_replication_lag_bytes', "Replication lag in bytes of WAL: a standby's own, or a primary's worst replica; 0 when caught up.");
    this.replicationLagSeconds = gauge('comanda_db_replication_lag_seconds', 'Replication lag in seconds (warning above 60); 0 when caught up or without replicas.');
    this.replicas = gauge('comanda_db_replicas', 'Standbys streaming from this server (pg_stat_replication).');
    this.inRecovery = gauge('comanda_db_in_recovery', '1 when the database is a standby (in recovery).');
    this.cacheHitRatio = gauge('comanda_db_cache_hit_ratio', 'Share of block reads of this database served from shared buffers (below 0.9 is worth a look).');
    this.committed = new Counter({ name: 'comanda_db_transactions_committed_total', help: 'Transactions committed in this database (pg_stat_database.xact_commit).', registers });
    this.rolledBack = new Counter({
      name: 'comanda_db_transactions_rolled_back_total',
      help: 'Transactions rolled back in this database (pg_stat_database.xact_rollback; the spec: warning above 100/min).',
      registers,
    });
    this.outboxDepth = new Gauge({
      name: 'comanda_email_outbox',
      help: 'E-mails in the outbox by status: pending (to send) and failed (gave up after EMAIL_MAX_ATTEMPTS).',
      labelNames: ['status'],
      registers,
    });
    this.outboxRetrying = gauge('comanda_email_outbox_retrying', 'Pending e-mails whose earlier attempts failed (waiting for a retry).');
    this.outboxOldestPending = gauge('comanda_email_outbox_oldest_pending_seconds', 'Age of the oldest pending e-mail; 0 when none is pending.');
    this.backupAge = gauge('comanda_backup_last_verified_age_seconds', 'Seconds since the newest verified backup (comanda.backups); absent until one exists.');
    const counter = (name: string, help: string) => new Counter({ name, help, registers });
    this.server = {
      size: gauge('comanda_db_size_bytes', 'Size of this database on disk (pg_database_size).'),
      deadlocks: counter('comanda_db_deadlocks_total', 'Deadlocks detected in this database (pg_stat_database.deadlocks).'),
      conflicts: counter('comanda_db_recovery_conflicts_total', 'Queries cancelled by recovery conflicts in this database, on a standby (pg_stat_database.conflicts).'),
      tempFiles: counter('comanda_db_temp_files_total', 'Temporary files written by queries of this database (pg_stat_database.temp_files).'),
      tempBytes: counter('comanda_db_temp_bytes_total', 'Bytes of temporary files written by queries of this database (pg_stat_database.temp_bytes).'),
      oldestXact: gauge('comanda_db_oldest_transaction_seconds', 'Age of the oldest open transaction of this database (xact_start); 0 when none.'),
      prepared: gauge('comanda_db_prepared_transactions', 'Prepared (two-phase) transactions on the server (pg_prepared_xacts).'),
      checkpointAge: gauge('comanda_db_checkpoint_age_seconds', 'Seconds since the last checkpoint (restartpoint on a standby); an idle server skips checkpoints.'),
      locks: new Gauge({ name: 'comanda_db_locks', help: 'Locks of this database by mode, granted or waiting (pg_locks).', labelNames: ['mode', 'state'], registers }),
      tableLive: new Gauge({ name: 'comanda_db_table_live_rows', help: 'Estimated live rows per table of restaurante (n_live_tup).', labelNames: ['table'], registers }),
      tableDead: new Gauge({ name: 'comanda_db_table_dead_rows', help: 'Dead rows per table of restaurante (n_dead_tup).', labelNames: ['table'], registers }),
      tableSize: new Gauge({ name: 'comanda_db_table_size_bytes', help: 'Size of each table of restaurante with its indexes and TOAST.', labelNames: ['table'], registers }),
      tableVacuums: new Counter({
        name: 'comanda_db_table_maintenance_total',
        help: 'Vacuums and analyzes per table of restaurante, by kind: vacuum, autovacuum, analyze, autoanalyze.',
        labelNames: ['table', 'kind'],
        registers,
      }),
    };
    this.checkStatus = new Gauge({
      name: 'comanda_check_status',
      help: "Status of each toolkit check (comanda doctor): 0 ok, 1 warning, 2 critical, 3 unknown.",
      labelNames: ['check'],
      registers,
    });
    this.checkDuration = new Gauge({ name: 'comanda_check_duration_seconds', help: 'How long each check took on its last run.', labelNames: ['check'], registers });
    this.collectorSuccess = new Gauge({
      name: 'comanda_metrics_collector_success',
      help: 'Whether the last run of each background collector (database, checks) succeeded.',
      labelNames: ['collector'],
      registers,
    });
    this.collectorDuration = new Gauge({ name: 'comanda_metrics_collector_duration_seconds', help: 'How long the last run of each collector took.', labelNames: ['collector'], registers });
    this.collectorLastSuccess = new Gauge({
      name: 'comanda_metrics_collector_last_success_timestamp_seconds',
      help: 'When each collector last succeeded (Unix time).',
      labelNames: ['collector'],
      registers,
    });
    // Nothing is known before the first collection: absent, rather than zeros that look like data.
    this.removeDatabaseValues();
    this.up.remove();
  }

  // -------------------------------------------------------------------------------------------
  // The background collector
  // -------------------------------------------------------------------------------------------

  /**
   * Starts the collector's timers (once; later calls return the same promise): the database
   * metrics every collectIntervalSeconds, the checks every checksIntervalSeconds. Resolves when
   * the first runs have finished. The timers are unref'd: they never keep the process alive.
   */
  start(): Promise<void> {
    this.first ??= Promise.all([this.loop('database'), this.loop('checks')]).then(() => undefined);
    return this.first;
  }

  /** Collects both now (waiting for a run in progress rather than starting a second). */
  async refresh(): Promise<void> {
    await Promise.all([this.run('database'), this.run('checks')]);
  }

  /** Stops the timers and waits for a collection in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of Object.values(this.timers)) clearTimeout(timer);
    await Promise.all(Object.values(this.running));
  }

  /** The Prometheus text exposition of every metric: cached values only. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async loop(collector: Collector): Promise<void> {
    await this.run(collector);
    if (this.stopped) return;
    const seconds = collector === 'database' ? this.settings.collectIntervalSeconds : this.settings.checksIntervalSeconds;
    const timer = setTimeout(() => void this.loop(collector), seconds * 1000);
    timer.unref();
    this.timers[collector] = timer;
  }

  private run(collector: Collector): Promise<void> {
    // A slow collection is never overlapped by the next one.
    this.running[collector] ??= (collector === 'database' ? this.collectDatabase() : this.collectChecks()).finally(() => {
      delete this.running[collector];
    });
    return this.running[collector];
  }

  private async timed(collector: Collector, work: () => Promise<void>): Promise<void> {
    const started = performance.now();
    try {
      await work();
      this.collectorSuccess.set({ collector }, 1);
      this.collectorLastSuccess.set({ collector }, Date.now() / 1000);
    } catch (err) {
      this.collectorSuccess.set({ collector }, 0);
      this.lastError = { collector, message: err instanceof Error ? err.message : String(err) };
      this.settings.onCollectError?.(collector, err);
    } finally {
      this.collectorDuration.set({ collector }, (performance.now() - started) / 1000);
    }
  }

  private collectDatabase(): Promise<void> {
    return this.timed('database', async () => {
      let m: DatabaseMetrics;
      try {
        const warningOf = (check: Check) => this.settings.thresholds?.[check.name]?.warning ?? check.defaults.warning;
        m = await collectDatabaseMetrics(this.db, { longRunningSeconds: warningOf(longQueries), idleInTransactionSeconds: warningOf(idleInTransaction) });
      } catch (err) {
        this.applyDatabase(undefined);
        throw err;
      }
      this.applyDatabase(m);
    });
  }

  private removeDatabaseValues(): void {
    const series: Array<{ remove(): void }> = [
      this.committed, this.rolledBack, this.connectionsUsed, this.connectionsMax, this.connectionUtilization, this.longRunning, this.idleInTransaction,
      this.meanQuery, this.statStatementsAvailable, this.deadTupleRatio, this.replicationLagBytes, this.replicationLagSeconds,
      this.replicas, this.inRecovery, this.cacheHitRatio, this.outboxRetrying, this.outboxOldestPending, this.backupAge,
    ];
    for (const metric of series) metric.remove();
    this.outboxDepth.reset();
    this.removeServerValues();
  }

  private removeServerValues(): void {
    const v = this.server;
    for (const metric of [v.size, v.deadlocks, v.conflicts, v.tempFiles, v.tempBytes, v.oldestXact, v.prepared, v.checkpointAge]) metric.remove();
    for (const metric of [v.locks, v.tableLive, v.tableDead, v.tableSize, v.tableVacuums]) metric.reset();
  }

  private applyServer(m: NonNullable<DatabaseMetrics['server']> | undefined): void {
    this.removeServerValues();
    if (!m) return;
    const v = this.server;
    v.size.set(m.sizeBytes);
    v.deadlocks.inc(m.deadlocks);
    v.conflicts.inc(m.conflicts);
    v.tempFiles.inc(m.tempFiles);
    v.tempBytes.inc(m.tempBytes);
    v.oldestXact.set(m.oldestTransactionSeconds);
    v.prepared.set(m.preparedTransactions);
    v.checkpointAge.set(m.checkpointAgeSeconds);
    for (const l of m.locks) {
      v.locks.set({ mode: l.mode, state: 'granted' }, l.granted);
      v.locks.set({ mode: l.mode, state: 'waiting' }, l.waiting);
    }
    for (const t of m.tables) {
      v.tableLive.set({ table: t.table }, t.liveRows);
      v.tableDead.set({ table: t.table }, t.deadRows);
      v.tableSize.set({ table: t.table }, t.sizeBytes);
      v.tableVacuums.inc({ table: t.table, kind: 'vacuum' }, t.vacuums);
      v.tableVacuums.inc({ table: t.table, kind: 'autovacuum' }, t.autovacuums);
      v.tableVacuums.inc({ table: t.table, kind: 'analyze' }, t.analyzes);
      v.tableVacuums.inc({ table: t.table, kind: 'autoanalyze' }, t.autoanalyzes);
    }
  }

  /** Stale values are worse than none: when the database cannot be read, its metrics go absent. */
  private applyDatabase(m: DatabaseMetrics | undefined): void {
    this.up.set(m ? 1 : 0);
    if (!m) {
      this.removeDatabaseValues();
      return;
    }
    this.connectionsUsed.set(m.connections);
    this.connectionsMax.set(m.maxConnections);
    this.connectionUtilization.set(m.maxConnections > 0 ? m.connections / m.maxConnections : 0);
    this.longRunning.set(m.longRunningQueries);
    this.idleInTransaction.set(m.idleInTransaction);
    setOrRemove(this.meanQuery, m.meanQuerySeconds);
    this.statStatementsAvailable.set(m.meanQuerySeconds === undefined ? 0 : 1);
    this.deadTupleRatio.set(m.deadTupleRatio);
    this.replicationLagBytes.set(m.replication.lagBytes);
    this.replicationLagSeconds.set(m.replication.lagSeconds);
    this.replicas.set(m.replication.replicas);
    this.inRecovery.set(m.replication.inRecovery ? 1 : 0);
    setOrRemove(this.cacheHitRatio, m.cacheHitRatio);
    // The server's cumulative counters, mirrored (they restart from 0 when statistics are reset,
    // which rate() treats as a counter reset).
    this.committed.reset();
    this.committed.inc(m.transactionsCommitted);
    this.rolledBack.reset();
    this.rolledBack.inc(m.transactionsRolledBack);
    this.outboxDepth.set({ status: 'pending' }, m.email.pending);
    this.outboxDepth.set({ status: 'failed' }, m.email.failed);
    this.outboxRetrying.set(m.email.retrying);
    this.outboxOldestPending.set(m.email.oldestPendingSeconds);
    setOrRemove(this.backupAge, m.lastVerifiedBackupAgeSeconds);
    this.applyServer(m.server);
  }

  private collectChecks(): Promise<void> {
    return this.timed('checks', async () => {
      const results: CheckResult[] = await runChecks(this.db, this.checks, this.settings.thresholds ?? {});
      for (const r of results) {
        this.checkStatus.set({ check: r.name }, severity[r.status]);
        this.checkDuration.set({ check: r.name }, r.durationMs / 1000);
      }
    });
  }
}
