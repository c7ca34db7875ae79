// History kept by Comanda itself (migration 0018): every HISTORY_INTERVAL_MINUTES each instance
// tries to capture, and one does — under a transaction-level advisory lock (which works through
// PgBouncer in transaction mode), skipping when another instance captured less than half an
// interval ago. A capture stores, in one transaction:
// - per statement of the workload (the pg-stat-statements check's filter), what changed since the
//   last capture: calls, total time, rows, shared blocks hit and read. Counters that went down
//   (pg_stat_statements_reset(), a statement evicted and seen again, a crash) or a changed
//   stats_reset / server start time mean "counting again from zero": the delta is then the
//   counter itself, never negative. The first capture is a baseline (no statement deltas).
//   Only the HISTORY_MAX_STATEMENTS statements with the most time in the interval are kept;
// - the size of the database, of each table (with live and dead rows and vacuum counts) and index
//   (at most hourly: they dominate the history's volume and change slowly);
// - the status of every check (run just before, outside the transaction).
// Then retention: captures older than HISTORY_RETENTION_DAYS go, and the oldest go while the
// history's tables are larger than HISTORY_MAX_MB.
import { runChecks, TOOLKIT_TAG, type Check, type CheckResult, type Thresholds } from '../checks/check.js';
import { WORKLOAD } from '../checks/statements.js';
import type { Database, Tx } from '../db/database.js';

/** Arbitrary but fixed: the advisory lock every Comanda instance's history capture agrees on. */
export const HISTORY_LOCK_KEY = 7_342_001_993;

export interface HistoryOptions {
  /** Minutes between captures: a capture is skipped when the last one is younger than half of it. */
  intervalMinutes: number;
  retentionDays: number;
  maxMb: number;
  maxStatements: number;
  /** Sizes are stored at most this often (default 60 minutes): growth over days needs no finer grain. */
  sizesEveryMinutes?: number;
  /** Checks whose statuses are stored (default: none). */
  checks?: Check[];
  thresholds?: Record<string, Partial<Thresholds>>;
}

export type CaptureResult =
  | { captured: true; id: number; at: Date; baseline: boolean; countersReset: boolean; statements: number; sizes: number; checks: number; durationMs: number; pruned: number }
  | { captured: false; reason: 'locked' | 'recent' | 'no-schema' };

interface Counters {
  calls: number;
  totalMs: number;
  rows: number;
  hit: number;
  read: number;
}

const n = (v: unknown) => Number(v ?? 0);

/** The deltas of one statement, given its counters now and at the last capture. */
export function delta(now: Counters, before: Counters | undefined, reset: boolean): Counters {
  if (!before || reset || now.calls < before.calls || now.totalMs < before.totalMs) return { ...now };
  return {
    calls: now.calls - before.calls,
    totalMs: Math.max(0, now.totalMs - before.totalMs),
    rows: Math.max(0, now.rows - before.rows),
    hit: Math.max(0, now.hit - before.hit),
    read: Math.max(0, now.read - before.read),
  };
}

