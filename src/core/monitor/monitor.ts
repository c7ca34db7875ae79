// `comanda monitor`: runs the jobs on their cron schedules, turns each check's result into alert
// state (alerts.ts), records it (store.ts) and delivers what there is to tell (notifiers.ts).
// One monitor acts at a time (lock.ts); others stand by and take over when the lock frees.
import { hostname } from 'node:os';
import { Cron } from 'croner';
import { runChecks, worst, type CheckResult, type CheckStatus, type Thresholds } from '../checks/check.js';
import type { Database } from '../db/database.js';
import { transition, type AlertState } from './alerts.js';
import type { MonitorJob } from './jobs.js';
import { MonitorLock } from './lock.js';
import { activeMaintenance, type MaintenanceWindow } from './maintenance.js';
import { deliver, describeError, truncateRows, type AlertMessage, type Channel } from './notifiers.js';
import { DatabaseStore, FileStore, type AlertStore } from './store.js';

export type LogEntry = { level: 'info' | 'warn' | 'error'; msg: string } & Record<string, unknown>;

export interface MonitorOptions {
  /** Checks and alert state (DATABASE_URL; a pooler is fine). */
  db: Database;
  /** For the advisory lock: a direct connection (DATABASE_DIRECT_URL). */
  directUrl: string;
  /** Fallback state while the database is unreachable, e.g. COMANDA_DATA_DIR/monitor-state.json. */
  stateFile: string;
  jobs: MonitorJob[];
  channels: Channel[];
  thresholds?: Record<string, Partial<Thresholds>>;
  /** A still-bad check is announced again after this long; 0: never. */
  reminderMs: number;
  /** Attempts per delivery within one run, and the first wait between them (doubling). */
  delivery?: { attempts: number; backoffMs: number };
  /** Undelivered alerts older than this are given up (recorded as abandoned). */
  maxDeliveryAgeMs?: number;
  /** Strings that must never appear in logs or stored errors (webhook URLs, SMTP and database URLs). */
  secrets?: string[];
  host?: string;
  timezone?: string;
  /** How often a standby monitor tries to take the lock. */
  lockRetryMs?: number;
  log?: (entry: LogEntry) => void;
}

export interface JobReport {
  job: string;
  /** Where state was kept this run. */
  store: 'database' | 'file';
  results: CheckResult[];
  notifications: Array<{ check: string; kind: string; status: CheckStatus; heldBack?: boolean }>;
  /** The maintenance window that held this run's alerts back, if one was on. */
  maintenance?: { window: number; until: string; reason: string };
  deliveries: Array<{ channel: string; check: string; kind: string; ok: boolean; attempts: number; error?: string }>;
  /** The worst status of the run's results (`monitor --once` exits with its code). */
  status: CheckStatus;
}

