// The record of what safe actions did: comanda.actions_log (migration 0010). Written on the
// action's own session right after it ran, so it names the role that ran it; read by
// `comanda actions`. Query texts are never stored (a terminated session's query may quote
// customer data): targets keep who and what, not the SQL they were running.
import type { Database } from '../db/database.js';
import type { ActionPlan, ActionResult, Session } from './action.js';

export interface ActionLogEntry {
  id: number;
  at: string;
  action: string;
  status: ActionResult['status'];
  summary: string;
  sql: string[];
  targets: Array<Record<string, unknown>>;
  dbRole: string;
  osUser: string | null;
  durationMs: number;
}

/** Target fields that may hold someone else's data, left out of the log. */
const PRIVATE_FIELDS = new Set(['query']);

const loggable = (targets: ActionPlan['targets']): Array<Record<string, unknown>> =>
  targets.map((t) => Object.fromEntries(Object.entries(t).filter(([k]) => !PRIVATE_FIELDS.has(k))));

/** Records one action that ran. */
export async function recordAction(session: Session, plan: Pick<ActionPlan, 'targets'>, result: ActionResult, osUser: string | null): Promise<void> {
  await session.query(
    `INSERT INTO comanda.actions_log (action, status, summary, sql, targets, os_user, duration_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [result.action, result.status, result.summary, result.sql, JSON.stringify(loggable(plan.targets)), osUser, result.durationMs],
  );
}

/** The newest actions first. */
export async function listActions(db: Pick<Database, 'query'>, options: { limit?: number; action?: string } = {}): Promise<ActionLogEntry[]> {
  const { rows } = await db.query<ActionLogEntry & { id: string }>(
    `SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, action, status, summary, sql, targets,
            db_role AS "dbRole", os_user AS "osUser", duration_ms AS "durationMs"
       FROM comanda.actions_log
      WHERE $2::text IS NULL OR action = $2
      ORDER BY at DESC, id DESC
      LIMIT $1`,
    [options.limit ?? 20, options.action ?? null],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}
