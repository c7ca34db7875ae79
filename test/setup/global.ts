// Test servers: the suite's own embedded PostgreSQL cluster (unique port and directory, removed
// afterwards), or the server in TEST_DATABASE_URL, on which it creates and drops its own databases.
// Either way it builds one migrated template database that each test file clones.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { ident } from '../../src/core/db/database.js';
import { MigrationRunner } from '../../src/core/migrations/runner.js';
import { startEmbeddedPostgres } from '../../src/embedded/postgres.js';
import { buildWebAssets } from '../../src/web/build.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of a maintenance database on the test server (for CREATE/DROP DATABASE). */
    adminUrl: string;
    /** Name of the migrated template database every test database is cloned from. */
    templateDatabase: string;
    /** Prefix of every database this run creates, so teardown can find leftovers. */
    runPrefix: string;
  }
}

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = '/' + encodeURIComponent(database);
  return url.toString();
}

export default async function setup(project: TestProject) {
  // The pages' scripts and styles, built from src/web as `npm run build` does, so tests never
  // serve a stale build.
  await buildWebAssets();
  let adminUrl = process.env.TEST_DATABASE_URL;
  let stopCluster: (() => Promise<void>) | undefined;
  let clusterRoot: string | undefined;
  if (!adminUrl) {
    clusterRoot = await mkdtemp(path.join(tmpdir(), 'comanda-test-'));
    await chmod(clusterRoot, 0o711); // the server runs as `postgres` when the tests run as root
    const cluster = await startEmbeddedPostgres({
      clusterDir: path.join(clusterRoot, 'cluster'),
      password: randomBytes(16).toString('hex'),
      logFile: path.join(clusterRoot, 'postgres.log'),
      settings: { max_connections: '200', fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
    });
    adminUrl = cluster.adminUrl;
    stopCluster = () => cluster.stop();
  }

  const runPrefix = `comanda_t${randomBytes(3).toString('hex')}_`;
  const templateDatabase = `${runPrefix}template`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${ident(templateDatabase)}`);
  await new MigrationRunner({ connectionString: databaseUrl(adminUrl, templateDatabase) }).up();

  project.provide('adminUrl', adminUrl);
  project.provide('templateDatabase', templateDatabase);
  project.provide('runPrefix', runPrefix);

  return async () => {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE starts_with(datname, $1)`,
      [runPrefix],
    );
    for (const { datname } of rows) {
      await admin.query(`DROP DATABASE IF EXISTS ${ident(datname)} WITH (FORCE)`);
    }
    await admin.end();
    await stopCluster?.();
    if (clusterRoot) await rm(clusterRoot, { recursive: true, force: true });
  };
}
