// Replication, WAL archiving and checkpoints (lag corrected as docs/design.md#replication-lag says):
// lag that is 0 when a replica has replayed everything it received, byte lag from LSNs, slots that
// hold back WAL, the archiver that point-in-time recovery depends on, queries a standby cancelled
// for recovery conflicts, and time since the last checkpoint. Each works on a primary and on a
// standby.
import type { Check } from './check.js';
import { COUNTERS_RESET, databaseCounters, grade, num, perDay } from './check.js';

/**
 * Seconds a standby's replay trails what it received. The spec's now() -
 * pg_last_xact_replay_timestamp() grows while the primary is idle: a standby that has replayed all
 * it received is not behind, whatever the clock says. Shared with /metrics.
 */
export const STANDBY_LAG_SECONDS = `CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
            ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END`;

export const replicationLag: Check = {
  name: 'replication-lag',
  description:
    'On a primary: each replica’s replay lag (seconds, and bytes behind the current WAL); on a standby: how far replay trails what was received (0 when caught up, not the time since the last commit)',
  unit: 'seconds behind',
  defaults: { warning: 30, critical: 300 },
  async run(tx, t) {
    const { rows: mode } = await tx.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
    if (mode[0]?.standby) {
      const { rows } = await tx.query<{ received: string | null; replayed: string | null; bytes: string | null; seconds: string | null; receiving: boolean }>(
        `SELECT pg_last_wal_receive_lsn()::text AS received, pg_last_wal_replay_lsn()::text AS replayed,
                pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) AS bytes,
                ${STANDBY_LAG_SECONDS} AS seconds,
                EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') AS receiving`,
      );
      const r = rows[0]!;
      const seconds = Math.round(num(r.seconds) * 10) / 10;
      const status = r.receiving ? grade(seconds, t) : 'critical';
      return {
        status,
        summary: r.receiving
          ? `standby: ${seconds} s and ${num(r.bytes)} bytes of received WAL not yet replayed`
          : 'standby: not streaming from the primary (no WAL receiver)',
        rows: [{ role: 'standby', received: r.received, replayed: r.replayed, bytes: num(r.bytes), seconds, streaming: r.receiving }],
        advice: r.receiving
          ? 'replay is slow: look for long queries on the standby holding replay back (max_standby_streaming_delay), or I/O saturation'
          : 'the standby is not connected: check primary_conninfo, the primary’s pg_hba.conf and the network; the standby log says why',
      };
    }
    const { rows } = await tx.query<{ name: string; client: string | null; state: string; bytes: string | null; seconds: string | null }>(
      `SELECT application_name AS name, client_addr::text AS client, state,
              pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) AS bytes,
              -- replay_lag is NULL once a replica has caught up and nothing new was written.
              coalesce(extract(epoch FROM replay_lag), 0) AS seconds
         FROM pg_stat_replication ORDER BY 4 DESC NULLS FIRST`,
    );
    const replicas = rows.map((r) => ({ role: 'replica', name: r.name, client: r.client, state: r.state, bytes: num(r.bytes), seconds: Math.round(num(r.seconds) * 10) / 10 }));
    const worstSeconds = replicas.length ? Math.max(...replicas.map((r) => r.seconds)) : 0;
    return {
      status: grade(worstSeconds, t),
      summary: replicas.length
        ? `${replicas.length} replica${replicas.length === 1 ? '' : 's'}; worst replay lag ${worstSeconds} s, ${Math.max(...replicas.map((r) => r.bytes))} bytes`
        : 'no replicas connected',
      rows: replicas,
      advice: 'a replica that falls behind serves stale reads: check its load and I/O, and the network between them',
    };
  },
};

export const replicationSlots: Check = {
  name: 'replication-slots',
  description: 'WAL kept on disk for replication slots, most of all for inactive ones (an abandoned slot fills the disk)',
  unit: 'MB of WAL retained by an inactive slot',
  defaults: { warning: 1_024, critical: 10_240 },
  async run(tx, t) {
    const { rows } = await tx.query<{ slot: string; type: string; active: boolean; bytes: string | null; walStatus: string | null }>(
      `SELECT slot_name AS slot, slot_type AS type, active, wal_status AS "walStatus",
              pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, restart_lsn) AS bytes
         FROM pg_replication_slots ORDER BY bytes DESC NULLS LAST`,
    );
    const slots = rows.map((r) => ({ ...r, retainedMB: Math.round(num(r.bytes) / 10_485.76) / 100, bytes: num(r.bytes) }));
    const inactive = slots.filter((s) => !s.active);
    const worst = inactive.length ? Math.max(...inactive.map((s) => s.retainedMB)) : 0;
    const lost = slots.filter((s) => s.walStatus === 'lost');
    const status = lost.length ? 'critical' : inactive.length ? grade(worst, t) : 'ok';
    return {
      status,
      summary: slots.length
        ? `${slots.length} slot${slots.length === 1 ? '' : 's'}, ${inactive.length} inactive${inactive.length ? ` (retaining up to ${worst} MB)` : ''}${lost.length ? `, ${lost.length} lost` : ''}`
        : 'no replication slots',
      rows: slots,
      advice:
        "a slot no consumer uses keeps all WAL since it stopped: reconnect its replica, or drop it: SELECT pg_drop_replication_slot('<slot>'); set max_slot_wal_keep_size as a safety net",
    };
  },
};

