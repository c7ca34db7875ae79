// Where the monitor remembers alert state and history: the database (comanda.alert_state,
// alert_events, alert_deliveries; migration 0009), or — while the database cannot be reached — a
// local JSON file (mode 0600) so that "database down" is alerted once, remembered, and resolved
// once. When the database answers again the file is folded into the tables and removed.
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CheckStatus } from '../checks/check.js';
import type { Database } from '../db/database.js';
import type { AlertState } from './alerts.js';
import type { AlertMessage, ChannelName, DeliveryOutcome } from './notifiers.js';

export type DeliveryState = 'pending' | 'sent' | 'failed' | 'abandoned';

export interface PendingDelivery {
  id: string;
  channel: ChannelName;
  attempts: number;
  message: AlertMessage;
  /** When the event happened; old undelivered alerts are abandoned rather than sent late. */
  at: Date;
}

export interface AlertStore {
  readonly kind: 'database' | 'file';
  states(checks: string[]): Promise<Map<string, AlertState>>;
  /**
   * Stores the check's new state and, when there is something to tell, the event and one
   * pending delivery per channel — together, so a crash cannot lose an alert. Returns the
   * deliveries to attempt.
   */
  record(state: AlertState, message: AlertMessage | undefined, channels: ChannelName[]): Promise<PendingDelivery[]>;
  recordDelivery(delivery: PendingDelivery, outcome: DeliveryOutcome): Promise<void>;
  /** Deliveries that have not gone out yet, oldest first. */
  undelivered(): Promise<PendingDelivery[]>;
  abandon(delivery: PendingDelivery, reason: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Database

interface StateRow {
  check: string;
  status: CheckStatus;
  since: Date;
  summary: string;
  notified_status: CheckStatus | null;
  notified_at: Date | null;
}

const fromRow = (r: StateRow): AlertState => ({
  check: r.check,
  status: r.status,
  since: r.since,
  summary: r.summary,
  notifiedStatus: r.notified_status ?? undefined,
  notifiedAt: r.notified_at ?? undefined,
});

const UPSERT_STATE = `
  INSERT INTO comanda.alert_state ("check", status, since, summary, notified_status, notified_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, now())
  ON CONFLICT ("check") DO UPDATE SET status = EXCLUDED.status, since = EXCLUDED.since, summary = EXCLUDED.summary,
    notified_status = EXCLUDED.notified_status, notified_at = EXCLUDED.notified_at, updated_at = now()`;

const stateParams = (s: AlertState) => [s.check, s.status, s.since, s.summary, s.notifiedStatus ?? null, s.notifiedAt ?? null];

export class DatabaseStore implements AlertStore {
  readonly kind = 'database' as const;
  constructor(private readonly db: Database) {}

  async states(checks: string[]): Promise<Map<string, AlertState>> {
    const { rows } = await this.db.query<StateRow>(
      `SELECT "check", status, since, summary, notified_status, notified_at FROM comanda.alert_state WHERE "check" = ANY($1)`,
      [checks],
    );
    return new Map(rows.map((r) => [r.check, fromRow(r)]));
  }

  async record(state: AlertState, message: AlertMessage | undefined, channels: ChannelName[]): Promise<PendingDelivery[]> {
    return this.db.transaction(async (tx) => {
      await tx.query(UPSERT_STATE, stateParams(state));
      if (!message) return [];
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO comanda.alert_events (at, job, "check", kind, status, previous, summary, payload)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [message.at, message.job, message.check, message.kind, message.status, message.previous, message.summary, JSON.stringify(message)],
      );
      if (channels.length === 0) return [];
      const deliveries = await tx.query<{ id: string; channel: ChannelName }>(
        `INSERT INTO comanda.alert_deliveries (event_id, channel) SELECT $1, unnest($2::text[]) RETURNING id, channel`,
        [rows[0]!.id, channels],
      );
      return deliveries.rows.map((d) => ({ id: String(d.id), channel: d.channel, attempts: 0, message, at: new Date(message.at) }));
    });
  }

  async recordDelivery(delivery: PendingDelivery, outcome: DeliveryOutcome): Promise<void> {
    await this.db.query(
      `UPDATE comanda.alert_deliveries
          SET state = $2, attempts = attempts + $3, last_error = $4, last_attempt_at = now(),
              delivered_at = CASE WHEN $2 = 'sent' THEN now() END
        WHERE id = $1`,
      [delivery.id, outcome.ok ? 'sent' : 'failed', outcome.attempts, outcome.ok ? null : (outcome.error ?? 'failed')],
    );
  }

  async undelivered(): Promise<PendingDelivery[]> {
    const { rows } = await this.db.query<{ id: string; channel: ChannelName; attempts: number; payload: AlertMessage; at: Date }>(
      `SELECT d.id, d.channel, d.attempts, e.payload, e.at
         FROM comanda.alert_deliveries d JOIN comanda.alert_events e ON e.id = d.event_id
        WHERE d.state IN ('pending', 'failed') ORDER BY d.id`,
    );
    return rows.map((r) => ({ id: String(r.id), channel: r.channel, attempts: r.attempts, message: r.payload, at: r.at }));
  }

  async abandon(delivery: PendingDelivery, reason: string): Promise<void> {
    await this.db.query(`UPDATE comanda.alert_deliveries SET state = 'abandoned', last_error = $2 WHERE id = $1`, [delivery.id, reason]);
  }

  /** Folds what a file store remembered (while the database was down) into the tables. */
  async importFile(data: FileData): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const s of Object.values(data.states)) await tx.query(UPSERT_STATE, stateParams(reviveState(s)));
      for (const e of data.events) {
        const m = e.message;
        const { rows } = await tx.query<{ id: string }>(
          `INSERT INTO comanda.alert_events (at, job, "check", kind, status, previous, summary, payload)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
          [m.at, m.job, m.check, m.kind, m.status, m.previous, m.summary, JSON.stringify(m)],
        );
        for (const d of e.deliveries) {
          await tx.query(
            `INSERT INTO comanda.alert_deliveries (event_id, channel, state, attempts, last_error, last_attempt_at, delivered_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)`,
            [rows[0]!.id, d.channel, d.state, d.attempts, d.lastError ?? null, d.lastAttemptAt ?? null, d.deliveredAt ?? null],
          );
        }
      }
    });
  }
}

/** Current alert states and the latest deliveries, for `comanda monitor status`. */
export async function monitorStatus(db: Database, limit = 20) {
  const states = await db.query<StateRow & { updated_at: Date }>(
    `SELECT "check", status, since, summary, notified_status, notified_at, updated_at FROM comanda.alert_state
      ORDER BY CASE status WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 WHEN 'unknown' THEN 2 ELSE 3 END, "check"`,
  );
  const deliveries = await db.query<{
    id: string; at: Date; check: string; kind: string; status: string; channel: string; state: DeliveryState; attempts: number; error: string | null; deliveredAt: Date | null;
  }>(
    `SELECT d.id, e.at, e."check", e.kind, e.status, d.channel, d.state, d.attempts, d.last_error AS error, d.delivered_at AS "deliveredAt"
       FROM comanda.alert_deliveries d JOIN comanda.alert_events e ON e.id = d.event_id
      ORDER BY d.id DESC LIMIT $1`,
    [limit],
  );
  const undelivered = await db.query<{ n: string }>(`SELECT count(*) AS n FROM comanda.alert_deliveries WHERE state IN ('pending', 'failed')`);
  return {
    states: states.rows.map((r) => ({ ...fromRow(r), updatedAt: r.updated_at })),
    deliveries: deliveries.rows.map((d) => ({ ...d, id: String(d.id) })),
    undelivered: Number(undelivered.rows[0]?.n ?? 0),
  };
}

// ---------------------------------------------------------------------------------------------
// Local file

interface FileState {
  check: string;
  status: CheckStatus;
  since: string;
  summary: string;
  notifiedStatus?: CheckStatus;
  notifiedAt?: string;
}

interface FileDelivery {
  id: string;
  channel: ChannelName;
  state: DeliveryState;
  attempts: number;
  lastError?: string;
  lastAttemptAt?: string;
  deliveredAt?: string;
}

export interface FileData {
  version: 1;
  states: Record<string, FileState>;
  events: Array<{ id: string; message: AlertMessage; deliveries: FileDelivery[] }>;
}

const reviveState = (s: FileState): AlertState => ({
  check: s.check,
  status: s.status,
  since: new Date(s.since),
  summary: s.summary,
  notifiedStatus: s.notifiedStatus,
  notifiedAt: s.notifiedAt ? new Date(s.notifiedAt) : undefined,
});

const empty = (): FileData => ({ version: 1, states: {}, events: [] });

/** The fallback state file; every change is written at once (write + rename), mode 0600. */
export class FileStore implements AlertStore {
  readonly kind = 'file' as const;
  constructor(readonly file: string) {}

  /** The file's content, or undefined when there is none. A damaged file is set aside, not trusted. */
  async read(): Promise<FileData | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const data = JSON.parse(text) as FileData;
      if (data.version !== 1 || typeof data.states !== 'object' || !Array.isArray(data.events)) throw new Error('unexpected shape');
      return data;
    } catch {
      await rename(this.file, `${this.file}.damaged-${Date.now()}`);
      return undefined;
    }
  }

  async remove(): Promise<void> {
    await rm(this.file, { force: true });
  }

  private async write(data: FileData): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, this.file);
  }

  private async update<T>(fn: (data: FileData) => T): Promise<T> {
    const data = (await this.read()) ?? empty();
    const result = fn(data);
    await this.write(data);
    return result;
  }

  async states(checks: string[]): Promise<Map<string, AlertState>> {
    const data = (await this.read()) ?? empty();
    return new Map(checks.filter((c) => data.states[c]).map((c) => [c, reviveState(data.states[c]!)]));
  }

  async record(state: AlertState, message: AlertMessage | undefined, channels: ChannelName[]): Promise<PendingDelivery[]> {
    return this.update((data) => {
      data.states[state.check] = {
        check: state.check,
        status: state.status,
        since: state.since.toISOString(),
        summary: state.summary,
        notifiedStatus: state.notifiedStatus,
        notifiedAt: state.notifiedAt?.toISOString(),
      };
      if (!message) return [];
      const id = randomUUID();
      const deliveries = channels.map((channel) => ({ id: `${id}:${channel}`, channel, state: 'pending' as const, attempts: 0 }));
      data.events.push({ id, message, deliveries });
      return deliveries.map((d) => ({ id: d.id, channel: d.channel, attempts: 0, message, at: new Date(message.at) }));
    });
  }

  private async setDelivery(id: string, change: (d: FileDelivery) => void): Promise<void> {
    await this.update((data) => {
      for (const e of data.events) for (const d of e.deliveries) if (d.id === id) change(d);
    });
  }

  async recordDelivery(delivery: PendingDelivery, outcome: DeliveryOutcome): Promise<void> {
    const now = new Date().toISOString();
    await this.setDelivery(delivery.id, (d) => {
      d.state = outcome.ok ? 'sent' : 'failed';
      d.attempts += outcome.attempts;
      d.lastError = outcome.ok ? undefined : outcome.error;
      d.lastAttemptAt = now;
      d.deliveredAt = outcome.ok ? now : undefined;
    });
  }

  async undelivered(): Promise<PendingDelivery[]> {
    const data = (await this.read()) ?? empty();
    return data.events.flatMap((e) =>
      e.deliveries
        .filter((d) => d.state === 'pending' || d.state === 'failed')
        .map((d) => ({ id: d.id, channel: d.channel, attempts: d.attempts, message: e.message, at: new Date(e.message.at) })),
    );
  }

  async abandon(delivery: PendingDelivery, reason: string): Promise<void> {
    await this.setDelivery(delivery.id, (d) => {
      d.state = 'abandoned';
      d.lastError = reason;
    });
  }
}
