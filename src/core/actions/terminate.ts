// `comanda terminate <pid>` and `comanda terminate --idle-in-transaction --older-than 5m`. The
// the spec's runbook terminates every non-idle backend older than 5 minutes, which also kills
// autovacuum workers, walsenders (replication) and other databases' sessions. Here only client
// sessions of this database qualify (backend_type = 'client backend' AND datname =
// current_database()), never this command's own; a pid that does not qualify is refused with
// the reason. The statement that runs re-checks every condition, so a session that changed in
// the meantime (finished its transaction, got busy) is left alone.
import { elapsed, errorText, type ActionPlan, type Session, CLIENT_SESSION_OF_THIS_DATABASE, refusedPlan } from './action.js';
import { INSUFFICIENT_PRIVILEGE, sqlstateOf } from '../errors.js';

export type TerminateTarget = { pid: number } | { idleInTransactionOlderThanMs: number };

interface Candidate {
  pid: number;
  datname: string | null;
  usename: string | null;
  application: string | null;
  backendType: string;
  state: string | null;
  seconds: string | null;
  query: string | null;
  refusal: string | null;
}

/** Waits up to this long for each backend to exit (pg_terminate_backend's timeout, PG 14+). */
const WAIT_MS = 5_000;

const QUALIFIES = CLIENT_SESSION_OF_THIS_DATABASE;

export async function planTerminate(session: Session, target: TerminateTarget): Promise<ActionPlan> {
  const action = 'terminate';
  const columns = `pid, datname, usename, application_name AS application, backend_type AS "backendType", state,
                   round(extract(epoch FROM now() - coalesce(state_change, backend_start))::numeric, 1) AS seconds, left(query, 100) AS query`;
  const refuse = (reason: string, targets: Array<Record<string, unknown>> = []): ActionPlan => refusedPlan(action, reason, targets);

  let candidates: Candidate[];
  let sql: string;
  if ('pid' in target) {
    if (!Number.isInteger(target.pid) || target.pid <= 0 || target.pid > 2 ** 31 - 1) return refuse(`"${target.pid}" is not a process id`);
    const { rows } = await session.query<Candidate>(
      `SELECT ${columns},
              CASE WHEN pid = pg_backend_pid() THEN 'it is this command''s own connection'
                   WHEN backend_type IS DISTINCT FROM 'client backend'
                     THEN format('it is a server process (%s), not a client session: comanda never terminates autovacuum, replication or other server processes', backend_type)
                   WHEN datname IS DISTINCT FROM current_database()
                     THEN format('it belongs to database %s, not to this one (%s): run comanda against that database instead', coalesce(datname, '(none)'), current_database())
              END AS refusal
         FROM pg_stat_activity WHERE pid = $1`,
      [target.pid],
    );
    const found = rows[0];
    if (!found) return refuse(`no server process has pid ${target.pid} (it may have ended already)`);
    if (found.refusal) return refuse(`pid ${target.pid} is not terminated: ${found.refusal}`, [present(found)]);
    candidates = rows;
    sql = `SELECT pid, pg_terminate_backend(pid, ${WAIT_MS}) AS terminated FROM pg_stat_activity WHERE pid = ${target.pid} AND ${QUALIFIES}`;
  } else {
    const ms = target.idleInTransactionOlderThanMs;
    if (!Number.isInteger(ms) || ms < 0) return refuse('the age must be a non-negative whole number of milliseconds');
    const idle = `state IN ('idle in transaction', 'idle in transaction (aborted)') AND state_change < now() - interval '${ms} milliseconds'`;
    const { rows } = await session.query<Candidate>(`SELECT ${columns}, NULL AS refusal FROM pg_stat_activity WHERE ${QUALIFIES} AND ${idle} ORDER BY state_change`);
    candidates = rows;
    // Only the sessions shown, and only if they still qualify when it runs.
    sql = `SELECT pid, pg_terminate_backend(pid, ${WAIT_MS}) AS terminated FROM pg_stat_activity WHERE pid = ANY('{${rows.map((r) => r.pid).join(',')}}'::int[]) AND ${QUALIFIES} AND ${idle}`;
  }

  return {
    action,
    targets: candidates.map(present),
    sql: candidates.length ? [sql] : [],
    warnings: candidates.length ? ['a terminated session loses its connection; its open transaction is rolled back (nothing it did since BEGIN is kept)'] : [],
    async run() {
      const started = performance.now();
      if (candidates.length === 0) return { action, status: 'nothing-to-do', sql: [], rows: [], summary: 'no session qualifies', durationMs: elapsed(started) };
      let done: Array<{ pid: number; terminated: boolean }>;
      try {
        done = (await session.query<{ pid: number; terminated: boolean }>(sql)).rows;
      } catch (err) {
        const text = errorText(err);
        const hint = sqlstateOf(err) === INSUFFICIENT_PRIVILEGE ? ' — terminating another role\'s session needs pg_signal_backend (or the same role); a superuser\'s needs a superuser' : '';
        return { action, status: 'failed', sql: [sql], rows: [], summary: `failed: ${text}${hint}`, durationMs: elapsed(started) };
      }
      const rows = candidates.map((c) => {
        const r = done.find((d) => d.pid === c.pid);
        return { pid: c.pid, terminated: r?.terminated ?? false, note: r ? (r.terminated ? 'terminated' : `still there after ${WAIT_MS} ms`) : 'no longer qualified (ended or changed state): left alone' };
      });
      const n = rows.filter((r) => r.terminated).length;
      return {
        action,
        status: n === rows.length ? 'done' : done.length === 0 ? 'nothing-to-do' : n === 0 ? 'failed' : 'partial',
        sql: [sql],
        rows,
        summary: `terminated ${n} of ${rows.length} session${rows.length === 1 ? '' : 's'} (${rows.map((r) => `${r.pid}: ${r.note}`).join(', ')})`,
        durationMs: elapsed(started),
      };
    },
  };
}

function present(c: Candidate): Record<string, unknown> {
  return { pid: c.pid, database: c.datname, user: c.usename, application: c.application, backendType: c.backendType, state: c.state, seconds: c.seconds === null ? null : Number(c.seconds), query: c.query };
}
