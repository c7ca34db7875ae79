// The operators' dashboard's API (/ops pages, admins only): checks with their advice and the SQL
// to copy, capabilities, sessions and the blocking tree, statements from the history, space,
// maintenance, indexes, replication, backups, alerts and the actions log; and the safe actions —
// cancel, terminate, vacuum, reset statement statistics — each recorded in comanda.actions_log.
// A thin shell over src/core (checks, history, actions, ops): no SQL here.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { planTerminate } from '../../core/actions/terminate.js';
import { planCancel } from '../../core/actions/cancel.js';
import { planVacuum } from '../../core/actions/vacuum.js';
import { permissions } from '../../core/auth/roles.js';
import type { Check } from '../../core/checks/check.js';
import { allChecks } from '../../core/checks/registry.js';
import type { ThresholdOverrides } from '../../core/checks/thresholds.js';
import { Database } from '../../core/db/database.js';
import { AppError } from '../../core/errors.js';
import { checkStatusCounts, historyCost, historyStatementSeries, historyTopStatements, historyWindow, sizeSeries, spaceGrowth } from '../../core/history/index.js';
import { tableStats } from '../../core/metrics/collector.js';
import { runAction } from '../../core/ops/act.js';
import { liveActivity } from '../../core/ops/activity.js';
import { capabilities, checkViews } from '../../core/ops/overview.js';
import { statementPlan, statementText } from '../../core/ops/statements.js';
import { actionsLog, alertsView, recordedBackups } from '../../core/ops/system.js';
import { BackupVerifier } from '../../core/ops/verify-backup.js';
import type { BackupSettings } from '../../config.js';
import { liveTopStatements, resetStatements } from '../../core/queries.js';
import { requireStaff, staffOf } from '../auth.js';
import { authProblems } from '../openapi.js';

export interface OpsRouteOptions {
  /** DATABASE_DIRECT_URL: safe actions run on a session of their own there, never through a pooler. */
  directUrl?: string;
  /** The thresholds file's overrides (COMANDA_CHECKS_FILE), as the doctor, /metrics and the monitor use. */
  thresholds?: ThresholdOverrides;
  /** COMANDA_BACKUP_DIR and the pg tools: "verify backup now" verifies the newest archive there. */
  backup?: Pick<BackupSettings, 'dir' | 'pgBinDir'>;
  /** How long POST /api/ops/backups/verify waits for the verification before answering 202 (2 min). */
  verifyWaitMs?: number;
}

/** The checks each page shows, by name (every check is on the overview). */
export const opsPageChecks = {
  connections: ['connections', 'application-connections', 'long-queries', 'idle-in-transaction', 'blocking', 'locks', 'oldest-transaction', 'prepared-transactions', 'pgbouncer-pools'],
  queries: ['pg-stat-statements', 'cache-hit-ratio', 'temp-files', 'deadlocks'],
  space: ['database-size', 'table-size', 'index-size', 'bloat'],
  maintenance: ['dead-tuples', 'vacuum-age', 'analyze-age', 'table-maintenance', 'xid-wraparound', 'checkpoint-age', 'sequences'],
  indexes: ['invalid-indexes', 'duplicate-indexes', 'unused-indexes', 'missing-indexes'],
  system: ['replication-lag', 'replication-slots', 'archiving', 'recovery-conflicts', 'settings'],
} as const;

const WINDOWS = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 } as const;
type Window = keyof typeof WINDOWS;

const tags = ['ops'];
const security = [{ bearer: [] }];
const anyObject = { type: 'object', additionalProperties: true } as const;
const anyArray = { type: 'array', items: anyObject } as const;
const timestamp = { type: ['string', 'null'], format: 'date-time' } as const;

const checkView = {
  $id: 'OpsCheck',
  type: 'object',
  description: 'A check as `comanda doctor` runs it, with what it measures and what to copy to fix it',
  properties: {
    name: { type: 'string' },
    status: { type: 'string', enum: ['ok', 'warning', 'critical', 'unknown'] },
    summary: { type: 'string', description: 'The measured value, in a sentence' },
    description: { type: 'string', description: 'What it measures and why it matters' },
    unit: { type: 'string' },
    thresholds: { type: 'object', properties: { warning: { type: 'number' }, critical: { type: 'number' } } },
    lowerIsWorse: { type: 'boolean' },
    advice: { type: 'string', description: 'What to do (not ok only)' },
    commands: { type: 'array', items: { type: 'string' }, description: 'SQL and commands to copy' },
    rows: anyArray,
    durationMs: { type: 'number' },
  },
} as const;

