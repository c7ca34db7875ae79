// Cancelling a session's running statement (pg_cancel_backend): gentler than terminating it — the
// session keeps its connection, only its current statement fails. The same rules as terminate.ts:
// only client sessions of this database qualify, never autovacuum, replication or other server
// processes, never the action's own session; the statement re-checks them when it runs.
import { elapsed, errorText, type ActionPlan, type Session, CLIENT_SESSION_OF_THIS_DATABASE, refusedPlan } from './action.js';

const QUALIFIES = CLIENT_SESSION_OF_THIS_DATABASE;

export async function planCancel(session: Session, pid: number): Promise<ActionPlan> {
  const action = 'cancel';
  const refuse = (reason: string, targets: Array<Record<string, unknown>> = []): ActionPlan => refusedPlan(action, reason, targets);
  if (!Number.isInteger(pid) || pid <= 0 || pid > 2 ** 31 - 1) return refuse(`"${pid}" is not a process id`);
  const { rows } = await session.query<{ pid: number; database: string | null; user: string | null; application: string | null; backendType: string; state: string | null; refusal: string | null }>(
    `SELECT pid, datname AS database, usename AS user, application_name AS application, backend_type AS "backendType", state,
            CASE WHEN pid = pg_backend_pid() THEN 'it is this action''s own connection'
                 WHEN backend_type IS DISTINCT FROM 'client backend'
                   THEN format('it is a server process (%s), not a client session: comanda never cancels autovacuum, replication or other server processes', backend_type)
                 WHEN datname IS DISTINCT FROM current_database()
                   THEN format('it belongs to database %s, not to this one (%s)', coalesce(datname, '(none)'), current_database())
                 WHEN state IS DISTINCT FROM 'active' THEN format('it is not running a statement (state: %s): there is nothing to cancel; terminate it instead', coalesce(state, 'unknown'))
            END AS refusal
       FROM pg_stat_activity WHERE pid = $1`,
    [pid],
  );
  const found = rows[0];
  if (!found) return refuse(`no server process has pid ${pid} (it may have ended already)`);
  const { refusal, ...target } = found;
  if (refusal) return refuse(`pid ${pid} is not cancelled: ${refusal}`, [target]);
  const sql = `SELECT pid, pg_cancel_backend(pid) AS cancelled FROM pg_stat_activity WHERE pid = ${pid} AND ${QUALIFIES}`;
  return {
    action,
    targets: [target],
    sql: [sql],
    warnings: ['the statement the session is running fails with "canceling statement due to user request"; its transaction, if any, is rolled back'],
    async run() {
      const started = performance.now();
      let done: Array<{ pid: number; cancelled: boolean }>;
      try {
        done = (await session.query<{ pid: number; cancelled: boolean }>(sql)).rows;
      } catch (err) {
        return { action, status: 'failed', sql: [sql], rows: [], summary: `failed: ${errorText(err)}`, durationMs: elapsed(started) };
      }
      const ok = done[0]?.cancelled === true;
      return {
        action,
        status: done.length === 0 ? 'nothing-to-do' : ok ? 'done' : 'failed',
        sql: [sql],
        rows: [{ pid, cancelled: ok }],
        summary: done.length === 0 ? `pid ${pid} no longer qualified (ended or changed): left alone` : ok ? `cancelled the statement of pid ${pid}` : `pid ${pid} could not be signalled`,
        durationMs: elapsed(started),
      };
    },
  };
}
