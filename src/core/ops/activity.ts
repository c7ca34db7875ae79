// Connections and live queries for the operators' dashboard: every session of the server with what
// it is doing, counted by state, application, user and client, and the blocking tree (who waits
// for whom, from pg_blocking_pids). Which sessions the safe actions may touch is said per row
// (`actionable`), by the same rule the actions apply again when they run.
import { num, TOOLKIT_TAG } from '../checks/check.js';
import type { Queryable } from '../db/database.js';

export interface LiveSession {
  pid: number;
  database: string | null;
  user: string | null;
  application: string;
  client: string | null;
  backendType: string;
  state: string | null;
  waitEvent: string | null;
  /** Seconds since the transaction, the statement and the state began (null when none). */
  xactSeconds: number | null;
  querySeconds: number | null;
  stateSeconds: number | null;
  /** The statement, cut to 300 characters (`<insufficient privilege>` without pg_monitor). */
  query: string;
  blockedBy: number[];
  /** A client session of this database (not this page's own query): cancel/terminate may act on it. */
  actionable: boolean;
  /** Why the actions leave it alone: a server process, another database's session, or this page's own query. */
  leftAlone: 'server-process' | 'other-database' | 'own' | null;
}

export interface Counted {
  key: string;
  total: number;
  active: number;
  idle: number;
  idleInTransaction: number;
}

export interface BlockingNode {
  pid: number;
  /** 0 for a session that blocks others without waiting itself. */
  depth: number;
  blockedBy: number[];
  waitingSeconds: number | null;
}

export interface Activity {
  maxConnections: number;
  sessions: LiveSession[];
  byState: Counted[];
  byApplication: Counted[];
  byUser: Counted[];
  byClient: Counted[];
  blocking: BlockingNode[];
}

const seconds = (v: string | null): number | null => (v === null ? null : Math.round(num(v) * 10) / 10);

export async function liveActivity(db: Queryable): Promise<Activity> {
  const { rows } = await db.query<Record<string, string | number | boolean | number[] | null>>(
    TOOLKIT_TAG +
      `SELECT pid, datname AS database, usename AS "user", coalesce(nullif(application_name, ''), '(unnamed)') AS application,
              coalesce(host(client_addr), CASE WHEN backend_type = 'client backend' THEN 'local socket' END) AS client,
              coalesce(backend_type, 'unknown') AS "backendType", state,
              CASE WHEN wait_event IS NOT NULL THEN wait_event_type || ':' || wait_event END AS "waitEvent",
              extract(epoch FROM now() - xact_start) AS xact, extract(epoch FROM now() - query_start) AS query_s,
              extract(epoch FROM now() - state_change) AS state_s,
              left(regexp_replace(coalesce(query, ''), '\\s+', ' ', 'g'), 300) AS query, pg_blocking_pids(pid) AS "blockedBy",
              CASE WHEN backend_type IS DISTINCT FROM 'client backend' THEN 'server-process'
                   WHEN datname IS DISTINCT FROM current_database() THEN 'other-database'
                   WHEN pid = pg_backend_pid() THEN 'own' END AS "leftAlone",
              current_setting('max_connections')::int AS max
         FROM pg_stat_activity
        ORDER BY backend_type <> 'client backend', datname IS DISTINCT FROM current_database(), state = 'idle', coalesce(xact_start, query_start, backend_start)`,
  );
  const sessions: LiveSession[] = rows.map((r) => ({
    pid: Number(r.pid), database: (r.database as string | null) ?? null, user: (r.user as string | null) ?? null,
    application: String(r.application), client: (r.client as string | null) ?? null, backendType: String(r.backendType),
    state: (r.state as string | null) ?? null, waitEvent: (r.waitEvent as string | null) ?? null,
    xactSeconds: seconds(r.xact as string | null), querySeconds: seconds(r.query_s as string | null), stateSeconds: seconds(r.state_s as string | null),
    query: String(r.query ?? ''), blockedBy: ((r.blockedBy as number[] | null) ?? []).map(Number), actionable: r.leftAlone === null, leftAlone: (r.leftAlone as LiveSession['leftAlone']) ?? null,
  }));
  const clients = sessions.filter((s) => s.backendType === 'client backend');
  const countBy = (key: (s: LiveSession) => string): Counted[] => {
    const map = new Map<string, Counted>();
    for (const s of clients) {
      const k = key(s);
      const c = map.get(k) ?? { key: k, total: 0, active: 0, idle: 0, idleInTransaction: 0 };
      c.total++;
      if (s.state === 'active') c.active++;
      else if (s.state === 'idle') c.idle++;
      else if (s.state?.startsWith('idle in transaction')) c.idleInTransaction++;
      map.set(k, c);
    }
    return [...map.values()].sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
  };
  return {
    maxConnections: num(rows[0]?.max ?? 100),
    sessions,
    byState: countBy((s) => s.state ?? 'unknown'),
    byApplication: countBy((s) => s.application),
    byUser: countBy((s) => s.user ?? 'unknown'),
    byClient: countBy((s) => s.client ?? 'unknown'),
    blocking: blockingTree(sessions),
  };
}

/** Depth-first from the sessions that block without waiting, each waiter under what it waits for. */
export function blockingTree(sessions: Array<Pick<LiveSession, 'pid' | 'blockedBy' | 'querySeconds'>>): BlockingNode[] {
  const byPid = new Map(sessions.map((s) => [s.pid, s]));
  const waiters = sessions.filter((s) => s.blockedBy.length > 0);
  if (!waiters.length) return [];
  const children = new Map<number, number[]>();
  for (const w of waiters) for (const b of w.blockedBy) children.set(b, [...(children.get(b) ?? []), w.pid]);
  const blockers = new Set(waiters.flatMap((w) => w.blockedBy));
  // Roots: blockers that wait for nobody (a cycle — a deadlock about to be broken — has none: start anywhere in it).
  const roots = [...blockers].filter((pid) => !(byPid.get(pid)?.blockedBy.length));
  if (!roots.length) roots.push(waiters[0]!.pid);
  const out: BlockingNode[] = [];
  const seen = new Set<number>();
  const visit = (pid: number, depth: number) => {
    if (seen.has(pid)) return;
    seen.add(pid);
    const s = byPid.get(pid);
    out.push({ pid, depth, blockedBy: s?.blockedBy ?? [], waitingSeconds: s && s.blockedBy.length ? s.querySeconds : null });
    for (const child of (children.get(pid) ?? []).sort((a, b) => a - b)) visit(child, depth + 1);
  };
  for (const root of roots.sort((a, b) => a - b)) visit(root, 0);
  return out;
}
