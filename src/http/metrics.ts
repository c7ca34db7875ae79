// Wires the metrics into the HTTP shell: request durations by route pattern and status (never the
// raw URL: ids would make the label set unbounded), the outcome of every POST /api/orders by the
// error code it was answered with (taken from the error, problems.ts), idempotent replays, the
// /metrics route, and the collector's stop on close. The core's ComandaMetrics knows nothing of
// HTTP; these metrics go to its registry.
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Database } from '../core/db/database.js';
import { errorCodes } from '../core/errors.js';
import { ComandaMetrics, type MetricsSettings } from '../core/metrics/metrics.js';
import { problemCodeOf } from './problems.js';
import { metricsRoutes } from './routes/metrics.js';

export interface MetricsOptions extends Partial<MetricsSettings> {
  /** METRICS_TOKEN: when set, GET /metrics needs `Authorization: Bearer <token>`. */
  token?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's metrics (its own prom-client registry and collector). */
    metrics: ComandaMetrics;
  }
}

/** Seconds; Prometheus' base unit. From 5 ms (a cached menu) to 10 s (past every timeout). */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const CODES = new Set<string>(errorCodes);
/** Reasons an order is usually turned down: reported as 0 from the start, so rate() works at once. */
const COMMON_REJECTIONS = ['OUT_OF_STOCK', 'ITEM_UNAVAILABLE', 'UNKNOWN_MENU_ITEM', 'VALIDATION_FAILED', 'RATE_LIMITED', 'DATABASE_BUSY', 'DATABASE_UNAVAILABLE'];
/** Routes that take an Idempotency-Key: their replay counters start at 0. */
const IDEMPOTENT_ROUTES = ['/api/orders', '/api/reservations'];

/** The HTTP shell's metrics, in the registry of the app's ComandaMetrics. */
export class HttpMetrics {
  private readonly duration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly ordersCreated: Counter;
  private readonly ordersRejected: Counter<'reason'>;
  private readonly stockConflicts: Counter;
  private readonly idempotentReplays: Counter<'route'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.duration = new Histogram({
      name: 'comanda_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status code, and how long they took.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.ordersCreated = new Counter({ name: 'comanda_orders_created_total', help: 'Orders placed (201, not an idempotent replay).', registers });
    this.ordersRejected = new Counter({
      name: 'comanda_orders_rejected_total',
      help: 'POST /api/orders answered with an error, by the error code (docs/errors.md).',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of COMMON_REJECTIONS) this.ordersRejected.inc({ reason }, 0);
    this.stockConflicts = new Counter({
      name: 'comanda_stock_conflicts_total',
      help: 'Orders turned down because a dish had less stock than ordered (409 OUT_OF_STOCK).',
      registers,
    });
    this.idempotentReplays = new Counter({
      name: 'comanda_idempotent_replays_total',
      help: 'Requests answered by replaying the stored answer of the same Idempotency-Key, by route pattern.',
      labelNames: ['route'],
      registers,
    });
    for (const route of IDEMPOTENT_ROUTES) this.idempotentReplays.inc({ route }, 0);
  }

  /** One answered request; `route` is the route pattern (never the raw URL), undefined when none matched. */
  observeRequest(method: string, route: string | undefined, statusCode: number, seconds: number): void {
    this.duration.observe({ method: METHODS.has(method) ? method : 'OTHER', route: route ?? 'unmatched', status_code: String(statusCode) }, seconds);
  }

  /** The outcome of POST /api/orders: created, replayed, or rejected with an error code. */
  orderAnswered(outcome: { statusCode: number; replayed: boolean; code?: string }): void {
    if (outcome.statusCode < 400) {
      if (!outcome.replayed) this.ordersCreated.inc();
      return;
    }
    const reason = outcome.code && CODES.has(outcome.code) ? outcome.code : 'OTHER';
    this.ordersRejected.inc({ reason });
    if (reason === 'OUT_OF_STOCK') this.stockConflicts.inc();
  }

  idempotentReplay(route: string): void {
    this.idempotentReplays.inc({ route });
  }
}

/** Registers hooks and the route; call before the routes it measures (hooks apply to routes added after). */
export function registerMetrics(app: FastifyInstance, db: Database, options: MetricsOptions = {}): ComandaMetrics {
  const { token, ...settings } = options;
  const metrics = new ComandaMetrics(db, {
    ...settings,
    // Driver messages only (never a URL or a password); repeated every interval while it lasts.
    onCollectError: (collector, err) => app.log.warn({ collector, err: err instanceof Error ? err.message : String(err) }, 'metrics collection failed'),
  });
  const http = new HttpMetrics(metrics.registry);
  app.decorate('metrics', metrics);

  app.addHook('onSend', (request, reply, payload, done) => {
    const route = request.routeOptions.url;
    const replayed = reply.getHeader('idempotent-replayed') === 'true';
    if (route && replayed) http.idempotentReplay(route);
    if (route === '/api/orders' && request.method === 'POST') {
      const statusCode = reply.statusCode;
      http.orderAnswered({ statusCode, replayed, code: statusCode >= 400 ? problemCodeOf(reply) : undefined });
    }
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    http.observeRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.addHook('onClose', async () => {
    await metrics.stop();
  });
  metricsRoutes(app, metrics, { token });
  return metrics;
}
