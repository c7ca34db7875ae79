// Maintenance windows and the periodic query report, against real parts: a real HTTP receiver
// (the generic webhook channel), the file's own database, and the CLI as operators run it.
import http from 'node:http';
import type net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CheckOutcome } from '../src/core/checks/check.js';
import { buildJobs, Monitor, type MonitorJob } from '../src/core/monitor/index.js';
import { activeMaintenance, endMaintenance, startMaintenance } from '../src/core/monitor/maintenance.js';
import { webhookChannel } from '../src/core/monitor/notifiers.js';
import { runCli } from './helpers/cli.js';
import { useTestDatabase } from './helpers/db.js';

const { db, url } = await useTestDatabase();
let dir: string;
const hits: Array<Record<string, unknown>> = [];
const receiver = http.createServer((req, res) => {
  let raw = '';
  req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
  req.on('end', () => {
    hits.push(JSON.parse(raw) as Record<string, unknown>);
    res.writeHead(200).end('ok');
  });
});
let hook: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'comanda-maintenance-'));
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hook = `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}/hook`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  hits.length = 0;
  await db.query('TRUNCATE comanda.alert_state, comanda.alert_events, comanda.alert_deliveries, comanda.maintenance_windows');
});

/** A job whose one check reports what `outcome` says now. */
let outcome: CheckOutcome = { status: 'critical', summary: 'the disk is on fire', rows: [] };
const job: MonitorJob = { name: 'health', schedule: '0 0 1 1 *', task: { check: 'disk', run: () => Promise.resolve(outcome) } };

function monitor(jobs: MonitorJob[] = [job]) {
  return new Monitor({
    db,
    directUrl: url,
    stateFile: path.join(dir, `state-${Math.random().toString(16).slice(2)}.json`),
    jobs,
    channels: [webhookChannel(hook)],
    reminderMs: 0,
    delivery: { attempts: 1, backoffMs: 10 },
  });
}