const capability = {
  $id: 'OpsCapability',
  type: 'object',
  properties: {
    id: { type: 'string', enum: ['pg_monitor', 'pg_stat_statements', 'history', 'signal_backend', 'reset_statements'] },
    ok: { type: 'boolean' },
    detail: { type: 'string' },
    fix: { type: 'string' },
  },
} as const;

const actionOutcome = {
  type: 'object',
  properties: {
    action: { type: 'string' },
    status: { type: 'string', enum: ['done', 'partial', 'failed', 'nothing-to-do'] },
    summary: { type: 'string' },
    sql: { type: 'array', items: { type: 'string' } },
    targets: anyArray,
    rows: anyArray,
    durationMs: { type: 'number' },
    recorded: { type: 'boolean', description: 'Written to comanda.actions_log' },
  },
} as const;

const checks = { type: 'array', items: { $ref: 'OpsCheck#' } } as const;
const windowQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { window: { type: 'string', enum: Object.keys(WINDOWS), default: 'day' } },
} as const;
const pidParams = { type: 'object', required: ['pid'], additionalProperties: false, properties: { pid: { type: 'string', pattern: '^[1-9][0-9]{0,9}$', description: 'pg_stat_activity.pid' } } } as const;
const queryidParams = { type: 'object', required: ['queryid'], additionalProperties: false, properties: { queryid: { type: 'string', pattern: '^-?[0-9]{1,19}$' } } } as const;
const noBody = { type: 'object', additionalProperties: false, properties: {} } as const;
const refused = { description: 'ACTION_REFUSED: the action will not touch that target (the detail says why); nothing done', $ref: 'Problem#' } as const;
const badRequest = { description: 'VALIDATION_FAILED', $ref: 'Problem#' } as const;

/** Who asked, for the actions log: the staff principal's kind and id (never a name). */
const actorOf = (request: FastifyRequest): string => {
  const staff = staffOf(request);
  return `staff ${staff.via ?? 'token'}:${staff.tokenId}`;
};

