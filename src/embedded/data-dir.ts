// The data directory of the embedded default (COMANDA_DATA_DIR): the PostgreSQL cluster, the
// generated server secret, the demo admin token, and server.json, which tells `comanda`
// commands run beside `npm start` how to reach the embedded database.
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface ServerInfo {
  /** postgres:// URL of the embedded database, with its generated password. */
  databaseUrl: string;
  port: number;
  /** The `npm start` process that owns the embedded server. */
  pid: number;
  startedAt: string;
  httpUrl?: string;
}

export const dataPaths = (dataDir: string) => ({
  cluster: path.join(dataDir, 'postgres'),
  postgresLog: path.join(dataDir, 'postgres.log'),
  secret: path.join(dataDir, 'secret'),
  adminToken: path.join(dataDir, 'admin-token'),
  serverInfo: path.join(dataDir, 'server.json'),
  clusterPassword: path.join(dataDir, 'postgres-password'),
});

/** The data directory's own mode: owner-only; run as root, others may traverse it (not list it). */
export const dataDirMode = (): number => (process.getuid?.() === 0 ? 0o711 : 0o700);

export async function ensureDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: dataDirMode() });
  // Run as root, the embedded server runs as `postgres`, which must traverse it to its cluster.
  await chmod(dataDir, dataDirMode());
}

/**
 * Everything under the data directory is its owner's only: files 0600, directories 0700 (the
 * outbox holds guests' addresses and live link tokens, postgres.log their rejected rows, backups
 * everything). Fixes what an older version (or another umask) left readable; the cluster itself
 * is PostgreSQL's (it keeps it 0700 and refuses to start otherwise), so it is left alone.
 */
export async function secureDataDir(dataDir: string): Promise<void> {
  await chmod(dataDir, dataDirMode());
  const cluster = dataPaths(dataDir).cluster;
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir).catch(() => [] as string[])) {
      const file = path.join(dir, entry);
      if (file === cluster) continue;
      const info = await lstat(file).catch(() => undefined);
      if (!info || info.isSymbolicLink()) continue;
      if (info.isDirectory()) {
        await chmod(file, 0o700);
        await walk(file);
      } else if ((info.mode & 0o077) !== 0) {
        await chmod(file, 0o600);
      }
    }
  };
  await walk(dataDir);
}

/** Writes a file readable by its owner only, atomically enough for our purposes. */
export async function writePrivateFile(file: string, content: string): Promise<void> {
  await writeFile(file, content, { mode: 0o600 });
  await chmod(file, 0o600);
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** A random hex value kept in a 0600 file of the data directory, generated on first use. */
async function loadOrCreateRandom(file: string, bytes: number): Promise<string> {
  const existing = (await readIfExists(file))?.trim();
  if (existing) return existing;
  const value = randomBytes(bytes).toString('hex');
  await writePrivateFile(file, value + '\n');
  return value;
}

/** The server secret (COMANDA_SECRET) of the embedded default. */
export const loadOrCreateSecret = (dataDir: string) => loadOrCreateRandom(dataPaths(dataDir).secret, 32);

/** The password of the embedded cluster's `postgres` user. */
export const loadOrCreateClusterPassword = (dataDir: string) => loadOrCreateRandom(dataPaths(dataDir).clusterPassword, 24);

export async function writeServerInfo(dataDir: string, info: ServerInfo): Promise<void> {
  await writePrivateFile(dataPaths(dataDir).serverInfo, JSON.stringify(info, null, 2) + '\n');
}

export async function removeServerInfo(dataDir: string): Promise<void> {
  await rm(dataPaths(dataDir).serverInfo, { force: true });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** server.json when the `npm start` that wrote it is still running; undefined otherwise. */
export async function readServerInfo(dataDir: string): Promise<ServerInfo | undefined> {
  const text = await readIfExists(dataPaths(dataDir).serverInfo);
  if (!text) return undefined;
  const info = JSON.parse(text) as ServerInfo;
  return processAlive(info.pid) ? info : undefined;
}