describe('maintenance windows', () => {
  it('hold alerts back (recorded, saying so), and the monitor tells people once the window ends', async () => {
    const m = monitor();
    try {
      outcome = { status: 'critical', summary: 'the disk is on fire', rows: [] };
      const { window } = await startMaintenance(db, { durationMs: 30 * 60_000, reason: 'PostgreSQL minor upgrade', osUser: 'ana' });
      expect(window.endsAt.getTime() - window.startedAt.getTime()).toBe(30 * 60_000);
      expect(await m.acquire()).toBe(true);

      const held = await m.runJob('health');
      expect(held.maintenance).toMatchObject({ window: window.id, reason: 'PostgreSQL minor upgrade' });
      expect(held.notifications).toEqual([{ check: 'disk', kind: 'alert', status: 'critical', heldBack: true }]);
      expect(held.deliveries).toEqual([]);
      expect(hits).toEqual([]);
      const { rows: events } = await db.query<{ kind: string; summary: string; payload: { heldBack?: { reason: string } } }>(
        `SELECT kind, summary, payload FROM comanda.alert_events WHERE "check" = 'disk' ORDER BY id`,
      );
      expect(events).toHaveLength(1);
      expect(events[0]!.summary).toContain('held back: maintenance window until');
      expect(events[0]!.summary).toContain('PostgreSQL minor upgrade');
      expect(events[0]!.payload.heldBack?.reason).toBe('PostgreSQL minor upgrade');
      const { rows: deliveries } = await db.query(`SELECT 1 FROM comanda.alert_deliveries`);
      expect(deliveries).toEqual([]);

      // Still bad in the next run of the window: held back again, and said so again.
      expect((await m.runJob('health')).notifications[0]).toMatchObject({ kind: 'alert', heldBack: true });

      // The window ends by itself (its end moved into the past, as time would): the alert goes out.
      await db.query(`UPDATE comanda.maintenance_windows SET started_at = now() - interval '31 minutes', ends_at = now() - interval '1 minute'`);
      expect(await activeMaintenance(db)).toBeUndefined();
      const after = await m.runJob('health');
      expect(after.maintenance).toBeUndefined();
      expect(after.notifications).toEqual([{ check: 'disk', kind: 'alert', status: 'critical' }]);
      expect(hits).toHaveLength(1);
      expect(hits[0]).toMatchObject({ check: 'disk', kind: 'alert', status: 'critical', summary: 'the disk is on fire' });

      // Told bad, then cleared during a window: the "resolved" waits for the window's end too.
      await startMaintenance(db, { durationMs: 10 * 60_000, reason: 'failover drill' });
      outcome = { status: 'ok', summary: 'cool again', rows: [] };
      expect((await m.runJob('health')).notifications).toEqual([{ check: 'disk', kind: 'resolved', status: 'ok', heldBack: true }]);
      expect(hits).toHaveLength(1);
      expect(await endMaintenance(db)).toMatchObject({ reason: 'failover drill' });
      expect((await m.runJob('health')).notifications).toEqual([{ check: 'disk', kind: 'resolved', status: 'ok' }]);
      expect(hits.map((h) => h.kind)).toEqual(['alert', 'resolved']);
      const { rows: log } = await db.query<{ action: string }>(`SELECT action FROM comanda.actions_log WHERE action LIKE 'maintenance.%' ORDER BY id`);
      expect(log.map((r) => r.action)).toEqual(['maintenance.start', 'maintenance.start', 'maintenance.end']);
    } finally {
      await m.stop();
    }
  });

  it('comanda maintenance start / status / end, with bad input refused', async () => {
    const env = { DATABASE_URL: url, DATABASE_DIRECT_URL: undefined };
    const started = await runCli(['maintenance', 'start', '--for', '30m', '--reason', 'reindex night', '--json'], env);
    expect(started.status, started.stderr).toBe(0);
    const { window } = JSON.parse(started.stdout) as { window: { id: number; endsAt: string } };
    expect(new Date(window.endsAt).getTime() - Date.now()).toBeGreaterThan(29 * 60_000);

    const status = await runCli(['maintenance', 'status'], env);
    expect(status.stdout).toMatch(/^ON until .*: reindex night/);

    const again = await runCli(['maintenance', 'start', '--for', '1h', '--reason', 'longer than planned'], env);
    expect(again.stdout).toContain('ended the window that was on');
    const windows = await db.query(`SELECT 1 FROM comanda.maintenance_windows WHERE ended_at IS NULL AND ends_at > now()`);
    expect(windows.rowCount).toBe(1);

    const ended = await runCli(['maintenance', 'end'], env);
    expect(ended.stdout).toContain('ended maintenance window');
    expect((await runCli(['maintenance', 'status'], env)).stdout).toMatch(/^no maintenance window is on/);
    expect((await runCli(['maintenance', 'end'], env)).stdout).toContain('no maintenance window was on');

    const bad = [['--for', '3d', '--reason', 'x'], ['--for', '25h', '--reason', 'x'], ['--for', '30s', '--reason', 'x'], ['--for', '30m', '--reason', '  ']];
    const refused = await Promise.all(bad.map((args) => runCli(['maintenance', 'start', ...args], env)));
    refused.forEach((r, i) => {
      expect(r.status, bad[i]!.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/--for|--reason/);
    });
    expect((await db.query(`SELECT 1 FROM comanda.maintenance_windows WHERE ended_at IS NULL AND ends_at > now()`)).rowCount).toBe(0);
  });
});

describe('the periodic query report', () => {
  it('is off by default, and when scheduled sends the top statements to every channel', async () => {
    expect(buildJobs({ schedules: {} }).map((j) => j.name)).not.toContain('query-report');
    const jobs = buildJobs({ schedules: { 'query-report': '0 8 * * 1' } });
    expect(jobs.find((j) => j.name === 'query-report')).toMatchObject({ schedule: '0 8 * * 1' });
    await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    for (let i = 0; i < 5; i++) await db.query('SELECT pg_sleep(0.05), $1::int AS report_probe', [i]);
    // Reports go out during a maintenance window too: they are not alerts.
    await startMaintenance(db, { durationMs: 60 * 60_000, reason: 'upgrade' });
    const m = monitor(jobs);
    try {
      const report = await m.runJob('query-report');
      expect(report.deliveries).toEqual([{ channel: 'webhook', check: 'top-statements', kind: 'report', ok: true, attempts: 1, error: undefined }]);
      expect(hits).toHaveLength(1);
      const body = hits[0] as { kind: string; summary: string; rows: Array<{ query: string; calls: number; meanMs: number; maxMs: number }> };
      expect(body.kind).toBe('report');
      expect(body.summary).toMatch(/^top \d+ statements by total time/);
      const probe = body.rows.find((r) => r.query.includes('report_probe'));
      expect(probe).toMatchObject({ calls: 5 });
      expect(probe!.maxMs).toBeGreaterThanOrEqual(50);
      expect(body.rows.some((r) => /comanda:toolkit|pg_stat_statements/.test(r.query))).toBe(false);
    } finally {
      await m.stop();
    }
  });
});
