// Maintenance windows (migration 0017): `comanda maintenance start --for 30m --reason …` tells the
// monitor to hold back its alerts for a while — a planned restart, a migration, a failover drill —
// and ends by itself. The monitor keeps checking and records every alert it holds back, saying
// why, and tells people afterwards about whatever is still wrong (its state machine never marks a
// held-back alert as told). Starting and ending a window are recorded in comanda.actions_log.
import type { Database } from '../db/database.js';

export interface MaintenanceWindow {
  id: number;
  startedAt: Date;
  endsAt: Date;
  endedAt: Date | null;
  reason: string;
  dbRole: string;
  osUser: string | null;
}

/** Longest window one command may open: a forgotten window must not silence alerts for days. */
export const MAX_WINDOW_MS = 24 * 3_600_000;

export class MaintenanceInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MaintenanceInputError';
  }
}

const COLUMNS = `id, started_at AS "startedAt", ends_at AS "endsAt", ended_at AS "endedAt", reason, db_role AS "dbRole", os_user AS "osUser"`;
const ACTIVE = `ended_at IS NULL AND ends_at > now() AND started_at <= now()`;

const revive = (r: MaintenanceWindow & { id: string | number }): MaintenanceWindow => ({ ...r, id: Number(r.id) });

/** The window on now, if any (the latest started, should several overlap). */
export async function activeMaintenance(db: Pick<Database, 'query'>): Promise<MaintenanceWindow | undefined> {
  const { rows } = await db.query<MaintenanceWindow & { id: string }>(
    `SELECT ${COLUMNS} FROM comanda.maintenance_windows WHERE ${ACTIVE} ORDER BY started_at DESC LIMIT 1`,
  );
  return rows[0] ? revive(rows[0]) : undefined;
}

/** The latest windows, newest first. */
export async function recentMaintenance(db: Pick<Database, 'query'>, limit = 10): Promise<MaintenanceWindow[]> {
  const { rows } = await db.query<MaintenanceWindow & { id: string }>(
    `SELECT ${COLUMNS} FROM comanda.maintenance_windows ORDER BY started_at DESC, id DESC LIMIT $1`,
    [limit],
  );
  return rows.map(revive);
}

async function log(db: Database, action: string, summary: string, target: Record<string, unknown>, osUser: string | null): Promise<void> {
  await db.query(
    `INSERT INTO comanda.actions_log (action, status, summary, targets, os_user, duration_ms) VALUES ($1, 'done', $2, $3, $4, 0)`,
    [action, summary, JSON.stringify([target]), osUser],
  );
}

/**
 * Opens a window of `durationMs` from now. A window already on is ended first and replaced (the
 * result says so), so there is never more than one.
 */
export async function startMaintenance(
  db: Database,
  options: { durationMs: number; reason: string; osUser?: string | null },
): Promise<{ window: MaintenanceWindow; replaced?: MaintenanceWindow }> {
  const reason = options.reason.trim();
  if (!reason) throw new MaintenanceInputError('--reason is required: say what the maintenance is, e.g. --reason "PostgreSQL minor upgrade"');
  if (reason.length > 500) throw new MaintenanceInputError('--reason must be at most 500 characters');
  if (!Number.isFinite(options.durationMs) || options.durationMs < 60_000 || options.durationMs > MAX_WINDOW_MS) {
    throw new MaintenanceInputError('--for must be from 1m to 24h, e.g. --for 30m');
  }
  const result = await db.transaction(async (tx) => {
    // One window at a time, even with two operators starting one at once.
    await tx.query(`LOCK TABLE comanda.maintenance_windows IN SHARE ROW EXCLUSIVE MODE`);
    const { rows: ended } = await tx.query<MaintenanceWindow & { id: string }>(
      `UPDATE comanda.maintenance_windows SET ended_at = now() WHERE ${ACTIVE} RETURNING ${COLUMNS}`,
    );
    const { rows } = await tx.query<MaintenanceWindow & { id: string }>(
      `INSERT INTO comanda.maintenance_windows (ends_at, reason, os_user) VALUES (now() + make_interval(secs => $1), $2, $3) RETURNING ${COLUMNS}`,
      [options.durationMs / 1000, reason, options.osUser ?? null],
    );
    return { window: revive(rows[0]!), replaced: ended[0] ? revive(ended[0]) : undefined };
  });
  await log(
    db,
    'maintenance.start',
    `maintenance window until ${result.window.endsAt.toISOString()}: monitor alerts held back${result.replaced ? ' (replaced the window that was on)' : ''}`,
    { window: result.window.id, endsAt: result.window.endsAt.toISOString(), reason },
    options.osUser ?? null,
  );
  return result;
}

/** Ends the window that is on; undefined when none was. */
export async function endMaintenance(db: Database, options: { osUser?: string | null } = {}): Promise<MaintenanceWindow | undefined> {
  const { rows } = await db.query<MaintenanceWindow & { id: string }>(
    `UPDATE comanda.maintenance_windows SET ended_at = now() WHERE ${ACTIVE} RETURNING ${COLUMNS}`,
  );
  if (!rows[0]) return undefined;
  const window = revive(rows[0]);
  await log(db, 'maintenance.end', `maintenance window ended early; monitor alerts delivered again`, { window: window.id, reason: window.reason }, options.osUser ?? null);
  return window;
}
