// A real PgBouncer in transaction mode in front of the test server, for the tests that prove
// Comanda keeps no session state. PgBouncer refuses to run as root: as root it runs as `postgres`.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/embedded/postgres.js';
import { pgbouncerTool } from './tools.js';

export interface PgBouncer {
  /** `url` with host and port replaced by PgBouncer's. */
  via(url: string): string;
  /** URL of PgBouncer's admin console (database `pgbouncer`), as the server URL's user (an admin_users entry). */
  adminUrl: string;
  stop(): Promise<void>;
}

const binary = pgbouncerTool().path;

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited with ${child.exitCode}:\n${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`pgbouncer did not listen on ${port}:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startPgBouncer(serverUrl: string, options: { poolSize?: number } = {}): Promise<PgBouncer> {
  if (!binary) throw new Error('pgbouncer is not installed: apt-get install pgbouncer (see .ci/run)');
  const server = new URL(serverUrl);
  const dir = await mkdtemp(path.join(tmpdir(), 'comanda-pgbouncer-'));
  await chmod(dir, 0o755);
  const port = await freePort();
  const user = decodeURIComponent(server.username || 'postgres');
  const password = decodeURIComponent(server.password);
  await writeFile(path.join(dir, 'userlist.txt'), `"${user}" "${password.replace(/"/g, '""')}"\n`, { mode: 0o600 });
  await writeFile(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      `admin_users = ${user}`,
      'max_client_conn = 500',
      `default_pool_size = ${options.poolSize ?? 5}`,
      'server_reset_query =',
      'ignore_startup_parameters = extra_float_digits',
      'log_connections = 0',
      'log_disconnections = 0',
    ].join('\n') + '\n',
  );
  const asRoot = process.getuid?.() === 0;
  let ids: { uid?: number; gid?: number } = {};
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    for (const file of ['userlist.txt', 'pgbouncer.ini']) await chown(path.join(dir, file), uid, gid);
    ids = { uid, gid };
  }
  let output = '';
  const child = spawn(binary, [path.join(dir, 'pgbouncer.ini')], { ...ids, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitForPort(port, child, () => output);
  const admin = new URL(serverUrl);
  admin.hostname = '127.0.0.1';
  admin.port = String(port);
  admin.pathname = '/pgbouncer';
  return {
    adminUrl: admin.toString(),
    via(url: string) {
      const target = new URL(url);
      target.hostname = '127.0.0.1';
      target.port = String(port);
      return target.toString();
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
