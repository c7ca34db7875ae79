// Sessions: connections and who holds them (by state, by application, through PgBouncer), sessions
// running or idle in a transaction too long, the oldest open and prepared transactions, who blocks
// whom, the lock table, and deadlocks.
import pg from 'pg';
import type { Check } from './check.js';
import { COUNTERS_RESET, databaseCounters, grade, num, perDay } from './check.js';

export const connections: Check = {
  name: 'connections',
  description: 'Connections in use against max_connections, by state (warning 60 %, critical 80 %)',
  unit: '% of max_connections',
  defaults: { warning: 60, critical: 80 },
  async run(tx, t) {
    // The spec's query fails (max_conn must be grouped); the setting is read once here.
    const { rows } = await tx.query<{ state: string | null; n: string; max: string }>(
      `SELECT state, count(*) AS n, current_setting('max_connections') AS max
         FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY state ORDER BY 2 DESC`,
    );
    const max = num(rows[0]?.max ?? 100);
    const used = rows.reduce((sum, r) => sum + num(r.n), 0);
    const pct = Math.round((1000 * used) / max) / 10;
    const status = grade(pct, t);
    return {
      status,
      summary: `${used} of ${max} connections in use (${pct} %)`,
      rows: rows.map((r) => ({ state: r.state ?? 'unknown', connections: num(r.n) })),
      advice: 'put PgBouncer in front (transaction mode), look for leaks by application_name, or raise max_connections with memory to match',
    };
  },
};

export const applicationConnections: Check = {
  name: 'application-connections',
  description:
    'Connections to this database by application_name (leak detection): the largest share of max_connections one application holds, and how many of its connections sit idle',
  unit: '% of max_connections held by one application',
  defaults: { warning: 30, critical: 50 },
  async run(tx, t) {
    const { rows } = await tx.query<{
      application: string; user: string; total: string; active: string; idle: string; idleInTransaction: string; oldestIdleSeconds: string | null; max: string;
    }>(
      `SELECT coalesce(nullif(application_name, ''), '(unnamed)') AS application, usename AS user, count(*) AS total,
              count(*) FILTER (WHERE state = 'active') AS active, count(*) FILTER (WHERE state = 'idle') AS idle,
              count(*) FILTER (WHERE state LIKE 'idle in transaction%') AS "idleInTransaction",
              round(extract(epoch FROM now() - min(state_change) FILTER (WHERE state = 'idle'))::numeric) AS "oldestIdleSeconds",
              current_setting('max_connections') AS max
         FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
        GROUP BY 1, 2 ORDER BY count(*) DESC`,
    );
    const max = num(rows[0]?.max ?? 100);
    const apps = rows.map((r) => ({
      application: r.application, user: r.user, total: num(r.total), active: num(r.active), idle: num(r.idle),
      idleInTransaction: num(r.idleInTransaction), oldestIdleSeconds: r.oldestIdleSeconds === null ? null : num(r.oldestIdleSeconds),
      pct: Math.round((1000 * num(r.total)) / max) / 10,
    }));
    const top = apps[0];
    const status = top ? grade(top.pct, t) : 'ok';
    return {
      status,
      summary: top
        ? `${apps.length} application${apps.length === 1 ? '' : 's'} connected; most: ${top.application} with ${top.total} (${top.pct} % of max_connections, ${top.idle} idle)`
        : 'no other connections to this database',
      rows: apps,
      advice:
        'an application holding many idle connections leaks them or sizes its pool too large: check that every client is released, cap the pool (DATABASE_POOL_SIZE), or pool through PgBouncer',
    };
  },
};

/**
 * Sessions of this database that have been in some state for longer than the threshold, by how
 * long (the long-queries and idle-in-transaction checks differ only in state, clock and words).
 */
