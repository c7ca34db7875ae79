// An optional read replica (DATABASE_REPLICA_URL) for reads that may be a little behind: the
// menu. A background check measures how far the replica's replay trails what it received (0 when
// caught up, however idle the primary; see STANDBY_LAG_SECONDS); while that is within the bound
// (DATABASE_REPLICA_MAX_LAG_MS), reads go to the replica; when it lags more, is not a standby any
// more (promoted) or does not answer, reads go to the primary until it is back within the bound.
// The decision is at most one check interval old, so a read may be up to bound + interval behind.
import { STANDBY_LAG_SECONDS } from '../checks/replication.js';
import type { Database } from './database.js';

export interface ReplicaState {
  /** Reads go to the replica now. */
  inUse: boolean;
  /** Replay lag at the last check, in ms; undefined when the replica did not answer. */
  lagMs: number | undefined;
  checkedAt: number | undefined;
}

export class ReplicaReads {
  private current: ReplicaState = { inUse: false, lagMs: undefined, checkedAt: undefined };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly primary: Database,
    readonly replica: Database,
    readonly maxLagMs: number,
    private readonly checkEveryMs = 500,
    private readonly onChange?: (state: ReplicaState) => void,
  ) {}

  /** Where a read that tolerates the lag bound should go now. */
  get db(): Database {
    return this.current.inUse ? this.replica : this.primary;
  }

  get state(): ReplicaState {
    return { ...this.current };
  }

  /** Measures the replica's lag now and decides where reads go. */
  async check(): Promise<ReplicaState> {
    let lagMs: number | undefined;
    let standby = false;
    try {
      const { rows } = await this.replica.query<{ standby: boolean; lag_ms: string }>(
        `SELECT pg_is_in_recovery() AS standby, (${STANDBY_LAG_SECONDS}) * 1000 AS lag_ms`,
        [],
        { readOnly: true, statementTimeoutMs: 1_000 },
      );
      standby = rows[0]?.standby === true;
      lagMs = rows[0] ? Math.round(Number(rows[0].lag_ms)) : undefined;
    } catch {
      lagMs = undefined;
    }
    const inUse = standby && lagMs !== undefined && lagMs <= this.maxLagMs;
    const changed = inUse !== this.current.inUse;
    this.current = { inUse, lagMs, checkedAt: Date.now() };
    if (changed) this.onChange?.(this.state);
    return this.state;
  }

  start(): void {
    if (this.timer) return;
    const tick = () => {
      void this.check().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.checkEveryMs).unref();
      });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.replica.close().catch(() => undefined);
  }
}
