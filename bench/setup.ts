// What several benchmarks set up the same way: a server (TEST_DATABASE_URL's, or an embedded
// cluster of their own in the work directory) and a migrated database seeded with the demo.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { Database, ident } from '../src/core/db/database.js';
import { MigrationRunner } from '../src/core/migrations/runner.js';
import { seedDemo } from '../src/core/seed.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/embedded/postgres.js';

/** TEST_DATABASE_URL's server when set, else an embedded cluster in `work` (its log beside it). */
export async function benchServer(work: string): Promise<{ adminUrl: string; cluster?: EmbeddedPostgres }> {
  if (process.env.TEST_DATABASE_URL) return { adminUrl: process.env.TEST_DATABASE_URL };
  const cluster = await startEmbeddedPostgres({
    clusterDir: path.join(work, 'cluster'),
    password: randomBytes(12).toString('hex'),
    logFile: path.join(work, 'postgres.log'),
  });
  return { adminUrl: cluster.adminUrl, cluster };
}

/** Creates database `name` on the server, migrates it and seeds the demo restaurant. */
export async function demoDatabase(adminUrl: string, name: string, poolSize: number): Promise<{ url: string; db: Database }> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${ident(name)}`);
  await admin.end();
  const target = new URL(adminUrl);
  target.pathname = `/${name}`;
  const url = target.toString();
  await new MigrationRunner({ connectionString: url }).up();
  const db = new Database({ connectionString: url, poolSize });
  await seedDemo(db);
  return { url, db };
}
