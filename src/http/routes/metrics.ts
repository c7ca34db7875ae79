// GET /metrics: the Prometheus text exposition, rendered from cached values (the database is read
// by the background collector, not here). With METRICS_TOKEN set it needs that bearer token.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.js';
import type { ComandaMetrics } from '../../core/metrics/metrics.js';
import { bearerToken } from '../auth.js';

/** How long the first scrape after start waits for the first collection (later ones never wait). */
const FIRST_COLLECTION_WAIT_MS = 3_000;

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Constant-time comparison of the request's bearer token with METRICS_TOKEN. */
function authorized(request: FastifyRequest, expected: Buffer): boolean {
  let token: string | undefined;
  try {
    token = bearerToken(request);
  } catch {
    token = undefined; // a malformed header is just not the token
  }
  // Hashing both sides gives equal lengths, so timingSafeEqual reveals nothing about the token.
  return timingSafeEqual(digest(token ?? ''), expected) && token !== undefined;
}

export function metricsRoutes(app: FastifyInstance, metrics: ComandaMetrics, options: { token?: string }): void {
  const expected = options.token ? digest(options.token) : undefined;
  app.get(
    '/metrics',
    {
      // Not part of the JSON API: the Prometheus text format, documented in docs/metrics.md.
      schema: { hide: true },
      preHandler: async (request, reply) => {
        if (expected && !authorized(request, expected)) {
          void reply.header('www-authenticate', 'Bearer realm="metrics"');
          throw new AppError('UNAUTHENTICATED', 'GET /metrics needs the header Authorization: Bearer <METRICS_TOKEN>.');
        }
      },
    },
    async (_request, reply) => {
      // The first scrape starts the collector and waits (briefly) for its first values.
      const first = metrics.start();
      await Promise.race([first, new Promise((resolve) => setTimeout(resolve, FIRST_COLLECTION_WAIT_MS).unref())]);
      return reply.header('cache-control', 'no-store').type(metrics.contentType).send(await metrics.render());
    },
  );
}