export function opsRoutes(app: FastifyInstance, db: Database, options: OpsRouteOptions = {}): void {
  app.addSchema(checkView);
  app.addSchema(capability);
  const admin = requireStaff(db, ...permissions['ops.manage']);
  const overrides = options.thresholds ?? {};
  const named = (names: readonly string[]): Check[] => allChecks.filter((c) => names.includes(c.name));
  const viewsOf = (names: readonly string[]) => checkViews(db, named(names), overrides);

  // Safe actions on a connection of their own to the primary (a pooler in transaction mode would
  // mix their session settings with the application's); made on first use, closed with the app.
  let actionDb: Database | undefined;
  const actionsDatabase = (): Database => {
    if (!options.directUrl) return db;
    actionDb ??= new Database({ connectionString: options.directUrl, poolSize: 2, connectTimeoutMs: 5_000, applicationName: 'comanda-action', onIdleError: () => undefined });
    return actionDb;
  };
  app.addHook('onClose', async () => actionDb?.close());

  app.get('/api/ops/capabilities', {
    preHandler: admin,
    schema: {
      summary: 'What the toolkit\'s database role can see and do (pg_monitor, pg_stat_statements, history, signalling, reset), each missing one with its fix',
      tags, security,
      response: { 200: { type: 'object', properties: { capabilities: { type: 'array', items: { $ref: 'OpsCapability#' } } } }, ...authProblems },
    },
  }, async () => ({ capabilities: await capabilities(db) }));

  app.get('/api/ops/overview', {
    preHandler: admin,
    schema: {
      summary: 'Every check, worst first, with its value, thresholds, why it matters, what to do and what to copy; and the capabilities',
      tags, security,
      response: {
        200: {
          type: 'object',
          properties: {
            checks, capabilities: { type: 'array', items: { $ref: 'OpsCapability#' } }, at: { type: 'string', format: 'date-time' },
            timeline: {
              type: 'array',
              description: "The last day's history captures: how many checks were critical, warning, unknown and ok at each, and which were not ok",
              items: {
                type: 'object',
                properties: {
                  at: { type: 'string', format: 'date-time' }, critical: { type: 'integer' }, warning: { type: 'integer' }, unknown: { type: 'integer' }, ok: { type: 'integer' },
                  notOk: { type: 'array', items: { type: 'string' } },
                },
              },
            },
          },
        },
        ...authProblems,
      },
    },
  }, async () => ({
    checks: await checkViews(db, allChecks, overrides),
    capabilities: await capabilities(db),
    at: new Date(),
    timeline: await checkStatusCounts(db, WINDOWS.day).catch(() => []),
  }));

  app.get('/api/ops/connections', {
    preHandler: admin,
    schema: {
      summary: 'Every session of the server (state, application, user, client, what it runs, what blocks it), counted four ways, the blocking tree and the connection checks',
      tags, security,
      response: {
        200: {
          type: 'object',
          properties: {
            maxConnections: { type: 'integer' },
            sessions: anyArray, byState: anyArray, byApplication: anyArray, byUser: anyArray, byClient: anyArray, blocking: anyArray,
            checks,
          },
        },
        ...authProblems,
      },
    },
  }, async () => ({ ...(await liveActivity(db)), checks: await viewsOf(opsPageChecks.connections) }));

  for (const action of ['cancel', 'terminate'] as const) {
    app.post<{ Params: { pid: string } }>(`/api/ops/sessions/:pid/${action}`, {
      preHandler: admin,
      schema: {
        summary:
          action === 'cancel'
            ? "Cancel a session's running statement (pg_cancel_backend): client sessions of this database only; recorded in the actions log"
            : 'Terminate a session (pg_terminate_backend): client sessions of this database only, never autovacuum or replication; recorded in the actions log',
        tags, security, params: pidParams, body: noBody,
        response: { 200: actionOutcome, 400: badRequest, ...authProblems, 409: refused },
      },
    }, async (request) => {
      const pid = Number(request.params.pid);
      return runAction(actionsDatabase(), actorOf(request), (s) => (action === 'cancel' ? planCancel(s, pid) : planTerminate(s, { pid })));
    });
  }

  app.get<{ Querystring: { window: Window } }>('/api/ops/queries', {
    preHandler: admin,
    schema: {
      summary: 'Top statements over the window (hour, day, week) by total and by mean time, from the history Comanda keeps; the statistics since their reset too',
      tags, security, querystring: windowQuery,
      response: {
        200: {
          type: 'object',
          properties: {
            window: { type: 'string' },
            captures: { type: 'integer' }, from: timestamp, to: timestamp, countersReset: { type: 'integer' },
            byTotal: anyArray, byMean: anyArray,
            live: { type: ['array', 'null'], items: anyObject, description: 'pg_stat_statements since its last reset; null when it is not available' },
            checks,
          },
        },
        400: badRequest,
        ...authProblems,
      },
    },
  }, async (request) => {
    const sinceMs = WINDOWS[request.query.window];
    const span = await historyWindow(db, sinceMs);
    const [byTotal, byMean] = [await historyTopStatements(db, { sinceMs, by: 'total', limit: 15 }), await historyTopStatements(db, { sinceMs, by: 'mean', limit: 15 })];
    const live = await liveTopStatements(db, { by: 'total', limit: 15 }).catch(() => null);
    return { window: request.query.window, ...span, byTotal, byMean, live, checks: await viewsOf(opsPageChecks.queries) };
  });

  app.get<{ Params: { queryid: string }; Querystring: { window: Window } }>('/api/ops/queries/:queryid', {
    preHandler: admin,
    schema: {
      summary: "One statement's text and its series over the window (calls, total and mean time per capture), for a chart",
      tags, security, params: queryidParams, querystring: windowQuery,
      response: {
        200: { type: 'object', properties: { queryid: { type: 'string' }, query: { type: 'string' }, series: { type: 'array', items: { type: 'object', properties: { at: { type: 'string', format: 'date-time' }, calls: { type: 'number' }, totalMs: { type: 'number' }, meanMs: { type: 'number' } } } } } },
        400: badRequest, ...authProblems,
        404: { description: 'NOT_FOUND: neither the history nor pg_stat_statements has it', $ref: 'Problem#' },
      },
    },
  }, async (request) => {
    const { queryid } = request.params;
    const query = await statementText(db, queryid);
    if (query === undefined) throw new AppError('NOT_FOUND', 'Neither the history nor pg_stat_statements has this statement.');
    return { queryid, query, series: await historyStatementSeries(db, queryid, WINDOWS[request.query.window]) };
  });

  app.get<{ Params: { queryid: string } }>('/api/ops/queries/:queryid/plan', {
    preHandler: admin,
    schema: {
      summary: "A statement's generic plan (`comanda explain`: plain EXPLAIN in a rolled-back transaction, nothing runs); `refused` says why when it cannot be planned",
      tags, security, params: queryidParams,
      response: {
        200: { type: 'object', properties: { query: { type: 'string' }, refused: { type: ['string', 'null'] }, parameters: { type: 'integer' }, text: { type: 'string' }, summary: anyObject } },
        400: badRequest, ...authProblems,
        404: { description: 'NOT_FOUND: neither the history nor pg_stat_statements has it', $ref: 'Problem#' },
      },
    },
  }, async (request) => {
    const plan = await statementPlan(db, request.params.queryid);
    if (!plan) throw new AppError('NOT_FOUND', 'Neither the history nor pg_stat_statements has this statement.');
    return plan;
  });

  app.post('/api/ops/statistics/reset', {
    preHandler: admin,
    schema: {
      summary: 'Reset pg_stat_statements (every statement), recorded in the actions log; the history keeps what it captured',
      tags, security, body: noBody,
      response: { 200: { type: 'object', properties: { statements: { type: 'integer' }, at: { type: 'string', format: 'date-time' } } }, 400: badRequest, ...authProblems, 409: refused },
    },
  }, async (request) => {
    const caps = await capabilities(db);
    const missing = caps.find((c) => c.id === 'reset_statements' && !c.ok);
    if (missing) throw new AppError('ACTION_REFUSED', `reset refused: ${missing.detail}${missing.fix ? ` (${missing.fix})` : ''}`);
    return resetStatements(db, { osUser: actorOf(request) });
  });

  app.get<{ Querystring: { window: Window } }>('/api/ops/space', {
    preHandler: admin,
    schema: {
      summary: 'The database, its tables and indexes by size with their growth over the window (from the history), and the size and bloat checks',
      tags, security, querystring: windowQuery,
      response: {
        200: {
          type: 'object',
          properties: {
            window: { type: 'string' }, from: timestamp, to: timestamp, sizes: anyArray,
            series: {
              type: 'array',
              description: 'The database and its 5 largest tables at every size capture of the window, for a chart',
              items: { type: 'object', properties: { at: { type: 'string', format: 'date-time' }, kind: { type: 'string', enum: ['database', 'table'] }, name: { type: 'string' }, bytes: { type: 'number' } } },
            },
            checks,
          },
        },
        400: badRequest, ...authProblems,
      },
    },
  }, async (request) => {
    const sinceMs = WINDOWS[request.query.window];
    const growth = await spaceGrowth(db, { sinceMs, limit: 60 });
    const series = await sizeSeries(db, { sinceMs, tables: 5 });
    return { window: request.query.window, from: growth.from, to: growth.to, sizes: growth.rows, series, checks: await viewsOf(opsPageChecks.space) };
  });

  app.get('/api/ops/maintenance', {
    preHandler: admin,
    schema: {
      summary: 'Per table of restaurante: rows, dead rows, last (auto)vacuum and (auto)analyze and their counts; and the maintenance checks (wraparound, checkpoints, sequences)',
      tags, security,
      response: { 200: { type: 'object', properties: { tables: anyArray, checks } }, ...authProblems },
    },
  }, async () => ({ tables: await tableStats(db), checks: await viewsOf(opsPageChecks.maintenance) }));

  app.post<{ Params: { table: string } }>('/api/ops/tables/:table/vacuum', {
    preHandler: admin,
    schema: {
      summary: 'VACUUM (ANALYZE) one table of restaurante (never FULL: that needs the command line); recorded in the actions log',
      tags, security, body: noBody,
      params: { type: 'object', required: ['table'], additionalProperties: false, properties: { table: { type: 'string', minLength: 1, maxLength: 63 } } },
      response: { 200: actionOutcome, 400: badRequest, ...authProblems, 409: refused },
    },
  }, async (request) => runAction(actionsDatabase(), actorOf(request), (s) => planVacuum(s, request.params.table, { analyze: true })));

  app.get('/api/ops/indexes', {
    preHandler: admin,
    schema: {
      summary: 'Invalid, duplicate, unused and missing indexes, with the evidence and the SQL to fix each',
      tags, security,
      response: { 200: { type: 'object', properties: { checks } }, ...authProblems },
    },
  }, async () => ({ checks: await viewsOf(opsPageChecks.indexes) }));

  // Verify backup now: one at a time per instance; the request waits up to verifyWaitMs, then
  // answers 202 and the verification goes on (recorded in the actions log when it ends).
  const verifier = new BackupVerifier(actionsDatabase());
  const verifyOutcome = {
    type: 'object',
    properties: {
      status: { type: 'string', enum: ['verified', 'failed', 'running'], description: 'running: still going after the wait; the actions log will have it' },
      file: { type: 'string', description: "The archive's file name" },
      summary: { type: 'string' },
      durationMs: { type: 'number' },
      recorded: { type: 'boolean', description: 'Written to comanda.actions_log' },
    },
  } as const;
  app.post('/api/ops/backups/verify', {
    preHandler: admin,
    schema: {
      summary: 'Verify the newest backup now (`comanda backup verify`: checksum, restore into a scratch database that is then dropped, row counts, integrity checks); recorded in the actions log. A verification that does not pass is a 200 with status failed',
      tags, security, body: noBody,
      response: { 200: verifyOutcome, 202: verifyOutcome, 400: badRequest, ...authProblems, 409: refused },
    },
  }, async (request, reply) => {
    if (!options.backup) throw new AppError('ACTION_REFUSED', 'backup verify refused: this service has no backup directory configured (COMANDA_BACKUP_DIR)');
    if (!options.directUrl) throw new AppError('ACTION_REFUSED', 'backup verify refused: it needs DATABASE_DIRECT_URL (the scratch database is made on that server)');
    const run = await verifier.start({ dir: options.backup.dir, url: options.directUrl, pgBinDir: options.backup.pgBinDir, actor: actorOf(request) });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = await Promise.race([run.done, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), options.verifyWaitMs ?? 120_000)))]);
    clearTimeout(timer);
    if (waited) return waited;
    void reply.code(202);
    return { status: 'running' as const, file: run.file, summary: 'the verification is still running; its result will be in the actions log and the backups table' };
  });

  app.get('/api/ops/system', {
    preHandler: admin,
    schema: {
      summary: "Replication, archiving and settings against `comanda tune`'s advice; backups (last verified); the monitor's alerts; the actions log; what the history costs",
      tags, security,
      response: {
        200: {
          type: 'object',
          properties: {
            checks,
            backups: {
              type: 'object',
              properties: {
                backups: anyArray, lastVerifiedAt: timestamp,
                canVerify: { type: 'boolean', description: 'A backup directory and DATABASE_DIRECT_URL are configured: "verify now" is offered' },
                verifying: { type: 'boolean', description: 'A verification started from the dashboard is running on this instance' },
              },
            },
            alerts: { type: 'object', properties: { open: anyArray, history: anyArray } },
            actions: anyArray,
            history: anyObject,
          },
        },
        ...authProblems,
      },
    },
  }, async () => ({
    checks: await viewsOf(opsPageChecks.system),
    backups: { ...(await recordedBackups(db)), canVerify: !!options.backup && !!options.directUrl, verifying: verifier.running },
    alerts: await alertsView(db),
    actions: await actionsLog(db),
    history: await historyCost(db),
  }));
}

