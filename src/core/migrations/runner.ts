// Migrations: numbered SQL files in migrations/, `NNNN_name.sql` with its `NNNN_name.down.sql`.
//
// Why a small runner of our own: Comanda needs, together, (1) each migration in its own
// transaction, (2) a migration that must run outside one (CREATE INDEX CONCURRENTLY) saying so
// with `-- comanda:no-transaction` on its first line, (3) an advisory lock so two starting
// instances never both migrate, (4) lock_timeout on every migration so it gives up (and retries)
// instead of queueing behind traffic with every later query queued behind it, (5) a checksum
// that refuses an applied migration whose file changed, and (6) down scripts by steps or to a
// version. Bookkeeping lives in the `comanda` schema, apart from the data it describes.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const defaultMigrationsDir = fileURLToPath(new URL('../../../migrations/', import.meta.url));

const FILE = /^(\d{4})_([a-z0-9_]+?)(\.down)?\.sql$/;
/** The marker of a migration that runs outside a transaction; read on the first line only. */
export const NO_TRANSACTION = /^--\s*comanda:no-transaction\b/;
/** Arbitrary but fixed: the advisory lock key all Comanda migrators agree on. */
const LOCK_KEY = 7_342_001_992;

export interface Migration {
  version: number;
  name: string;
  up: string;
  down: string;
  checksum: string;
  upTransaction: boolean;
  downTransaction: boolean;
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: Date;
  durationMs: number;
}

export type MigrationState = 'applied' | 'pending' | 'changed' | 'unknown';

export interface MigrationStatusRow {
  version: number;
  name: string;
  state: MigrationState;
  appliedAt: Date | null;
}

export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export interface RunnerOptions {
  connectionString: string;
  dir?: string;
  /** How long one migration may wait for a table lock before it gives up and retries. */
  lockTimeoutMs?: number;
  /** Attempts per migration when it could not get its locks in time. */
  lockRetries?: number;
  /** How long to wait for another instance that holds the migration lock. */
  waitForLockMs?: number;
  log?: (message: string) => void;
}

const checksumOf = (sql: string) => createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');

/** Reads the migration files; every up needs its down and versions must be unique. */
export async function loadMigrations(dir = defaultMigrationsDir): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql'));
  const byVersion = new Map<number, { name: string; up?: string; down?: string }>();
  for (const file of files) {
    const match = FILE.exec(file);
    if (!match) throw new MigrationError(`${file}: migration files are named NNNN_name.sql and NNNN_name.down.sql`);
    const [, digits, name, isDown] = match as unknown as [string, string, string, string | undefined];
    const version = Number(digits);
    const entry = byVersion.get(version) ?? { name };
    if (entry.name !== name) throw new MigrationError(`version ${digits} is used by two names: ${entry.name} and ${name}`);
    const text = await readFile(path.join(dir, file), 'utf8');
    if (isDown) entry.down = text;
    else entry.up = text;
    byVersion.set(version, entry);
  }
  return [...byVersion.entries()]
    .sort(([a], [b]) => a - b)
    .map(([version, { name, up, down }]) => {
      const label = `${String(version).padStart(4, '0')}_${name}`;
      if (up === undefined) throw new MigrationError(`${label}.down.sql has no ${label}.sql`);
      if (down === undefined) throw new MigrationError(`${label}.sql has no down script ${label}.down.sql`);
      return {
        version,
        name,
        up,
        down,
        checksum: checksumOf(up),
        upTransaction: !NO_TRANSACTION.test(up),
        downTransaction: !NO_TRANSACTION.test(down),
      };
    });
}

const label = (m: { version: number; name: string }) => `${String(m.version).padStart(4, '0')}_${m.name}`;

export class MigrationRunner {
  private readonly dir: string;
  private readonly lockTimeoutMs: number;
  private readonly lockRetries: number;
  private readonly waitForLockMs: number;
  private readonly log: (message: string) => void;

  constructor(private readonly options: RunnerOptions) {
    this.dir = options.dir ?? defaultMigrationsDir;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 5_000;
    this.lockRetries = options.lockRetries ?? 3;
    this.waitForLockMs = options.waitForLockMs ?? 60_000;
    this.log = options.log ?? (() => undefined);
  }

  /** Every known and applied migration with its state; no lock taken, nothing changed. */
  async status(): Promise<MigrationStatusRow[]> {
    const migrations = await loadMigrations(this.dir);
    return this.withClient(async (client) => statusOf(migrations, await readApplied(client)));
  }

  /** Applies pending migrations in order (at most `steps`); returns the versions applied. */
  async up(steps = Infinity): Promise<number[]> {
    const migrations = await loadMigrations(this.dir);
    return this.locked(async (client) => {
      const applied = await readApplied(client);
      assertConsistent(migrations, applied);
      const done = new Set(applied.map((a) => a.version));
      const pending = migrations.filter((m) => !done.has(m.version)).slice(0, steps);
      for (const migration of pending) {
        const started = Date.now();
        await this.run(client, migration, 'up', async () => {
          await client.query(
            'INSERT INTO comanda.schema_migrations (version, name, checksum, duration_ms) VALUES ($1, $2, $3, $4)',
            [migration.version, migration.name, migration.checksum, Date.now() - started],
          );
        });
        this.log(`applied ${label(migration)} (${Date.now() - started} ms)`);
      }
      return pending.map((m) => m.version);
    });
  }

  /** Reverts the last `steps` applied migrations, newest first; returns the versions reverted. */
  async down(steps = 1): Promise<number[]> {
    return this.revert((applied) => applied.slice(-steps));
  }

