// Per-file test databases: a clone of the migrated template, dropped after the file's tests.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { Database, ident, type DatabaseOptions } from '../../src/core/db/database.js';
import { databaseUrl } from '../setup/global.js';

export interface TestDatabase {
  name: string;
  url: string;
  db: Database;
}

export async function adminQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const admin = new pg.Client({ connectionString: inject('adminUrl') });
  await admin.connect();
  try {
    return await admin.query(sql, params);
  } finally {
    await admin.end();
  }
}

/** A new database on the test server: a migrated clone of the template, or empty. */
export async function createDatabase(options: { empty?: boolean } = {}): Promise<{ name: string; url: string }> {
  const name = `${inject('runPrefix')}${randomBytes(5).toString('hex')}`;
  const template = options.empty ? 'template0' : inject('templateDatabase');
  await adminQuery(`CREATE DATABASE ${ident(name)} TEMPLATE ${ident(template)}`);
  return { name, url: databaseUrl(inject('adminUrl'), name) };
}

export async function dropDatabase(name: string): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
}

/**
 * The file's own migrated database with a Database handle; dropped after the file. The handle
 * connects straight to the server, as the service does by default: with prepared statements.
 */
export async function useTestDatabase(options: Partial<DatabaseOptions> & { empty?: boolean } = {}): Promise<TestDatabase> {
  const { name, url } = await createDatabase({ empty: options.empty });
  const db = new Database({ connectionString: url, poolSize: 20, preparedStatements: true, ...options });
  afterAll(async () => {
    await db.close();
    await dropDatabase(name);
  });
  return { name, url, db };
}
