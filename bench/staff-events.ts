// npm run bench:staff-events [-- --screens 200] [-- --rate 5] [-- --seconds 15]
//
// The kitchen screens' live updates under load: one Comanda instance (a process of its own,
// bench/staff-events-server.ts), N kitchen screens, each a paired device with its own session
// cookie, following GET /api/staff/events?topics=orders,menu and, on each nudge, re-reading
// GET /api/kitchen/tickets exactly as the page does (one read at a time per screen; nudges during
// a read cause one more read after it). A writer commits a stream of order changes straight to
// PostgreSQL (one new order, then four bumps of the oldest open one: the board stays ~15 tickets)
// at `rate` changes per second. Printed: the events per second the instance sent to the screens,
// and the latency from each change's COMMIT (the moment the writer sends it) to each screen
// holding a ticket list that shows it. Two runs: the screens' shared snapshot off (each re-read
// queries, as before) and on (one query per change and restaurant). Only 127.0.0.1; ~50 s; it
// stops by itself. TEST_DATABASE_URL's server, or an embedded cluster of its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { defaultSignInLimits, SignInThrottle } from '../src/core/auth/sign-in-throttle.js';
import { issuePairingCode } from '../src/core/auth/staff-devices.js';
import { defaultSessionLifetimes, signInWithPairingCode } from '../src/core/auth/staff-sessions.js';
import { ident } from '../src/core/db/database.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { readServerEvents } from '../src/core/sse.js';
import { freePort } from '../src/embedded/postgres.js';
import { benchServer, demoDatabase } from './setup.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SCREENS = arg('--screens', 200);
const RATE = arg('--rate', 5);
const SECONDS = arg('--seconds', 15);
const SECRET = randomBytes(32).toString('hex');
const RANKS = ['PENDING', 'CONFIRMED', 'IN_PROGRESS', 'READY', 'SERVED'] as const;
const DISHES = ['item_croquetas_jamon', 'item_patatas_bravas', 'item_pulpo_gallega', 'item_tortilla_patatas', 'item_gambas_ajillo'];

interface Ticket {
  orderId: string;
  lines: Array<{ status: string }>;
}
interface Snapshot {
  tickets: Ticket[];
  recall: Ticket[];
}
/** A change: order `orderId` reached status rank `rank`; committed at `at` (ms, performance.now). */
interface Change {
  orderId: string;
  rank: number;
  at: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

const work = await mkdtemp(path.join(tmpdir(), 'comanda-bench-staff-events-'));
const { adminUrl, cluster } = await benchServer(work);
const dbName = `comanda_bench_events_${randomBytes(3).toString('hex')}`;
const children: ChildProcess[] = [];
const killTimer = setTimeout(() => {
  console.error('bench:staff-events: took over 150 s, stopping');
  for (const c of children) c.kill('SIGKILL');
  process.exit(2);
}, 150_000);

try {
  const { url, db } = await demoDatabase(adminUrl, dbName, 4);
  await db.query(`UPDATE restaurante.menu_items SET stock = 1000000 WHERE "restaurantId" = $1`, [DEMO_RESTAURANT_ID]);
  // N paired kitchen devices, each with its own session (the pairing API's own path, minus HTTP).
  const throttle = new SignInThrottle(db, SECRET, { ...defaultSignInLimits, perIpPerMinute: 1_000_000 });
  const cookies: string[] = [];
  for (let i = 0; i < SCREENS; i++) {
    const { code } = await issuePairingCode(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'kitchen', label: `screen ${i + 1}` });
    const session = await signInWithPairingCode(db, throttle, defaultSessionLifetimes, { code, ip: '127.0.0.1' });
    cookies.push(`comanda_staff=${session.token}`);
  }
  await db.close();

