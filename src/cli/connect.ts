// Where the CLI finds its database: DATABASE_URL (DATABASE_DIRECT_URL for migrations), or the
// embedded server that `npm start` runs, found through COMANDA_DATA_DIR/server.json.
import { loadConfig, type Config } from '../config.js';
import { Database } from '../core/db/database.js';
import { readServerInfo } from '../embedded/data-dir.js';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface Target {
  config: Config;
  url: string;
  directUrl: string;
}

export async function resolveTarget(): Promise<Target> {
  const config = loadConfig();
  if (config.databaseUrl) {
    return { config, url: config.databaseUrl, directUrl: config.databaseDirectUrl ?? config.databaseUrl };
  }
  const info = await readServerInfo(config.dataDir);
  if (!info) {
    throw new CliError(
      `no database to talk to: DATABASE_URL is not set and no running \`npm start\` was found in ${config.dataDir}.\n` +
        'Start Comanda with `npm start` in this directory (or point COMANDA_DATA_DIR at its data directory), or set DATABASE_URL.',
    );
  }
  return { config, url: info.databaseUrl, directUrl: info.databaseUrl };
}

/** The CLI's small pool on the target, named so that pg_stat_activity tells its sessions apart. */
export function openDatabase(target: Target, applicationName = 'comanda-cli'): Database {
  return new Database({
    connectionString: target.url,
    poolSize: 2,
    connectTimeoutMs: target.config.pool.connectTimeoutMs,
    statementTimeoutMs: target.config.timeouts.statementMs,
    lockTimeoutMs: target.config.timeouts.lockMs,
    applicationName,
  });
}

export async function withDatabase<T>(fn: (db: Database, target: Target) => Promise<T>): Promise<T> {
  const target = await resolveTarget();
  const db = openDatabase(target);
  try {
    return await fn(db, target);
  } finally {
    await db.close();
  }
}
