// `comanda vacuum <table> [--analyze] [--full]`: VACUUM one table of the restaurante schema. The
// table must exist there (anything else is refused); its name comes from the catalog and is
// quoted, never pasted from input. VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock —
// every read and write of it waits until it finishes — so it needs --yes even at a terminal.
import { ident } from '../db/database.js';
import { elapsed, errorText, type ActionPlan, type Session, refusedPlan } from './action.js';

export interface VacuumOptions {
  analyze?: boolean;
  full?: boolean;
}

interface TableStats {
  dead: number | null;
  live: number | null;
  bytes: number;
}

async function stats(session: Session, oid: number): Promise<TableStats> {
  const { rows } = await session.query<{ dead: string | null; live: string | null; bytes: string }>(
    `SELECT s.n_dead_tup AS dead, s.n_live_tup AS live, pg_total_relation_size($1::oid) AS bytes
       FROM (SELECT $1::oid AS oid) x LEFT JOIN pg_stat_all_tables s ON s.relid = x.oid`,
    [oid],
  );
  const r = rows[0]!;
  return { dead: r.dead === null ? null : Number(r.dead), live: r.live === null ? null : Number(r.live), bytes: Number(r.bytes) };
}

export async function planVacuum(session: Session, table: string, options: VacuumOptions = {}): Promise<ActionPlan> {
  const action = 'vacuum';
  const refuse = (reason: string, targets: Array<Record<string, unknown>> = []): ActionPlan => refusedPlan(action, reason, targets);
  const dot = table.indexOf('.');
  const schema = dot >= 0 ? table.slice(0, dot) : 'restaurante';
  const name = dot >= 0 ? table.slice(dot + 1) : table;
  if (schema !== 'restaurante') return refuse(`only tables of the restaurante schema can be vacuumed here, not "${table}"`);
  const { rows } = await session.query<{ oid: number; relkind: string }>(
    `SELECT c.oid::int AS oid, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'restaurante' AND c.relname = $1 AND c.relkind IN ('r', 'm', 'p')`,
    [name],
  );
  const found = rows[0];
  if (!found) {
    const { rows: all } = await session.query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'restaurante' AND c.relkind IN ('r', 'm', 'p') ORDER BY 1`,
    );
    return refuse(`no table "${name}" in the restaurante schema; its tables: ${all.map((r) => r.relname).join(', ')}`);
  }
  const qualified = `${ident('restaurante')}.${ident(name)}`;
  const modes = [options.full ? 'FULL' : undefined, options.analyze ? 'ANALYZE' : undefined].filter(Boolean);
  const sql = `VACUUM ${modes.length ? `(${modes.join(', ')}) ` : ''}${qualified}`;
  const before = await stats(session, found.oid);
  const mb = Math.round(before.bytes / 104_857.6) / 10;
  const warnings = options.full
    ? [
        `VACUUM FULL rewrites ${qualified} (${mb} MB with indexes) under an ACCESS EXCLUSIVE lock: every read and write of it waits until it finishes, and it needs that much free disk again. Plain VACUUM (without --full) frees dead rows for reuse without blocking; prefer it, or pg_repack, on a live service.`,
      ]
    : [];
  return {
    action,
    targets: [{ table: qualified, deadRows: before.dead, liveRows: before.live, bytes: before.bytes }],
    sql: [sql],
    warnings,
    requiresYesFlag: options.full === true,
    async run() {
      const started = performance.now();
      try {
        await session.query(sql);
      } catch (err) {
        return { action, status: 'failed', sql: [sql], rows: [], summary: `${sql} failed: ${errorText(err)}`, durationMs: elapsed(started) };
      }
      const after = await stats(session, found.oid);
      return {
        action,
        status: 'done',
        sql: [sql],
        rows: [{ table: qualified, deadRowsBefore: before.dead, deadRowsAfter: after.dead, bytesBefore: before.bytes, bytesAfter: after.bytes }],
        summary: `${sql}: dead rows ${before.dead ?? '?'} → ${after.dead ?? '?'}, size ${before.bytes} → ${after.bytes} bytes`,
        durationMs: elapsed(started),
      };
    },
  };
}
