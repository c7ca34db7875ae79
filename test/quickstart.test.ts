// The README's first line, for real: `npm start` with no DATABASE_URL starts the embedded
// PostgreSQL, migrates, seeds, serves, writes the demo admin token, lets `comanda` find the
// database, shuts down cleanly on SIGTERM and comes back with its data.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/embedded/postgres.js';
import { runCliSync } from './helpers/cli.js';

const root = path.resolve(import.meta.dirname, '..');
const work = await mkdtemp(path.join(tmpdir(), 'comanda-quickstart-'));
await chmod(work, 0o711);
const dataDir = path.join(work, 'data');
const port = await freePort();
const env: NodeJS.ProcessEnv = { ...process.env, COMANDA_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' };
delete env.DATABASE_URL;
delete env.DATABASE_DIRECT_URL;
delete env.COMANDA_SECRET;

const running: ChildProcess[] = [];
afterAll(async () => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  await rm(work, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  output: () => string;
  readyMs: number;
}

/** Starts the service as `npm start` does (from source) and waits until /readyz says 200. */
async function start(): Promise<Started> {
  const began = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output}`);
    if (Date.now() - began > 40_000) throw new Error(`not ready after 40 s:\n${output}`);
    const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
    if (res?.status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, output: () => output, readyMs: Date.now() - began };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

const cli = (...args: string[]) =>
  runCliSync(args, { ...env, DATABASE_URL: undefined, DATABASE_DIRECT_URL: undefined, COMANDA_SECRET: undefined });

/** The one-time sign-in link `npm start` prints for the demo admin (it follows the ready line). */
async function printedSignInLink(started: Started): Promise<{ url: string; token: string }> {
  for (let i = 0; i < 100; i++) {
    const match = /staff sign-in {2}(\S+\/staff\/sign-in#token=(cmd_signin_[A-Za-z0-9_-]{43}\.rest_enigma_001))/.exec(started.output());
    if (match) return { url: match[1]!, token: match[2]! };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no sign-in link printed:\n${started.output()}`);
}

const exists = (file: string) => access(file).then(() => true, () => false);

describe('npm start with the embedded PostgreSQL', () => {
  it('starts, serves, and keeps its data across a restart', async () => {
    const first = await start();
    console.log(`quick start: ready in ${first.readyMs} ms (cold: initdb, migrations, seed)`);
    const tokenFile = path.join(dataDir, 'admin-token');
    const token = (await readFile(tokenFile, 'utf8')).trim();
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    expect(first.output()).toContain(tokenFile);
    expect(first.output()).not.toContain(token);
    expect(first.output()).toContain(`http://127.0.0.1:${port}/readyz`);
    expect(first.output()).toContain('seeded the demo restaurant rest_enigma_001');

    const me = await fetch(`http://127.0.0.1:${port}/api/staff/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ role: 'admin', restaurantId: 'rest_enigma_001' });

    // The demo admin signs in with the one-time link printed at start (the token, in the URL's
    // fragment, is stored only as a hash and works once).
    const link = await printedSignInLink(first);
    const signIn = () =>
      fetch(`http://127.0.0.1:${port}/api/staff/sign-in/link`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: link.token }) });
    const signedIn = await signIn();
    expect(signedIn.status).toBe(200);
    const cookie = signedIn.headers.get('set-cookie')!.split(';')[0]!;
    const session = await fetch(`http://127.0.0.1:${port}/api/staff/me`, { headers: { cookie } });
    expect(await session.json()).toMatchObject({ role: 'admin', restaurantId: 'rest_enigma_001' });
    expect((await signIn()).status).toBe(401);
    // …and reaches every staff page with that session.
    for (const page of ['/kitchen', '/floor', '/floor/qr', '/admin/reservations', '/admin/menu', '/admin/staff', '/ops']) {
      const res = await fetch(`http://127.0.0.1:${port}${page}`, { headers: { cookie }, redirect: 'manual' });
      expect(res.status, page).toBe(200);
      expect(res.headers.get('content-type'), page).toMatch(/^text\/html/);
    }

    // `comanda` beside it finds the embedded database through server.json.
    const status = cli('migrate', 'status', '--json');
    expect(status.status, status.stderr).toBe(0);
    const rows = (JSON.parse(status.stdout) as { migrations: Array<{ state: string }> }).migrations;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.state === 'applied')).toBe(true);
    const created = cli('staff', 'token', 'create', '--role', 'waiter', '--json');
    expect(created.status, created.stderr).toBe(0);
    const waiter = JSON.parse(created.stdout) as { id: string; role: string; token: string };
    expect(waiter).toMatchObject({ role: 'waiter', token: expect.stringMatching(/^cmd_staff_/) as unknown });

    expect(await stop(first.child)).toBe(0);
    expect(await exists(path.join(dataDir, 'server.json'))).toBe(false);
    expect(await exists(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    const orphan = cli('migrate', 'status');
    expect(orphan.status).toBe(1);
    expect(orphan.stderr).toContain('no running `npm start` was found');

    const second = await start();
    console.log(`quick start: ready in ${second.readyMs} ms (warm restart)`);
    expect(second.output()).not.toContain('seeded the demo restaurant');
    // Still no password set: a new link (the used one stays used).
    expect((await printedSignInLink(second)).token).not.toBe(link.token);
    for (const bearer of [token, waiter.token]) {
      const again = await fetch(`http://127.0.0.1:${port}/api/staff/me`, { headers: { authorization: `Bearer ${bearer}` } });
      expect(again.status).toBe(200);
    }
    expect(cli('staff', 'token', 'revoke', waiter.id).status).toBe(0);
    const revoked = await fetch(`http://127.0.0.1:${port}/api/staff/me`, { headers: { authorization: `Bearer ${waiter.token}` } });
    expect(revoked.status).toBe(401);
    expect(await stop(second.child)).toBe(0);
  }, 120_000);

  it('refuses a bad environment variable with a clear message and exit code 2', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { ...env, PORT: 'eighty', DATABASE_LOCK_TIMEOUT_MS: '0' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('PORT:');
    expect(result.stderr).toContain('DATABASE_LOCK_TIMEOUT_MS:');
    expect(result.stderr).toContain('docs/configuration.md');
  });

  it('refuses DATABASE_URL without COMANDA_SECRET', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { ...env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('COMANDA_SECRET: is required');
  });
});
