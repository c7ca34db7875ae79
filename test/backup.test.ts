// Backups proven by restoring them: a real pg_dump of a database with orders, reservations and
// stock-ledger rows; verify restores it into a scratch database and checks it; restore into an
// empty database gives the same rows and a working schema; truncated, altered or inconsistent
// archives are refused with a clear message; retention; the off-site copy command (real `cp`)
// and its failure; the CLI as a child process.
import { copyFile, mkdir, mkdtemp, readdir, rm, stat, truncate, writeFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { BackupSettings } from '../src/config.js';
import { createStaffToken } from '../src/core/auth/staff-tokens.js';
import {
  pruneBackups,
  backupAndVerify,
  backupJobOutcome,
  BackupError,
  createBackup,
  listBackups,
  manifestPathOf,
  readManifest,
  restoreBackup,
  runCopyCommand,
  sha256Of,
  verifyBackup,
  type Manifest,
} from '../src/core/backup/index.js';
import { assertNotOlder, toolInfo } from '../src/core/backup/pg-tools.js';
import { Database } from '../src/core/db/database.js';
import { MigrationRunner } from '../src/core/migrations/runner.js';
import { placeOrder } from '../src/core/ordering/orders.js';
import { book } from '../src/core/reservations/reservations.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { createDatabase, dropDatabase, useTestDatabase } from './helpers/db.js';
import { futureTuesday } from './helpers/dates.js';
import { describeWith, pgDumpTools } from './helpers/tools.js';
import { runCliSync } from './helpers/cli.js';

const { db, url } = await useTestDatabase();
await seedDemo(db);
const { info } = await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'waiter' });
const waiter = { kind: 'staff' as const, tokenId: info.id, restaurantId: DEMO_RESTAURANT_ID, role: 'waiter' as const };
for (let i = 0; i < 5; i++) {
  await placeOrder(
    db,
    waiter,
    { source: 'presencial', tableId: `table_0${i + 1}`, items: [{ menuItemId: 'item_patatas_bravas', quantity: 1 + i }, { menuItemId: 'item_croquetas_jamon', quantity: 2 }] },
    { idempotencyTtlHours: 24 },
  );
}
for (let i = 0; i < 3; i++) {
  await book(
    db,
    { restaurantId: DEMO_RESTAURANT_ID, partySize: 2 + i, time: futureTuesday(i), customerName: `Invitado ${i}`, customerEmail: `guest${i}@example.com` },
    { secret: 'comanda-test-secret-0123456789abcdef0123', tokenTtlDays: 7, idempotencyTtlHours: 24 },
  );
}

const work = await mkdtemp(path.join(tmpdir(), 'comanda-backup-test-'));
const created: string[] = [];
afterAll(async () => {
  for (const name of created) await dropDatabase(name);
  await rm(work, { recursive: true, force: true });
});

async function emptyDatabase(): Promise<string> {
  const { name, url: emptyUrl } = await createDatabase({ empty: true });
  created.push(name);
  return emptyUrl;
}

