// The OpenAPI document, generated from the routes' own schemas and served at /openapi.json.
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { errorCodes } from '../core/errors.js';

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'An RFC 9457 problem document; see docs/errors.md for every code.',
  required: ['type', 'title', 'status', 'code', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string', enum: errorCodes },
    detail: { type: 'string' },
    instance: { type: 'string' },
  },
  additionalProperties: true,
} as const;

/** Responses every authenticated route can give, for the route schemas. */
export const authProblems = {
  401: { description: 'No valid bearer token (UNAUTHENTICATED)', $ref: 'Problem#' },
  403: { description: 'The token lacks the role (FORBIDDEN)', $ref: 'Problem#' },
} as const;

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  app.addSchema(problemSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Comanda API',
        version: '0.1.0',
        description:
          'QR ordering and bookings for restaurants. Errors are application/problem+json with a stable `code` ' +
          '(docs/errors.md). Requests that got 503, 429 or no answer can be retried safely with the same Idempotency-Key.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A staff token (cmd_staff_…) or a guest session token.' },
          staffSession: {
            type: 'apiKey',
            in: 'cookie',
            name: 'comanda_staff',
            description:
              'The staff session cookie set by sign-in or pairing (`__Host-comanda_staff` over HTTPS). Accepted wherever a staff token is, ' +
              'with the same role rules; a state-changing request made with it needs the session\'s X-CSRF-Token (docs/staff-sign-in.md).',
          },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
}
