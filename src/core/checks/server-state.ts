// The server's state the peers watch (check_postgres' checkpoint, txn_time, prepared_txns, locks,
// disabled_triggers; postgres_exporter's pg_locks): time since the last checkpoint, the oldest
// open transaction, prepared transactions, locks by mode, and disabled triggers.
import type { Check } from './check.js';
import { grade, num } from './check.js';

export const checkpointAge: Check = {
  name: 'checkpoint-age',
  description:
    'Minutes since the last checkpoint (on a standby: restartpoint) while WAL was written since it (an idle server skips checkpoints, which is fine); a long gap means a long crash recovery',
  unit: 'minutes since the last checkpoint',
  defaults: { warning: 30, critical: 60 },
  async run(tx, t) {
    const { rows } = await tx.query<{ at: Date; minutes: string; walSince: string | null; segment: string; timeout: string }>(
      `SELECT c.checkpoint_time AS at, round((extract(epoch FROM now() - c.checkpoint_time) / 60)::numeric, 1) AS minutes,
              pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, c.redo_lsn) AS "walSince",
              current_setting('wal_segment_size') AS segment, current_setting('checkpoint_timeout') AS timeout
         FROM pg_control_checkpoint() c`,
    );
    const r = rows[0]!;
    const minutes = num(r.minutes);
    const walMb = Math.round(num(r.walSince) / 1024 / 102.4) / 10;
    // Less than one WAL segment since the checkpoint: nothing worth checkpointing yet.
    const busy = num(r.walSince) >= 16 * 1024 * 1024;
    const status = busy ? grade(minutes, t) : 'ok';
    return {
      status,
      summary: `last checkpoint ${minutes} min ago (${r.at.toISOString()}), ${walMb} MB of WAL since${busy ? '' : ': too little to need one'}; checkpoint_timeout ${r.timeout}`,
      rows: [{ at: r.at, minutes, walSinceMb: walMb, checkpointTimeout: r.timeout }],
      advice:
        'checkpoints should follow checkpoint_timeout: look in the server log (log_checkpoints) for checkpoints that fail or take too long (slow disk), and at pg_stat_bgwriter; a standby restarts points only as the primary checkpoints',
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

export const disabledTriggers: Check = {
  name: 'disabled-triggers',
  description: "Any disabled trigger on a user table (ALTER TABLE … DISABLE TRIGGER): a disabled stock-ledger or audit trigger, or a foreign key's internal trigger, silently stops what it guards",
  unit: 'disabled triggers',
  defaults: { warning: 0, critical: 0 },
  async run(tx, t) {
    const { rows } = await tx.query<{ table: string; trigger: string; internal: boolean; constraint: string | null }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS table, tg.tgname AS trigger, tg.tgisinternal AS internal, con.conname AS constraint
         FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_constraint con ON con.oid = tg.tgconstraint
        WHERE tg.tgenabled = 'D' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
        ORDER BY 1, 2`,
    );
    const quoteTrigger = (name: string) => `"${name.replace(/"/g, '""')}"`;
    return {
      status: grade(rows.length, t),
      summary: rows.length ? `${rows.length} disabled trigger${rows.length === 1 ? '' : 's'}: ${rows.slice(0, 5).map((r) => `${r.table}.${r.trigger}`).join(', ')}` : 'no disabled trigger',
      rows: rows.map((r) => ({ ...r, fix: r.internal ? `ALTER TABLE ${r.table} ENABLE TRIGGER ALL` : `ALTER TABLE ${r.table} ENABLE TRIGGER ${quoteTrigger(r.trigger)}` })),
      advice:
        'enable them (the fix column has the SQL); then look for what changed while they were off: comanda check stock-ledger, comanda check integrity --full',
    };
  },
};

export const serverStateChecks: Check[] = [checkpointAge, oldestTransaction, preparedTransactions, locks, disabledTriggers];