  const writer = new pg.Client({ connectionString: url, application_name: 'comanda-bench-writer' });
  await writer.connect();
  await writer.query(`SET comanda.actor = 'bench'`);
  const open: string[] = [];
  const statusOf = new Map<string, number>();
  let orderSeq = 0;
  /** One change in its own transaction; returns it with the moment COMMIT was sent. */
  async function change(): Promise<Change> {
    await writer.query('BEGIN');
    let orderId: string;
    let rank: number;
    if (orderSeq % 5 === 0 || open.length === 0) {
      const items = [{ menuItemId: DISHES[orderSeq % DISHES.length], quantity: 1 + (orderSeq % 3), notes: null }];
      const { rows } = await writer.query<{ order: { id: string } }>('SELECT restaurante.place_order($1, $2, $3) AS order', [
        DEMO_RESTAURANT_ID,
        JSON.stringify({ tableId: `table_${String((orderSeq % 12) + 1).padStart(2, '0')}`, source: 'presencial', items, createdBy: 'bench' }),
        JSON.stringify(items),
      ]);
      orderId = rows[0]!.order.id;
      rank = 0;
      open.push(orderId);
    } else {
      orderId = open[0]!;
      rank = (statusOf.get(orderId) ?? 0) + 1;
      await writer.query(`UPDATE restaurante.order_items SET status = $2 WHERE "orderId" = $1`, [orderId, RANKS[rank]]);
      await writer.query(`UPDATE restaurante.orders SET status = $2 WHERE id = $1`, [orderId, RANKS[rank]]);
      if (rank === 4) open.shift();
    }
    orderSeq++;
    statusOf.set(orderId, rank);
    const at = performance.now();
    await writer.query('COMMIT');
    return { orderId, rank, at };
  }
  // A board of 15 open tickets before the screens connect (then each new order comes with four
  // bumps of the oldest, so it stays about that size).
  for (let i = 0; i < 15; i++) {
    orderSeq = 0;
    await change();
  }
  orderSeq = 1;

