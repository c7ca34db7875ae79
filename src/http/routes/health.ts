import type { FastifyInstance } from 'fastify';
import type { Readiness } from '../../core/health.js';

export function healthRoutes(app: FastifyInstance, readiness: () => Promise<Readiness>): void {
  // Liveness: the process is up and serving; it never touches the database.
  app.get('/healthz', { logLevel: 'warn' }, () => ({ status: 'ok' }));

  // Readiness: the database answers and the schema holds every migration this code expects.
  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    const state = await readiness();
    return reply.code(state.ready ? 200 : 503).send({ status: state.ready ? 'ready' : 'not ready', ...state });
  });
}
