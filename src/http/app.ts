// The HTTP shell: build() assembles the Fastify app over the library core; listening is the
// caller's business (src/main.ts), so tests drive it with app.inject().
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Database } from '../core/db/database.js';
import { AppError } from '../core/errors.js';
import { checkReadiness, type Readiness } from '../core/readiness.js';
import { MenuCache } from '../core/ordering/menu.js';
import type { BackupSettings, OrderingSettings } from '../config.js';
import { errorHandler, sendProblem } from './problems.js';
import { loggerOptions } from './logging.js';
import { registerOpenApi } from './openapi.js';
import { healthRoutes, type Liveness } from './routes/health.js';
import { staffRoutes } from './routes/staff.js';
import { staffEventRoutes } from './routes/staff-events.js';
import { kitchenRoutes } from './routes/kitchen.js';
import { menuRoutes } from './routes/menu.js';
import { adminMenuRoutes } from './routes/admin-menu.js';
import { orderRoutes } from './routes/orders.js';
import { tableRoutes } from './routes/tables.js';
import { floorRoutes } from './routes/floor.js';
import { reservationRoutes } from './routes/reservations.js';
import { customerRoutes } from './routes/customers.js';
import { opsRoutes } from './routes/ops.js';
import { registerStaffCookies, staffSignInRoutes, type StaffSignInSettings } from './routes/staff-sign-in.js';
import { registerMetrics, type MetricsOptions } from './metrics.js';
import { Lifecycle } from './lifecycle.js';
import { RateLimiter } from '../core/rate-limits.js';
import { tableSessionRoutes } from './routes/table-session.js';
import { LiveHub } from '../core/live.js';
import { Assets } from '../web/assets.js';
import { notFoundPage, wantsHtml, webRoutes } from '../web/routes.js';

export const defaultOrderingSettings: OrderingSettings = {
  sessionTtlMinutes: 240,
  idempotencyTtlHours: 24,
  reservationTokenTtlDays: 7,
  menuCacheMaxAgeMs: 1_000,
  rateLimits: { qrScansPerMinute: 30, ordersPerMinute: 30, ordersPerIpPerMinute: 120 },
  bookings: { holdMinutes: 20, perIpPerHour: 10, perEmailPerHour: 3, maxHoldsPerEmail: 2, maxHoldsPerIp: 4 },
};

export interface BuildOptions {
  db: Database;
  /** The server secret (COMANDA_SECRET) that QR codes are derived from. */
  secret: string;
  /** Base URL for QR codes; by default the URL the request came in on. */
  publicUrl?: string;
  ordering?: OrderingSettings;
  /** Staff sign-in: the cookie's Secure flag, session lifetimes, sign-in limits (docs/staff-sign-in.md). */
  staff?: StaffSignInSettings;
  /** The menu cache (the service shares it with its LISTEN connection); one is made otherwise. */
  menuCache?: MenuCache;
  /** Migration versions this code expects to find applied (readiness). */
  expectedMigrations: number[];
  logLevel?: string;
  bodyLimitBytes?: number;
  /**
   * Which proxies in front to believe about the client's address (X-Forwarded-For): false (none),
   * a hop count, or their addresses/CIDRs. Never `true`: that would believe any client.
   */
  trustProxy?: false | number | string[];
  /** Where log lines go (stdout by default). */
  logStream?: NodeJS.WritableStream;
  /** GET /healthz: whether the process is still fit to serve (default: always). */
  liveness?: Liveness;
  /** GET /metrics: METRICS_TOKEN and the collector's intervals (docs/metrics.md). */
  metrics?: MetricsOptions;
  /** Draining on shutdown (readiness fails first) and the streams to close then; see lifecycle.ts. */
  lifecycle?: Lifecycle;
  /**
   * Live updates for pages (LISTEN/NOTIFY). Given a hub, the caller owns it; else one is made over
   * `directUrl` (DATABASE_DIRECT_URL) and closed with the app; with neither, event streams re-read
   * every 2 s instead.
   */
  live?: LiveHub;
  /** The kitchen screens of a restaurant share one snapshot per change (default true; bench:staff-events compares). */
  kitchenSharedSnapshots?: boolean;
  directUrl?: string;
  /** The backup directory and tools: the dashboard's "verify backup now" (none: it is refused). */
  backup?: Pick<BackupSettings, 'dir' | 'pgBinDir'>;
  /** How long "verify backup now" waits for the result before answering 202 (2 min; tests shorten it). */
  backupVerifyWaitMs?: number;
  /** How often a staff event stream re-checks its session or token (15 s; tests shorten it). */
  staffEventsRecheckMs?: number;
  /** The pages' built assets (by default read from dist/web/public). */
  assets?: Assets;
}

