// Time since the last (auto)vacuum and (auto)analyze of each table (check_postgres' last_vacuum /
// last_analyze, pghero's maintenance page). A table counts only when it has something to do: dead
// rows for vacuum, rows changed since its last analyze for analyze — an unchanged table needs
// neither however long ago it was done. A table never vacuumed (analyzed) is flagged once it has
// 1,000 dead (changed) rows: autovacuum should have come by then.
import type { Check } from './check.js';
import { grade, num } from './check.js';

const NEVER_ROWS = 1_000;

function ageCheck(spec: { name: 'vacuum-age' | 'analyze-age'; what: 'vacuum' | 'analyze' }): Check {
  const pending = spec.what === 'vacuum' ? 'n_dead_tup' : 'n_mod_since_analyze';
  return {
    name: spec.name,
    description: `Hours since the last ${spec.what} or auto${spec.what} of each table with ${spec.what === 'vacuum' ? 'dead rows' : 'rows changed since its last analyze'} (never: flagged from ${NEVER_ROWS} such rows)`,
    unit: 'hours since the last one (the oldest)',
    defaults: { warning: 168, critical: 720 },
    async run(tx, t) {
      const { rows } = await tx.query<{ table: string; pending: string; last: Date | null; lastManual: Date | null; lastAuto: Date | null; count: string; hours: string | null }>(
        `SELECT format('%I.%I', schemaname, relname) AS table, ${pending} AS pending,
                greatest(last_${spec.what}, last_auto${spec.what}) AS last, last_${spec.what} AS "lastManual", last_auto${spec.what} AS "lastAuto",
                ${spec.what}_count + auto${spec.what}_count AS count,
                round((extract(epoch FROM now() - greatest(last_${spec.what}, last_auto${spec.what})) / 3600)::numeric, 4) AS hours
           FROM pg_stat_user_tables
          WHERE ${pending} > 0
          ORDER BY greatest(last_${spec.what}, last_auto${spec.what}) NULLS FIRST`,
      );
      const flagged = rows
        .map((r) => ({ table: r.table, pending: num(r.pending), last: r.last, lastManual: r.lastManual, lastAuto: r.lastAuto, count: num(r.count), hours: r.hours === null ? null : num(r.hours) }))
        .filter((r) => (r.hours === null ? r.pending >= NEVER_ROWS : r.hours > t.warning));
      const never = flagged.filter((r) => r.hours === null);
      const oldest = Math.max(0, ...flagged.map((r) => r.hours ?? 0));
      // A table never done counts as just over the warning threshold (how long is unknown).
      const status = grade(never.length ? Math.max(oldest, t.warning + 0.001) : oldest, t);
      return {
        status,
        summary: flagged.length
          ? `${flagged.length} table${flagged.length === 1 ? '' : 's'} not ${spec.what === 'vacuum' ? 'vacuumed' : 'analyzed'} for over ${t.warning} h${never.length ? ` (${never.length} never)` : ''}${oldest ? `; oldest ${oldest} h ago` : ''}`
          : `every table with ${spec.what === 'vacuum' ? 'dead rows' : 'changes'} was ${spec.what === 'vacuum' ? 'vacuumed' : 'analyzed'} within ${t.warning} h`,
        rows: flagged,
        advice:
          spec.what === 'vacuum'
            ? 'VACUUM (ANALYZE) the tables listed (comanda vacuum TABLE --analyze); if autovacuum never gets to them, look for long transactions holding it back (comanda check oldest-transaction) and lower their autovacuum_vacuum_scale_factor'
            : 'ANALYZE the tables listed (comanda vacuum TABLE --analyze); stale statistics give bad plans; lower autovacuum_analyze_scale_factor for tables that change in bursts',
      };
    },
  };
}

export const vacuumAge = ageCheck({ name: 'vacuum-age', what: 'vacuum' });
export const analyzeAge = ageCheck({ name: 'analyze-age', what: 'analyze' });
