// `comanda migrate plan`: a verified backup of a seeded test database, restored into a scratch
// database where pending migrations from a temporary migrations directory are applied and
// measured (duration, strongest lock and on what, rewrites, rows touched); the scratch database
// is dropped and the source database is untouched.
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBackup, verifyBackup } from '../src/core/backup/index.js';
import { planMigrations, type PlanResult } from '../src/core/migrations/plan.js';
import { defaultMigrationsDir } from '../src/core/migrations/runner.js';
import { seedDemo } from '../src/core/seed.js';
import { runCli } from './helpers/cli.js';
import { adminQuery, useTestDatabase } from './helpers/db.js';
import { describeWith, tool } from './helpers/tools.js';

const pgRestore = tool('pg_restore', 'postgresql-client');
const pgDump = tool('pg_dump', 'postgresql-client');

// The file's database (no tool needed to make it); the backup of it is made inside the suite.
const { url: source, db } = await useTestDatabase();

describeWith([pgDump, pgRestore], 'comanda migrate plan', () => {
  let work: string;
  let backups: string;
  let migrations: string;
  let items: number;

  const scratchDatabases = async () =>
    Number(((await adminQuery(`SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'comanda\\_plan\\_%'`)).rows[0] as { n: number }).n);

  beforeAll(async () => {
    await seedDemo(db);
    items = Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM restaurante.menu_items')).rows[0]!.n);
    work = await mkdtemp(path.join(tmpdir(), 'comanda-plan-'));
    backups = path.join(work, 'backups');
    migrations = path.join(work, 'migrations');
    await cp(defaultMigrationsDir, migrations, { recursive: true });
    // Pending: a rewrite under ACCESS EXCLUSIVE plus an UPDATE, then an index built concurrently.
    await writeFile(
      path.join(migrations, '0090_plan_rank.sql'),
      'ALTER TABLE restaurante.menu_items ADD COLUMN plan_rank bigint DEFAULT (random() * 100)::bigint;\n' +
        "UPDATE restaurante.menu_items SET description = coalesce(description, '') WHERE true;\n",
    );
    await writeFile(path.join(migrations, '0090_plan_rank.down.sql'), 'ALTER TABLE restaurante.menu_items DROP COLUMN plan_rank;\n');
    await writeFile(
      path.join(migrations, '0091_plan_index.sql'),
      '-- comanda:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS menu_items_plan_rank ON restaurante.menu_items (plan_rank);\n',
    );
    await writeFile(path.join(migrations, '0091_plan_index.down.sql'), '-- comanda:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS restaurante.menu_items_plan_rank;\n');
    const made = await createBackup({ url: source, dir: backups });
    await verifyBackup({ file: made.file, url: source });
  }, 120_000);

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('restores the newest verified backup, applies the pending migrations and reports each', async () => {
    const before = await scratchDatabases();
    const result: PlanResult = await planMigrations({ backupDir: backups, url: source, dir: migrations });
    expect(result.ok).toBe(true);
    expect(result.migrations.map((m) => m.version)).toEqual([90, 91]);
    const [rank, index] = result.migrations as [PlanResult['migrations'][0], PlanResult['migrations'][0]];
    expect(rank.strongestLock).toMatchObject({ mode: 'AccessExclusiveLock', relations: ['restaurante.menu_items'] });
    expect(rank.rewrites.map((r) => r.relation)).toContain('restaurante.menu_items');
    expect(rank.rowsTouched).toBe(items);
    expect(rank.statements).toHaveLength(2);
    expect(rank.durationMs).toBeGreaterThanOrEqual(0);
    expect(index.inTransaction).toBe(false);
    expect(index.strongestLock).toMatchObject({ mode: 'ShareUpdateExclusiveLock', relations: ['restaurante.menu_items'] });
    expect(index.rewrites).toEqual([]);
    // The scratch database is gone and the source database was not touched.
    expect(await scratchDatabases()).toBe(before);
    const { rows } = await db.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'menu_items' AND column_name = 'plan_rank'`);
    expect(rows).toEqual([]);
  });

  it('the CLI prints the table, and exits 1 when a migration fails on the copy', async () => {
    const env = { DATABASE_URL: source, DATABASE_DIRECT_URL: undefined };
    const ok = await runCli(['migrate', 'plan', '--backup-dir', backups, '--dir', migrations], env);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/0090_plan_rank\s+ok\s+\d+\s+AccessExclusiveLock\s+restaurante\.menu_items\s+restaurante\.menu_items \(\d+ B\)\s+\d+/);
    expect(ok.stdout).toMatch(/0090_plan_rank: AccessExclusiveLock blocks everything, reads included/);

    await writeFile(path.join(migrations, '0092_plan_broken.sql'), 'ALTER TABLE restaurante.no_such_table ADD COLUMN x int;\n');
    await writeFile(path.join(migrations, '0092_plan_broken.down.sql'), 'SELECT 1;\n');
    const failed = await runCli(['migrate', 'plan', '--from-backup', await newestArchive(), '--dir', migrations, '--json'], env);
    expect(failed.status).toBe(1);
    const json = JSON.parse(failed.stdout) as PlanResult;
    expect(json.ok).toBe(false);
    expect(json.migrations.at(-1)).toMatchObject({ version: 92, ok: false, error: expect.stringMatching(/does not exist/) as unknown });
    await rm(path.join(migrations, '0092_plan_broken.sql'));
    await rm(path.join(migrations, '0092_plan_broken.down.sql'));
  });

  it('says what to do without a verified backup', async () => {
    await expect(planMigrations({ backupDir: path.join(work, 'empty'), url: source, dir: migrations })).rejects.toThrow(/no verified backup in .*comanda backup --verify/);
  });

  async function newestArchive(): Promise<string> {
    const archives = (await readdir(backups)).filter((f) => f.endsWith('.dump')).sort();
    return path.join(backups, archives.at(-1)!);
  }
});
