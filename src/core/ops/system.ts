// The dashboard's system page: backups as recorded in comanda.backups (by `comanda backup`), the
// monitor's alerts (open states and their history) and the safe actions' log.
import { listActions, type ActionLogEntry } from '../actions/log.js';
import { num } from '../checks/check.js';
import type { Queryable } from '../db/database.js';

export interface RecordedBackup {
  file: string;
  createdAt: Date;
  sizeBytes: number;
  verifiedAt: Date | null;
  verifyError: string | null;
  verifyCheckedAt: Date | null;
  copiedAt: Date | null;
  copyError: string | null;
}

export interface BackupsView {
  backups: RecordedBackup[];
  lastVerifiedAt: Date | null;
}

/** The archives not removed by retention, newest first, and when the newest verified one was verified. */
export async function recordedBackups(db: Queryable, limit = 20): Promise<BackupsView> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT file, created_at, size_bytes, verified_at, verify_error, verify_checked_at, copied_at, copy_error
       FROM comanda.backups WHERE deleted_at IS NULL ORDER BY created_at DESC LIMIT $1`,
    [limit],
  );
  const { rows: last } = await db.query<{ at: Date | null }>(`SELECT max(verified_at) AS at FROM comanda.backups`);
  const date = (v: unknown) => (v instanceof Date ? v : null);
  return {
    backups: rows.map((r) => ({
      // The file name only: the directory says nothing the page needs.
      file: String(r.file).split('/').pop() ?? String(r.file),
      createdAt: r.created_at as Date, sizeBytes: num(r.size_bytes), verifiedAt: date(r.verified_at), verifyError: (r.verify_error as string | null) ?? null,
      verifyCheckedAt: date(r.verify_checked_at), copiedAt: date(r.copied_at), copyError: (r.copy_error as string | null) ?? null,
    })),
    lastVerifiedAt: last[0]?.at ?? null,
  };
}

export interface AlertsView {
  /** Checks the monitor holds in a state other than ok. */
  open: Array<{ check: string; status: string; since: Date; summary: string; notifiedAt: Date | null }>;
  /** Its latest notifications (alerts, escalations, reminders, resolutions). */
  history: Array<{ at: Date; check: string; kind: string; status: string; previous: string | null; summary: string }>;
}

export async function alertsView(db: Queryable, limit = 30): Promise<AlertsView> {
  const { rows: open } = await db.query<{ check: string; status: string; since: Date; summary: string; notifiedAt: Date | null }>(
    `SELECT "check", status, since, summary, notified_at AS "notifiedAt" FROM comanda.alert_state WHERE status <> 'ok'
      ORDER BY CASE status WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, since`,
  );
  const { rows: history } = await db.query<AlertsView['history'][number]>(
    `SELECT at, "check", kind, status, previous, summary FROM comanda.alert_events ORDER BY at DESC, id DESC LIMIT $1`,
    [limit],
  );
  return { open, history };
}

export async function actionsLog(db: Queryable, limit = 30): Promise<ActionLogEntry[]> {
  return listActions(db, { limit });
}
