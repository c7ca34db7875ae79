import type { FastifyInstance } from 'fastify';
import type { Readiness } from '../../core/readiness.js';

const readinessSchema = {
  type: 'object',
  required: ['status', 'ready', 'database'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not ready'] },
    ready: { type: 'boolean' },
    draining: { type: 'boolean', description: 'true while the instance shuts down: it still serves, but should get no new requests' },
    database: { type: 'object', properties: { ok: { type: 'boolean' }, error: { type: 'string' } } },
    schema: {
      type: 'object',
      properties: {
        expected: { type: 'integer', description: 'newest migration this code knows' },
        current: { type: 'integer', description: 'newest migration applied' },
        pending: { type: 'array', items: { type: 'integer' }, description: 'migrations this code expects that are not applied' },
      },
    },
  },
} as const;

/** Whether the process is fit to serve (e.g. its embedded database is still its own). */
export type Liveness = () => { ok: true } | { ok: false; reason: string };

export function healthRoutes(
  app: FastifyInstance,
  readiness: () => Promise<Readiness & { draining?: boolean }>,
  liveness: Liveness = () => ({ ok: true }),
): void {
  // Liveness: the process is up and serving; it never touches the database. 503 when something
  // only a restart mends (the embedded database it manages died and cannot be started again).
  app.get(
    '/healthz',
    {
      logLevel: 'warn',
      schema: {
        summary: 'Liveness: 200 while the process is up and in charge of what it manages',
        tags: ['health'],
        response: {
          200: { type: 'object', properties: { status: { type: 'string', const: 'ok' } } },
          503: { type: 'object', properties: { status: { type: 'string', const: 'unhealthy' }, reason: { type: 'string' } } },
        },
      },
    },
    (_request, reply) => {
      const state = liveness();
      return state.ok ? { status: 'ok' } : reply.code(503).send({ status: 'unhealthy', reason: state.reason });
    },
  );

  // Readiness: the database answers and the schema holds every migration this code expects, and
  // the instance is not shutting down (it fails first thing on SIGTERM; see src/http/lifecycle.ts).
  app.get('/readyz', { logLevel: 'warn', schema: { summary: 'Readiness: database answers and schema is current', tags: ['health'], response: { 200: readinessSchema, 503: readinessSchema } } }, async (_request, reply) => {
    const state = await readiness();
    return reply.code(state.ready ? 200 : 503).send({ status: state.ready ? 'ready' : 'not ready', ...state });
  });
}