/** The methods each registered path answers, to tell 405 METHOD_NOT_ALLOWED from 404. */
function routeMethods(app: FastifyInstance): (path: string) => string[] {
  const routes: Array<{ pattern: RegExp; methods: string[] }> = [];
  app.addHook('onRoute', (route) => {
    const source = route.url
      .split('/')
      .map((part) => (part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
    routes.push({ pattern: new RegExp(`^${source}/?$`), methods });
  });
  return (path) => {
    const methods = new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => r.methods));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}

/** PostgreSQL text cannot hold NUL: refuse it in the URL or any text of the body, before a query. */
function rejectNulCharacters(app: FastifyInstance): void {
  const hasNul = (value: unknown, depth = 0): boolean => {
    if (typeof value === 'string') return value.includes('\u0000');
    if (depth > 32 || value === null || typeof value !== 'object') return false;
    return Object.entries(value as Record<string, unknown>).some(([k, v]) => k.includes('\u0000') || hasNul(v, depth + 1));
  };
  app.addHook('onRequest', (request, _reply, done) => {
    done(/%00/i.test(request.url) ? new AppError('MALFORMED_URL', 'The URL holds a NUL character.') : undefined);
  });
  app.addHook('preValidation', (request, _reply, done) => {
    done(hasNul(request.body) ? new AppError('VALIDATION_FAILED', 'A text in the body holds a NUL character, which cannot be stored.') : undefined);
  });
}

/** Fastify's trustProxy: only a hop count or named proxies (an empty list trusts none). */
function trustProxyOption(value: BuildOptions['trustProxy']): false | string[] | ((address: string, hop: number) => boolean) {
  if (value === undefined || value === false) return false;
  if (typeof value === 'number') return (_address, hop) => hop < value;
  return value.length === 0 ? false : value;
}

/** "Call a waiter" / "Ask for the bill" requests per phone per minute. */
export const TABLE_REQUESTS_PER_MINUTE = 6;

export async function build(options: BuildOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(options.logLevel ?? 'info', options.logStream),
    bodyLimit: options.bodyLimitBytes ?? 64 * 1024,
    trustProxy: trustProxyOption(options.trustProxy),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    // A request id per request, taken from a proxy's X-Request-Id when it sends a sane one, and
    // echoed back, so a client's report and the service's log line meet.
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // The router's own refusals, in the catalogue too (never echoing the URL back).
    frameworkErrors: (error, _request, reply) => {
      const known =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new AppError('URI_TOO_LONG', 'A path parameter is longer than 100 characters.')
          : error.code === 'FST_ERR_BAD_URL'
            ? new AppError('MALFORMED_URL', 'The URL has a bad percent-encoding.')
            : new AppError('VALIDATION_FAILED', 'The request cannot be routed.');
      void sendProblem(reply, known);
    },
  });
  // JSON only: Fastify would otherwise take text/plain as a string and answer 400 for a JSON body.
  app.removeContentTypeParser('text/plain');
  rejectNulCharacters(app);
  const methodsOf = routeMethods(app);
  app.addHook('onRequest', (request, reply, done) => {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(request.id)) request.id = randomUUID();
    void reply.header('x-request-id', request.id);
    done();
  });
  // Every answer: no MIME sniffing, no Referer leaking a URL onwards, and not stored by browsers or
  // proxies unless a route says otherwise (answers carry personal data and tokens; the public menu
  // sets its own `no-cache` with an ETag).
  app.addHook('onSend', (_request, reply, payload, done) => {
    void reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    done(null, payload);
  });
  await registerOpenApi(app);
  // Rate limits are counted in PostgreSQL: every instance shares one budget.
  const limiter = new RateLimiter(options.db, options.secret);
  app.decorateRequest('principal', null);
  app.setErrorHandler(errorHandler);
  const assets = options.assets ?? new Assets();
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = methodsOf(path);
    if (allowed.length > 0) {
      void reply.header('allow', allowed.join(', '));
      return sendProblem(reply, new AppError('METHOD_NOT_ALLOWED', `${request.method} is not allowed here; use ${allowed.join(' or ')}.`), request);
    }
    // A browser gets a page; API clients the problem document.
    if (wantsHtml(request) && request.method === 'GET') return notFoundPage(request, reply, assets);
    return sendProblem(reply, new AppError('ROUTE_NOT_FOUND', `No route ${request.method} ${path}.`), request);
  });

  // The staff session cookie, read by the route guards (auth.ts) of every route below.
  await registerStaffCookies(app, options);
  // Before the routes, so its hooks measure every one of them.
  registerMetrics(app, options.db, options.metrics);
  const lifecycle = options.lifecycle ?? new Lifecycle();
  const readiness = async (): Promise<Readiness & { draining?: boolean }> => {
    const state = await checkReadiness(options.db, options.expectedMigrations);
    // Shutting down: not ready, whatever the database says, so the balancer stops sending here.
    return lifecycle.draining ? { ...state, ready: false, draining: true } : state;
  };
  healthRoutes(app, readiness, options.liveness);
  staffRoutes(app, options.db);
  staffSignInRoutes(app, options);
  const ordering = options.ordering ?? defaultOrderingSettings;
  const menus = options.menuCache ?? new MenuCache(options.db, ordering.menuCacheMaxAgeMs);
  menuRoutes(app, options.db, menus);
  adminMenuRoutes(app, options.db);
  tableRoutes(app, options.db, {
    secret: options.secret,
    publicUrl: options.publicUrl,
    sessionTtlMinutes: ordering.sessionTtlMinutes,
    qrScansPerMinute: ordering.rateLimits.qrScansPerMinute,
    limiter,
  });
  orderRoutes(app, options.db, {
    idempotencyTtlHours: ordering.idempotencyTtlHours,
    ordersPerMinute: ordering.rateLimits.ordersPerMinute,
    ordersPerIpPerMinute: ordering.rateLimits.ordersPerIpPerMinute,
    limiter,
  });
  customerRoutes(app, options.db);
  floorRoutes(app, options.db);
  opsRoutes(app, options.db, { directUrl: options.directUrl, thresholds: options.metrics?.thresholds, backup: options.backup, verifyWaitMs: options.backupVerifyWaitMs });
  let live = options.live;
  if (!live) {
    const own = (live = new LiveHub(options.directUrl, (err) => app.log.warn({ err: err.message }, 'live updates listener: reconnecting')));
    own.start();
    app.addHook('onClose', async () => own.stop());
  }
  tableSessionRoutes(app, options.db, { live, limiter, lifecycle, tableRequestsPerMinute: TABLE_REQUESTS_PER_MINUTE });
  staffEventRoutes(app, options.db, { live, lifecycle, recheckMs: options.staffEventsRecheckMs });
  kitchenRoutes(app, options.db, { live, sharedSnapshots: options.kitchenSharedSnapshots });
  await webRoutes(app, { db: options.db, secret: options.secret, menus, assets });
  reservationRoutes(app, options.db, {
    secret: options.secret,
    tokenTtlDays: ordering.reservationTokenTtlDays,
    idempotencyTtlHours: ordering.idempotencyTtlHours,
    limiter,
    bookings: ordering.bookings,
  });
  return app;
}