  async function phase(shared: boolean): Promise<string> {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = spawn(process.execPath, ['--import', 'tsx', 'bench/staff-events-server.ts'], {
      cwd: path.resolve(import.meta.dirname, '..'),
      env: { ...process.env, DATABASE_URL: url, COMANDA_SECRET: SECRET, PORT: String(port), BENCH_SHARED: shared ? '1' : '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(server);
    await new Promise<void>((resolve, reject) => {
      server.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve());
      server.on('exit', (code) => reject(new Error(`server exited ${code}`)));
    });

    const changes: Change[] = [];
    const latencies: number[] = [];
    let events = 0;
    let reads = 0;
    let errors = 0;
    let measuring = false;
    const controller = new AbortController();
    setMaxListeners(0, controller.signal); // every screen's requests listen on it

    /** One screen: the page's loop (follow → load, coalesced), and what it has seen. */
    async function screen(cookie: string, ready: () => void): Promise<void> {
      const seen = new Set<number>();
      let loading = false;
      let again = false;
      const rankIn = (snap: Snapshot, orderId: string): number => {
        const ticket = snap.tickets.find((t) => t.orderId === orderId);
        if (ticket) return Math.min(...ticket.lines.map((l) => RANKS.indexOf(l.status as (typeof RANKS)[number])));
        return snap.recall.some((t) => t.orderId === orderId) ? 4 : -1;
      };
      const load = async (): Promise<void> => {
        if (loading) {
          again = true;
          return;
        }
        loading = true;
        try {
          do {
            again = false;
            const known = changes.length;
            const res = await fetch(`${base}/api/kitchen/tickets`, { headers: { cookie, accept: 'application/json' }, signal: controller.signal });
            if (!res.ok) {
              errors++;
              await res.body?.cancel();
              continue;
            }
            const snap = (await res.json()) as Snapshot;
            const now = performance.now();
            reads++;
            for (let i = 0; i < known; i++) {
              if (seen.has(i)) continue;
              const c = changes[i]!;
              if (rankIn(snap, c.orderId) >= c.rank) {
                seen.add(i);
                if (measuring) latencies.push(now - c.at);
              }
            }
          } while (again);
        } catch {
          if (!controller.signal.aborted) errors++;
        } finally {
          loading = false;
        }
      };
      const res = await fetch(`${base}/api/staff/events?topics=orders,menu`, { headers: { cookie, accept: 'text/event-stream' }, signal: controller.signal });
      if (!res.ok || !res.body) throw new Error(`events: ${res.status}`);
      ready();
      try {
        await readServerEvents(res.body, () => {
          if (measuring) events++;
          void load();
        });
      } catch {
        /* aborted at the end */
      }
    }

    let connected = 0;
    const screens = cookies.map((cookie) => screen(cookie, () => connected++));
    while (connected < SCREENS) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1_000)); // the first reads settle
    let cpuAtStart = 0;
    let cpuAtEnd = 0;
    server.stdout.on('data', (chunk: Buffer) => {
      const m = /cpu (\d+)/.exec(chunk.toString());
      if (m) cpuAtEnd = Number(m[1]);
    });
    server.kill('SIGUSR2');
    await new Promise((r) => setTimeout(r, 200));
    cpuAtStart = cpuAtEnd;
    const commitsBefore = await writer.query<{ n: string }>('SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()');
    measuring = true;
    const started = performance.now();
    const interval = 1_000 / RATE;
    for (let i = 0; performance.now() - started < SECONDS * 1_000; i++) {
      changes.push(await change());
      const wait = started + (i + 1) * interval - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const elapsed = (performance.now() - started) / 1_000;
    // Wait (up to 5 s) for every screen to see the last change.
    const expected = changes.length * SCREENS;
    for (let waited = 0; latencies.length < expected && waited < 5_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    measuring = false;
    const commitsAfter = await writer.query<{ n: string }>('SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()');
    server.kill('SIGUSR2');
    await new Promise((r) => setTimeout(r, 200));
    const serverCpu = cpuAtEnd - cpuAtStart;
    controller.abort();
    await Promise.allSettled(screens);
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));

    const sorted = latencies.sort((a, b) => a - b);
    const missing = expected - latencies.length;
    const transactions = Number(commitsAfter.rows[0]!.n) - Number(commitsBefore.rows[0]!.n);
    const txPerChange = transactions / changes.length;
    return (
      `  shared snapshot ${shared ? 'on ' : 'off'}: ${changes.length} changes in ${elapsed.toFixed(1)} s; events sent ${Math.round(events / elapsed)}/s ` +
      `(${(events / changes.length).toFixed(0)} per change); re-reads ${Math.round(reads / elapsed)}/s; database transactions per change ${txPerChange.toFixed(0)} (${(transactions / Math.max(1, reads)).toFixed(2)} per re-read); instance CPU ${(serverCpu / changes.length).toFixed(0)} ms per change, ${(serverCpu / Math.max(1, reads)).toFixed(2)} ms per re-read\n` +
      `    COMMIT → screen shows it: p50 ${percentile(sorted, 50).toFixed(0)} ms, p95 ${percentile(sorted, 95).toFixed(0)} ms, p99 ${percentile(sorted, 99).toFixed(0)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(0)} ms ` +
      `over ${sorted.length} (screen, change) pairs; not seen within 5 s: ${missing}; errors ${errors}`
    );
  }

  const before = await phase(false);
  const after = await phase(true);
  await writer.end();
  console.log(`kitchen screens' live updates: 1 instance, ${SCREENS} screens (own session each), ${RATE} order changes/s for ${SECONDS} s; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs`);
  console.log(before);
  console.log(after);
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect().then(
    () => admin.query(`DROP DATABASE IF EXISTS ${ident(dbName)} WITH (FORCE)`).finally(() => admin.end()),
    () => undefined,
  );
  await cluster?.stop().catch(() => undefined);
  await rm(work, { recursive: true, force: true });
  clearTimeout(killTimer);
}
