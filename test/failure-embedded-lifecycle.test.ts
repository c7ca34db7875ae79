// Issue 11, item 11: the embedded database's lifecycle, with the service run as `npm start` runs
// it (from source): a port in use is found before initdb; a second start on the same data
// directory says "already running (pid N)"; a server stopped from outside is noticed (/healthz)
// and started again; SIGTERM stops the postmaster and removes server.json; a postmaster an earlier
// start left running (the service killed) is stopped by the next start instead of failing it.
import { spawn, type ChildProcess } from 'node:child_process';
import { access, chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/embedded/postgres.js';

const root = path.resolve(import.meta.dirname, '..');
const work = await mkdtemp(path.join(tmpdir(), 'comanda-lifecycle-'));
await chmod(work, 0o711);
const dataDir = path.join(work, 'data');
const postmasterPidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
const baseEnv: NodeJS.ProcessEnv = { ...process.env, COMANDA_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
delete baseEnv.DATABASE_URL;
delete baseEnv.DATABASE_DIRECT_URL;
delete baseEnv.COMANDA_SECRET;

const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 3_000));
  const pm = await postmasterPid();
  if (pm !== undefined && alive(pm)) process.kill(pm, 'SIGINT');
  await new Promise((r) => setTimeout(r, 2_000));
  await rm(work, { recursive: true, force: true });
}, 30_000);

const exists = (file: string) => access(file).then(() => true, () => false);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
async function postmasterPid(): Promise<number | undefined> {
  const text = await readFile(postmasterPidFile, 'utf8').catch(() => undefined);
  const pid = Number(text?.split('\n')[0]);
  return pid > 0 ? pid : undefined;
}
async function until(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Service {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

function launch(port: number): Service {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env: { ...baseEnv, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, port, output: () => output, exited };
}

const status = (service: Service, url: string) => fetch(`http://127.0.0.1:${service.port}${url}`).then((r) => r.status, () => 0);

async function started(port: number): Promise<Service> {
  const service = launch(port);
  await until('the service to be ready', async () => {
    if (service.child.exitCode !== null) throw new Error(`exited ${service.child.exitCode}:\n${service.output()}`);
    return (await status(service, '/readyz')) === 200;
  }, 90_000);
  return service;
}

describe('the embedded database lifecycle (item 11)', () => {
  it('a port in use is found before initdb and migrations: exit 2 naming PORT, no cluster made', async () => {
    const blocker = net.createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)));
    try {
      const service = launch(port);
      expect(await service.exited).toBe(2);
      expect(service.output()).toMatch(new RegExp(`PORT: ${port} on 127.0.0.1 is in use`));
      expect(await exists(path.join(dataDir, 'postgres'))).toBe(false);
    } finally {
      blocker.close();
    }
  }, 60_000);

  it('a second start on the same data directory says "already running (pid N)"; a server stopped from outside is noticed and started again; SIGTERM stops everything', async () => {
    const first = await started(await freePort());
    expect((await stat(path.join(dataDir, 'postgres.log'))).mode & 0o777).toBe(0o600);

    const second = launch(await freePort());
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`already running (pid ${first.child.pid})`);
    expect(await status(first, '/readyz')).toBe(200);

    // Stopped from outside (as pg_ctl stop -m fast would): noticed, and started again.
    const pm = (await postmasterPid())!;
    process.kill(pm, 'SIGINT');
    await until('the restart to be announced', () => Promise.resolve(first.output().includes('is running again')), 60_000);
    expect(first.output()).toContain('exited');
    await until('readiness again', async () => (await status(first, '/readyz')) === 200);
    expect(await status(first, '/healthz')).toBe(200);
    const restarted = (await postmasterPid())!;
    expect(restarted).not.toBe(pm);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(alive(restarted)).toBe(false);
    expect(await exists(path.join(dataDir, 'server.json'))).toBe(false);
  }, 240_000);

  it('a postmaster left running by a killed service is stopped by the next start, which then serves', async () => {
    const killed = await started(await freePort());
    const orphan = (await postmasterPid())!;
    killed.child.kill('SIGKILL');
    await killed.exited;
    expect(alive(orphan)).toBe(true);
    expect(await exists(path.join(dataDir, 'server.json'))).toBe(true);

    const next = await started(await freePort());
    expect(next.output()).toContain(`stopping the PostgreSQL an earlier start left running (pid ${orphan})`);
    expect(alive(orphan)).toBe(false);
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  }, 240_000);
});
