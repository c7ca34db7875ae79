// `comanda backup`: a pg_dump custom-format archive of the `restaurante` schema, the extensions
// it needs and the `comanda` bookkeeping schema (migrations), so that a restore into an EMPTY
// database gives a working Comanda. Rows are counted in the very snapshot pg_dump reads
// (pg_export_snapshot + --snapshot), concurrently with the dump, so the manifest's counts are
// exactly what the archive holds, whatever writes happen meanwhile.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { archiveNameFor, MANIFEST_FORMAT, writeManifest, type Manifest } from './manifest.js';
import { assertNotOlder, BackupError, databaseNameOf, libpqConnection, redact, tail, toolInfo } from './pg-tools.js';
import { recordBackup } from './record.js';

export const BACKUP_SCHEMAS = ['restaurante', 'comanda'];
/** The record of backups is not part of what a backup restores (it would turn back time). */
export const EXCLUDED_TABLE_DATA = ['comanda.backups'];
/** pg_stat_statements is observability, created by the service at start where it may; not data. */
const SKIPPED_EXTENSIONS = ['plpgsql', 'pg_stat_statements'];

export interface BackupProgress {
  phase: 'start' | 'table' | 'verify' | 'done';
  message: string;
  /** Tables dumped so far, of total (phase 'table'). */
  done?: number;
  total?: number;
}

export interface CreateBackupOptions {
  /** Direct (non-pooled) URL of the database: the snapshot export needs a real session. */
  url: string;
  dir: string;
  pgBinDir?: string;
  /** Write the row in comanda.backups (default true). */
  record?: boolean;
  onProgress?: (event: BackupProgress) => void;
  /** How long pg_dump waits for a table lock before failing (default 60 s). */
  lockWaitTimeoutMs?: number;
}

export interface CreateBackupResult {
  file: string;
  manifestFile: string;
  manifest: Manifest;
  /** Non-fatal problems (e.g. could not record in comanda.backups). */
  warnings: string[];
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'comanda-backup', connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    throw new BackupError(`cannot connect to the database ${databaseNameOf(url)}: ${redact(err instanceof Error ? err.message : String(err))}`, { cause: err });
  }
  return client;
}

