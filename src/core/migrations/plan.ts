// `comanda migrate plan`: a dry run of the pending migrations on real data. The newest verified
// backup (or a given one) is restored into a scratch database, the migrations it lacks are
// applied there as the runner would (a transaction per migration with lock_timeout, or alone
// outside one with `-- comanda:no-transaction`), and each is measured:
// - its duration;
// - the locks it took: a transactional migration runs statement by statement in its transaction,
//   and after each statement the session's own pg_locks rows are read (locks are held to the
//   commit, so nothing is missed); a no-transaction one is watched from a second connection that
//   polls pg_locks for the migrating backend while it runs;
// - table rewrites: relations whose relfilenode changed (ALTER … TYPE, a volatile default,
//   VACUUM FULL, CLUSTER, TRUNCATE), with their size before;
// - rows touched: what INSERT/UPDATE/DELETE/MERGE statements reported.
// The scratch database is dropped whatever happens.
import path from 'node:path';
import pg from 'pg';
import { checkArchive, createScratch } from '../backup/verify.js';
import { listBackups } from '../backup/manifest.js';
import { libpqConnection, run, tail, toolInfo, withDatabaseName, assertNotOlder, databaseNameOf } from '../backup/pg-tools.js';
import { loadParser } from './lint-rules.js';
import { parseSync } from 'libpg-query';
import { defaultMigrationsDir, loadMigrations, MigrationError, statusOf, type Migration } from './runner.js';

/** PostgreSQL's table lock modes, weakest first. */
export const LOCK_MODES = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
] as const;
export type LockMode = (typeof LOCK_MODES)[number];

/** What each mode blocks, for the report (from PostgreSQL's table-level lock conflict table). */
export const LOCK_BLOCKS: Record<LockMode, string> = {
  AccessShareLock: 'only ACCESS EXCLUSIVE',
  RowShareLock: 'EXCLUSIVE and ACCESS EXCLUSIVE',
  RowExclusiveLock: 'SHARE and stronger (e.g. CREATE INDEX), not reads or writes',
  ShareUpdateExclusiveLock: 'VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY and schema changes; not reads or writes',
  ShareLock: 'writes (INSERT, UPDATE, DELETE); not reads',
  ShareRowExclusiveLock: 'writes; not reads',
  ExclusiveLock: 'writes and SELECT … FOR UPDATE; plain reads still run',
  AccessExclusiveLock: 'everything, reads included',
};

export interface RelationLock {
  relation: string;
  mode: LockMode;
  /** The relation existed before the migration (locks on ones it creates block nobody). */
  existing: boolean;
  /**
   * Seen in pg_locks (always, inside a transaction). A statement outside a transaction that ended
   * between two polls is reported with the lock PostgreSQL documents for it, and false here.
   */
  observed: boolean;
}

export interface PlannedMigration {
  version: number;
  name: string;
  ok: boolean;
  error?: string;
  durationMs: number;
  inTransaction: boolean;
  /** The strongest lock on a relation that existed before, and every relation locked in that mode. */
  strongestLock: { mode: LockMode; relations: string[]; blocks: string } | null;
  locks: RelationLock[];
  rewrites: { relation: string; sizeBytes: number }[];
  rowsTouched: number;
  statements: { line: number; sql: string; durationMs: number; rows: number | null }[];
}

export interface PlanResult {
  backup: string;
  backupCreatedAt?: string;
  scratchDatabase: string;
  restoreMs: number;
  /** Migrations the backup already had. */
  appliedBefore: number;
  migrations: PlannedMigration[];
  ok: boolean;
  warnings: string[];
}

export interface PlanOptions {
  /** The backup to restore; default the newest verified one in `backupDir`. */
  file?: string;
  backupDir?: string;
  /** URL whose server hosts the scratch database (database `postgres`, same credentials). */
  url?: string;
  /** Any database on a server where the role may CREATE DATABASE. */
  scratchUrl?: string;
  dir?: string;
  pgBinDir?: string;
  lockTimeoutMs?: number;
  onProgress?: (message: string) => void;
}

