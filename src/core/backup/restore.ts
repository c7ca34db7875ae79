// `comanda restore <file> --target <url>`: the archive's checksum first, then pg_restore in ONE
// transaction that stops at the first error, so a failed restore changes nothing. Objects are
// created by (and owned by) the restoring role, without the archive's GRANTs: restore as the
// owner role (DATABASE_DIRECT_URL, sql/roles.sql) and its default privileges give the
// application and monitoring roles their access again.
import path from 'node:path';
import pg from 'pg';
import { BACKUP_SCHEMAS, countRows } from './create.js';
import { readManifest, type Manifest } from './manifest.js';
import { assertNotOlder, BackupError, databaseNameOf, libpqConnection, redact, run, tail, toolInfo } from './pg-tools.js';
import { checkArchive } from './verify.js';

export interface TargetState {
  database: string;
  /** Comanda's schemas present in the target. */
  schemas: string[];
  tables: number;
  /** Estimated rows (pg_class.reltuples), for the confirmation prompt. */
  estimatedRows: number;
  hasData: boolean;
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'comanda-restore', connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new BackupError(`cannot connect to the target database ${databaseNameOf(url)}: ${redact(err instanceof Error ? err.message : String(err))}`, { cause: err });
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Whether the target already holds Comanda's schemas (then a restore replaces them). */
export async function inspectTarget(url: string): Promise<TargetState> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ db: string; schemas: string[]; tables: number; estimated: string }>(
      `SELECT current_database() AS db,
              coalesce((SELECT array_agg(nspname::text ORDER BY nspname) FROM pg_namespace WHERE nspname = ANY($1)), '{}') AS schemas,
              (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p')) AS tables,
              (SELECT coalesce(sum(greatest(c.reltuples, 0)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY($1) AND c.relkind = 'r') AS estimated`,
      [BACKUP_SCHEMAS],
    );
    const r = rows[0]!;
    // The migration runner's bookkeeping alone (an empty comanda.schema_migrations) is no data.
    const { rows: bookkeeping } = await client.query<{ exists: boolean }>(`SELECT to_regclass('comanda.schema_migrations') IS NOT NULL AS exists`);
    const applied = bookkeeping[0]!.exists
      ? (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM comanda.schema_migrations')).rows
      : [{ n: 0 }];
    return {
      database: r.db,
      schemas: r.schemas,
      tables: r.tables,
      estimatedRows: Math.round(Number(r.estimated)),
      hasData: r.schemas.includes('restaurante') || r.tables > 1 || applied[0]!.n > 0,
    };
  });
}

export interface RestoreBackupOptions {
  file: string;
  targetUrl: string;
  /** Replace Comanda's schemas when the target has them (the caller has asked for confirmation). */
  replace?: boolean;
  pgBinDir?: string;
  onProgress?: (message: string) => void;
}

export interface RestoreBackupResult {
  file: string;
  database: string;
  manifest?: Manifest;
  replaced: boolean;
  /** Rows per table after the restore, when the manifest had counts to compare. */
  rowCounts?: Record<string, number>;
  warnings: string[];
}

export async function restoreBackup(options: RestoreBackupOptions): Promise<RestoreBackupResult> {
  const file = path.resolve(options.file);
  const progress = options.onProgress ?? (() => undefined);
  const warnings: string[] = [];
  let manifest: Manifest | undefined;
  if (await readManifest(file).catch(() => undefined)) {
    progress('checking the checksum');
    manifest = await checkArchive(file);
  } else {
    await checkArchive(file).catch((err: unknown) => {
      // No manifest: nothing to check the archive against; pg_restore still refuses a damaged one.
      if (!(err instanceof BackupError) || err.reason !== 'no-manifest') throw err;
      warnings.push(`${file} has no manifest: its checksum and row counts were not checked`);
    });
  }
  const pgRestore = await toolInfo('pg_restore', options.pgBinDir);
  const target = await inspectTarget(options.targetUrl);
  const server = await withClient(options.targetUrl, async (c) => (await c.query<{ num: string; version: string }>(`SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version`)).rows[0]!);
  assertNotOlder(pgRestore, 'pg_restore', Number(server.num), server.version.split(' ')[0]!);
  if (target.hasData && !options.replace) {
    throw new BackupError(
      `the target database ${target.database} already holds Comanda's data (${target.schemas.join(', ')}: ${target.tables} tables); confirm to replace it (--yes), or restore into an empty database`,
    );
  }
  const connection = libpqConnection(options.targetUrl);
  const args = ['--exit-on-error', '--single-transaction', '--no-owner', '--no-privileges'];
  // Schemas already there (even empty) are dropped and recreated by the archive's own statements.
  if (target.schemas.length > 0) args.push('--clean', '--if-exists');
  args.push(`--dbname=${connection.dbname}`, file);
  progress(`restoring into ${target.database}${target.hasData ? ' (replacing its Comanda schemas)' : ''}`);
  const restored = await run(pgRestore.path, args, { env: connection.env, keepStdout: false });
  if (restored.code !== 0) {
    throw new BackupError(
      `the restore failed and was rolled back; ${target.database} is unchanged (pg_restore exit code ${restored.code ?? restored.signal}):\n${tail(restored.stderr)}`,
    );
  }
  let rowCounts: Record<string, number> | undefined;
  if (manifest) {
    const names = Object.keys(manifest.rowCounts);
    const expected = manifest.rowCounts;
    const after = await withClient(options.targetUrl, async (client) => {
      const { rows } = await client.query<{ name: string; quoted: string }>(
        `SELECT format('%s.%s', n.nspname, c.relname) AS name, format('%I.%I', n.nspname, c.relname) AS quoted
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind = 'r' AND format('%s.%s', n.nspname, c.relname) = ANY($1)`,
        [names],
      );
      const counted = await countRows(client, rows);
      return Object.fromEntries(counted.rows.map((r) => [r.name, Number(r.n)]));
    });
    rowCounts = after;
    const differ = names.filter((n) => after[n] !== expected[n]);
    if (differ.length) warnings.push(`row counts differ from the manifest for: ${differ.join(', ')} (writes since the restore?)`);
  }
  return { file, database: target.database, manifest, replaced: target.hasData, rowCounts, warnings };
}