/** Creates the archive file exclusively under a fresh name; returns its final and partial paths. */
async function reserveName(dir: string, at: Date): Promise<{ file: string; partial: string }> {
  for (let attempt = 1; attempt < 100; attempt++) {
    const file = path.join(dir, archiveNameFor(at, attempt));
    const exists = await stat(file).then(
      () => true,
      () => false,
    );
    if (exists) continue;
    const partial = `${file}.partial`;
    try {
      const handle = await open(partial, 'wx', 0o600);
      await handle.close();
      return { file, partial };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
  }
  throw new BackupError(`could not find a free archive name in ${dir}`);
}

/** Exact row counts of `tables` (one statement), in the client's current transaction. */
export async function countRows(client: Pick<pg.Client, 'query'>, tables: Array<{ name: string; quoted: string }>): Promise<{ rows: Array<{ name: string; n: string }> }> {
  if (tables.length === 0) return { rows: [] };
  return client.query<{ name: string; n: string }>(
    tables.map((t) => `SELECT ${pg.escapeLiteral(t.name)} AS name, count(*) AS n FROM ${t.quoted}`).join('\nUNION ALL\n'),
  );
}

export async function createBackup(options: CreateBackupOptions): Promise<CreateBackupResult> {
  const started = Date.now();
  const createdAt = new Date(started);
  const progress = options.onProgress ?? (() => undefined);
  const pgDump = await toolInfo('pg_dump', options.pgBinDir);
  const client = await connect(options.url);
  let partial: string | undefined;
  try {
    const { rows: server } = await client.query<{ num: string; version: string; db: string }>(
      `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version, current_database() AS db`,
    );
    const serverVersion = server[0]!.version.split(' ')[0]!;
    assertNotOlder(pgDump, 'pg_dump', Number(server[0]!.num), serverVersion);

    // The snapshot pg_dump will read, held open until it is done; counts run in it too.
    await client.query(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`);
    await client.query(`SET LOCAL statement_timeout = 0`);
    const { rows: snap } = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
    const snapshot = snap[0]!.id;
    const { rows: schemaRows } = await client.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname = ANY($1) ORDER BY 1', [BACKUP_SCHEMAS]);
    const schemas = schemaRows.map((r) => r.nspname);
    if (!schemas.includes('restaurante')) {
      throw new BackupError(`the database ${server[0]!.db} has no restaurante schema; run \`comanda migrate up\` first (or point DATABASE_URL at Comanda's database)`);
    }
    const { rows: extRows } = await client.query<{ extname: string }>('SELECT extname FROM pg_extension WHERE NOT (extname = ANY($1)) ORDER BY 1', [SKIPPED_EXTENSIONS]);
    const extensions = extRows.map((r) => r.extname);
    const { rows: tableRows } = await client.query<{ name: string; quoted: string }>(
      `SELECT format('%s.%s', n.nspname, c.relname) AS name, format('%I.%I', n.nspname, c.relname) AS quoted
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1) AND c.relkind = 'r' ORDER BY 1`,
      [schemas],
    );
    const dumped = tableRows.filter((r) => !EXCLUDED_TABLE_DATA.includes(r.name));
    const tables = dumped.map((r) => r.name);
    const versionRows = tables.includes('comanda.schema_migrations')
      ? (await client.query<{ v: number | null }>('SELECT max(version) AS v FROM comanda.schema_migrations')).rows
      : [];

    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    const reserved = await reserveName(options.dir, createdAt);
    partial = reserved.partial;
    progress({ phase: 'start', message: `dumping ${server[0]!.db} (${tables.length} tables) to ${reserved.file}`, done: 0, total: tables.length });

    const connection = libpqConnection(options.url);
    const args = [
      '--format=custom',
      '--verbose',
      `--snapshot=${snapshot}`,
      `--lock-wait-timeout=${options.lockWaitTimeoutMs ?? 60_000}`,
      ...schemas.map((s) => `--schema=${s}`),
      ...extensions.map((e) => `--extension=${e}`),
      ...EXCLUDED_TABLE_DATA.map((t) => `--exclude-table-data=${t}`),
      `--dbname=${connection.dbname}`,
    ];
    const child = spawn(pgDump.path, args, { env: connection.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let done = 0;
    let partialLine = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-200_000);
      const lines = (partialLine + chunk).split('\n');
      partialLine = lines.pop() ?? '';
      for (const line of lines) {
        const m = /dumping contents of table "([^"]+)"/.exec(line);
        if (m) progress({ phase: 'table', message: m[1]!, done: ++done, total: tables.length });
      }
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
    const hash = createHash('sha256');
    let sizeBytes = 0;
    const hasher = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        sizeBytes += chunk.length;
        callback(null, chunk);
      },
    });
    const written = pipeline(child.stdout, hasher, createWriteStream(partial, { mode: 0o600 }));
    // The exact counts, in pg_dump's snapshot, while it dumps.
    const counting = countRows(client, dumped);
    let countResult: Awaited<typeof counting>;
    let exit: Awaited<typeof exited>;
    try {
      [countResult, exit] = await Promise.all([counting, exited, written]);
    } catch (err) {
      // Counting or writing failed: stop pg_dump rather than leave it running.
      child.kill();
      await exited.catch(() => undefined);
      throw err;
    }
    if (exit.code !== 0) {
      throw new BackupError(`pg_dump failed (${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`}):\n${tail(stderr)}`);
    }
    await client.query('COMMIT');
    const rowCounts: Record<string, number> = {};
    for (const r of countResult.rows) rowCounts[r.name] = Number(r.n);

    await rename(partial, reserved.file);
    partial = undefined;
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      file: path.basename(reserved.file),
      createdAt: createdAt.toISOString(),
      durationMs: Date.now() - started,
      database: server[0]!.db,
      serverVersion,
      pgDumpVersion: pgDump.version,
      sizeBytes,
      sha256: hash.digest('hex'),
      schemas,
      extensions,
      excludedTableData: EXCLUDED_TABLE_DATA,
      schemaVersion: versionRows[0]?.v ?? null,
      rowCounts,
    };
    const manifestFile = await writeManifest(reserved.file, manifest);
    const warnings: string[] = [];
    if (options.record !== false) {
      const warning = await recordBackup(options.url, reserved.file, manifest);
      if (warning) warnings.push(warning);
    }
    progress({ phase: 'done', message: `${reserved.file}: ${sizeBytes} bytes, ${tables.length} tables`, done: tables.length, total: tables.length });
    return { file: reserved.file, manifestFile, manifest, warnings };
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`backup failed: ${redact(err instanceof Error ? err.message : String(err))}`, { cause: err });
  } finally {
    await client.end().catch(() => undefined);
    if (partial) await rm(partial, { force: true });
  }
}