export class Monitor {
  readonly lock: MonitorLock;
  private readonly file: FileStore;
  private readonly dbStore: DatabaseStore;
  private crons: Cron[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  /** Whether this monitor held the lock last: it keeps acting while the database is unreachable. */
  private active = false;
  /** Whether another monitor held the lock when last asked: then this one stays quiet in an outage. */
  private otherActive = false;
  private standbyLogged = false;
  private readonly host: string;
  /** Last state seen per check: the state file starts from it when the database goes away. */
  private readonly lastSeen = new Map<string, AlertState>();
  /** The maintenance window last read, kept while the database cannot be read (a planned restart). */
  private maintenance: MaintenanceWindow | undefined;

  constructor(private readonly options: MonitorOptions) {
    this.lock = new MonitorLock(options.directUrl);
    this.file = new FileStore(options.stateFile);
    this.dbStore = new DatabaseStore(options.db);
    this.host = options.host ?? hostname();
  }

  get jobs(): MonitorJob[] {
    return this.options.jobs;
  }

  private log(entry: LogEntry): void {
    this.options.log?.(entry);
  }

  private describe(err: unknown): string {
    return describeError(err, this.options.secrets ?? []);
  }

  /**
   * Runs one job now: checks, state transitions, notifications, deliveries (with earlier failed
   * ones). Callers make sure this monitor is the active one (see `acquire`).
   */
  runJob(name: string): Promise<JobReport> {
    const job = this.options.jobs.find((j) => j.name === name);
    if (!job) return Promise.reject(new Error(`no job "${name}"; jobs: ${this.options.jobs.map((j) => j.name).join(', ')}`));
    // One job at a time: jobs share the synthetic `database` check and must not both alert it.
    const run = this.queue.then(() => this.execute(job));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async probe(): Promise<{ ok: true; ms: number } | { ok: false; reason: string }> {
    const started = performance.now();
    try {
      const { rows } = await this.options.db.query<{ ready: boolean }>(
        `SELECT to_regclass('comanda.alert_state') IS NOT NULL AS ready`,
        [],
        { statementTimeoutMs: 5_000 },
      );
      if (!rows[0]?.ready) return { ok: false, reason: 'schema' };
      return { ok: true, ms: Math.round(performance.now() - started) };
    } catch (err) {
      return { ok: false, reason: this.describe(err) };
    }
  }

  /** A report job: built and sent to every channel as it is; nothing to remember, nothing held back. */
  private async sendReport(job: MonitorJob, report: NonNullable<MonitorJob['report']>): Promise<JobReport> {
    const built = await report.build(this.options.db);
    const message: AlertMessage = {
      kind: 'report', job: job.name, check: report.name, status: 'ok', previous: null, summary: built.summary, advice: null,
      rows: truncateRows(built.rows), at: new Date().toISOString(), host: this.host,
    };
    const result: JobReport = { job: job.name, store: 'database', results: [], notifications: [{ check: report.name, kind: 'report', status: 'ok' }], deliveries: [], status: 'ok' };
    const { attempts, backoffMs } = this.options.delivery ?? { attempts: 3, backoffMs: 2_000 };
    for (const channel of this.options.channels) {
      const outcome = await deliver(channel, message, { attempts, backoffMs, secrets: this.options.secrets ?? [] });
      result.deliveries.push({ channel: channel.name, check: report.name, kind: 'report', ok: outcome.ok, attempts: outcome.attempts, error: outcome.error });
      if (!outcome.ok) this.log({ level: 'error', msg: `could not deliver the ${report.name} report by ${channel.name} (${channel.target})`, error: outcome.error });
    }
    this.log({ level: 'info', msg: `job ${job.name} done`, job: job.name, summary: built.summary, channels: this.options.channels.length });
    return result;
  }

  private async execute(job: MonitorJob): Promise<JobReport> {
    if (job.report) return this.sendReport(job, job.report);
    const started = Date.now();
    const probe = await this.probe();
    if (!probe.ok && probe.reason === 'schema') {
      throw new Error('the monitor\'s tables (comanda.alert_state, migration 0009) are missing: run `comanda migrate up`');
    }
    let store: AlertStore = this.file;
    const results: CheckResult[] = [];
    if (probe.ok) {
      store = this.dbStore;
      await this.syncFile();
      await this.readMaintenance();
      results.push({ name: 'database', status: 'ok', summary: `the database answers (${probe.ms} ms)`, rows: [], durationMs: probe.ms });
      if (job.checks) results.push(...(await runChecks(this.options.db, job.checks, this.options.thresholds)));
      if (job.task) results.push(await this.runTask(job.task));
    } else {
      results.push({
        name: 'database',
        status: 'critical',
        summary: `cannot reach the database: ${probe.reason}`,
        rows: [],
        advice: 'check that PostgreSQL is running and reachable from this host (network, max_connections, credentials); `comanda doctor` once it answers',
        durationMs: 0,
      });
    }

    const report: JobReport = { job: job.name, store: store.kind, results, notifications: [], deliveries: [], status: 'ok' };
    const window = this.maintenance && this.maintenance.endsAt.getTime() > Date.now() ? this.maintenance : undefined;
    if (window) report.maintenance = { window: window.id, until: window.endsAt.toISOString(), reason: window.reason };
    try {
      await this.decide(job, results, store, report);
    } catch (err) {
      if (store.kind === 'file') throw err;
      // The database went away mid-run: remember in the file instead, and say so.
      this.log({ level: 'warn', msg: 'could not record alert state in the database; using the state file', error: this.describe(err) });
      store = this.file;
      report.store = 'file';
      await this.decide(job, results, store, report);
    }
    await this.flush(store, report);
    report.status = worst(results.map((r) => r.status));
    this.log({
      level: 'info',
      msg: `job ${job.name} done`,
      job: job.name,
      store: report.store,
      durationMs: Date.now() - started,
      status: worst(results.map((r) => r.status)),
      checks: Object.fromEntries(results.map((r) => [r.name, r.status])),
      notifications: report.notifications.length,
      failedDeliveries: report.deliveries.filter((d) => !d.ok).length,
    });
    return report;
  }

  /** The window on now; a missing table (migration 0017 not applied) means none. */
  private async readMaintenance(): Promise<void> {
    try {
      this.maintenance = await activeMaintenance(this.options.db);
    } catch (err) {
      if ((err as { code?: string }).code === '42P01') this.maintenance = undefined;
      else this.log({ level: 'warn', msg: 'could not read the maintenance window; keeping the last one known', error: this.describe(err) });
    }
  }

  private async runTask(task: NonNullable<MonitorJob['task']>): Promise<CheckResult> {
    const started = performance.now();
    try {
      const outcome = await task.run();
      return { name: task.check, ...outcome, advice: outcome.status === 'ok' ? undefined : outcome.advice, durationMs: Math.round(performance.now() - started) };
    } catch (err) {
      return {
        name: task.check,
        status: 'critical',
        summary: `failed: ${this.describe(err)}`,
        rows: [],
        advice: 'run it by hand to see the whole error (e.g. `comanda backup`), fix the cause, and check free disk space',
        durationMs: Math.round(performance.now() - started),
      };
    }
  }

  private async decide(job: MonitorJob, results: CheckResult[], store: AlertStore, report: JobReport): Promise<void> {
    report.notifications = [];
    const now = new Date();
    const states = await store.states(results.map((r) => r.name));
    if (store.kind === 'file') for (const [name, state] of this.lastSeen) if (!states.has(name)) states.set(name, state);
    const channels = this.options.channels.map((c) => c.name);
    for (const result of results) {
      const t = transition(states.get(result.name), result, now, this.options.reminderMs);
      let message: AlertMessage | undefined;
      if (t.kind) {
        message = {
          kind: t.kind,
          job: job.name,
          check: result.name,
          status: result.status,
          previous: t.previous ?? null,
          summary: result.summary,
          advice: result.advice ?? null,
          rows: truncateRows(result.rows),
          at: now.toISOString(),
          host: this.host,
        };
        if (report.maintenance) {
          // Recorded, not delivered; people are told after the window whatever is still wrong.
          message.heldBack = report.maintenance;
          message.summary = `${result.summary} [held back: maintenance window until ${report.maintenance.until}: ${report.maintenance.reason}]`;
        }
        report.notifications.push({ check: result.name, kind: t.kind, status: result.status, ...(report.maintenance ? { heldBack: true } : {}) });
        this.log({
          level: t.kind === 'resolved' || report.maintenance ? 'info' : 'warn',
          msg: `${t.kind}: ${result.name} is ${result.status}${report.maintenance ? ' (held back by the maintenance window)' : ''}`,
          job: job.name,
          check: result.name,
          summary: result.summary,
        });
      }
      const held = message?.heldBack !== undefined;
      // A held-back alert leaves what people were told unchanged, so it is sent after the window.
      const next = held ? { ...t.next, notifiedStatus: states.get(result.name)?.notifiedStatus, notifiedAt: states.get(result.name)?.notifiedAt } : t.next;
      await store.record(next, message, held ? [] : channels);
      this.lastSeen.set(result.name, next);
    }
  }

  /** Sends every undelivered notification of this store, oldest first: this run's and earlier ones. */
  private async flush(store: AlertStore, report: JobReport): Promise<void> {
    const byName = new Map(this.options.channels.map((c) => [c.name, c]));
    const maxAge = this.options.maxDeliveryAgeMs ?? 24 * 3600_000;
    const { attempts, backoffMs } = this.options.delivery ?? { attempts: 3, backoffMs: 2_000 };
    for (const d of await store.undelivered()) {
      const channel = byName.get(d.channel);
      if (!channel) {
        await store.abandon(d, `the ${d.channel} channel is no longer configured`);
        continue;
      }
      if (Date.now() - d.at.getTime() > maxAge) {
        await store.abandon(d, `not delivered within ${Math.round(maxAge / 3600_000)} h; given up`);
        this.log({ level: 'error', msg: `gave up delivering an alert by ${d.channel}`, check: d.message.check, kind: d.message.kind });
        continue;
      }
      const outcome = await deliver(channel, d.message, { attempts, backoffMs, secrets: this.options.secrets ?? [] });
      await store.recordDelivery(d, outcome);
      report.deliveries.push({ channel: d.channel, check: d.message.check, kind: d.message.kind, ok: outcome.ok, attempts: outcome.attempts, error: outcome.error });
      if (!outcome.ok) {
        this.log({
          level: 'error',
          msg: `could not deliver by ${d.channel} (${channel.target}); will retry on the next run`,
          check: d.message.check,
          kind: d.message.kind,
          attempts: outcome.attempts,
          error: outcome.error,
        });
      }
    }
  }

  /** Folds the state file into the database once it answers again (the database down period). */
  private async syncFile(): Promise<void> {
    const data = await this.file.read();
    if (!data) return;
    await this.dbStore.importFile(data);
    await this.file.remove();
    this.log({ level: 'info', msg: 'the database answers again; alert state from the state file moved into it', file: this.file.file });
  }

  /**
   * Whether this monitor may act now: it holds the lock (taking it if free), or — the database
   * being unreachable, so nobody can hold it — it was the active one, or has never seen another
   * (a monitor started during an outage still reports it).
   */
  async acquire(): Promise<boolean> {
    const result = await this.lock.tryAcquire();
    if (result === 'acquired') {
      if (!this.active) this.log({ level: 'info', msg: 'this monitor is active (holds the monitor lock)' });
      this.active = true;
      this.otherActive = false;
      this.standbyLogged = false;
      return true;
    }
    if (result === 'busy') {
      if (this.active || !this.standbyLogged) {
        const holder = await this.lock.holder();
        this.log({
          level: 'info',
          msg: 'another monitor holds the lock; standing by',
          holder: holder ? { pid: holder.pid, application: holder.applicationName, address: holder.clientAddr } : undefined,
        });
        this.standbyLogged = true;
      }
      this.active = false;
      this.otherActive = true;
      // A standby still moves a state file into the database, so the active one sees it.
      if (await this.file.read()) await this.syncFile().catch(() => undefined);
      return false;
    }
    return this.active || !this.otherActive;
  }

  /** Schedules every job and takes (or waits for) the lock. */
  async start(): Promise<void> {
    await this.acquire();
    for (const job of this.options.jobs) {
      const cron = new Cron(job.schedule, { timezone: this.options.timezone, protect: true }, async () => {
        try {
          if (await this.acquire()) await this.runJob(job.name);
        } catch (err) {
          this.log({ level: 'error', msg: `job ${job.name} failed`, job: job.name, error: this.describe(err) });
        }
      });
      this.crons.push(cron);
      this.log({ level: 'info', msg: `scheduled ${job.name}`, job: job.name, schedule: job.schedule, next: cron.nextRun()?.toISOString() });
    }
    const retry = this.options.lockRetryMs ?? 30_000;
    this.retryTimer = setInterval(() => {
      if (!this.lock.held) void this.acquire().catch(() => undefined);
    }, retry);
  }

  async stop(): Promise<void> {
    for (const cron of this.crons) cron.stop();
    this.crons = [];
    if (this.retryTimer) clearInterval(this.retryTimer);
    await this.queue;
    await this.lock.release();
    this.active = false;
    for (const c of this.options.channels) c.close?.();
  }
}
