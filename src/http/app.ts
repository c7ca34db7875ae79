// The HTTP shell: build() assembles the Fastify app over the library core; listening is the
// caller's business (src/main.ts), so tests drive it with app.inject().
import Fastify, { type FastifyInstance } from 'fastify';
import type { Database } from '../core/db/database.js';
import { AppError } from '../core/errors.js';
import { checkReadiness, type Readiness } from '../core/health.js';
import { errorHandler, sendProblem } from './problems.js';
import { loggerOptions } from './logging.js';
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

export function build(options: BuildOptions): FastifyInstance {
  const app = Fastify({
    logger: loggerOptions(options.logLevel ?? 'info', options.logStream),
    bodyLimit: options.bodyLimitBytes ?? 64 * 1024,
    trustProxy: options.trustProxy ?? false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
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