/** Exact rows per table of Comanda's schemas (as the manifest names them). */
async function countsOf(databaseUrl: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ name: string; quoted: string }>(
      `SELECT format('%s.%s', n.nspname, c.relname) AS name, format('%I.%I', n.nspname, c.relname) AS quoted
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('restaurante', 'comanda') AND c.relkind = 'r' AND c.relname <> 'backups'`,
    );
    const counts: Record<string, number> = {};
    for (const t of tables) counts[t.name] = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${t.quoted}`)).rows[0]!.n);
    return counts;
  } finally {
    await client.end();
  }
}

async function backupRow(file: string) {
  const { rows } = await db.query<{ verified_at: Date | null; verify_error: string | null; copied_at: Date | null; copy_error: string | null; deleted_at: Date | null; sha256: string }>(
    'SELECT verified_at, verify_error, copied_at, copy_error, deleted_at, sha256 FROM comanda.backups WHERE file = $1',
    [file],
  );
  return rows[0];
}

/** A copy of an archive and its manifest under another name, to damage. */
async function copyOf(file: string, name: string): Promise<string> {
  const dir = path.join(work, 'damaged');
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, name);
  await copyFile(file, target);
  const manifest = (await readManifest(file))!;
  await writeFile(manifestPathOf(target), JSON.stringify({ ...manifest, file: name, verification: undefined }));
  return target;
}

const settings = (dir: string, extra: Partial<BackupSettings> = {}): BackupSettings => ({
  dir,
  retentionDays: 30,
  retentionKeep: undefined,
  copyCommand: undefined,
  pgBinDir: undefined,
  ...extra,
});

const mainDir = path.join(work, 'main');
let archive: string;
let manifest: Manifest;

describeWith(pgDumpTools(), 'backups (pg_dump, pg_restore)', () => {
  describe('backup → verify → restore', () => {
    it('writes an archive and a manifest whose row counts are the database\'s, and records it', async () => {
      const source = await countsOf(url);
      expect(source['restaurante.orders']).toBe(5);
      expect(source['restaurante.reservations']).toBe(3);
      expect(source['restaurante.stock_movements']).toBeGreaterThan(10);
      const result = await createBackup({ url, dir: mainDir });
      archive = result.file;
      manifest = result.manifest;
      expect(path.basename(archive)).toMatch(/^comanda-\d{8}T\d{6}Z\.dump$/);
      expect(result.manifestFile).toBe(archive.replace(/\.dump$/, '.manifest.json'));
      expect(manifest.rowCounts).toEqual(source);
      expect(manifest.sizeBytes).toBe((await stat(archive)).size);
      expect(manifest.sha256).toBe(await sha256Of(archive));
      expect(manifest.schemas).toEqual(['comanda', 'restaurante']);
      expect(manifest.extensions).toContain('btree_gist');
      expect(manifest.schemaVersion).toBeGreaterThanOrEqual(8);
      expect(result.warnings).toEqual([]);
      expect((await readdir(mainDir)).filter((n) => n.endsWith('.partial'))).toEqual([]);
      const row = await backupRow(archive);
      expect(row).toMatchObject({ sha256: manifest.sha256, verified_at: null });
    });

    it('verify restores it into a scratch database, checks counts and integrity, and drops the scratch database', async () => {
      const scratch = scratchWatcher();
      const result = await verifyBackup({ file: archive, url, onProgress: scratch.onProgress });
      expect(result.ok).toBe(true);
      expect(result.checks.map((c) => c.name).sort()).toEqual(['constraint-audit', 'invalid-indexes', 'sequences', 'stock-ledger']);
      expect(result.checks.every((c) => c.status === 'ok' || c.status === 'warning')).toBe(true);
      expect((await readManifest(archive))!.verification).toMatchObject({ ok: true, checks: { 'stock-ledger': 'ok', 'constraint-audit': 'ok' } });
      expect((await backupRow(archive))!.verified_at).toBeInstanceOf(Date);
      expect(scratch.names).toHaveLength(1);
      expect(await scratch.left()).toEqual([]); // the scratch database is gone
      expect((await listBackups(mainDir)).map((b) => [b.file, b.verified])).toEqual([[archive, true]]);
    });

    it('restores into an EMPTY database: the same rows, the migrations recorded, and a schema that works', async () => {
      const target = await emptyDatabase();
      const result = await restoreBackup({ file: archive, targetUrl: target });
      expect(result.replaced).toBe(false);
      expect(result.warnings).toEqual([]);
      expect(await countsOf(target)).toEqual(manifest.rowCounts);
      expect((await new MigrationRunner({ connectionString: target }).status()).every((m) => m.state === 'applied')).toBe(true);
      // Functions, triggers, the ledger and the btree_gist exclusion constraint came back working.
      const restored = new Database({ connectionString: target, poolSize: 2 });
      try {
        const placed = await placeOrder(restored, waiter, { source: 'presencial', items: [{ menuItemId: 'item_patatas_bravas', quantity: 1 }] }, { idempotencyTtlHours: 24 });
        expect(placed.replayed).toBe(false);
        const { rows } = await restored.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM restaurante.menu_items mi
            WHERE mi.stock <> (SELECT coalesce(sum(delta), 0) FROM restaurante.stock_movements s WHERE s."menuItemId" = mi.id)`,
        );
        expect(rows[0]!.n).toBe(0);
      } finally {
        await restored.close();
      }
    });

    it('refuses to restore over data unless told to replace it; replacing gives the backup\'s rows back', async () => {
      const target = await emptyDatabase();
      await restoreBackup({ file: archive, targetUrl: target });
      const changed = new pg.Client({ connectionString: target });
      await changed.connect();
      try {
        await changed.query(`DELETE FROM restaurante.reservation_tables`);
        const refused = await restoreBackup({ file: archive, targetUrl: target }).catch((err: unknown) => err);
        expect(refused).toBeInstanceOf(BackupError);
        expect((refused as Error).message).toMatch(/already holds Comanda's data.*--yes/);
        expect((await changed.query<{ n: string }>('SELECT count(*) AS n FROM restaurante.reservation_tables')).rows[0]!.n).toBe('0');
      } finally {
        await changed.end();
      }
      const replaced = await restoreBackup({ file: archive, targetUrl: target, replace: true });
      expect(replaced.replaced).toBe(true);
      expect(await countsOf(target)).toEqual(manifest.rowCounts);
    });
  });

  /** Progress callback that notes the scratch databases verify creates. */
  function scratchWatcher() {
    const names: string[] = [];
    return {
      names,
      onProgress: (message: string) => {
        const m = /scratch database (comanda_verify_[0-9a-f]+)/.exec(message);
        if (m) names.push(m[1]!);
      },
      /** Of those, the ones that still exist. */
      async left(): Promise<string[]> {
        const { rows } = await db.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname = ANY($1)', [names]);
        return rows.map((r) => r.datname);
      },
    };
  }

  describe('damaged backups', () => {
    it('a truncated archive is refused with a clear message, and recorded as failed', async () => {
      const file = await copyOf(archive, 'comanda-20200101T000000Z.dump');
      await truncate(file, Math.floor(manifest.sizeBytes / 2));
      await expect(verifyBackup({ file, url })).rejects.toThrow(/is truncated: \d+ bytes, the manifest says \d+/);
      expect((await readManifest(file))!.verification).toMatchObject({ ok: false, error: expect.stringMatching(/truncated/) as unknown });
      expect(await backupRow(file)).toMatchObject({ verified_at: null, verify_error: expect.stringMatching(/truncated/) as unknown });
    });

    it('an altered byte is refused by the checksum', async () => {
      const file = await copyOf(archive, 'comanda-20200102T000000Z.dump');
      const handle = await open(file, 'r+');
      const at = Math.floor(manifest.sizeBytes / 3);
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, at);
      byte[0] = byte[0]! ^ 0xff;
      await handle.write(byte, 0, 1, at);
      await handle.close();
      await expect(verifyBackup({ file, url })).rejects.toThrow(/does not match its checksum .*altered or damaged/);
    });

    it('an archive that does not restore fails verification on the pg_restore error, even with a matching manifest', async () => {
      const file = await copyOf(archive, 'comanda-20200103T000000Z.dump');
      await truncate(file, Math.floor(manifest.sizeBytes * 0.8));
      // A manifest rewritten to match the cut file: only the restore itself can tell.
      const m = (await readManifest(file))!;
      await writeFile(manifestPathOf(file), JSON.stringify({ ...m, sizeBytes: (await stat(file)).size, sha256: await sha256Of(file) }));
      const scratch = scratchWatcher();
      await expect(verifyBackup({ file, url, onProgress: scratch.onProgress })).rejects.toThrow(/does not restore \(pg_restore exit code 1\)/);
      expect(scratch.names).toHaveLength(1);
      expect(await scratch.left()).toEqual([]);
    });

    it('row counts that differ from the manifest fail verification', async () => {
      const file = await copyOf(archive, 'comanda-20200104T000000Z.dump');
      const m = (await readManifest(file))!;
      await writeFile(manifestPathOf(file), JSON.stringify({ ...m, rowCounts: { ...m.rowCounts, 'restaurante.orders': 6 } }));
      await expect(verifyBackup({ file, url })).rejects.toThrow(/row counts .* differ from the manifest: restaurante\.orders 5 \(expected 6\)/);
    });

    it('an archive without a manifest, or a missing file, is refused saying what to do', async () => {
      const file = path.join(work, 'damaged', 'comanda-20200105T000000Z.dump');
      await copyFile(archive, file);
      await expect(verifyBackup({ file, url })).rejects.toThrow(/has no manifest.*copy the manifest back/);
      await expect(verifyBackup({ file: path.join(work, 'nope.dump'), url })).rejects.toThrow(/no such backup file/);
    });

    it('a pg_dump older than the server is refused with what to install', async () => {
      const pgDump = await toolInfo('pg_dump');
      expect(pgDump.major).toBeGreaterThanOrEqual(15);
      expect(() => assertNotOlder(pgDump, 'pg_dump', (pgDump.major + 1) * 10_000 + 2, `${pgDump.major + 1}.2`)).toThrow(
        new RegExp(`older than the server \\(PostgreSQL ${pgDump.major + 1}\\.2\\): install postgresql-client-${pgDump.major + 1}`),
      );
      expect(() => assertNotOlder(pgDump, 'pg_dump', pgDump.major * 10_000, `${pgDump.major}.0`)).not.toThrow();
      await expect(createBackup({ url, dir: path.join(work, 'never'), pgBinDir: path.join(work, 'no-bin') })).rejects.toThrow(
        /pg_dump was not found in PG_BIN_DIR .*postgresql-client-15/,
      );
    });
  });

  /** A fake old backup (a copy of the real archive) with its manifest dated `daysAgo`. */
  async function aged(dir: string, daysAgo: number, verified: boolean): Promise<string> {
    const at = new Date(Date.now() - daysAgo * 86_400_000);
    const name = `comanda-${at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')}.dump`;
    const file = path.join(dir, name);
    await mkdir(dir, { recursive: true });
    await copyFile(archive, file);
    const iso = at.toISOString();
    const m: Manifest = { ...manifest, file: name, createdAt: iso, verification: verified ? { ok: true, checkedAt: iso, verifiedAt: iso, durationMs: 1 } : undefined };
    await writeFile(manifestPathOf(file), JSON.stringify(m));
    return file;
  }

  describe('retention', () => {
    it('deletes backups older than the days, keeps the newest verified one however old, and honours keep', async () => {
      const dir = path.join(work, 'retention');
      const oldVerified = await aged(dir, 50, true);
      const older = await aged(dir, 60, true);
      const oldUnverified = await aged(dir, 40, false);
      const recent = [await aged(dir, 3, false), await aged(dir, 2, false), await aged(dir, 1, false)];
      const result = await pruneBackups({ dir, days: 30 });
      expect(result.deleted.sort()).toEqual([older, oldUnverified].sort());
      expect(result.kept.sort()).toEqual([oldVerified, ...recent].sort());
      for (const f of result.deleted) await expect(stat(manifestPathOf(f))).rejects.toThrow();
      const counted = await pruneBackups({ dir, days: 30, keep: 1, protect: [recent[0]!] });
      expect(counted.deleted.sort()).toEqual([recent[1]!]);
      expect((await listBackups(dir)).map((b) => b.file)).toEqual([recent[2]!, recent[0]!, oldVerified]);
    });
  });

  describe('the off-site copy command', () => {
    it('runs on the archive ($1, COMANDA_BACKUP_FILE) and its manifest, and a failure is reported and recorded', async () => {
      const offsite = path.join(work, 'offsite');
      await mkdir(offsite);
      const ok = await runCopyCommand({ command: `cp "$1" "$COMANDA_BACKUP_MANIFEST" '${offsite}/'`, file: archive, url });
      expect(ok).toMatchObject({ ok: true, exitCode: 0 });
      expect(await sha256Of(path.join(offsite, path.basename(archive)))).toBe(manifest.sha256);
      expect((await readdir(offsite)).sort()).toEqual([path.basename(archive), path.basename(manifestPathOf(archive))].sort());
      expect((await backupRow(archive))!.copied_at).toBeInstanceOf(Date);

      const failed = await runCopyCommand({ command: `echo "bucket not found: s3://user:hunter2@nowhere" >&2; exit 3`, file: archive, url });
      expect(failed).toMatchObject({ ok: false, exitCode: 3 });
      expect(failed.error).toMatch(/exited with code 3: bucket not found/);
      expect(failed.error).not.toContain('hunter2');
      expect((await readManifest(archive))!.copy).toMatchObject({ ok: false });
      expect(await backupRow(archive)).toMatchObject({ copied_at: null, copy_error: expect.stringMatching(/code 3/) as unknown });
    });

    it('backupAndVerify runs the daily routine, and says when the copy failed', async () => {
      const dir = path.join(work, 'daily');
      const offsite = path.join(work, 'daily-offsite');
      await mkdir(offsite);
      const stale = await aged(dir, 45, false);
      const good = await backupAndVerify({ url, settings: settings(dir, { copyCommand: `cp "$COMANDA_BACKUP_FILE" '${offsite}/'` }) });
      expect(good.ok).toBe(true);
      expect(good.problems).toEqual([]);
      expect(good.verification?.ok).toBe(true);
      expect(good.copy?.ok).toBe(true);
      expect(good.retention?.deleted).toEqual([stale]);
      expect(await readdir(offsite)).toEqual([path.basename(good.backup.file)]);
      expect((await backupRow(good.backup.file))!.verified_at).toBeInstanceOf(Date);

      const bad = await backupAndVerify({ url, settings: settings(dir, { copyCommand: 'exit 7' }) });
      expect(bad.ok).toBe(false);
      expect(bad.verification?.ok).toBe(true);
      expect(bad.problems).toEqual([expect.stringMatching(/off-site copy of .* failed: the copy command exited with code 7/)]);

      // The same routine as the monitor's backup job sees it.
      const outcome = await backupJobOutcome({ url, settings: settings(dir, { copyCommand: 'exit 7' }) });
      expect(outcome).toMatchObject({ status: 'warning', summary: expect.stringMatching(/copy command exited with code 7/) as unknown });
      expect((await backupJobOutcome({ url, settings: settings(dir) })).status).toBe('ok');
    }, 90_000);
  });

  describe('the CLI', () => {
    const cli = (args: string[], env: Record<string, string> = {}) =>
      runCliSync(args, { DATABASE_URL: url, COMANDA_DATA_DIR: path.join(work, 'data'), ...env });
    const password = decodeURIComponent(new URL(url).password);

    it('backup, backup list, backup verify and restore, with clear refusals', async () => {
      const dir = path.join(work, 'cli');
      const made = cli(['backup', '--dir', dir, '--json']);
      expect(made.stderr).toBe('');
      expect(made.status).toBe(0);
      const { file, manifest: m } = JSON.parse(made.stdout) as { file: string; manifest: Manifest };
      expect(m.rowCounts['restaurante.orders']).toBeGreaterThanOrEqual(5);

      const listed = cli(['backup', 'list', '--dir', dir, '--json'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
      expect(listed.status).toBe(0); // from the directory alone: no database needed
      expect((JSON.parse(listed.stdout) as { backups: Array<{ file: string; verified: boolean }> }).backups).toEqual([
        expect.objectContaining({ file, verified: false }),
      ]);

      const verified = cli(['backup', 'verify', '--dir', dir]);
      expect(verified.status).toBe(0);
      expect(verified.stdout).toMatch(/^OK .*checksum, restore, \d+ tables \/ \d+ rows and 4 integrity checks/);
      const table = cli(['backup', 'list', '--dir', dir]);
      expect(table.stdout).toMatch(new RegExp(`${path.basename(file)}\\s+\\S+\\s+.*\\s+yes \\d{4}-`));

      // restore over data, not on a terminal and without --yes: refused, nothing changed.
      const refused = cli(['restore', file, '--target', url]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/holds Comanda's data .* Nothing was changed: run again with --yes/);
      const target = await emptyDatabase();
      const restored = cli(['restore', file, '--target', target]);
      expect(restored.status).toBe(0);
      expect(await countsOf(target)).toEqual(m.rowCounts);

      expect(cli(['restore', file, '--target', 'mysql://x@y/z']).status).toBe(2);
      const noTool = cli(['backup', '--dir', dir], { PG_BIN_DIR: path.join(work, 'no-bin') });
      expect(noTool.status).toBe(1);
      expect(noTool.stderr).toMatch(/pg_dump was not found .*apt-get install postgresql-client-15/);
      const missing = cli(['backup', 'verify', path.join(dir, 'comanda-19990101T000000Z.dump')]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain('no such backup file');
      for (const r of [made, listed, verified, refused, restored, noTool, missing]) {
        if (password) expect(r.stdout + r.stderr).not.toContain(password);
      }
    }, 120_000);
  });
});
