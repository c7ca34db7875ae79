// `comanda backup verify`: a backup is only as good as a restore of it. The checksum and size
// against the manifest (a truncated or altered file stops here), then a real restore into a
// scratch database that fails on any pg_restore error, the row counts against the manifest and
// the integrity checks on the restored copy; the scratch database is dropped whatever happens.
// (`pg_restore --list` check, reads only the table of contents.)
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { runChecks, type CheckResult } from '../checks/check.js';
import { invalidIndexes } from '../checks/indexes.js';
import { constraintAudit, sequences, stockLedger } from '../checks/integrity.js';
import { Database, ident } from '../db/database.js';
import { countRows } from './create.js';
import { readManifest, sha256Of, writeManifest, type Manifest, type Verification } from './manifest.js';
import { assertNotOlder, BackupError, databaseNameOf, libpqConnection, redact, run, tail, toolInfo, withDatabaseName } from './pg-tools.js';
import { recordBackup } from './record.js';

/** The integrity checks a restored copy must pass (critical or unknown fails the verification). */
export const VERIFY_CHECKS = [constraintAudit, stockLedger, invalidIndexes, sequences];

export interface VerifyBackupOptions {
  file: string;
  /**
   * Database URL whose server hosts the scratch database (same credentials, database `postgres`)
   * and where comanda.backups is updated. Needed unless scratchUrl is given.
   */
  url?: string;
  /** Any database URL on a server where its role may CREATE DATABASE; the scratch one is made there. */
  scratchUrl?: string;
  pgBinDir?: string;
  /** Update comanda.backups through `url` (default true when url is given). */
  record?: boolean;
  onProgress?: (message: string) => void;
}

export interface VerifyBackupResult {
  ok: true;
  file: string;
  manifest: Manifest;
  verification: Verification;
  checks: CheckResult[];
  warnings: string[];
}

const message = (err: unknown) => redact(err instanceof Error ? err.message : String(err));

/** Checksum and size against the manifest; throws a BackupError saying which and how. */
export async function checkArchive(file: string): Promise<Manifest> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BackupError(`no such backup file: ${file} (see comanda backup list)`);
    throw err;
  }
  const manifest = await readManifest(file);
  if (!manifest) {
    throw new BackupError(
      `${file} has no manifest (${path.basename(file).replace(/\.dump$/, '')}.manifest.json beside it): its checksum and row counts cannot be checked; copy the manifest back with the archive`,
      { reason: 'no-manifest' },
    );
  }
  if (size !== manifest.sizeBytes) {
    throw new BackupError(
      `${file} is ${size < manifest.sizeBytes ? 'truncated' : 'longer than written'}: ${size} bytes, the manifest says ${manifest.sizeBytes}; ` +
        'the copy is incomplete or damaged: use another backup (comanda backup list) or fetch it again from the off-site copy',
    );
  }
  const sha256 = await sha256Of(file);
  if (sha256 !== manifest.sha256) {
    throw new BackupError(
      `${file} does not match its checksum (sha256 ${sha256}, the manifest says ${manifest.sha256}): the archive was altered or damaged after it was written; use another backup`,
    );
  }
  return manifest;
}

export interface Scratch {
  url: string;
  drop(): Promise<void>;
  serverVersionNum: number;
  serverVersion: string;
}

/** An empty scratch database on the server of `adminUrl` (`given`: it came from --scratch-url); `drop()` removes it. */
export async function createScratch(adminUrl: string, given: boolean, purpose = 'verify'): Promise<Scratch> {
  const admin = new pg.Client({ connectionString: adminUrl, application_name: `comanda-backup-${purpose}`, connectionTimeoutMillis: 10_000 });
  admin.on('error', () => undefined);
  try {
    await admin.connect();
  } catch (err) {
    await admin.end().catch(() => undefined);
    throw new BackupError(
      `cannot connect to ${given ? 'the --scratch-url server' : `the server's "postgres" database to create a scratch database`}: ${message(err)}` +
        (given ? '' : '; pass --scratch-url with a database URL on a server where its role may CREATE DATABASE'),
      { cause: err },
    );
  }
  const name = `comanda_${purpose}_${randomBytes(5).toString('hex')}`;
  try {
    const { rows } = await admin.query<{ num: string; version: string }>(
      `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version`,
    );
    // template0: truly empty, whatever an administrator added to template1.
    await admin.query(`CREATE DATABASE ${ident(name)} TEMPLATE template0`);
    return {
      url: withDatabaseName(adminUrl, name),
      serverVersionNum: Number(rows[0]!.num),
      serverVersion: rows[0]!.version.split(' ')[0]!,
      async drop() {
        try {
          await admin.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
        } finally {
          await admin.end().catch(() => undefined);
        }
      },
    };
  } catch (err) {
    await admin.end().catch(() => undefined);
    const code = (err as { code?: string }).code;
    if (code === '42501') {
      throw new BackupError(
        `the role may not create the scratch database a ${purpose === 'verify' ? 'verification' : purpose} restores into (CREATEDB is needed): ` +
          `grant it (ALTER ROLE … CREATEDB), or pass --scratch-url with a database URL on a server where its role may CREATE DATABASE`,
        { cause: err },
      );
    }
    throw new BackupError(`could not create the scratch database: ${message(err)}`, { cause: err });
  }
}

