// Safe actions (`comanda vacuum`, `comanda terminate`, `comanda reindex --invalid`): each is
// planned first — what it will touch and the exact SQL it will run, or why it refuses — and run
// only when the caller says so (the CLI asks for confirmation unless --yes). They run on one
// session of their own outside any transaction (VACUUM and REINDEX CONCURRENTLY cannot run in
// one), with a lock_timeout so they never queue the application's traffic behind them for long.
// That session is discarded afterwards, never returned to a pool with its settings.
import type pg from 'pg';
import type { Database } from '../db/database.js';

/** A connection of the action's own, in autocommit. */
export type Session = Pick<pg.ClientBase, 'query'>;

export type ActionStatus = 'done' | 'partial' | 'failed' | 'nothing-to-do';

export interface ActionResult {
  action: string;
  status: ActionStatus;
  /** The statements that ran. */
  sql: string[];
  rows: Array<Record<string, unknown>>;
  summary: string;
  durationMs: number;
}

export interface ActionPlan {
  action: string;
  /** What it will act on (for people and --json). */
  targets: Array<Record<string, unknown>>;
  /** The statements it will run, in order, exactly as they will be sent. */
  sql: string[];
  /** Things to know before saying yes (locks, duration). */
  warnings: string[];
  /** Set when the action refuses to run at all: the reason, saying what to do instead. */
  refused?: string;
  /** true when an interactive "yes" is not enough: the caller must pass --yes (e.g. VACUUM FULL). */
  requiresYesFlag?: boolean;
  /** Runs the plan's SQL on the session it was planned on. */
  run(): Promise<ActionResult>;
}

/** A plan that will not run: the reason says what to do instead. */
export function refusedPlan(action: string, reason: string, targets: Array<Record<string, unknown>> = []): ActionPlan {
  return { action, targets, sql: [], warnings: [], refused: reason, run: () => Promise.reject(new Error(`refused: ${reason}`)) };
}

/** The sessions cancel and terminate may act on: client sessions of this database, never their own. */
export const CLIENT_SESSION_OF_THIS_DATABASE = `backend_type = 'client backend' AND datname = current_database() AND pid <> pg_backend_pid()`;

export interface SessionOptions {
  /** lock_timeout of the action's statements (default 5 s): better to fail than to queue traffic. */
  lockTimeoutMs?: number;
  /** statement_timeout (default 0: VACUUM or REINDEX of a big table legitimately takes long). */
  statementTimeoutMs?: number;
}

const int = (value: number, name: string): number => {
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`${name} must be a non-negative integer`);
  return value;
};

/** Runs `fn` on a dedicated session of `db`'s pool, then discards that connection. */
export async function withSession<T>(db: Database, fn: (session: Session) => Promise<T>, options: SessionOptions = {}): Promise<T> {
  const client = await db.pool.connect();
  try {
    await client.query(
      `SET application_name = 'comanda-action'; SET lock_timeout = ${int(options.lockTimeoutMs ?? 5_000, 'lockTimeoutMs')}; ` +
        `SET statement_timeout = ${int(options.statementTimeoutMs ?? 0, 'statementTimeoutMs')}; SET idle_in_transaction_session_timeout = 0`,
    );
    return await fn(client);
  } finally {
    // Session settings were changed: never hand this connection to anyone else.
    client.release(true);
  }
}

export const elapsed = (started: number): number => Math.round(performance.now() - started);

/** The message of a database error without its DETAIL (which may quote row values). */
export function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err) {
    const code = 'code' in err && typeof err.code === 'string' ? ` (SQLSTATE ${err.code})` : '';
    return `${String(err.message)}${code}`;
  }
  return String(err);
}
