// Background jobs with several instances. Every instance schedules the periodic jobs, but only the
// one holding the `comanda:jobs` advisory lock runs them: a session lock on a dedicated direct
// connection (DATABASE_DIRECT_URL; behind a transaction-mode pooler a session lock would land on
// whichever server connection a statement got), taken on the first run and kept while that
// connection lives. When the holder dies or its connection is cut (a failover), the lock is free
// and the next instance whose timer fires takes it over.
//
// How each background job is made safe with several instances:
//   e-mail worker      every instance; due e-mails are claimed with FOR UPDATE SKIP LOCKED and a
//                      lease (src/core/email/outbox.ts), so no e-mail is sent twice at once
//   reminders          the lock holder; also at most one reminder per reservation (unique index)
//   retention          the lock holder (daily)
//   idempotency purge  the lock holder (hourly)
//   menu LISTEN        every instance (each has its own cache)
//   metrics            every instance (each reports its own process; database figures are read-only)
//   monitor            `comanda monitor` holds its own advisory lock: one acts, the others wait
import { MonitorLock } from './monitor/lock.js';

export class JobLeader {
  private readonly lock: MonitorLock;

  constructor(directUrl: string, connectTimeoutMs = 5_000) {
    this.lock = new MonitorLock(directUrl, connectTimeoutMs, 'comanda:jobs');
  }

  /** Whether this instance holds the jobs lock now. */
  get leading(): boolean {
    return this.lock.held;
  }

  /** Runs `fn` when this instance holds (or can take) the jobs lock; undefined when another does. */
  async run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    if ((await this.lock.tryAcquire()) !== 'acquired') return undefined;
    return fn();
  }

  async stop(): Promise<void> {
    await this.lock.release();
  }
}
