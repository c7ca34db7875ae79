// Regenerates schema/restaurante.sql: migrates a scratch database and dumps it normalised.
// Uses the server in TEST_DATABASE_URL, or an embedded cluster of its own in a temp directory.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ident } from '../src/core/db/database.js';
import { dumpSchema } from '../src/core/db/schema-dump.js';
import { MigrationRunner } from '../src/core/migrations/runner.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/embedded/postgres.js';

const output = new URL('../schema/restaurante.sql', import.meta.url);
let cluster: EmbeddedPostgres | undefined;
let root: string | undefined;
let adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl) {
  root = await mkdtemp(path.join(tmpdir(), 'comanda-dump-'));
  await chmod(root, 0o711);
  cluster = await startEmbeddedPostgres({ clusterDir: path.join(root, 'cluster'), password: randomBytes(16).toString('hex') });
  adminUrl = cluster.adminUrl;
}
const name = `comanda_dump_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
try {
  await admin.query(`CREATE DATABASE ${ident(name)}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await new MigrationRunner({ connectionString: url.toString() }).up();
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await writeFile(output, await dumpSchema(client));
  } finally {
    await client.end();
  }
  console.log(`wrote ${output.pathname}`);
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
  await admin.end();
  await cluster?.stop();
  if (root) await rm(root, { recursive: true, force: true });
}
