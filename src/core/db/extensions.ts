// pg_stat_statements: created at start where the role may, never in a migration (it needs
// superuser or a preloaded library that only the server's operator can configure).
import type { Database } from './database.js';

export interface StatStatementsStatus {
  preloaded: boolean;
  installed: boolean;
  /** What to do when it is not usable; undefined when it is. */
  advice?: string;
}

export async function ensurePgStatStatements(db: Database): Promise<StatStatementsStatus> {
  const { rows } = await db.query<{ preloaded: boolean; installed: boolean }>(
    `SELECT 'pg_stat_statements' = ANY(string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')) AS preloaded,
            EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS installed`,
  );
  const status = rows[0] ?? { preloaded: false, installed: false };
  if (!status.installed) {
    try {
      await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      status.installed = true;
    } catch {
      // Not allowed for this role: report how to enable it instead.
    }
  }
  if (!status.preloaded) {
    return { ...status, advice: "add pg_stat_statements to shared_preload_libraries in postgresql.conf and restart PostgreSQL" };
  }
  if (!status.installed) {
    return { ...status, advice: 'run CREATE EXTENSION pg_stat_statements as a superuser in this database' };
  }
  return status;
}
