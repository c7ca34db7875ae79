// Reading the history (migration 0018) for the CLI (`comanda queries --since 24h`, `comanda space
// --growth 7d`) and the operators' dashboard: top statements over a window, one statement's
// series, sizes with their growth, check statuses over time, and what the history itself costs.
import { num } from '../checks/check.js';
import type { Queryable } from '../db/database.js';
import { HISTORY_TABLES } from './capture.js';

export interface HistoryStatement {
  queryid: string;
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
  /** Share of the shared blocks read from the cache, null without reads. */
  hitPct: number | null;
  /** Captures in the window in which it ran. */
  captures: number;
}

export type HistoryOrder = 'total' | 'mean' | 'calls';

const ORDER: Record<HistoryOrder, string> = { total: 'total_ms', mean: 'total_ms / nullif(calls, 0)', calls: 'calls' };

/** The window the history covers: captures after `since` (its first capture's deltas start before). */
export async function historyWindow(db: Queryable, sinceMs: number): Promise<{ captures: number; from: Date | null; to: Date | null; countersReset: number }> {
  const { rows } = await db.query<{ captures: string; from: Date | null; to: Date | null; resets: string }>(
    `SELECT count(*) AS captures, min(at - make_interval(secs => coalesce(interval_seconds, 0))) AS from, max(at) AS to,
            count(*) FILTER (WHERE counters_reset) AS resets
       FROM comanda.history_captures WHERE at > now() - make_interval(secs => $1)`,
    [sinceMs / 1000],
  );
  return { captures: num(rows[0]?.captures), from: rows[0]?.from ?? null, to: rows[0]?.to ?? null, countersReset: num(rows[0]?.resets) };
}

/** Top statements over the last `sinceMs`, by total time, mean time or calls. */
export async function historyTopStatements(db: Queryable, options: { sinceMs: number; by?: HistoryOrder; limit?: number }): Promise<HistoryStatement[]> {
  const { rows } = await db.query<Record<string, string | null>>(
    `WITH agg AS (
       SELECT s.queryid, sum(s.calls) AS calls, sum(s.total_ms) AS total_ms, sum(s.rows) AS rows,
              sum(s.shared_blks_hit) AS hit, sum(s.shared_blks_read) AS read, count(*) AS captures
         FROM comanda.history_statements s JOIN comanda.history_captures c ON c.id = s.capture_id
        WHERE c.at > now() - make_interval(secs => $1)
        GROUP BY s.queryid)
     SELECT a.queryid::text AS queryid, left(regexp_replace(coalesce(q.query, '?'), '\\s+', ' ', 'g'), 300) AS query, a.calls,
            round(a.total_ms::numeric, 3) AS total, round((a.total_ms / nullif(a.calls, 0))::numeric, 3) AS mean, a.rows,
            round(100.0 * a.hit / nullif(a.hit + a.read, 0), 1) AS hit, a.captures
       FROM agg a LEFT JOIN comanda.history_queries q ON q.queryid = a.queryid
      ORDER BY ${ORDER[options.by ?? 'total']} DESC NULLS LAST LIMIT $2`,
    [options.sinceMs / 1000, options.limit ?? 20],
  );
  return rows.map((r) => ({
    queryid: r.queryid ?? '', query: r.query ?? '', calls: num(r.calls), totalMs: num(r.total), meanMs: num(r.mean), rows: num(r.rows),
    hitPct: r.hit === null ? null : num(r.hit), captures: num(r.captures),
  }));
}

/** One statement capture by capture, for a chart: calls, total and mean time per interval. */
export async function historyStatementSeries(db: Queryable, queryid: string, sinceMs: number): Promise<Array<{ at: Date; calls: number; totalMs: number; meanMs: number }>> {
  const { rows } = await db.query<{ at: Date; calls: string; total: string; mean: string | null }>(
    `SELECT c.at, coalesce(s.calls, 0) AS calls, coalesce(s.total_ms, 0) AS total, s.total_ms / nullif(s.calls, 0) AS mean
       FROM comanda.history_captures c LEFT JOIN comanda.history_statements s ON s.capture_id = c.id AND s.queryid = $1::bigint
      WHERE c.at > now() - make_interval(secs => $2) AND c.interval_seconds IS NOT NULL
      ORDER BY c.at`,
    [queryid, sinceMs / 1000],
  );
  return rows.map((r) => ({ at: r.at, calls: num(r.calls), totalMs: num(r.total), meanMs: Math.round(num(r.mean) * 1000) / 1000 }));
}

