// Cross-check with a peer: Debian's check_postgres (txn_idle, query_time, backends, bloat,
// sequence) and Comanda's checks, on the same server with the same thresholds, agree on what is
// wrong — same Nagios status (both use exit codes 0/1/2/3) — and both clear when it is gone.
// A cluster of its own, since three of the five look at the whole server.
// One deliberate difference is asserted too: check_postgres measures a sequence against its own
// type, Comanda against the column it feeds (a bigint sequence filling an integer column).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck, severity, type Check, type Thresholds } from '../src/core/checks/check.js';
import { connections, idleInTransaction, longQueries } from '../src/core/checks/sessions.js';
import { sequences } from '../src/core/checks/integrity.js';
import { bloat } from '../src/core/checks/tables.js';
import { Database } from '../src/core/db/database.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/embedded/postgres.js';
import { describeWith, checkPostgresTool } from './helpers/tools.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let root: string;
let cluster: EmbeddedPostgres;
let db: Database;
const clients: pg.Client[] = [];

describeWith([checkPostgresTool()], 'Comanda and check_postgres', () => {
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'comanda-check-postgres-'));
    await chmod(root, 0o711);
    cluster = await startEmbeddedPostgres({ clusterDir: path.join(root, 'c'), password: randomBytes(8).toString('hex'), settings: { max_connections: '40' } });
    db = new Database({ connectionString: cluster.url, poolSize: 2 });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await db?.close();
    await cluster?.stop();
    await rm(root, { recursive: true, force: true });
  });

  async function client(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: cluster.url });
    await c.connect();
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  }

  /** check_postgres on the same database; its exit code is the Nagios status. */
  function peer(action: string, ...args: string[]): { status: number; output: string } {
    const url = new URL(cluster.url);
    const run = spawnSync(
      'check_postgres',
      [`--action=${action}`, `--dbhost=${url.hostname}`, `--dbport=${url.port}`, `--dbuser=${decodeURIComponent(url.username)}`, `--dbname=${url.pathname.slice(1)}`, ...args],
      { encoding: 'utf8', env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) } },
    );
    if (run.error) throw new Error(`check_postgres did not run (Debian package check-postgres): ${run.error.message}`);
    return { status: run.status ?? 3, output: run.stdout + run.stderr };
  }

  /** Both verdicts, as Nagios exit codes. */
  async function both(check: Check, thresholds: Thresholds, action: string, ...args: string[]) {
    const ours = await runCheck(db, check, thresholds);
    const theirs = peer(action, ...args);
    return { ours: severity[ours.status], theirs: theirs.status, ourResult: ours, peerOutput: theirs.output };
  }

  describe('Comanda and check_postgres agree', () => {
    it('txn_idle / idle-in-transaction', async () => {
      const idle = await client();
      await idle.query('BEGIN');
      await idle.query('SELECT 1');
      await sleep(2_500);
      const flagged = await both(idleInTransaction, { warning: 1, critical: 60 }, 'txn_idle', '--warning=1s', '--critical=60s');
      expect(flagged.peerOutput).toMatch(/POSTGRES_TXN_IDLE WARNING/);
      expect([flagged.ours, flagged.theirs]).toEqual([1, 1]);
      await idle.query('ROLLBACK');
      const cleared = await both(idleInTransaction, { warning: 1, critical: 60 }, 'txn_idle', '--warning=1s', '--critical=60s');
      expect([cleared.ours, cleared.theirs]).toEqual([0, 0]);
    });

    it('query_time / long-queries', async () => {
      const busy = await client();
      const pid = (await busy.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const running = busy.query('SELECT pg_sleep(30)').catch(() => undefined);
      await sleep(2_500);
      const flagged = await both(longQueries, { warning: 1, critical: 60 }, 'query_time', '--warning=1s', '--critical=60s');
      expect(flagged.peerOutput).toMatch(/POSTGRES_QUERY_TIME WARNING/);
      expect([flagged.ours, flagged.theirs]).toEqual([1, 1]);
      expect(flagged.ourResult.rows.map((r) => r.pid)).toContain(pid);
      await (await client()).query('SELECT pg_cancel_backend($1)', [pid]);
      await running;
      // On a loaded machine a session can still be reported active for a moment: allow 5 s.
      let cleared = await both(longQueries, { warning: 1, critical: 60 }, 'query_time', '--warning=1s', '--critical=60s');
      for (let i = 0; i < 10 && (cleared.ours !== 0 || cleared.theirs !== 0); i++) {
        await sleep(500);
        cleared = await both(longQueries, { warning: 1, critical: 60 }, 'query_time', '--warning=1s', '--critical=60s');
      }
      expect([cleared.ours, cleared.theirs], JSON.stringify(cleared.ourResult.rows)).toEqual([0, 0]);
    }, 60_000);

    it('backends / connections (share of max_connections)', async () => {
      const before = await both(connections, { warning: 60, critical: 80 }, 'backends', '--warning=60%', '--critical=80%');
      expect([before.ours, before.theirs]).toEqual([0, 0]);
      // 40 allowed: 27 open is over 60 % for both.
      const extra = await Promise.all(Array.from({ length: 26 }, () => client()));
      const flagged = await both(connections, { warning: 60, critical: 80 }, 'backends', '--warning=60%', '--critical=80%');
      expect(flagged.peerOutput).toMatch(/POSTGRES_BACKENDS WARNING/);
      expect([flagged.ours, flagged.theirs]).toEqual([1, 1]);
      await Promise.all(extra.map(async (c) => c.end()));
      clients.splice(clients.length - extra.length, extra.length);
      const cleared = await both(connections, { warning: 60, critical: 80 }, 'backends', '--warning=60%', '--critical=80%');
      expect([cleared.ours, cleared.theirs]).toEqual([0, 0]);
    });

    it('bloat (the same table named by both)', async () => {
      const raw = await client();
      await raw.query('CREATE TABLE public.bloated (id int, pad text)');
      await raw.query(`INSERT INTO public.bloated SELECT g, repeat('x', 100) FROM generate_series(1, 100000) g`);
      await raw.query('DELETE FROM public.bloated WHERE id % 5 <> 0');
      await raw.query('VACUUM (ANALYZE) public.bloated');
      // check_postgres grades wasted size; Comanda grades the share wasted of tables wasting 1 MB+.
      const flagged = await both(bloat, { warning: 50, critical: 90 }, 'bloat', '--warning=1M', '--critical=1G');
      expect([flagged.ours, flagged.theirs]).toEqual([1, 1]);
      expect(flagged.peerOutput).toMatch(/table public\.bloated rows:20000/);
      expect(flagged.ourResult.rows.map((r) => r.table)).toEqual(['public.bloated']);
      await raw.query('VACUUM FULL public.bloated');
      await raw.query('ANALYZE public.bloated');
      const cleared = await both(bloat, { warning: 50, critical: 90 }, 'bloat', '--warning=1M', '--critical=1G');
      expect([cleared.ours, cleared.theirs]).toEqual([0, 0]);
    });

    it('sequence / sequences — and where they differ on purpose', async () => {
      const raw = await client();
      await raw.query('CREATE TABLE public.ids (id integer GENERATED BY DEFAULT AS IDENTITY)');
      expect(Object.values(await both(sequences, { warning: 75, critical: 90 }, 'sequence', '--warning=75%', '--critical=90%')).slice(0, 2)).toEqual([0, 0]);
      await raw.query(`SELECT setval(pg_get_serial_sequence('public.ids', 'id'), 2000000000)`); // 93 % of int4
      const flagged = await both(sequences, { warning: 75, critical: 90 }, 'sequence', '--warning=75%', '--critical=90%');
      expect(flagged.peerOutput).toMatch(/POSTGRES_SEQUENCE CRITICAL.*public\.ids_id_seq=93%/);
      expect([flagged.ours, flagged.theirs]).toEqual([2, 2]);
      await raw.query(`SELECT setval(pg_get_serial_sequence('public.ids', 'id'), 1)`);
      const cleared = await both(sequences, { warning: 75, critical: 90 }, 'sequence', '--warning=75%', '--critical=90%');
      expect([cleared.ours, cleared.theirs]).toEqual([0, 0]);

      // A bigint sequence feeding an integer column: 2e9 is 93 % of what the column holds, 0 % of the
      // sequence's range. Inserts fail at 2^31 whatever the sequence says: Comanda flags it.
      await raw.query('CREATE SEQUENCE public.wide_seq AS bigint');
      await raw.query(`CREATE TABLE public.narrow (id integer DEFAULT nextval('public.wide_seq'))`);
      await raw.query('ALTER SEQUENCE public.wide_seq OWNED BY public.narrow.id');
      await raw.query(`SELECT setval('public.wide_seq', 2000000000)`);
      const differ = await both(sequences, { warning: 75, critical: 90 }, 'sequence', '--warning=75%', '--critical=90%');
      expect([differ.ours, differ.theirs]).toEqual([2, 0]);
      expect(differ.ourResult.rows).toEqual([expect.objectContaining({ sequence: 'public.wide_seq', column: 'public.narrow.id', type: 'integer' })]);
    });
  });
});