async function statementsNow(tx: Tx): Promise<{ available: boolean; statsReset: Date | null; rows: Array<Counters & { queryid: string; query: string }> }> {
  const { rows: ext } = await tx.query<{ installed: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS installed`);
  if (!ext[0]?.installed) return { available: false, statsReset: null, rows: [] };
  try {
    await tx.query('SAVEPOINT history_pss');
    const { rows: info } = await tx.query<{ reset: Date | null }>(TOOLKIT_TAG + `SELECT stats_reset AS reset FROM pg_stat_statements_info`);
    const { rows } = await tx.query<Record<string, string>>(
      TOOLKIT_TAG +
        `SELECT queryid::text AS queryid, left(min(query), 2000) AS query, sum(calls) AS calls, sum(total_exec_time) AS total,
                sum(rows) AS rows, sum(shared_blks_hit) AS hit, sum(shared_blks_read) AS read
           FROM pg_stat_statements WHERE ${WORKLOAD.where} AND queryid IS NOT NULL GROUP BY queryid`,
      WORKLOAD.params,
    );
    await tx.query('RELEASE SAVEPOINT history_pss');
    return {
      available: true,
      statsReset: info[0]?.reset ?? null,
      rows: rows.map((r) => ({ queryid: r.queryid!, query: r.query!, calls: n(r.calls), totalMs: n(r.total), rows: n(r.rows), hit: n(r.hit), read: n(r.read) })),
    };
  } catch {
    // Installed but not preloaded: sizes and checks are still worth keeping.
    await tx.query('ROLLBACK TO SAVEPOINT history_pss');
    return { available: false, statsReset: null, rows: [] };
  }
}

/** A transaction whose statements carry TOOLKIT_TAG: the history's own work is not the workload. */
function tagged(tx: Tx): Tx {
  const query = (text: unknown, ...rest: unknown[]) =>
    (tx.query as (...args: unknown[]) => unknown)(typeof text === 'string' && !text.startsWith(TOOLKIT_TAG) ? TOOLKIT_TAG + text : text, ...rest);
  return { query: query as Tx['query'] };
}

/** Captures once if this instance may (see the file's header). */
export async function captureHistory(db: Database, options: HistoryOptions): Promise<CaptureResult> {
  const started = performance.now();
  const { rows: schema } = await db.query<{ ready: boolean }>(TOOLKIT_TAG + `SELECT to_regclass('comanda.history_captures') IS NOT NULL AS ready`);
  if (!schema[0]?.ready) return { captured: false, reason: 'no-schema' };
  // Checks first, outside the capture's transaction (they take their own, read-only).
  const checkResults: CheckResult[] = options.checks?.length ? await runChecks(db, options.checks, options.thresholds ?? {}) : [];

  const result = await db.transaction(
    async (untagged): Promise<CaptureResult> => {
      const tx = tagged(untagged);
      const { rows: lock } = await tx.query<{ ok: boolean }>(`SELECT pg_try_advisory_xact_lock($1) AS ok`, [HISTORY_LOCK_KEY]);
      if (!lock[0]?.ok) return { captured: false, reason: 'locked' };
      const { rows: stateRows } = await tx.query<{ stats_reset: Date | null; server_started: Date | null; last_capture_at: Date | null; last_sizes_at: Date | null; now: Date; started: Date }>(
        `SELECT s.stats_reset, s.server_started, s.last_capture_at, s.last_sizes_at, now() AS now, pg_postmaster_start_time() AS started
           FROM (SELECT 1) one LEFT JOIN comanda.history_state s ON true`,
      );
      const state = stateRows[0]!;
      if (state.last_capture_at && state.now.getTime() - state.last_capture_at.getTime() < (options.intervalMinutes * 60_000) / 2) {
        return { captured: false, reason: 'recent' };
      }
      const pss = await statementsNow(tx);
      const baseline = state.last_capture_at === null;
      const countersReset =
        !baseline &&
        ((state.stats_reset?.getTime() ?? null) !== (pss.statsReset?.getTime() ?? null) || (state.server_started?.getTime() ?? null) !== state.started.getTime());

      const { rows: prevRows } = await tx.query<Record<string, string>>(
        `SELECT queryid::text AS queryid, calls, total_ms, rows, shared_blks_hit AS hit, shared_blks_read AS read FROM comanda.history_counters`,
      );
      const previous = new Map(prevRows.map((r) => [r.queryid!, { calls: n(r.calls), totalMs: n(r.total_ms), rows: n(r.rows), hit: n(r.hit), read: n(r.read) }]));
      const deltas = baseline
        ? []
        : pss.rows
            .map((r) => ({ queryid: r.queryid, query: r.query, ...delta(r, previous.get(r.queryid), countersReset) }))
            .filter((d) => d.calls > 0)
            .sort((a, b) => b.totalMs - a.totalMs)
            .slice(0, options.maxStatements);

      const intervalSeconds = state.last_capture_at ? (state.now.getTime() - state.last_capture_at.getTime()) / 1000 : null;
      const { rows: cap } = await tx.query<{ id: string; at: Date }>(
        `INSERT INTO comanda.history_captures (interval_seconds, counters_reset, statements) VALUES ($1, $2, $3) RETURNING id, at`,
        [intervalSeconds, countersReset, deltas.length],
      );
      const id = Number(cap[0]!.id);
      if (deltas.length) {
        const col = <K extends keyof (typeof deltas)[number]>(k: K) => deltas.map((d) => d[k]);
        await tx.query(
          `INSERT INTO comanda.history_queries (queryid, query) SELECT * FROM unnest($1::bigint[], $2::text[])
           ON CONFLICT (queryid) DO UPDATE SET last_seen = now()`,
          [col('queryid'), col('query')],
        );
        await tx.query(
          `INSERT INTO comanda.history_statements (capture_id, queryid, calls, total_ms, rows, shared_blks_hit, shared_blks_read)
           SELECT $1::bigint, * FROM unnest($2::bigint[], $3::bigint[], $4::float8[], $5::bigint[], $6::bigint[], $7::bigint[])`,
          [id, col('queryid'), col('calls'), col('totalMs'), col('rows'), col('hit'), col('read')],
        );
      }
      // The counters the next capture subtracts: all statements seen now (bounded by pg_stat_statements.max).
      await tx.query(`DELETE FROM comanda.history_counters`);
      if (pss.rows.length) {
        const col = <K extends keyof (typeof pss.rows)[number]>(k: K) => pss.rows.map((d) => d[k]);
        await tx.query(
          `INSERT INTO comanda.history_counters (queryid, calls, total_ms, rows, shared_blks_hit, shared_blks_read)
           SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::float8[], $4::bigint[], $5::bigint[], $6::bigint[])`,
          [col('queryid'), col('calls'), col('totalMs'), col('rows'), col('hit'), col('read')],
        );
      }
      // Within a minute of the period, so that a capture every 5 minutes stores sizes every hour, not every 65 minutes.
      const sizesDue = !state.last_sizes_at || state.now.getTime() - state.last_sizes_at.getTime() >= ((options.sizesEveryMinutes ?? 60) - 1) * 60_000;
      const sizes = sizesDue
        ? await tx.query(
        TOOLKIT_TAG +
          `INSERT INTO comanda.history_sizes (capture_id, kind, name, bytes, live_rows, dead_rows, vacuums)
           SELECT $1::bigint, 'database', current_database(), pg_database_size(current_database()), NULL, NULL, NULL
           UNION ALL
           SELECT $1::bigint, 'table', format('%I.%I', schemaname, relname), pg_total_relation_size(relid), n_live_tup, n_dead_tup, vacuum_count + autovacuum_count
             FROM pg_stat_user_tables
           UNION ALL
           SELECT $1::bigint, 'index', format('%I.%I', schemaname, indexrelname), pg_relation_size(indexrelid), NULL, NULL, NULL
             FROM pg_stat_user_indexes`,
        [id],
      )
        : undefined;
      if (checkResults.length) {
        await tx.query(
          `INSERT INTO comanda.history_checks (capture_id, "check", status, summary) SELECT $1::bigint, * FROM unnest($2::text[], $3::text[], $4::text[])`,
          [id, checkResults.map((c) => c.name), checkResults.map((c) => c.status), checkResults.map((c) => c.summary.slice(0, 500))],
        );
      }
      await tx.query(
        `INSERT INTO comanda.history_state (id, stats_reset, server_started, last_capture_at, last_sizes_at) VALUES (true, $1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET stats_reset = EXCLUDED.stats_reset, server_started = EXCLUDED.server_started,
           last_capture_at = EXCLUDED.last_capture_at, last_sizes_at = EXCLUDED.last_sizes_at`,
        [pss.statsReset, state.started, cap[0]!.at, sizesDue ? cap[0]!.at : state.last_sizes_at],
      );
      const pruned = await prune(tx, options);
      const durationMs = Math.round(performance.now() - started);
      await tx.query(`UPDATE comanda.history_captures SET duration_ms = $2 WHERE id = $1`, [id, durationMs]);
      return {
        captured: true, id, at: cap[0]!.at, baseline, countersReset, statements: deltas.length, sizes: sizes?.rowCount ?? 0,
        checks: checkResults.length, durationMs, pruned,
      };
    },
    { statementTimeoutMs: 60_000, lockTimeoutMs: 2_000 },
  );
  return result;
}

/** The history's tables' size on disk, in bytes. */
export const HISTORY_TABLES = ['history_captures', 'history_queries', 'history_statements', 'history_counters', 'history_state', 'history_sizes', 'history_checks'];

async function historyBytes(tx: Tx): Promise<number> {
  const { rows } = await tx.query<{ bytes: string }>(
    `SELECT sum(pg_total_relation_size(format('comanda.%I', t)::regclass)) AS bytes FROM unnest($1::text[]) t`,
    [HISTORY_TABLES],
  );
  return n(rows[0]?.bytes);
}

/**
 * Retention: captures older than retentionDays, then — while the tables are over maxMb — the
 * oldest tenth of the rest (never the newest capture). Statement texts no capture refers to go too.
 * Returns how many captures were deleted.
 */
export async function prune(tx: Tx, options: Pick<HistoryOptions, 'retentionDays' | 'maxMb'> & { maxBytes?: number }): Promise<number> {
  const q = tagged(tx);
  const old = await q.query<{ id: string }>(`DELETE FROM comanda.history_captures WHERE at < now() - make_interval(days => $1) RETURNING id`, [options.retentionDays]);
  const ids = old.rows.map((r) => r.id);
  const limit = options.maxBytes ?? options.maxMb * 1024 * 1024;
  // Disk size lags deletions (until vacuum), so one step per capture; the next capture goes on.
  if ((await historyBytes(q)) > limit) {
    const step = await q.query<{ id: string }>(
      `DELETE FROM comanda.history_captures WHERE id IN (
         SELECT id FROM comanda.history_captures WHERE id < (SELECT max(id) FROM comanda.history_captures)
          ORDER BY id LIMIT greatest(1, (SELECT count(*) / 10 FROM comanda.history_captures))) RETURNING id`,
    );
    ids.push(...step.rows.map((r) => r.id));
  }
  if (ids.length > 0) {
    for (const table of ['history_statements', 'history_sizes', 'history_checks']) {
      await q.query(`DELETE FROM comanda.${table} WHERE capture_id = ANY($1::bigint[])`, [ids]);
    }
    await q.query(`DELETE FROM comanda.history_queries q WHERE NOT EXISTS (SELECT 1 FROM comanda.history_statements s WHERE s.queryid = q.queryid)`);
  }
  return ids.length;
}

/** Captures on a timer in the service; errors go to `onError` and the next tick tries again. */
export class HistoryRecorder {
  private timer: NodeJS.Timeout | undefined;
  private first: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly db: Database,
    private readonly options: HistoryOptions,
    private readonly onResult: (result: CaptureResult) => void = () => undefined,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  tick(): Promise<unknown> {
    this.running ??= captureHistory(this.db, this.options)
      .then(this.onResult, this.onError)
      .finally(() => (this.running = undefined));
    return this.running;
  }

  start(): void {
    if (this.options.intervalMinutes <= 0 || this.timer) return;
    // A first capture shortly after start (a baseline on a new database), then every interval.
    this.first = setTimeout(() => void this.tick(), 10_000);
    this.first.unref();
    this.timer = setInterval(() => void this.tick(), this.options.intervalMinutes * 60_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.first);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
