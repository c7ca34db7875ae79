// `comanda monitor` against real parts: an idle-in-transaction session made critical with lowered
// thresholds, alerts received by a real local HTTP server (Slack-compatible and generic JSON) and
// a real local SMTP server, delivery failures (HTTP 500) retried and recorded, a database that
// goes away (a TCP proxy in front of the test server, closed and reopened) alerted through the
// state file, and two monitors of which only one holds the lock.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { idleInTransaction } from '../src/core/checks/sessions.js';
import { Database } from '../src/core/db/database.js';
import { transition, type AlertState } from '../src/core/monitor/alerts.js';
import { buildJobs, checksOf, DEFAULT_SCHEDULES, monitorStatus, Monitor, type LogEntry, type MonitorJob } from '../src/core/monitor/index.js';
import { emailChannel, slackChannel, webhookChannel, type Channel } from '../src/core/monitor/notifiers.js';
import { freePort } from '../src/embedded/postgres.js';
import { useTestDatabase } from './helpers/db.js';
import { runCli } from './helpers/cli.js';
import { itWith, pgDumpTools } from './helpers/tools.js';

const { db, url } = await useTestDatabase();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let dir: string;

// --- a real HTTP receiver -----------------------------------------------------------------------
interface Hit {
  path: string;
  body: Record<string, unknown>;
}
const hits: Hit[] = [];
let failNext = 0;
const receiver = http.createServer((req, res) => {
  let raw = '';
  req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
  req.on('end', () => {
    if (failNext > 0) {
      failNext--;
      res.writeHead(500).end('boom');
      return;
    }
    hits.push({ path: req.url ?? '', body: JSON.parse(raw) as Record<string, unknown> });
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
});
let base: string;
const SLACK_SECRET_PATH = '/services/T0000/B0000/s3cr3tWebhookToken';

// --- a real SMTP server -------------------------------------------------------------------------
const mails: Array<{ to: string[]; subject: string; body: string }> = [];
let smtp: SMTPServer;
let smtpPort: number;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'comanda-monitor-'));
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}`;
  smtpPort = await freePort();
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      stream.on('end', () => {
        const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
        mails.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: /^Subject:\s*(.+)$/im.exec(head)?.[1]?.trim() ?? '',
          body: rest.join('\n\n').replace(/=\r?\n/g, ''),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(smtpPort, '127.0.0.1', resolve));
});

const clients: pg.Client[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  hits.length = 0;
  mails.length = 0;
  failNext = 0;
  await db.query('TRUNCATE comanda.alert_state, comanda.alert_events, comanda.alert_deliveries');
});

/** A session left idle in a transaction; `end()` finishes it. */
async function idleSession(): Promise<{ pid: number; end: () => Promise<void> }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  c.on('error', () => undefined);
  clients.push(c);
  await c.query('BEGIN');
  const { rows } = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  await sleep(1_300);
  return { pid: rows[0]!.pid, end: () => c.query('ROLLBACK').then(() => undefined) };
}

const idleJob: MonitorJob = { name: 'health', schedule: '0 0 1 1 *', checks: [idleInTransaction] };
/** Lowered thresholds: one second idle is critical. */
const LOWERED = { 'idle-in-transaction': { warning: 0.5, critical: 1 } };

function monitor(options: { channels: Channel[]; database?: Database; directUrl?: string; stateFile?: string; log?: LogEntry[]; thresholds?: typeof LOWERED; reminderMs?: number }) {
  return new Monitor({
    db: options.database ?? db,
    directUrl: options.directUrl ?? url,
    stateFile: options.stateFile ?? path.join(dir, `state-${Math.random().toString(16).slice(2)}.json`),
    jobs: [idleJob],
    channels: options.channels,
    thresholds: options.thresholds ?? LOWERED,
    reminderMs: options.reminderMs ?? 4 * 3600_000,
    delivery: { attempts: 3, backoffMs: 20 },
    secrets: [`${base}${SLACK_SECRET_PATH}`, url],
    host: 'test-host',
    lockRetryMs: 100,
    log: (entry) => options.log?.push(entry),
  });
}

describe('the alert state machine', () => {
  const at = (minutes: number) => new Date(Date.UTC(2025, 0, 1, 0, minutes));
  const step = (prev: AlertState | undefined, status: 'ok' | 'warning' | 'critical' | 'unknown', minutes: number, reminderMinutes = 60) =>
    transition(prev, { name: 'c', status, summary: status }, at(minutes), reminderMinutes * 60_000);

  it('alerts once, escalates, reminds after the interval, stays quiet on improvement, resolves once', () => {
    const first = step(undefined, 'ok', 0);
    expect(first.kind).toBeUndefined();
    const bad = step(first.next, 'warning', 5);
    expect(bad).toMatchObject({ kind: 'alert', previous: 'ok' });
    const same = step(bad.next, 'warning', 10);
    expect(same.kind).toBeUndefined();
    expect(same.next.since).toEqual(at(5));
    const worse = step(same.next, 'critical', 15);
    expect(worse).toMatchObject({ kind: 'escalation', previous: 'warning' });
    const better = step(worse.next, 'warning', 20);
    expect(better.kind).toBeUndefined();
    const worseAgain = step(better.next, 'critical', 25);
    expect(worseAgain.kind).toBeUndefined(); // critical was already told
    expect(step(worseAgain.next, 'critical', 74).kind).toBeUndefined();
    const reminder = step(worseAgain.next, 'critical', 75);
    expect(reminder.kind).toBe('reminder');
    expect(step(reminder.next, 'critical', 80).kind).toBeUndefined();
    const resolved = step(reminder.next, 'ok', 90);
    expect(resolved).toMatchObject({ kind: 'resolved', previous: 'critical' });
    expect(step(resolved.next, 'ok', 95).kind).toBeUndefined();
    expect(step(undefined, 'unknown', 0).kind).toBe('alert');
    expect(step(step(undefined, 'critical', 0).next, 'critical', 600, 0).kind).toBeUndefined(); // reminders off
  });
});

describe('jobs and schedules', () => {
  it('uses the default schedules, places every check in exactly one job, and schedules backup only when wired', () => {
    expect(DEFAULT_SCHEDULES).toEqual({ health: '*/5 * * * *', 'slow-queries': '0 */4 * * *', integrity: '0 2 * * *', backup: '0 3 * * *' });
    const names = [...checksOf('health'), ...checksOf('slow-queries'), ...checksOf('integrity')].map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(checksOf('health').map((c) => c.name)).toContain('idle-in-transaction');
    expect(checksOf('integrity').map((c) => c.name)).toEqual(expect.arrayContaining(['integrity-full', 'stock-ledger-full', 'bloat']));
    expect(buildJobs({ schedules: {} }).map((j) => j.name)).toEqual(['health', 'slow-queries', 'integrity']);
    const withBackup = buildJobs({ schedules: { integrity: null }, backup: () => Promise.resolve({ status: 'ok', summary: 'fine', rows: [] }) });
    expect(withBackup.map((j) => [j.name, j.schedule])).toEqual([['health', '*/5 * * * *'], ['slow-queries', '0 */4 * * *'], ['backup', '0 3 * * *']]);
  });

  it('reports the backup task as a check: a thrown error is critical and alerted', async () => {
    const m = new Monitor({
      db,
      directUrl: url,
      stateFile: path.join(dir, 'backup-state.json'),
      jobs: [{ name: 'backup', schedule: '0 3 * * *', task: { check: 'backup', run: () => Promise.reject(new Error('pg_dump: error: connection refused')) } }],
      channels: [webhookChannel(`${base}/hook`)],
      reminderMs: 0,
      delivery: { attempts: 1, backoffMs: 1 },
    });
    const report = await m.runJob('backup');
    expect(report.status).toBe('critical');
    expect(hits.map((h) => [h.body.check, h.body.status, h.body.summary])).toEqual([['backup', 'critical', 'failed: pg_dump: error: connection refused']]);
    await m.stop();
  });
});

describe('comanda monitor', () => {
  it('sends exactly one alert to Slack-compatible and generic webhooks, nothing on the next run, and one resolved', async () => {
    const slackUrl = `${base}${SLACK_SECRET_PATH}`;
    const m = monitor({ channels: [slackChannel(slackUrl), webhookChannel(`${base}/hook`)] });
    const idle = await idleSession();

    const first = await m.runJob('health');
    expect(first.status).toBe('critical');
    expect(first.store).toBe('database');
    expect(first.notifications).toEqual([{ check: 'idle-in-transaction', kind: 'alert', status: 'critical' }]);
    const slack = hits.filter((h) => h.path === SLACK_SECRET_PATH);
    const generic = hits.filter((h) => h.path === '/hook');
    expect(slack).toHaveLength(1);
    expect(generic).toHaveLength(1);
    expect(slack[0]!.body.text).toMatch(/CRITICAL idle-in-transaction on test-host: 1 session idle in transaction/);
    expect(Array.isArray(slack[0]!.body.blocks)).toBe(true);
    expect(JSON.stringify(slack[0]!.body.blocks)).toContain('idle_in_transaction_session_timeout');
    expect(generic[0]!.body).toMatchObject({ check: 'idle-in-transaction', status: 'critical', previous: null, kind: 'alert', host: 'test-host', job: 'health' });
    expect(generic[0]!.body.advice).toContain('pg_terminate_backend');
    expect((generic[0]!.body.rows as Array<{ pid: number }>).map((r) => r.pid)).toContain(idle.pid);
    expect(new Date(generic[0]!.body.at as string).getTime()).toBeGreaterThan(Date.now() - 60_000);

    const second = await m.runJob('health');
    expect(second.status).toBe('critical');
    expect(second.notifications).toEqual([]);
    expect(hits).toHaveLength(2);

    await idle.end();
    const third = await m.runJob('health');
    expect(third.status).toBe('ok');
    expect(third.notifications).toEqual([{ check: 'idle-in-transaction', kind: 'resolved', status: 'ok' }]);
    expect(hits).toHaveLength(4);
    expect(hits.find((h) => h.path === SLACK_SECRET_PATH && h !== slack[0])!.body.text).toMatch(/RESOLVED idle-in-transaction on test-host/);
    expect(hits.find((h) => h.path === '/hook' && h !== generic[0])!.body).toMatchObject({ check: 'idle-in-transaction', status: 'ok', previous: 'critical', kind: 'resolved' });

    await m.runJob('health');
    expect(hits).toHaveLength(4);

    // History: two events, each delivered once per channel.
    const status = await monitorStatus(db);
    expect(status.states.find((s) => s.check === 'idle-in-transaction')).toMatchObject({ status: 'ok', notifiedStatus: 'ok' });
    expect(status.deliveries.map((d) => [d.check, d.kind, d.channel, d.state, d.attempts]).sort()).toEqual(
      [
        ['idle-in-transaction', 'alert', 'slack', 'sent', 1],
        ['idle-in-transaction', 'alert', 'webhook', 'sent', 1],
        ['idle-in-transaction', 'resolved', 'slack', 'sent', 1],
        ['idle-in-transaction', 'resolved', 'webhook', 'sent', 1],
      ].sort(),
    );
    expect(status.undelivered).toBe(0);
    await m.stop();
  });

  it('sends exactly one alert e-mail to a real SMTP server, none on the next run, and one resolved', async () => {
    const m = monitor({ channels: [emailChannel({ smtpUrl: `smtp://127.0.0.1:${smtpPort}`, from: 'Comanda <monitor@localhost>', to: ['ops@example.com', 'oncall@example.com'] })] });
    const idle = await idleSession();
    await m.runJob('health');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual(['ops@example.com', 'oncall@example.com']);
    expect(mails[0]!.subject).toMatch(/^\[Comanda\] CRITICAL idle-in-transaction on test-host/);
    expect(mails[0]!.body).toContain('What to do:');
    expect(mails[0]!.body).toContain(String(idle.pid));
    await m.runJob('health');
    expect(mails).toHaveLength(1);
    await idle.end();
    await m.runJob('health');
    expect(mails).toHaveLength(2);
    expect(mails[1]!.subject).toMatch(/^\[Comanda\] RESOLVED idle-in-transaction on test-host/);
    await m.stop();
  });

  it('retries a failing receiver, records the failure without the webhook secret, and delivers on the next run', async () => {
    const slackUrl = `${base}${SLACK_SECRET_PATH}`;
    const log: LogEntry[] = [];
    const m = monitor({ channels: [slackChannel(slackUrl)], log });
    const idle = await idleSession();

    failNext = 4; // three attempts in this run all get 500; the next run's first attempt too
    const first = await m.runJob('health');
    expect(first.deliveries).toEqual([{ channel: 'slack', check: 'idle-in-transaction', kind: 'alert', ok: false, attempts: 3, error: 'the receiver answered HTTP 500' }]);
    expect(hits).toHaveLength(0);
    let status = await monitorStatus(db);
    expect(status.undelivered).toBe(1);
    expect(status.deliveries[0]).toMatchObject({ channel: 'slack', state: 'failed', attempts: 3, error: 'the receiver answered HTTP 500' });
    const logged = JSON.stringify(log);
    expect(logged).toContain('will retry on the next run');
    expect(logged).toContain('http://127.0.0.1:');
    expect(logged).not.toContain('s3cr3tWebhookToken');

    const second = await m.runJob('health');
    expect(second.notifications).toEqual([]); // nothing new to say: the old alert is retried
    expect(second.deliveries).toEqual([{ channel: 'slack', check: 'idle-in-transaction', kind: 'alert', ok: true, attempts: 2 }]);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.body.text).toMatch(/CRITICAL idle-in-transaction/);
    status = await monitorStatus(db);
    expect(status.undelivered).toBe(0);
    expect(status.deliveries[0]).toMatchObject({ state: 'sent', attempts: 5, error: null });

    await m.runJob('health');
    expect(hits).toHaveLength(1);
    await idle.end();
    await m.stop();
  });

  it('alerts a database it cannot reach, remembers it in the state file, and resolves once it is back', async () => {
    // A TCP proxy in front of the test server: closing it is the database going away.
    const target = new URL(url);
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((inbound) => {
      const outbound = net.connect(Number(target.port || 5432), target.hostname);
      for (const s of [inbound, outbound]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    const port = await freePort();
    const listen = () => new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
    await listen();
    const proxied = new URL(url);
    proxied.host = `127.0.0.1:${port}`;
    const database = new Database({ connectionString: proxied.toString(), poolSize: 2, connectTimeoutMs: 2_000 });
    const stateFile = path.join(dir, 'down', 'monitor-state.json');
    const m = monitor({ channels: [webhookChannel(`${base}/hook`)], database, directUrl: proxied.toString(), stateFile });

    expect((await m.runJob('health')).store).toBe('database');
    expect(hits).toHaveLength(0);

    await new Promise<void>((resolve) => {
      proxy.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
    const down = await m.runJob('health');
    expect(down.store).toBe('file');
    expect(down.status).toBe('critical');
    expect(down.results.map((r) => [r.name, r.status])).toEqual([['database', 'critical']]);
    expect(hits.map((h) => h.body)).toEqual([expect.objectContaining({ check: 'database', status: 'critical', previous: 'ok', kind: 'alert' })]);
    expect(JSON.stringify(hits[0]!.body)).not.toContain(target.password || 'no-password-in-url');

    const file = await stat(stateFile);
    expect(file.mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { states: Record<string, { notifiedStatus: string }>; events: Array<{ deliveries: Array<{ state: string }> }> };
    expect(saved.states.database!.notifiedStatus).toBe('critical');
    expect(saved.events[0]!.deliveries[0]!.state).toBe('sent');

    await m.runJob('health'); // still down: remembered, so no second alert
    expect(hits).toHaveLength(1);

    await listen();
    const back = await m.runJob('health');
    expect(back.store).toBe('database');
    expect(back.notifications).toEqual([{ check: 'database', kind: 'resolved', status: 'ok' }]);
    expect(hits).toHaveLength(2);
    expect(hits[1]!.body).toMatchObject({ check: 'database', status: 'ok', previous: 'critical', kind: 'resolved' });
    await expect(stat(stateFile)).rejects.toThrow(/ENOENT/);
    // The outage is in the database's history now.
    const { rows } = await db.query<{ kind: string; status: string; state: string }>(
      `SELECT e.kind, e.status, d.state FROM comanda.alert_events e JOIN comanda.alert_deliveries d ON d.event_id = e.id
        WHERE e."check" = 'database' ORDER BY e.id`,
    );
    expect(rows).toEqual([
      { kind: 'alert', status: 'critical', state: 'sent' },
      { kind: 'resolved', status: 'ok', state: 'sent' },
    ]);

    await m.stop();
    await database.close();
    await new Promise<void>((resolve) => {
      proxy.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  });

  it('lets only one of two monitors act; the other stands by, says so, and takes over when the lock frees', async () => {
    const log1: LogEntry[] = [];
    const log2: LogEntry[] = [];
    const m1 = monitor({ channels: [], log: log1 });
    const m2 = monitor({ channels: [], log: log2 });
    expect(await m1.acquire()).toBe(true);
    expect(await m2.acquire()).toBe(false);
    expect(m1.lock.held).toBe(true);
    expect(m2.lock.held).toBe(false);
    const standby = log2.find((e) => /standing by/.test(e.msg));
    expect(standby).toBeDefined();
    expect((standby!.holder as { application: string }).application).toBe('comanda-monitor');

    await m2.start(); // standing by, trying again every 100 ms
    await m1.stop();
    for (let i = 0; i < 100 && !m2.lock.held; i++) await sleep(50);
    expect(m2.lock.held).toBe(true);
    expect(log2.some((e) => /this monitor is active/.test(e.msg))).toBe(true);
    expect(await m1.acquire()).toBe(false);
    await m2.stop();
    await m1.stop();
  });

  /** The CLI as an operator runs it, with only these variables (and PATH). */
  const cliEnv = () => ({
    DATABASE_URL: url,
    COMANDA_DATA_DIR: path.join(dir, 'cli'),
    ALERT_WEBHOOK_URL: `${base}/cli-hook`,
    COMANDA_CHECKS_FILE: path.join(dir, 'thresholds.json'),
  });
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runCli(args, { ...cliEnv(), ...extra }, { inherit: false }).then((r) => ({ code: r.status, stdout: r.stdout, stderr: r.stderr }));

  it('CLI: --once runs a job and exits with the monitoring-plugin code; a bad schedule stops it naming the variable', async () => {
    await writeFile(cliEnv().COMANDA_CHECKS_FILE, JSON.stringify({ thresholds: LOWERED }));

    const idle = await idleSession();
    const once = await cli(['monitor', '--once', 'health', '--json']);
    expect(once.code).toBe(2);
    const report = (JSON.parse(once.stdout) as { reports: Array<{ job: string; notifications: Array<{ check: string }> }> }).reports[0]!;
    expect(report.job).toBe('health');
    expect(report.notifications.map((n) => n.check)).toContain('idle-in-transaction');
    expect(hits.filter((h) => h.path === '/cli-hook' && h.body.check === 'idle-in-transaction')).toHaveLength(1);
    await idle.end();

    const status = await cli(['monitor', 'status', '--json']);
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as { channels: string[] }).channels).toEqual(['webhook']);

    const bad = await cli(['monitor', '--once'], { MONITOR_SCHEDULE_INTEGRITY: '61 * * * *' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/MONITOR_SCHEDULE_INTEGRITY: must be a cron expression/);
    await writeFile(path.join(dir, 'typo.json'), '{"thresholds": {"idle-in-transactoin": {"warning": 1}}}');
    const typo = await cli(['monitor', '--once', 'health'], { COMANDA_CHECKS_FILE: path.join(dir, 'typo.json') });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/COMANDA_CHECKS_FILE: [^]*thresholds\.idle-in-transactoin: no such check/);
    const mail = await cli(['monitor', '--once', 'health'], { ALERT_EMAIL_TO: 'ops@example.com' });
    expect(mail.code).toBe(2);
    expect(mail.stderr).toMatch(/ALERT_EMAIL_TO: is set but SMTP_URL is not/);
    // A database that does not answer: alerted (exit 2), remembered in the data directory's state file.
    const closed = new URL(url);
    closed.host = `127.0.0.1:${await freePort()}`;
    const down = await cli(['monitor', '--once', 'health', '--json'], { DATABASE_URL: closed.toString(), COMANDA_DATA_DIR: path.join(dir, 'cli-down') });
    expect(down.code).toBe(2);
    expect((JSON.parse(down.stdout) as { reports: Array<{ store: string }> }).reports[0]!.store).toBe('file');
    expect(hits.filter((h) => h.path === '/cli-hook' && h.body.check === 'database').map((h) => h.body.status)).toEqual(['critical']);
    expect((await stat(path.join(dir, 'cli-down', 'monitor-state.json'))).mode & 0o777).toBe(0o600);
  }, 60_000);

  itWith(pgDumpTools(), 'CLI: --once backup backs up, verifies by restoring into a scratch database and applies retention', async () => {
    const backup = await cli(['monitor', '--once', 'backup', '--json']);
    expect(backup.code).toBe(0);
    const result = (JSON.parse(backup.stdout) as { reports: Array<{ job: string; results: Array<{ name: string; status: string; rows: Array<{ file: string; verified: boolean }> }> }> }).reports[0]!;
    expect(result.job).toBe('backup');
    const outcome = result.results.find((r) => r.name === 'backup')!;
    expect(outcome.status).toBe('ok');
    expect(outcome.rows[0]).toMatchObject({ verified: true });
    expect((await stat(outcome.rows[0]!.file)).size).toBeGreaterThan(0);
  }, 60_000);
});