  /** Reverts every applied migration newer than `version` (0 reverts everything). */
  async downTo(version: number): Promise<number[]> {
    return this.revert((applied) => applied.filter((a) => a.version > version));
  }

  private async revert(choose: (applied: AppliedMigration[]) => AppliedMigration[]): Promise<number[]> {
    const migrations = await loadMigrations(this.dir);
    return this.locked(async (client) => {
      const applied = await readApplied(client);
      assertConsistent(migrations, applied);
      const byVersion = new Map(migrations.map((m) => [m.version, m]));
      const targets = choose(applied).reverse();
      for (const target of targets) {
        const migration = byVersion.get(target.version)!;
        const started = Date.now();
        await this.run(client, migration, 'down', async () => {
          await client.query('DELETE FROM comanda.schema_migrations WHERE version = $1', [migration.version]);
        });
        this.log(`reverted ${label(migration)} (${Date.now() - started} ms)`);
      }
      return targets.map((t) => t.version);
    });
  }

  private async run(client: pg.Client, migration: Migration, direction: 'up' | 'down', record: () => Promise<void>) {
    const sql = direction === 'up' ? migration.up : migration.down;
    const inTransaction = direction === 'up' ? migration.upTransaction : migration.downTransaction;
    for (let attempt = 1; ; attempt++) {
      try {
        if (inTransaction) {
          await client.query(`BEGIN; SET LOCAL lock_timeout = ${this.lockTimeoutMs}; SET LOCAL statement_timeout = 0`);
          try {
            await client.query(sql);
            await record();
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK');
            throw err;
          }
        } else {
          // Outside a transaction (CREATE INDEX CONCURRENTLY): one statement, sent alone, since
          // several statements in one query string would form an implicit transaction.
          await client.query(`SET lock_timeout = ${this.lockTimeoutMs}`);
          try {
            await client.query(sql);
          } finally {
            await client.query('RESET lock_timeout');
          }
          await record();
        }
        return;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === '55P03' && attempt < this.lockRetries) {
          this.log(`${label(migration)} ${direction}: could not get its locks within ${this.lockTimeoutMs} ms (attempt ${attempt}); retrying`);
          await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
          continue;
        }
        const reason = err instanceof Error ? err.message : String(err);
        const hint = code === '55P03' ? ' (other sessions held locks it needs; retry when traffic is lower)' : '';
        throw new MigrationError(`${label(migration)} ${direction} failed: ${reason}${hint}`, { cause: err });
      }
    }
  }

  private async locked<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      const deadline = Date.now() + this.waitForLockMs;
      let announced = false;
      for (;;) {
        const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [LOCK_KEY]);
        if (rows[0]?.locked) break;
        if (Date.now() > deadline) {
          throw new MigrationError(`another process has held the migration lock for over ${this.waitForLockMs} ms; is a migration still running?`);
        }
        if (!announced) this.log('waiting for another process that is migrating');
        announced = true;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS comanda;
          CREATE TABLE IF NOT EXISTS comanda.schema_migrations (
            version     integer PRIMARY KEY,
            name        text NOT NULL,
            checksum    text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now(),
            duration_ms integer NOT NULL
          )`);
        return await fn(client);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
      }
    });
  }

  private async withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    // A dedicated session on the direct connection: the advisory lock is session-level.
    const client = new pg.Client({ connectionString: this.options.connectionString, application_name: 'comanda-migrate' });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }
}

async function readApplied(client: pg.Client): Promise<AppliedMigration[]> {
  const { rows } = await client.query<{ exists: boolean }>("SELECT to_regclass('comanda.schema_migrations') IS NOT NULL AS exists");
  if (!rows[0]?.exists) return [];
  const result = await client.query<AppliedMigration>(
    `SELECT version, name, checksum, applied_at AS "appliedAt", duration_ms AS "durationMs"
       FROM comanda.schema_migrations ORDER BY version`,
  );
  return result.rows;
}

export function statusOf(migrations: Migration[], applied: AppliedMigration[]): MigrationStatusRow[] {
  const appliedBy = new Map(applied.map((a) => [a.version, a]));
  const rows: MigrationStatusRow[] = migrations.map((m) => {
    const a = appliedBy.get(m.version);
    const state: MigrationState = !a ? 'pending' : a.checksum === m.checksum ? 'applied' : 'changed';
    return { version: m.version, name: m.name, state, appliedAt: a?.appliedAt ?? null };
  });
  const known = new Set(migrations.map((m) => m.version));
  for (const a of applied) {
    if (!known.has(a.version)) rows.push({ version: a.version, name: a.name, state: 'unknown', appliedAt: a.appliedAt });
  }
  return rows.sort((x, y) => x.version - y.version);
}

function assertConsistent(migrations: Migration[], applied: AppliedMigration[]): void {
  const rows = statusOf(migrations, applied);
  const changed = rows.filter((r) => r.state === 'changed');
  if (changed.length > 0) {
    throw new MigrationError(
      `applied migration${changed.length > 1 ? 's' : ''} ${changed.map(label).join(', ')} changed since ${changed.length > 1 ? 'they were' : 'it was'} applied (checksum differs); ` +
        'never edit an applied migration: restore the file and add a new migration instead',
    );
  }
  const unknown = rows.filter((r) => r.state === 'unknown');
  if (unknown.length > 0) {
    throw new MigrationError(
      `the database has migration${unknown.length > 1 ? 's' : ''} ${unknown.map(label).join(', ')} that this version of Comanda does not know; run a newer Comanda`,
    );
  }
}

/** The version this code expects: its newest migration. */
export async function expectedVersion(dir = defaultMigrationsDir): Promise<number> {
  const migrations = await loadMigrations(dir);
  return migrations.at(-1)?.version ?? 0;
}