export class PlanError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PlanError';
  }
}

const label = (m: { version: number; name: string }) => `${String(m.version).padStart(4, '0')}_${m.name}`;
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The newest verified backup of a directory. */
export async function latestVerifiedBackup(dir: string): Promise<{ file: string; createdAt: string }> {
  const verified = (await listBackups(dir)).filter((b) => b.verified);
  if (!verified[0]) {
    throw new PlanError(`no verified backup in ${dir}: make one with \`comanda backup --verify\`, or pass --from-backup FILE`);
  }
  return { file: verified[0].file, createdAt: verified[0].createdAt };
}

/** The statements of a migration, as the server's parser splits them, with their first line. */
export function splitStatements(sql: string): { sql: string; line: number }[] {
  const bytes = Buffer.from(sql, 'utf8');
  const stmts = (parseSync(sql) as unknown as { stmts?: { stmt_location?: number; stmt_len?: number }[] }).stmts ?? [];
  return stmts.map((s) => {
    const from = s.stmt_location ?? 0;
    const to = s.stmt_len ? from + s.stmt_len : bytes.length;
    const text = bytes.subarray(from, to).toString('utf8');
    const lead = text.length - text.trimStart().length;
    const line = bytes.subarray(0, from).toString('utf8').split('\n').length + text.slice(0, lead).split('\n').length - 1;
    return { sql: text.trim(), line };
  });
}

interface RelationInfo {
  oid: number;
  name: string;
  filenode: number;
  sizeBytes: number;
  /** An index's table (its own oid for anything else). */
  tableOid: number;
  isIndex: boolean;
}

async function relations(client: pg.Client): Promise<Map<number, RelationInfo>> {
  const { rows } = await client.query<{ oid: number; name: string; filenode: number; size: string; table: number; index: boolean }>(
    `SELECT c.oid::int AS oid, format('%s.%s', n.nspname, c.relname) AS name, c.relfilenode::int AS filenode,
            CASE WHEN c.relkind IN ('r', 'i', 'm', 't') THEN pg_relation_size(c.oid) ELSE 0 END AS size,
            coalesce(i.indrelid, c.oid)::int AS table, c.relkind IN ('i', 'I') AS index
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_index i ON i.indexrelid = c.oid
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'`,
  );
  return new Map(rows.map((r) => [r.oid, { oid: r.oid, name: r.name, filenode: r.filenode, sizeBytes: Number(r.size), tableOid: r.table, isIndex: r.index }]));
}