export interface SizeGrowth {
  kind: 'database' | 'table' | 'index';
  name: string;
  bytes: number;
  /** Size at the first capture of the window (null: the object appeared during it). */
  bytesBefore: number | null;
  growthBytes: number | null;
  /** Growth extrapolated to a day from the span between the two captures. */
  growthPerDayBytes: number | null;
  liveRows: number | null;
  deadRows: number | null;
}

/** Sizes at the latest capture and their growth since the first capture of the window, largest first. */
export async function spaceGrowth(db: Queryable, options: { sinceMs: number; kind?: SizeGrowth['kind']; limit?: number }): Promise<{ from: Date | null; to: Date | null; rows: SizeGrowth[] }> {
  const { rows: span } = await db.query<{ last: string | null; from: Date | null; to: Date | null }>(
    `SELECT (SELECT id FROM comanda.history_captures ORDER BY at DESC LIMIT 1) AS last,
            (SELECT min(at) FROM comanda.history_captures WHERE at > now() - make_interval(secs => $1)) AS from,
            (SELECT max(at) FROM comanda.history_captures) AS to`,
    [options.sinceMs / 1000],
  );
  const s = span[0];
  if (!s?.last) return { from: null, to: null, rows: [] };
  // Each object against its first capture in the window (an object created during it counts from then).
  const { rows } = await db.query<Record<string, string | Date | null>>(
    `SELECT l.kind, l.name, l.bytes, f.bytes AS before, f.at AS before_at, lc.at AS at, l.live_rows, l.dead_rows
       FROM comanda.history_sizes l
       JOIN comanda.history_captures lc ON lc.id = l.capture_id
       LEFT JOIN LATERAL (
         SELECT fs.bytes, fc.at FROM comanda.history_sizes fs JOIN comanda.history_captures fc ON fc.id = fs.capture_id
          WHERE fs.kind = l.kind AND fs.name = l.name AND fc.at > now() - make_interval(secs => $2) AND fc.id <> l.capture_id
          ORDER BY fc.at LIMIT 1) f ON true
      WHERE l.capture_id = $1 AND ($3::text IS NULL OR l.kind = $3)
      ORDER BY l.kind = 'database' DESC, l.bytes DESC LIMIT $4`,
    [s.last, options.sinceMs / 1000, options.kind ?? null, options.limit ?? 50],
  );
  return {
    from: s.from,
    to: s.to,
    rows: rows.map((r) => {
      const bytes = num(r.bytes);
      const before = r.before === null ? null : num(r.before);
      const growth = before === null ? null : bytes - before;
      const days = r.before_at instanceof Date && r.at instanceof Date ? (r.at.getTime() - r.before_at.getTime()) / 86_400_000 : 0;
      return {
        kind: r.kind as SizeGrowth['kind'], name: String(r.name ?? ''), bytes, bytesBefore: before, growthBytes: growth,
        growthPerDayBytes: growth !== null && days > 0 ? Math.round(growth / days) : null,
        liveRows: r.live_rows === null ? null : num(r.live_rows), deadRows: r.dead_rows === null ? null : num(r.dead_rows),
      };
    }),
  };
}

/**
 * Sizes over the window, for a chart: the database and the `tables` largest tables (by their size
 * at the latest capture), at every capture of the window that recorded sizes, oldest first.
 */
