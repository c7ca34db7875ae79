// Sizes with thresholds (check_postgres' database_size / relation_size, pghero's space page): the
// database, its largest table (with its indexes and TOAST) and its largest index. Defaults are
// generous — size is a planning question, not an emergency — and meant to be set per site
// (COMANDA_CHECKS_FILE) to what the disk and the backups can hold.
import type { Check } from './check.js';
import { grade, num } from './check.js';

const MB = 1024 * 1024;
const mb = (bytes: number) => Math.round((10 * bytes) / MB) / 10;

export const databaseSize: Check = {
  name: 'database-size',
  description: 'Size of this database on disk (pg_database_size), against thresholds set for the disk and the backups',
  unit: 'MB',
  defaults: { warning: 50_000, critical: 200_000 },
  async run(tx, t) {
    const { rows } = await tx.query<{ bytes: string }>(`SELECT pg_database_size(current_database()) AS bytes`);
    const size = mb(num(rows[0]?.bytes));
    return {
      status: grade(size, t),
      summary: `this database takes ${size} MB`,
      rows: [{ sizeMb: size }],
      advice:
        'see what grows (comanda space --growth 7d): purge or archive old rows (DATA_RETENTION_DAYS), remove bloat (comanda check bloat), drop unused indexes (comanda check unused-indexes); make sure the disk and the backup space keep up',
    };
  },
};

/** The largest relations of a kind, graded by the largest. */
function largest(spec: { name: string; description: string; kind: 'table' | 'index'; defaults: { warning: number; critical: number }; advice: string }): Check {
  return {
    name: spec.name,
    description: spec.description,
    unit: 'MB (the largest)',
    defaults: spec.defaults,
    async run(tx, t) {
      const { rows } =
        spec.kind === 'table'
          ? await tx.query<{ name: string; bytes: string; rows: string }>(
              `SELECT format('%I.%I', schemaname, relname) AS name, pg_total_relation_size(relid) AS bytes, n_live_tup AS rows
                 FROM pg_stat_user_tables ORDER BY 2 DESC LIMIT 10`,
            )
          : await tx.query<{ name: string; bytes: string; rows: string }>(
              `SELECT format('%I.%I', schemaname, indexrelname) AS name, pg_relation_size(indexrelid) AS bytes, NULL AS rows
                 FROM pg_stat_user_indexes ORDER BY 2 DESC LIMIT 10`,
            );
      const top: Array<{ name: string; sizeMb: number; rows?: number }> = rows.map((r) => ({ name: r.name, sizeMb: mb(num(r.bytes)), ...(spec.kind === 'table' ? { rows: num(r.rows) } : {}) }));
      const biggest = top[0]?.sizeMb ?? 0;
      const over = top.filter((r) => r.sizeMb > t.warning);
      return {
        status: grade(biggest, t),
        summary: top.length
          ? over.length
            ? `${over.length} ${spec.kind === 'table' ? 'table' : 'index'}${over.length === 1 ? '' : spec.kind === 'table' ? 's' : 'es'} over ${t.warning} MB (largest ${top[0]!.name}, ${biggest} MB)`
            : `largest ${spec.kind}: ${top[0]!.name} (${biggest} MB)`
          : `no ${spec.kind === 'table' ? 'tables' : 'indexes'}`,
        rows: top,
        advice: spec.advice,
      };
    },
  };
}

export const tableSize = largest({
  name: 'table-size',
  description: 'Largest tables with their indexes and TOAST (pg_total_relation_size), graded by the largest',
  kind: 'table',
  defaults: { warning: 10_000, critical: 50_000 },
  advice: 'a table this large wants a plan: archive or partition old rows (orders by month), check its bloat (comanda check bloat), and that VACUUM keeps up (comanda check vacuum-age)',
});

export const indexSize = largest({
  name: 'index-size',
  description: 'Largest indexes (pg_relation_size), graded by the largest',
  kind: 'index',
  defaults: { warning: 5_000, critical: 20_000 },
  advice: 'check that it is used (comanda check unused-indexes) and not duplicated (comanda check duplicate-indexes); a bloated index shrinks with REINDEX INDEX CONCURRENTLY',
});

export const sizeChecks: Check[] = [databaseSize, tableSize, indexSize];
