// The HTTP shell: build() assembles the Fastify app over the library core; listening is the
// caller's business (src/main.ts), so tests drive it with app.inject().
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Database } from '../core/db/database.js';
import { AppError } from '../core/errors.js';
import { checkReadiness, type Readiness } from '../core/health.js';
import { errorHandler, sendProblem } from './problems.js';
import { loggerOptions } from './logging.js';
import { registerOpenApi } from './openapi.js';
import { healthRoutes } from './routes/health.js';
import { staffRoutes } from './routes/staff.js';

export interface BuildOptions {
  db: Database;
  /** Migration versions this code expects to find applied (readiness). */
  expectedMigrations: number[];
  logLevel?: string;
  bodyLimitBytes?: number;
  /** Trust X-Forwarded-For from a proxy in front (for client IPs). */
  trustProxy?: boolean;
  /** Where log lines go (stdout by default). */
  logStream?: NodeJS.WritableStream;
}

export async function build(options: BuildOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(options.logLevel ?? 'info', options.logStream),
    bodyLimit: options.bodyLimitBytes ?? 64 * 1024,
    trustProxy: options.trustProxy ?? false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    // A request id per request, taken from a proxy's X-Request-Id when it sends a sane one, and
    // echoed back, so a client's report and the service's log line meet.
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(request.id)) request.id = randomUUID();
    void reply.header('x-request-id', request.id);
    done();
  });
  await registerOpenApi(app);
  app.decorateRequest('staff', null);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, new AppError('ROUTE_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`), request),
  );

  const readiness = (): Promise<Readiness> => checkReadiness(options.db, options.expectedMigrations);
  healthRoutes(app, readiness);
  staffRoutes(app, options.db);
  return app;
}