const LOCKS_SQL = `SELECT relation::int AS oid, mode FROM pg_locks WHERE locktype = 'relation' AND pid = $1 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

class LockLog {
  private readonly seen = new Map<number, LockMode>();
  private readonly documented = new Set<number>();
  /** A lock the statement is documented to take, when polling saw none. */
  addDocumented(oid: number, mode: LockMode) {
    if (this.seen.has(oid)) return;
    this.seen.set(oid, mode);
    this.documented.add(oid);
  }
  add(rows: { oid: number; mode: string }[]) {
    for (const { oid, mode } of rows) {
      if (!(LOCK_MODES as readonly string[]).includes(mode)) continue;
      const prev = this.seen.get(oid);
      if (!prev || LOCK_MODES.indexOf(mode as LockMode) > LOCK_MODES.indexOf(prev)) this.seen.set(oid, mode as LockMode);
    }
  }
  report(before: Map<number, RelationInfo>, after: Map<number, RelationInfo>, ownOids: Set<number>): RelationLock[] {
    // An index locked along with its table is the table's business: reported only when stronger.
    const of = (oid: number) => before.get(oid) ?? after.get(oid);
    const rank = (oid: number) => LOCK_MODES.indexOf(this.seen.get(oid)!);
    return [...this.seen.entries()]
      .filter(([oid]) => !ownOids.has(oid))
      .filter(([oid]) => {
        const info = of(oid);
        return !info?.isIndex || !this.seen.has(info.tableOid) || rank(oid) > rank(info.tableOid);
      })
      .map(([oid, mode]) => ({
        relation: before.get(oid)?.name ?? after.get(oid)?.name ?? `oid ${oid}`,
        mode,
        existing: before.has(oid),
        observed: !this.documented.has(oid),
      }))
      .sort((a, b) => LOCK_MODES.indexOf(b.mode) - LOCK_MODES.indexOf(a.mode) || a.relation.localeCompare(b.relation));
  }
}

/**
 * The table lock PostgreSQL documents for the statements that run outside a transaction: the
 * CONCURRENTLY forms and plain VACUUM take SHARE UPDATE EXCLUSIVE, VACUUM FULL ACCESS EXCLUSIVE.
 */
async function documentedLock(client: pg.Client, sql: string): Promise<{ oid: number; mode: LockMode } | undefined> {
  const stmt = (parseSync(sql) as unknown as { stmts?: { stmt: Record<string, Record<string, unknown>> }[] }).stmts?.[0]?.stmt;
  if (!stmt) return undefined;
  const [kind, node] = Object.entries(stmt)[0]!;
  let target: string | undefined;
  let mode: LockMode = 'ShareUpdateExclusiveLock';
  const qualified = (r: unknown) => {
    const rel = r as { schemaname?: string; relname?: string } | undefined;
    return rel?.relname ? `${rel.schemaname ? `"${rel.schemaname}".` : ''}"${rel.relname}"` : undefined;
  };
  if (kind === 'IndexStmt' && node.concurrent) target = qualified(node.relation);
  else if (kind === 'ReindexStmt') target = qualified(node.relation);
  else if (kind === 'VacuumStmt') {
    const rels = (node.rels as { VacuumRelation?: { relation?: unknown } }[] | undefined) ?? [];
    target = qualified(rels[0]?.VacuumRelation?.relation);
    if (((node.options as { DefElem?: { defname?: string } }[] | undefined) ?? []).some((o) => o.DefElem?.defname === 'full')) mode = 'AccessExclusiveLock';
  } else if (kind === 'DropStmt' && node.concurrent) {
    // DROP INDEX CONCURRENTLY: the index's table.
    const names = ((node.objects as { List?: { items?: { String?: { sval?: string } }[] } }[] | undefined) ?? [])[0]?.List?.items?.map((i) => i.String?.sval) ?? [];
    const index = names.map((n) => `"${n}"`).join('.');
    const { rows } = await client.query<{ oid: number }>(`SELECT i.indrelid::int AS oid FROM pg_index i WHERE i.indexrelid = to_regclass($1)`, [index]).catch(() => ({ rows: [] }));
    return rows[0] ? { oid: rows[0].oid, mode } : undefined;
  }
  if (!target) return undefined;
  const { rows } = await client.query<{ oid: number | null }>('SELECT to_regclass($1)::oid::int AS oid', [target]);
  return rows[0]?.oid ? { oid: rows[0].oid, mode } : undefined;
}

/** Applies one migration on the scratch database, measuring it. */
async function applyMeasured(client: pg.Client, observer: pg.Client, migration: Migration, lockTimeoutMs: number): Promise<PlannedMigration> {
  const before = await relations(client);
  // The catalog tables and pg_locks the measuring itself reads are left out of the report.
  const { rows: own } = await client.query<{ oid: number }>(`SELECT oid::int FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace`);
  const ownOids = new Set(own.map((r) => r.oid));
  const { rows: pidRows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const pid = pidRows[0]!.pid;
  const locks = new LockLog();
  const statements: PlannedMigration['statements'] = [];
  const started = Date.now();
  const result: PlannedMigration = {
    version: migration.version,
    name: migration.name,
    ok: true,
    durationMs: 0,
    inTransaction: migration.upTransaction,
    strongestLock: null,
    locks: [],
    rewrites: [],
    rowsTouched: 0,
    statements,
  };
  try {
    if (migration.upTransaction) {
      await client.query(`BEGIN; SET LOCAL lock_timeout = ${lockTimeoutMs}; SET LOCAL statement_timeout = 0`);
      try {
        for (const statement of splitStatements(migration.up)) {
          const t = Date.now();
          const r = await client.query(statement.sql);
          const last = Array.isArray(r) ? (r as pg.QueryResult[]).at(-1) : r;
          const dml = last && ['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY'].includes(last.command);
          statements.push({ line: statement.line, sql: statement.sql.replace(/\s+/g, ' ').slice(0, 120), durationMs: Date.now() - t, rows: dml ? last.rowCount : null });
          locks.add((await client.query<{ oid: number; mode: string }>(LOCKS_SQL, [pid])).rows);
        }
        await client.query(
          'INSERT INTO comanda.schema_migrations (version, name, checksum, duration_ms) VALUES ($1, $2, $3, $4)',
          [migration.version, migration.name, migration.checksum, Date.now() - started],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    } else {
      // One statement outside a transaction: watch its locks from the second connection.
      const documented = await documentedLock(client, migration.up); // before: DROP INDEX removes what it names
      await client.query(`SET lock_timeout = ${lockTimeoutMs}`);
      let running = true;
      const watching = (async () => {
        // As fast as the round trips go: a small table's CREATE INDEX CONCURRENTLY takes ~20 ms.
        while (running) locks.add((await observer.query<{ oid: number; mode: string }>(LOCKS_SQL, [pid])).rows);
      })();
      const t = Date.now();
      try {
        const r = await client.query(migration.up);
        const last = Array.isArray(r) ? (r as pg.QueryResult[]).at(-1) : r;
        statements.push({ line: splitStatements(migration.up)[0]?.line ?? 1, sql: migration.up.replace(/--[^\n]*\n/g, '').replace(/\s+/g, ' ').trim().slice(0, 120), durationMs: Date.now() - t, rows: last && ['INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes(last.command) ? last.rowCount : null });
      } finally {
        running = false;
        await watching;
        await client.query('RESET lock_timeout');
      }
      if (documented) locks.addDocumented(documented.oid, documented.mode);
      await client.query('INSERT INTO comanda.schema_migrations (version, name, checksum, duration_ms) VALUES ($1, $2, $3, $4)', [
        migration.version,
        migration.name,
        migration.checksum,
        Date.now() - started,
      ]);
    }
  } catch (err) {
    result.ok = false;
    result.error = errorText(err);
  }
  result.durationMs = Date.now() - started;
  const after = await relations(client);
  result.locks = locks.report(before, after, ownOids);
  const existing = result.locks.filter((l) => l.existing);
  const strongest = existing[0];
  if (strongest) {
    result.strongestLock = {
      mode: strongest.mode,
      relations: existing.filter((l) => l.mode === strongest.mode).map((l) => l.relation),
      blocks: LOCK_BLOCKS[strongest.mode],
    };
  }
  if (result.ok) {
    const rewritten = [...before.values()].filter((r) => r.filenode !== 0 && after.has(r.oid) && after.get(r.oid)!.filenode !== r.filenode);
    const tables = new Set(rewritten.filter((r) => !r.isIndex).map((r) => r.oid));
    // A table's rewrite rebuilds its indexes too; an index alone (REINDEX) is reported by itself.
    result.rewrites = rewritten
      .filter((r) => !r.isIndex || !tables.has(r.tableOid))
      .map((r) => ({ relation: r.name, sizeBytes: r.sizeBytes }))
      .sort((a, b) => a.relation.localeCompare(b.relation));
  }
  result.rowsTouched = statements.reduce((sum, s) => sum + (s.rows ?? 0), 0);
  return result;
}

export async function planMigrations(options: PlanOptions): Promise<PlanResult> {
  const progress = options.onProgress ?? (() => undefined);
  const warnings: string[] = [];
  let backup: { file: string; createdAt?: string };
  if (options.file) backup = { file: path.resolve(options.file) };
  else if (options.backupDir) backup = await latestVerifiedBackup(options.backupDir);
  else throw new PlanError('no backup to plan on: pass --from-backup FILE or set COMANDA_BACKUP_DIR');
  const manifest = await checkArchive(backup.file);
  backup.createdAt ??= manifest.createdAt;
  const migrations = await loadMigrations(options.dir ?? defaultMigrationsDir);
  await loadParser();
  const pgRestore = await toolInfo('pg_restore', options.pgBinDir);
  if (!options.url && !options.scratchUrl) throw new PlanError('planning needs a database server for the scratch database: set DATABASE_URL or pass --scratch-url');
  const adminUrl = options.scratchUrl ?? withDatabaseName(options.url!, 'postgres');
  const scratch = await createScratch(adminUrl, options.scratchUrl !== undefined, 'plan');
  try {
    assertNotOlder(pgRestore, 'pg_restore', scratch.serverVersionNum, scratch.serverVersion);
    progress(`restoring ${path.basename(backup.file)} into the scratch database ${databaseNameOf(scratch.url)}`);
    const restoreStarted = Date.now();
    const connection = libpqConnection(scratch.url);
    const restored = await run(pgRestore.path, ['--exit-on-error', '--no-owner', '--no-privileges', `--dbname=${connection.dbname}`, backup.file], {
      env: connection.env,
      keepStdout: false,
    });
    if (restored.code !== 0) throw new PlanError(`the backup does not restore (pg_restore exit code ${restored.code ?? restored.signal}):\n${tail(restored.stderr)}`);
    const restoreMs = Date.now() - restoreStarted;
    const client = new pg.Client({ connectionString: scratch.url, application_name: 'comanda-migrate-plan' });
    const observer = new pg.Client({ connectionString: scratch.url, application_name: 'comanda-migrate-plan-observer' });
    await client.connect();
    await observer.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS comanda;
        CREATE TABLE IF NOT EXISTS comanda.schema_migrations (
          version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now(), duration_ms integer NOT NULL)`);
      const { rows: applied } = await client.query<{ version: number; name: string; checksum: string; appliedAt: Date; durationMs: number }>(
        `SELECT version, name, checksum, applied_at AS "appliedAt", duration_ms AS "durationMs" FROM comanda.schema_migrations ORDER BY version`,
      );
      const status = statusOf(migrations, applied);
      const bad = status.filter((s) => s.state === 'changed' || s.state === 'unknown');
      if (bad.length) {
        throw new MigrationError(
          `the backup's database does not match these migrations: ${bad.map((b) => `${label(b)} ${b.state === 'changed' ? 'changed since it was applied' : 'unknown to this code'}`).join(', ')}`,
        );
      }
      const pending = migrations.filter((m) => status.find((s) => s.version === m.version)?.state === 'pending');
      const planned: PlannedMigration[] = [];
      for (const migration of pending) {
        progress(`applying ${label(migration)}`);
        const p = await applyMeasured(client, observer, migration, options.lockTimeoutMs ?? 5_000);
        planned.push(p);
        if (!p.ok) break; // later migrations build on this one
      }
      if (pending.length === 0) warnings.push('nothing is pending: the backup already has every migration');
      return {
        backup: backup.file,
        backupCreatedAt: backup.createdAt,
        scratchDatabase: databaseNameOf(scratch.url),
        restoreMs,
        appliedBefore: applied.length,
        migrations: planned,
        ok: planned.every((p) => p.ok),
        warnings,
      };
    } finally {
      await client.end().catch(() => undefined);
      await observer.end().catch(() => undefined);
    }
  } finally {
    progress('dropping the scratch database');
    await scratch.drop().catch((err: unknown) => warnings.push(`could not drop the scratch database: ${errorText(err)}`));
  }
}
