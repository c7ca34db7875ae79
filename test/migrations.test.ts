import { cp, mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpSchema } from '../src/core/db/schema-dump.js';
import { defaultMigrationsDir, loadMigrations, MigrationRunner } from '../src/core/migrations/runner.js';
import { createDatabase, dropDatabase } from './helpers/db.js';

async function dumpOf(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await dumpSchema(client);
  } finally {
    await client.end();
  }
}

const shipped = async () => (await loadMigrations()).map((m) => m.version);
const created: string[] = [];
async function emptyDatabase(): Promise<string> {
  const { name, url } = await createDatabase({ empty: true });
  created.push(name);
  return url;
}
afterAll(async () => {
  for (const name of created) await dropDatabase(name);
});

describe('the shipped migrations', () => {
  it('each has a down script and versions increase without gaps', async () => {
    const migrations = await loadMigrations();
    expect(migrations.length).toBeGreaterThanOrEqual(3);
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    for (const m of migrations) expect(m.down.trim().length).toBeGreaterThan(0);
  });

  it('build exactly the committed schema dump (schema/restaurante.sql)', async () => {
    const url = await emptyDatabase();
    await new MigrationRunner({ connectionString: url }).up();
    const committed = await readFile(new URL('../schema/restaurante.sql', import.meta.url), 'utf8');
    // On a mismatch: run `npm run schema:dump` and review the diff of schema/restaurante.sql.
    expect(await dumpOf(url)).toBe(committed);
  });

  it('each reverses exactly: up → down → up gives the same dump at every step, and all the way down', async () => {
    const url = await emptyDatabase();
    const runner = new MigrationRunner({ connectionString: url });
    const empty = await dumpOf(url);
    const count = (await loadMigrations()).length;
    const dumps = [empty];
    for (let i = 1; i <= count; i++) {
      expect(await runner.up(1)).toEqual([i]);
      dumps.push(await dumpOf(url));
      expect(dumps[i]).not.toBe(dumps[i - 1]); // the migration changed something
      expect(await runner.down(1)).toEqual([i]);
      expect(await dumpOf(url)).toBe(dumps[i - 1]);
      expect(await runner.up(1)).toEqual([i]);
      expect(await dumpOf(url)).toBe(dumps[i]);
    }
    // down --to 1 and back up, then everything down to an empty database.
    expect(await runner.downTo(1)).toEqual(Array.from({ length: count - 1 }, (_, i) => count - i));
    expect(await dumpOf(url)).toBe(dumps[1]);
    await runner.up();
    expect(await runner.downTo(0)).toHaveLength(count);
    expect(await dumpOf(url)).toBe(empty);
    const status = await runner.status();
    expect(status.every((row) => row.state === 'pending')).toBe(true);
  }, 240_000); // five dumps per migration: about 1 s each on the shared 2-core machine
});

