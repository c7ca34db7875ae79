// Graceful life of one instance: on SIGTERM /readyz fails at once while every route keeps
// serving for SHUTDOWN_DRAIN_DELAY_MS, then the process exits 0; Server-Sent Events registered
// with the lifecycle are closed with a retry hint. (Three instances behind HAProxy restarted one by
// one under load: test/topology.test.ts.)
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/embedded/postgres.js';
import { Lifecycle, sseStream } from '../src/http/lifecycle.js';
import { useTestDatabase } from './helpers/db.js';

const root = path.resolve(import.meta.dirname, '..');
const { url } = await useTestDatabase();
const running: ChildProcess[] = [];
afterAll(() => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('SIGTERM', () => {
  it('fails readiness first, keeps serving through the drain delay, then exits 0', async () => {
    const port = await freePort();
    const drainMs = 1_500;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: url,
        COMANDA_SECRET: 'x'.repeat(40),
        PORT: String(port),
        SEED_DEMO: 'true',
        MIGRATE_ON_START: 'false',
        EMAIL_WORKER: 'false',
        LOG_LEVEL: 'warn',
        SHUTDOWN_DRAIN_DELAY_MS: String(drainMs),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.push(child);
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 40_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`exited:\n${output}`);
      if (Date.now() > deadline) throw new Error(`not ready:\n${output}`);
      const res = await fetch(`${base}/readyz`).catch(() => undefined);
      if (res?.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const signalledAt = Date.now();
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 150));
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, draining: true, status: 'not ready' });

    // Requests keep being served during the drain.
    const answers: number[] = [];
    while (Date.now() - signalledAt < drainMs - 300) {
      const res = await fetch(`${base}/api/menu?restaurantId=rest_enigma_001`);
      answers.push(res.status);
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(answers.length).toBeGreaterThan(5);
    expect(answers.every((s) => s === 200)).toBe(true);

    expect(await exited).toBe(0);
    const tookMs = Date.now() - signalledAt;
    expect(tookMs).toBeGreaterThanOrEqual(drainMs);
    console.log(`graceful shutdown: ${answers.length} requests served while draining, exited after ${tookMs} ms (drain ${drainMs} ms)`);
    expect(output).toContain('draining for 1500 ms');
  });
});

describe('Lifecycle', () => {
  it('closes Server-Sent Events streams with a retry hint', async () => {
    const lifecycle = new Lifecycle();
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': connected\n\n');
      const untrack = lifecycle.track(sseStream(res));
      res.on('close', untrack);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(lifecycle.openStreams).toBe(1);
      expect(lifecycle.closeStreams(2_000)).toBe(1);
      const text = await res.text();
      expect(text).toContain(': connected\n');
      expect(text).toContain('retry: 2000\n');
      expect(text).toContain('event: shutdown\n');
      expect(lifecycle.openStreams).toBe(0);
    } finally {
      server.close();
    }
  });
});