function sessionAgeCheck(spec: {
  name: string;
  description: string;
  defaults: { warning: number; critical: number };
  /** SQL condition on pg_stat_activity, and the column the age is measured from. */
  where: string;
  since: 'query_start' | 'state_change';
  describe: (count: number, threshold: number, longest: number) => string;
  none: (threshold: number) => string;
  advice: string;
}): Check {
  return {
    name: spec.name,
    description: spec.description,
    unit: 'seconds',
    defaults: spec.defaults,
    async run(tx, t) {
      const { rows } = await tx.query<{ pid: number; seconds: string; usename: string; application_name: string; state: string; query: string }>(
        `SELECT pid, round(extract(epoch FROM now() - ${spec.since})::numeric, 1) AS seconds, usename, application_name, state,
                left(query, 120) AS query
           FROM pg_stat_activity
          WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
            AND ${spec.where} AND ${spec.since} < now() - make_interval(secs => $1)
          ORDER BY ${spec.since}`,
        [t.warning],
      );
      const longest = rows.length ? num(rows[0]!.seconds) : 0;
      const status = grade(longest, t);
      return {
        status,
        summary: rows.length ? spec.describe(rows.length, t.warning, longest) : spec.none(t.warning),
        rows: rows.map((r) => ({ ...r, seconds: num(r.seconds) })),
        advice: spec.advice,
      };
    },
  };
}

export const longQueries = sessionAgeCheck({
  name: 'long-queries',
  description: 'Queries of this database running longer than the threshold (30 s)',
  defaults: { warning: 30, critical: 300 },
  where: "state = 'active'",
  since: 'query_start',
  describe: (n, threshold, longest) => `${n} quer${n === 1 ? 'y' : 'ies'} running longer than ${threshold} s (longest ${longest} s)`,
  none: (threshold) => `no query running longer than ${threshold} s`,
  advice: 'look at the query (EXPLAIN); if it must stop: SELECT pg_cancel_backend(pid), or pg_terminate_backend(pid)',
});

export const idleInTransaction = sessionAgeCheck({
  name: 'idle-in-transaction',
  description: 'Sessions idle in a transaction longer than the threshold (5 minutes); they hold locks and block vacuum',
  defaults: { warning: 300, critical: 900 },
  where: "state IN ('idle in transaction', 'idle in transaction (aborted)')",
  since: 'state_change',
  describe: (n, threshold, longest) => `${n} session${n === 1 ? '' : 's'} idle in transaction for over ${threshold} s (longest ${longest} s)`,
  none: () => 'no long idle transaction',
  advice: 'fix the client that leaves transactions open; set idle_in_transaction_session_timeout; end one now with SELECT pg_terminate_backend(pid)',
});

export const blocking: Check = {
  name: 'blocking',
  description: 'Sessions of this database waiting for a lock held by another, and for how long (pg_blocking_pids)',
  unit: 'seconds waited',
  defaults: { warning: 5, critical: 30 },
  async run(tx, t) {
    const { rows } = await tx.query<{ pid: number; blockedBy: number[]; seconds: string; query: string; blockerQuery: string | null }>(
      `SELECT a.pid, pg_blocking_pids(a.pid) AS "blockedBy",
              round(extract(epoch FROM now() - coalesce(a.query_start, a.state_change))::numeric, 1) AS seconds,
              left(a.query, 120) AS query,
              (SELECT left(b.query, 120) FROM pg_stat_activity b WHERE b.pid = (pg_blocking_pids(a.pid))[1]) AS "blockerQuery"
         FROM pg_stat_activity a
        WHERE a.datname = current_database() AND cardinality(pg_blocking_pids(a.pid)) > 0
        ORDER BY 3 DESC`,
    );
    const longest = rows.length ? num(rows[0]!.seconds) : 0;
    const status = rows.length ? grade(longest, t) : 'ok';
    return {
      status,
      summary: rows.length ? `${rows.length} session${rows.length === 1 ? '' : 's'} waiting on locks (longest ${longest} s)` : 'no session is waiting on a lock',
      rows: rows.map((r) => ({ ...r, seconds: num(r.seconds) })),
      advice: 'look at the blocking sessions (blockedBy): a long or idle transaction is the usual cause; end it if it must (pg_terminate_backend)',
    };
  },
};

