// Readiness: the database answers and its schema holds every migration this code expects.
import type { Database } from './db/database.js';

export interface Readiness {
  ready: boolean;
  database: { ok: boolean; error?: string };
  schema?: { expected: number; current: number; pending: number[] };
}

export async function checkReadiness(db: Database, expectedVersions: number[]): Promise<Readiness> {
  const expected = expectedVersions.at(-1) ?? 0;
  let applied: number[];
  try {
    const { rows } = await db.query<{ version: number }>(
      'SELECT version FROM comanda.schema_migrations ORDER BY version',
      [],
      { statementTimeoutMs: 1_000, lockTimeoutMs: 500, readOnly: true },
    );
    applied = rows.map((r) => r.version);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '42P01') {
      // No bookkeeping table yet: the database answers but was never migrated.
      applied = [];
    } else {
      return { ready: false, database: { ok: false, error: 'the database did not answer' } };
    }
  }
  const done = new Set(applied);
  const pending = expectedVersions.filter((v) => !done.has(v));
  return {
    ready: pending.length === 0,
    database: { ok: true },
    schema: { expected, current: applied.at(-1) ?? 0, pending },
  };
}
