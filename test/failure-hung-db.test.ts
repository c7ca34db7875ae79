// Issue 11, item 10: a hung database (every process of a cluster this test started, stopped with
// SIGSTOP) never hangs a request: each is answered 503 within statement timeout + 1 s, whether it
// held a pooled connection, waited for one or opened a new one; the pool drops the connections it
// cannot trust and the service recovers by itself when the server resumes. Never the shared server.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffToken } from '../src/core/auth/staff-tokens.js';
import { Database, DEADLINE_GRACE_MS } from '../src/core/db/database.js';
import { loadMigrations, MigrationRunner } from '../src/core/migrations/runner.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/embedded/postgres.js';
import { build, defaultOrderingSettings } from '../src/http/app.js';

const STATEMENT_TIMEOUT_MS = 1_000;
const root = await mkdtemp(path.join(tmpdir(), 'comanda-hung-'));
await chmod(root, 0o711);
const clusterDir = path.join(root, 'cluster');
let cluster: EmbeddedPostgres;
let db: Database;
let app: FastifyInstance;
let token: string;
let stopped: number[] = [];

/** The postmaster of this test's own cluster and every process it started. */
async function clusterPids(): Promise<number[]> {
  const postmaster = Number((await readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' })
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((pid) => pid > 0);
  return [postmaster, ...children];
}

const resume = () => {
  for (const pid of stopped) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone
    }
  }
  stopped = [];
};

beforeAll(async () => {
  cluster = await startEmbeddedPostgres({ clusterDir, password: randomBytes(12).toString('hex'), logFile: path.join(root, 'pg.log') });
  await new MigrationRunner({ connectionString: cluster.url }).up();
  db = new Database({ connectionString: cluster.url, poolSize: 4, minConnections: 4, statementTimeoutMs: STATEMENT_TIMEOUT_MS, connectTimeoutMs: 5_000 });
  await seedDemo(db);
  await db.warm();
  token = (await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'waiter' })).token;
  app = await build({
    db,
    secret: 'hung-secret-0123456789abcdefghijklmnopqrstuv',
    expectedMigrations: (await loadMigrations()).map((m) => m.version),
    logLevel: 'silent',
    ordering: { ...defaultOrderingSettings, menuCacheMaxAgeMs: 0 },
  });
}, 120_000);

afterAll(async () => {
  resume();
  await app?.close();
  await db?.close().catch(() => undefined);
  await cluster?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('a hung database (item 10)', () => {
  it('with every process of the cluster stopped, 12 requests at once are all answered 503 within statement timeout + 1 s; it recovers after SIGCONT', async () => {
    // Connections in the pool, all idle and trusted.
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    stopped = await clusterPids();
    expect(stopped.length).toBeGreaterThan(3);
    for (const pid of stopped) process.kill(pid, 'SIGSTOP');
    try {
      const bound = STATEMENT_TIMEOUT_MS + DEADLINE_GRACE_MS;
      const started = Date.now();
      const timed = async (request: () => Promise<{ statusCode: number; body: string }>) => {
        const res = await request();
        return { status: res.statusCode, code: (JSON.parse(res.body) as { code?: string }).code, ms: Date.now() - started };
      };
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          timed(() =>
            i % 3 === 0
              ? app.inject({ method: 'GET', url: '/readyz' })
              : i % 3 === 1
                ? app.inject({ method: 'GET', url: `/api/menu?restaurantId=${DEMO_RESTAURANT_ID}` })
                : app.inject({
                    method: 'POST',
                    url: '/api/orders',
                    headers: { authorization: `Bearer ${token}`, 'idempotency-key': `hung-${i}` },
                    payload: { tableId: 'table_01', items: [{ menuItemId: 'item_agua_mineral', quantity: 1 }] },
                  }),
          ),
        ),
      );
      const slowest = Math.max(...answers.map((a) => a.ms));
      process.stdout.write(`hung database: 12 requests answered in at most ${slowest} ms (bound ${bound} ms)\n`);
      for (const a of answers) {
        expect(a.status, JSON.stringify(a)).toBe(503);
        if (a.code) expect(['DATABASE_TIMEOUT', 'DATABASE_UNAVAILABLE', 'NOT_READY']).toContain(a.code);
      }
      // The bound, with a little room for a busy test machine's timers.
      expect(slowest).toBeLessThan(bound + 750);
    } finally {
      resume();
    }
    // The connections that were cut off mid-request were dropped; fresh ones work.
    let recovered = false;
    for (let i = 0; i < 40 && !recovered; i++) {
      recovered = (await app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200;
      if (!recovered) await new Promise((r) => setTimeout(r, 250));
    }
    expect(recovered).toBe(true);
    const order = await app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: { authorization: `Bearer ${token}` },
      payload: { tableId: 'table_01', items: [{ menuItemId: 'item_agua_mineral', quantity: 1 }] },
    });
    expect(order.statusCode, order.body).toBe(201);
  });

  it('TCP keepalive is on for every pooled connection', () => {
    expect(db.pool.options).toMatchObject({ keepAlive: true });
  });
});