/** Verifies one archive; records the outcome in its manifest (and comanda.backups); throws on failure. */
export async function verifyBackup(options: VerifyBackupOptions): Promise<VerifyBackupResult> {
  const file = path.resolve(options.file);
  const started = Date.now();
  const progress = options.onProgress ?? (() => undefined);
  const warnings: string[] = [];
  let manifest: Manifest | undefined;
  let checks: CheckResult[] = [];
  const finish = async (error?: string): Promise<Verification> => {
    const checkedAt = new Date().toISOString();
    const verification: Verification = {
      ok: error === undefined,
      checkedAt,
      ...(error === undefined ? { verifiedAt: checkedAt } : { error }),
      durationMs: Date.now() - started,
      ...(checks.length ? { checks: Object.fromEntries(checks.map((c) => [c.name, c.status])) } : {}),
    };
    const current = manifest ?? (await readManifest(file).catch(() => undefined));
    if (current) {
      const updated = { ...current, verification };
      await writeManifest(file, updated).catch((err: unknown) => warnings.push(`could not update the manifest: ${message(err)}`));
      if (options.url && options.record !== false) {
        const warning = await recordBackup(options.url, file, updated);
        if (warning) warnings.push(warning);
      }
      manifest = updated;
    }
    return verification;
  };

  try {
    progress('checking the checksum');
    manifest = await checkArchive(file);
    const pgRestore = await toolInfo('pg_restore', options.pgBinDir);
    if (!options.url && !options.scratchUrl) throw new BackupError('verifying needs a database server for the scratch restore: set DATABASE_URL or pass --scratch-url');
    const adminUrl = options.scratchUrl ?? withDatabaseName(options.url!, 'postgres');
    const scratch = await createScratch(adminUrl, options.scratchUrl !== undefined);
    try {
      assertNotOlder(pgRestore, 'pg_restore', scratch.serverVersionNum, scratch.serverVersion);
      progress(`restoring into the scratch database ${databaseNameOf(scratch.url)}`);
      const connection = libpqConnection(scratch.url);
      const restored = await run(
        pgRestore.path,
        ['--exit-on-error', '--no-owner', '--no-privileges', `--dbname=${connection.dbname}`, file],
        { env: connection.env, keepStdout: false },
      );
      if (restored.code !== 0) {
        throw new BackupError(`the archive does not restore (pg_restore exit code ${restored.code ?? restored.signal}):\n${tail(restored.stderr)}`);
      }
      progress('counting rows');
      const db = new Database({ connectionString: scratch.url, poolSize: 1, statementTimeoutMs: 0, applicationName: 'comanda-backup-verify' });
      try {
        const names = Object.keys(manifest.rowCounts);
        const { rows: present } = await db.query<{ name: string; quoted: string }>(
          `SELECT format('%s.%s', n.nspname, c.relname) AS name, format('%I.%I', n.nspname, c.relname) AS quoted
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND format('%s.%s', n.nspname, c.relname) = ANY($1)`,
          [names],
        );
        const missing = names.filter((n) => !present.some((p) => p.name === n));
        if (missing.length) throw new BackupError(`tables in the manifest are missing after the restore: ${missing.join(', ')}`);
        const { rows: counted } = await db.transaction((tx) => countRows(tx, present), { readOnly: true, statementTimeoutMs: 0 });
        const differ = counted
          .map((r) => ({ name: r.name, restored: Number(r.n), expected: manifest!.rowCounts[r.name]! }))
          .filter((r) => r.restored !== r.expected);
        if (differ.length) {
          throw new BackupError(
            `row counts after the restore differ from the manifest: ${differ.map((d) => `${d.name} ${d.restored} (expected ${d.expected})`).join(', ')}`,
          );
        }
        progress('running the integrity checks');
        checks = await runChecks(db, VERIFY_CHECKS);
        const failed = checks.filter((c) => c.status === 'critical' || c.status === 'unknown');
        if (failed.length) {
          throw new BackupError(`integrity checks failed on the restored copy: ${failed.map((c) => `${c.name} ${c.status}: ${c.summary}`).join('; ')}`);
        }
      } finally {
        await db.close();
      }
    } finally {
      await scratch.drop().catch((err: unknown) => warnings.push(`could not drop the scratch database: ${message(err)}`));
    }
  } catch (err) {
    const error = err instanceof BackupError ? err.message : `verification failed: ${message(err)}`;
    await finish(error).catch(() => undefined);
    throw err instanceof BackupError ? err : new BackupError(error, { cause: err });
  }
  const verification = await finish();
  return { ok: true, file, manifest, verification, checks, warnings };
}