describe('the migration runner', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'comanda-migrations-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function fixture(name: string, files: Record<string, string>): Promise<string> {
    const target = path.join(dir, name);
    await cp(defaultMigrationsDir, target, { recursive: true });
    for (const [file, text] of Object.entries(files)) await writeFile(path.join(target, file), text);
    return target;
  }

  it('refuses an applied migration whose file changed, and says what to do', async () => {
    const url = await emptyDatabase();
    const migrations = await fixture('changed', {});
    await new MigrationRunner({ connectionString: url, dir: migrations }).up();
    await appendFile(path.join(migrations, '0002_production_constraints.sql'), '\n-- edited after release\n');
    const runner = new MigrationRunner({ connectionString: url, dir: migrations });
    await expect(runner.up()).rejects.toThrow(/0002_production_constraints changed since it was applied.*add a new migration/);
    const status = await runner.status();
    expect(status.find((r) => r.version === 2)?.state).toBe('changed');
    await expect(runner.down()).rejects.toThrow(/checksum differs/);
  });

  it('refuses to migrate a database that has migrations this code does not know', async () => {
    const url = await emptyDatabase();
    const newer = await fixture('newer', {
      '0099_future.sql': 'CREATE TABLE restaurante.future (id int);',
      '0099_future.down.sql': 'DROP TABLE restaurante.future;',
    });
    await new MigrationRunner({ connectionString: url, dir: newer }).up();
    const older = new MigrationRunner({ connectionString: url });
    await expect(older.up()).rejects.toThrow(/0099_future that this version of Comanda does not know/);
    expect((await older.status()).at(-1)).toMatchObject({ version: 99, state: 'unknown' });
  });

  it('refuses a migration without a down script', async () => {
    const broken = await fixture('nodown', { '0098_lonely.sql': 'SELECT 1;' });
    await expect(loadMigrations(broken)).rejects.toThrow(/0098_lonely.sql has no down script/);
  });

  it('rolls back a failing migration completely and records nothing', async () => {
    const url = await emptyDatabase();
    const migrations = await fixture('failing', {
      '0100_half.sql': 'CREATE TABLE restaurante.half (id int);\nSELECT 1/0;',
      '0100_half.down.sql': 'DROP TABLE restaurante.half;',
    });
    const runner = new MigrationRunner({ connectionString: url, dir: migrations });
    await expect(runner.up()).rejects.toThrow(/0100_half up failed: division by zero/);
    const status = await runner.status();
    expect(status.filter((r) => r.state === 'applied').map((r) => r.version)).toEqual(await shipped());
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ t: string | null }>("SELECT to_regclass('restaurante.half')::text AS t");
    await client.end();
    expect(rows[0]?.t).toBeNull();
  });

  it('runs a `-- comanda:no-transaction` migration outside a transaction (CREATE INDEX CONCURRENTLY), both ways', async () => {
    const url = await emptyDatabase();
    const migrations = await fixture('concurrently', {
      '0100_index_concurrently.sql':
        '-- comanda:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS idx_menu_items_by_name ON restaurante.menu_items (name)',
      '0100_index_concurrently.down.sql': '-- comanda:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS restaurante.idx_menu_items_by_name',
    });
    const runner = new MigrationRunner({ connectionString: url, dir: migrations });
    expect(await runner.up()).toEqual([...(await shipped()), 100]);
    expect(await dumpOf(url)).toContain('CREATE INDEX idx_menu_items_by_name ON restaurante.menu_items USING btree (name)');
    expect(await runner.down()).toEqual([100]);
    expect(await dumpOf(url)).not.toContain('idx_menu_items_by_name');
    // The same statement without the marker fails, as PostgreSQL forbids it in a transaction.
    const plain = await fixture('concurrently-plain', {
      '0100_index_concurrently.sql': 'CREATE INDEX CONCURRENTLY idx_menu_items_by_name ON restaurante.menu_items (name)',
      '0100_index_concurrently.down.sql': 'DROP INDEX restaurante.idx_menu_items_by_name',
    });
    await expect(new MigrationRunner({ connectionString: url, dir: plain }).up()).rejects.toThrow(/cannot run inside a transaction block/);
  });

  it('gives up within lock_timeout (retrying) instead of queueing behind a long transaction', async () => {
    const url = await emptyDatabase();
    const migrations = await fixture('locked', {
      '0100_alter.sql': 'ALTER TABLE restaurante.orders ADD COLUMN extra text;',
      '0100_alter.down.sql': 'ALTER TABLE restaurante.orders DROP COLUMN extra;',
    });
    const runner = new MigrationRunner({ connectionString: url, dir: migrations, lockTimeoutMs: 200, lockRetries: 2 });
    await runner.up((await shipped()).length);
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    await blocker.query('BEGIN; SELECT * FROM restaurante.orders LIMIT 1');
    const logs: string[] = [];
    const waiting = new MigrationRunner({ connectionString: url, dir: migrations, lockTimeoutMs: 200, lockRetries: 2, log: (m) => logs.push(m) });
    const started = Date.now();
    await expect(waiting.up()).rejects.toThrow(/0100_alter up failed: canceling statement due to lock timeout.*retry when traffic is lower/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(logs.some((l) => l.includes('attempt 1'))).toBe(true);
    await blocker.query('ROLLBACK');
    await blocker.end();
    expect(await waiting.up()).toEqual([100]);
  });

  it('lets only one of several concurrent migrators apply each migration', async () => {
    const url = await emptyDatabase();
    const runners = Array.from({ length: 4 }, () => new MigrationRunner({ connectionString: url }));
    const results = await Promise.all(runners.map((r) => r.up()));
    const count = (await loadMigrations()).length;
    // Together they applied every migration exactly once.
    expect(results.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(results.filter((r) => r.length > 0)).toHaveLength(1);
  });
});