export async function sizeSeries(db: Queryable, options: { sinceMs: number; tables?: number }): Promise<Array<{ at: Date; kind: 'database' | 'table'; name: string; bytes: number }>> {
  const { rows } = await db.query<{ at: Date; kind: 'database' | 'table'; name: string; bytes: string }>(
    `WITH latest AS (SELECT capture_id FROM comanda.history_sizes ORDER BY capture_id DESC LIMIT 1),
          shown AS (
            SELECT s.kind, s.name FROM comanda.history_sizes s JOIN latest USING (capture_id) WHERE s.kind = 'database'
            UNION ALL
            (SELECT s.kind, s.name FROM comanda.history_sizes s JOIN latest USING (capture_id) WHERE s.kind = 'table' ORDER BY s.bytes DESC LIMIT $2))
     SELECT c.at, s.kind, s.name, s.bytes
       FROM comanda.history_sizes s JOIN shown USING (kind, name) JOIN comanda.history_captures c ON c.id = s.capture_id
      WHERE c.at > now() - make_interval(secs => $1)
      ORDER BY c.at, s.kind, s.name`,
    [options.sinceMs / 1000, options.tables ?? 5],
  );
  return rows.map((r) => ({ at: r.at, kind: r.kind, name: r.name, bytes: num(r.bytes) }));
}

/**
 * Check statuses over the window, for a chart: at each capture, how many checks were critical,
 * warning, unknown and ok, and which were not ok. checkTimeline() has every row; this is its summary.
 */
export async function checkStatusCounts(
  db: Queryable,
  sinceMs: number,
): Promise<Array<{ at: Date; critical: number; warning: number; unknown: number; ok: number; notOk: string[] }>> {
  const { rows } = await db.query<{ at: Date; critical: string; warning: string; unknown: string; ok: string; not_ok: string[] | null }>(
    `SELECT c.at,
            count(*) FILTER (WHERE h.status = 'critical') AS critical, count(*) FILTER (WHERE h.status = 'warning') AS warning,
            count(*) FILTER (WHERE h.status = 'unknown') AS unknown, count(*) FILTER (WHERE h.status = 'ok') AS ok,
            array_agg(h."check" ORDER BY h."check") FILTER (WHERE h.status <> 'ok') AS not_ok
       FROM comanda.history_checks h JOIN comanda.history_captures c ON c.id = h.capture_id
      WHERE c.at > now() - make_interval(secs => $1)
      GROUP BY c.id, c.at ORDER BY c.at`,
    [sinceMs / 1000],
  );
  return rows.map((r) => ({ at: r.at, critical: num(r.critical), warning: num(r.warning), unknown: num(r.unknown), ok: num(r.ok), notOk: r.not_ok ?? [] }));
}

/** Each check's status at every capture of the window (for a timeline), oldest first. */
export async function checkTimeline(db: Queryable, sinceMs: number): Promise<Array<{ at: Date; check: string; status: string; summary: string }>> {
  const { rows } = await db.query<{ at: Date; check: string; status: string; summary: string }>(
    `SELECT c.at, h."check", h.status, h.summary FROM comanda.history_checks h JOIN comanda.history_captures c ON c.id = h.capture_id
      WHERE c.at > now() - make_interval(secs => $1) ORDER BY c.at, h."check"`,
    [sinceMs / 1000],
  );
  return rows;
}

export interface HistoryCost {
  captures: number;
  first: Date | null;
  last: Date | null;
  /** Mean and slowest capture time. */
  meanCaptureMs: number;
  maxCaptureMs: number;
  tables: Array<{ table: string; rows: number; bytes: number }>;
  totalBytes: number;
}

/** What the history holds and costs: rows and bytes per table, capture times. */
export async function historyCost(db: Queryable): Promise<HistoryCost> {
  const { rows: caps } = await db.query<{ n: string; first: Date | null; last: Date | null; mean: string | null; max: string | null }>(
    `SELECT count(*) AS n, min(at) AS first, max(at) AS last, avg(duration_ms) AS mean, max(duration_ms) AS max FROM comanda.history_captures`,
  );
  const tables: HistoryCost['tables'] = [];
  for (const table of HISTORY_TABLES) {
    const { rows } = await db.query<{ rows: string; bytes: string }>(
      `SELECT (SELECT count(*) FROM comanda.${table}) AS rows, pg_total_relation_size('comanda.${table}') AS bytes`,
    );
    tables.push({ table: `comanda.${table}`, rows: num(rows[0]?.rows), bytes: num(rows[0]?.bytes) });
  }
  const c = caps[0];
  return {
    captures: num(c?.n), first: c?.first ?? null, last: c?.last ?? null,
    meanCaptureMs: Math.round(num(c?.mean)), maxCaptureMs: num(c?.max),
    tables, totalBytes: tables.reduce((sum, t) => sum + t.bytes, 0),
  };
}