export const archiving: Check = {
  name: 'archiving',
  description:
    'WAL archiving (pg_stat_archiver), which point-in-time recovery needs: failing now (critical), WAL segments waiting to be archived; off is reported, not flagged',
  unit: 'WAL segments waiting to be archived',
  defaults: { warning: 10, critical: 100 },
  async run(tx, t) {
    const { rows: settings } = await tx.query<{ mode: string }>(`SELECT current_setting('archive_mode') AS mode`);
    const mode = settings[0]!.mode;
    if (mode === 'off') {
      return {
        status: 'ok',
        summary: 'WAL archiving is off: backups restore to the time they were taken, no point-in-time recovery (see docs/backups.md)',
        rows: [{ archiveMode: mode }],
      };
    }
    const { rows } = await tx.query<{
      archived: string; failed: string; lastArchivedWal: string | null; lastArchivedTime: Date | null;
      lastFailedWal: string | null; lastFailedTime: Date | null; failing: boolean; ready: string | null;
    }>(
      `SELECT archived_count AS archived, failed_count AS failed, last_archived_wal AS "lastArchivedWal",
              last_archived_time AS "lastArchivedTime", last_failed_wal AS "lastFailedWal", last_failed_time AS "lastFailedTime",
              coalesce(last_failed_time > coalesce(last_archived_time, '-infinity'), false) AS failing,
              (SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready') AS ready
         FROM pg_stat_archiver`,
    );
    const r = rows[0]!;
    const ready = num(r.ready);
    const status = r.failing ? 'critical' : grade(ready, t);
    return {
      status,
      summary: r.failing
        ? `archiving is failing: last failure ${r.lastFailedTime?.toISOString()} (${r.lastFailedWal}), ${ready} segment${ready === 1 ? '' : 's'} waiting`
        : `archiving works: ${num(r.archived)} archived, last ${r.lastArchivedTime?.toISOString() ?? 'never'}, ${ready} waiting`,
      rows: [{ archiveMode: mode, ...r, archived: num(r.archived), failed: num(r.failed), ready }],
      advice: r.failing
        ? 'the archive command fails: the server log says why (permissions, full target, credentials); WAL piles up in pg_wal until it works again'
        : 'archiving is falling behind: check the archive target’s speed and the archive command',
    };
  },
};

export const recoveryConflicts: Check = {
  name: 'recovery-conflicts',
  description: 'On a standby: queries cancelled by recovery conflicts per day since the statistics were reset (pg_stat_database.conflicts, by cause in pg_stat_database_conflicts)',
  unit: 'conflicts per day',
  defaults: { warning: 0, critical: 50 },
  async run(tx, t) {
    // Each standby counts the queries it cancelled in its own pg_stat_database; nothing reaches the
    // primary's (pg_stat_replication has no such column). So the check is only meaningful where it
    // runs on the standby, and on a primary it says where to look instead of a reassuring zero.
    const { rows: role } = await tx.query<{ standby: boolean; replicas: string }>(
      `SELECT pg_is_in_recovery() AS standby, (SELECT count(*) FROM pg_stat_replication) AS replicas`,
    );
    const c = await databaseCounters(tx);
    if (!role[0]?.standby) {
      const replicas = num(role[0]?.replicas);
      return {
        status: 'ok',
        summary: replicas
          ? `not a standby: each of its ${replicas} standby${replicas === 1 ? ' counts its' : 's counts their'} recovery conflicts; run this check there (DATABASE_URL naming the standby)`
          : 'not a standby: no recovery conflicts',
        rows: [{ conflicts: c.conflicts, replicas }],
      };
    }
    const { rows: causes } = await tx.query<Record<string, string>>(
      `SELECT confl_tablespace AS tablespace, confl_lock AS lock, confl_snapshot AS snapshot, confl_bufferpin AS bufferpin, confl_deadlock AS deadlock
         FROM pg_stat_database_conflicts WHERE datname = current_database()`,
    );
    const rate = perDay(c.conflicts, c.days);
    return {
      status: grade(rate, t),
      summary: `${c.conflicts} quer${c.conflicts === 1 ? 'y' : 'ies'} cancelled by recovery conflicts since ${c.since.toISOString()} (${rate} a day)`,
      rows: [{ conflicts: c.conflicts, perDay: rate, since: c.since, ...Object.fromEntries(Object.entries(causes[0] ?? {}).map(([k, v]) => [k, num(v)])) }],
      advice: `snapshot conflicts: hot_standby_feedback = on (at the cost of some bloat on the primary) or a larger max_standby_streaming_delay for reporting standbys; ${COUNTERS_RESET}`,
    };
  },
};

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
