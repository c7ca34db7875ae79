// Replication and archiving checks on a primary and a real streaming standby of their own
// (pg_basebackup from Debian's postgresql-client; the standby runs the embedded server binary):
// lag is 0 on a caught-up standby however idle the primary, grows while replay is paused and clears
// when it resumes; an abandoned slot is flagged by the WAL it holds; a failing archive_command is
// critical and clears once archiving works.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck, runChecks } from '../src/core/checks/check.js';
import { allChecks, fullChecks } from '../src/core/checks/registry.js';
import { MigrationRunner } from '../src/core/migrations/runner.js';
import { archiving, replicationLag, replicationSlots } from '../src/core/checks/replication.js';
import { Database } from '../src/core/db/database.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/embedded/postgres.js';
import { startStandby, waitFor } from './helpers/standby.js';
import { describeWith, pgBasebackupTool } from './helpers/tools.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let root: string;
let primary: EmbeddedPostgres;
let stopStandby: (() => Promise<void>) | undefined;
let standbyUrl: string;
let primaryDb: Database;
let standbyDb: Database;
const clients: pg.Client[] = [];

async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  c.on('error', () => undefined);
  clients.push(c);
  return c;
}

describeWith([pgBasebackupTool()], 'replication (a standby made by pg_basebackup)', () => {
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'comanda-replication-'));
    await chmod(root, 0o711);
    primary = await startEmbeddedPostgres({
      clusterDir: path.join(root, 'primary'),
      password: randomBytes(8).toString('hex'),
      // archive_command is set with ALTER SYSTEM in the test: a -c option would override it.
      settings: { archive_mode: 'on', wal_level: 'replica', max_wal_senders: '5' },
    });
    // The standby replays the primary's schema and data: the whole toolkit can run there.
    await new MigrationRunner({ connectionString: primary.url }).up();
    const setup = new pg.Client({ connectionString: primary.url });
    await setup.connect();
    await setup.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await setup.end();
    const standby = await startStandby(primary, root, { archive_mode: 'off', shared_preload_libraries: 'pg_stat_statements' });
    standbyUrl = standby.url;
    stopStandby = standby.stop;
    primaryDb = new Database({ connectionString: primary.url, poolSize: 2 });
    standbyDb = new Database({ connectionString: standbyUrl, poolSize: 2 });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await standbyDb?.close();
    await primaryDb?.close();
    await stopStandby?.();
    await primary?.stop();
    await rm(root, { recursive: true, force: true });
  }, 60_000);

  describe('replication-lag', () => {
    it('is 0 on a caught-up standby even while the primary is idle, and the primary sees its replica', async () => {
      const writer = await connect(primary.url);
      await writer.query('CREATE TABLE IF NOT EXISTS public.ticks (n int)');
      await writer.query('INSERT INTO public.ticks VALUES (1)');
      const caughtUp = await waitFor('the standby to replay', async () => {
        const r = await runCheck(standbyDb, replicationLag);
        return r.rows[0]?.bytes === 0 && r.status === 'ok' ? r : undefined;
      });
      expect(caughtUp.rows[0]).toMatchObject({ role: 'standby', streaming: true, seconds: 0 });
      // The naive now() - pg_last_xact_replay_timestamp() keeps growing while nothing is written;
      // the check does not.
      await sleep(2_000);
      const idle = await runCheck(standbyDb, replicationLag, { warning: 1, critical: 60 });
      expect(idle.status).toBe('ok');
      const naive = await (await connect(standbyUrl)).query<{ s: number }>('SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float AS s');
      expect(naive.rows[0]!.s).toBeGreaterThan(1.5);

      const onPrimary = await runCheck(primaryDb, replicationLag);
      expect(onPrimary.status).toBe('ok');
      expect(onPrimary.rows).toEqual([expect.objectContaining({ role: 'replica', state: 'streaming' })]);
    });

    it('grows while replay is paused (standby seconds and bytes, primary bytes), and clears when replay resumes', async () => {
      const standby = await connect(standbyUrl);
      const writer = await connect(primary.url);
      await standby.query('SELECT pg_wal_replay_pause()');
      await writer.query('INSERT INTO public.ticks SELECT generate_series(1, 1000)');
      await sleep(1_500);
      const behind = await waitFor('received WAL to wait for replay', async () => {
        const r = await runCheck(standbyDb, replicationLag, { warning: 1, critical: 60 });
        return Number(r.rows[0]?.bytes) > 0 ? r : undefined;
      });
      expect(behind.status).toBe('warning');
      expect(Number(behind.rows[0]!.seconds)).toBeGreaterThan(1);
      const primarySide = await runCheck(primaryDb, replicationLag);
      expect(Number(primarySide.rows[0]!.bytes)).toBeGreaterThan(0);

      await standby.query('SELECT pg_wal_replay_resume()');
      const cleared = await waitFor('replay to catch up', async () => {
        const r = await runCheck(standbyDb, replicationLag, { warning: 1, critical: 60 });
        return r.status === 'ok' && r.rows[0]?.bytes === 0 ? r : undefined;
      });
      expect(cleared.rows[0]).toMatchObject({ seconds: 0 });
      await waitFor('the primary to see the replica caught up', async () => {
        const r = await runCheck(primaryDb, replicationLag);
        return r.rows[0]?.bytes === 0 ? r : undefined;
      });
    }, 60_000);

    it('is critical on a standby that is not streaming, and clears once it streams again', async () => {
      // Cutting the walsender races the walreceiver's reconnect (it can be back within a poll on a
      // busy machine); emptying primary_conninfo stops streaming until it is put back.
      const standby = await connect(standbyUrl);
      const { primary_conninfo: conninfo } = (await standby.query<{ primary_conninfo: string }>('SHOW primary_conninfo')).rows[0]!;
      expect(conninfo).toContain('port=');
      await standby.query(`ALTER SYSTEM SET primary_conninfo = ''`);
      await standby.query('SELECT pg_reload_conf()');
      try {
        const down = await waitFor('the standby to stop streaming', async () => {
          const r = await runCheck(standbyDb, replicationLag);
          return r.status === 'critical' ? r : undefined;
        });
        expect(down.summary).toContain('not streaming');
        expect(down.rows[0]).toMatchObject({ role: 'standby', streaming: false });
      } finally {
        await standby.query(`ALTER SYSTEM SET primary_conninfo = ${standby.escapeLiteral(conninfo)}`);
        await standby.query('SELECT pg_reload_conf()');
      }
      await waitFor('streaming again', async () => ((await runCheck(standbyDb, replicationLag)).status === 'ok' ? true : undefined));
    }, 90_000);
  });

  describe('replication-slots', () => {
    it('flags an inactive slot holding WAL back, and clears once it is dropped', async () => {
      const admin = await connect(primary.url);
      expect((await runCheck(primaryDb, replicationSlots)).status).toBe('ok');
      await admin.query(`SELECT pg_create_physical_replication_slot('abandoned', true)`);
      await admin.query('INSERT INTO public.ticks SELECT generate_series(1, 20000)');
      await admin.query('SELECT pg_switch_wal()');
      const flagged = await runCheck(primaryDb, replicationSlots, { warning: 0.01, critical: 10_000 });
      expect(flagged.status).toBe('warning');
      expect(flagged.rows).toEqual([expect.objectContaining({ slot: 'abandoned', active: false })]);
      expect(Number(flagged.rows[0]!.bytes)).toBeGreaterThan(0);
      await admin.query(`SELECT pg_drop_replication_slot('abandoned')`);
      expect((await runCheck(primaryDb, replicationSlots, { warning: 0.01, critical: 10_000 })).status).toBe('ok');
    });
  });

  describe('archiving', () => {
    it('is critical while archive_command fails, and clears once it archives', async () => {
      const admin = await connect(primary.url);
      await admin.query(`ALTER SYSTEM SET archive_command = '/bin/false'`);
      await admin.query('SELECT pg_reload_conf()');
      await admin.query('INSERT INTO public.ticks VALUES (2)');
      await admin.query('SELECT pg_switch_wal()');
      const failing = await waitFor('the archiver to fail', async () => {
        const r = await runCheck(primaryDb, archiving);
        return r.status === 'critical' ? r : undefined;
      });
      expect(failing.summary).toMatch(/^archiving is failing/);
      expect(Number(failing.rows[0]!.ready)).toBeGreaterThan(0);

      await admin.query(`ALTER SYSTEM SET archive_command = '/bin/true'`);
      await admin.query('SELECT pg_reload_conf()');
      const ok = await waitFor('the archiver to succeed', async () => {
        const r = await runCheck(primaryDb, archiving);
        return r.status === 'ok' ? r : undefined;
      }, 90_000);
      expect(ok.summary).toMatch(/^archiving works/);
      expect(Number(ok.rows[0]!.archived)).toBeGreaterThan(0);
      // Archiving off is reported, not flagged.
      const standbyView = await runCheck(standbyDb, archiving);
      expect(standbyView).toMatchObject({ status: 'ok', summary: expect.stringContaining('archiving is off') as unknown });
    }, 120_000);
  });

  describe('the toolkit on a standby', () => {
    it('runs every check read-only on a hot standby, none unknown', async () => {
      await waitFor('the schema on the standby', async () =>
        (await standbyDb.query<{ t: string | null }>(`SELECT to_regclass('restaurante.orders')::text AS t`)).rows[0]?.t ? true : undefined,
      );
      const results = await runChecks(standbyDb, [...allChecks, ...Object.values(fullChecks)]);
      expect(results.filter((r) => r.status === 'unknown').map((r) => `${r.name}: ${r.summary}`)).toEqual([]);
    });
  });
});