export const oldestTransaction: Check = {
  name: 'oldest-transaction',
  description: 'Age of the oldest open transaction in this database (xact_start, any state): it holds back vacuum everywhere and keeps its locks',
  unit: 'seconds',
  defaults: { warning: 600, critical: 3600 },
  async run(tx, t) {
    const { rows } = await tx.query<{ pid: number; seconds: string; usename: string; application_name: string; state: string; backend_xmin: string | null }>(
      `SELECT pid, round(extract(epoch FROM now() - xact_start)::numeric, 1) AS seconds, usename, application_name, state, backend_xmin::text
         FROM pg_stat_activity
        WHERE datname = current_database() AND xact_start IS NOT NULL AND pid <> pg_backend_pid() AND backend_type = 'client backend'
        ORDER BY xact_start LIMIT 10`,
    );
    const sessions = rows.map((r) => ({ ...r, seconds: num(r.seconds) }));
    const oldest = sessions[0]?.seconds ?? 0;
    return {
      status: grade(oldest, t),
      summary: sessions.length ? `oldest open transaction: ${oldest} s (pid ${sessions[0]!.pid}, ${sessions[0]!.application_name || 'no application_name'}, ${sessions[0]!.state})` : 'no open transaction',
      rows: sessions.filter((s) => s.seconds > t.warning),
      advice: 'find what keeps it open (a batch job, a client that never commits); end it with comanda terminate PID; set idle_in_transaction_session_timeout and statement_timeout for the role',
    };
  },
};

export const preparedTransactions: Check = {
  name: 'prepared-transactions',
  description: 'Prepared (two-phase) transactions and the age of the oldest: a forgotten one holds its locks and blocks vacuum until COMMIT PREPARED / ROLLBACK PREPARED',
  unit: 'seconds (the oldest)',
  defaults: { warning: 60, critical: 600 },
  async run(tx, t) {
    const { rows } = await tx.query<{ gid: string; database: string; owner: string; prepared: Date; seconds: string }>(
      `SELECT gid, database, owner, prepared, round(extract(epoch FROM now() - prepared)::numeric, 1) AS seconds FROM pg_prepared_xacts ORDER BY prepared`,
    );
    const found = rows.map((r) => ({ ...r, seconds: num(r.seconds) }));
    const oldest = found[0]?.seconds ?? 0;
    return {
      status: grade(oldest, t),
      summary: found.length ? `${found.length} prepared transaction${found.length === 1 ? '' : 's'}, oldest ${oldest} s (${found[0]!.gid} in ${found[0]!.database})` : 'no prepared transactions',
      rows: found,
      advice: "Comanda never prepares transactions: find the transaction manager that did; if it is gone, end it in its database with COMMIT PREPARED 'gid' or ROLLBACK PREPARED 'gid'",
    };
  },
};

export const locks: Check = {
  name: 'locks',
  description: "Locks held and awaited by this database's sessions, by mode, as % of the server's lock table (max_locks_per_transaction × (max_connections + max_prepared_transactions))",
  unit: '% of the lock table',
  defaults: { warning: 50, critical: 80 },
  async run(tx, t) {
    const { rows } = await tx.query<{ mode: string; granted: string; waiting: string; capacity: string }>(
      `SELECT l.mode, count(*) FILTER (WHERE l.granted) AS granted, count(*) FILTER (WHERE NOT l.granted) AS waiting,
              current_setting('max_locks_per_transaction')::bigint * (current_setting('max_connections')::bigint + current_setting('max_prepared_transactions')::bigint) AS capacity
         FROM pg_locks l
        WHERE l.pid <> pg_backend_pid() AND l.pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())
        GROUP BY l.mode ORDER BY count(*) DESC`,
    );
    const capacity = num(rows[0]?.capacity ?? 1) || 1;
    const modes = rows.map((r) => ({ mode: r.mode, granted: num(r.granted), waiting: num(r.waiting) }));
    const total = modes.reduce((s, m) => s + m.granted + m.waiting, 0);
    const waiting = modes.reduce((s, m) => s + m.waiting, 0);
    const pct = Math.round((10000 * total) / capacity) / 100;
    return {
      status: grade(pct, t),
      summary: `${total} locks (${waiting} waiting), ${pct} % of the lock table${modes[0] ? `; most: ${modes[0].mode} (${modes[0].granted + modes[0].waiting})` : ''}`,
      rows: modes,
      advice:
        'a transaction touching very many tables or partitions fills the lock table ("out of shared memory"): find it (pg_locks by pid), split it, or raise max_locks_per_transaction (restart); waits are explained by comanda check blocking',
    };
  },
};

