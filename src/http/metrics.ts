// Wires the metrics into the HTTP shell: request durations by route pattern and status (never the
// raw URL: ids would make the label set unbounded), the outcome of every POST /api/orders,
// idempotent replays, the /metrics route, and the collector's stop on close.
import type { FastifyInstance } from 'fastify';
import type { Database } from '../core/db/database.js';
import { ComandaMetrics, type MetricsSettings } from '../core/metrics/metrics.js';
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

/** The error code of a problem document, read from the serialized body of an error answer. */
function problemCode(payload: unknown): string | undefined {
  if (typeof payload !== 'string' || !payload.startsWith('{')) return undefined;
  try {
    const code = (JSON.parse(payload) as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
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
  app.decorate('metrics', metrics);

  app.addHook('onSend', (request, reply, payload, done) => {
    const route = request.routeOptions.url;
    if (route && reply.getHeader('idempotent-replayed') === 'true') metrics.idempotentReplay(route);
    if (route === '/api/orders' && request.method === 'POST') {
      const statusCode = reply.statusCode;
      metrics.orderAnswered({
        statusCode,
        replayed: reply.getHeader('idempotent-replayed') === 'true',
        code: statusCode >= 400 ? problemCode(payload) : undefined,
      });
    }
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.addHook('onClose', async () => {
    await metrics.stop();
  });
  metricsRoutes(app, metrics, { token });
  return metrics;
}
