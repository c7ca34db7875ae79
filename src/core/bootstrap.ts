// What every entry point does with a database before using it: migrate (when asked), make sure
// pg_stat_statements is there where possible, seed the demo restaurant (when asked).
import { Database, type DatabaseOptions } from './db/database.js';
import { ensurePgStatStatements, type StatStatementsStatus } from './db/extensions.js';
import { loadMigrations, MigrationRunner } from './migrations/runner.js';
import { seedDemo } from './seed.js';

export interface BootstrapOptions {
  database: DatabaseOptions;
  /** Direct (non-pooled) URL for migrations. */
  directUrl: string;
  migrate: boolean;
  seed: boolean;
  migrationLockTimeoutMs?: number;
  log: (message: string) => void;
}

export interface Bootstrapped {
  db: Database;
  expectedMigrations: number[];
  applied: number[];
  statStatements: StatStatementsStatus;
  seeded: boolean;
}

export async function bootstrap(options: BootstrapOptions): Promise<Bootstrapped> {
  const expectedMigrations = (await loadMigrations()).map((m) => m.version);
  let applied: number[] = [];
  if (options.migrate) {
    const runner = new MigrationRunner({
      connectionString: options.directUrl,
      lockTimeoutMs: options.migrationLockTimeoutMs,
      log: options.log,
    });
    applied = await runner.up();
  }
  const db = new Database(options.database);
  try {
    const statStatements = await ensurePgStatStatements(db);
    const seeded = options.seed ? await seedDemo(db) : false;
    return { db, expectedMigrations, applied, statStatements, seeded };
  } catch (err) {
    await db.close();
    throw err;
  }
}