export const deadlocks: Check = {
  name: 'deadlocks',
  description: 'Deadlocks in this database per day since the statistics were reset (pg_stat_database.deadlocks): each is a transaction PostgreSQL had to abort',
  unit: 'deadlocks per day',
  defaults: { warning: 0, critical: 10 },
  async run(tx, t) {
    const c = await databaseCounters(tx);
    const rate = perDay(c.deadlocks, c.days);
    return {
      status: grade(rate, t),
      summary: `${c.deadlocks} deadlock${c.deadlocks === 1 ? '' : 's'} since ${c.since.toISOString()} (${rate} a day)`,
      rows: [{ deadlocks: c.deadlocks, perDay: rate, since: c.since }],
      advice: `the server log has each deadlock with both statements (log_lock_waits on): make the transactions take their locks in one order (Comanda's orders lock dishes by id); ${COUNTERS_RESET}`,
    };
  },
};

export interface PoolRow {
  database: string;
  user: string;
  clientsActive: number;
  clientsWaiting: number;
  serversActive: number;
  serversIdle: number;
  maxWaitSeconds: number;
  mode: string;
}

/** SHOW POOLS on PgBouncer's admin console (simple query protocol, as the console requires). */
export async function showPools(adminUrl: string, timeoutMs = 5_000): Promise<PoolRow[]> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, string>>('SHOW POOLS');
    return rows
      .filter((r) => r.database !== 'pgbouncer')
      .map((r) => ({
        database: r.database ?? '',
        user: r.user ?? '',
        clientsActive: num(r.cl_active),
        clientsWaiting: num(r.cl_waiting),
        serversActive: num(r.sv_active),
        serversIdle: num(r.sv_idle),
        maxWaitSeconds: num(r.maxwait) + num(r.maxwait_us) / 1e6,
        mode: r.pool_mode ?? '',
      }));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The check, against `adminUrl` (default: PGBOUNCER_ADMIN_URL, validated by src/config.ts). */
export function pgbouncerPoolsCheck(options: { adminUrl?: () => string | undefined } = {}): Check {
  const urlOf = options.adminUrl ?? (() => process.env.PGBOUNCER_ADMIN_URL || undefined);
  return {
    name: 'pgbouncer-pools',
    description: "PgBouncer's pools (SHOW POOLS, when PGBOUNCER_ADMIN_URL is set): clients waiting for a server connection and the longest wait",
    unit: 'seconds the longest client has waited',
    defaults: { warning: 1, critical: 5 },
    async run(_tx, t) {
      const url = urlOf();
      if (!url) return { status: 'ok', summary: 'no PgBouncer configured (PGBOUNCER_ADMIN_URL is not set)', rows: [] };
      const pools = await showPools(url);
      const waiting = pools.reduce((s, p) => s + p.clientsWaiting, 0);
      const longest = Math.max(0, ...pools.map((p) => p.maxWaitSeconds));
      const rounded = Math.round(longest * 1000) / 1000;
      return {
        status: grade(rounded, t),
        summary: `${pools.length} pool${pools.length === 1 ? '' : 's'}, ${waiting} client${waiting === 1 ? '' : 's'} waiting, longest wait ${rounded} s`,
        rows: pools.map((p) => ({ ...p, maxWaitSeconds: Math.round(p.maxWaitSeconds * 1000) / 1000 })),
        advice:
          'clients queue for a server connection: raise default_pool_size (within max_connections), look for transactions held open (comanda check oldest-transaction, idle-in-transaction), or slow statements (comanda queries)',
      };
    },
  };
}

export const pgbouncerPools = pgbouncerPoolsCheck();
