// GDPR for admins: find a customer, export their data, erase it.
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../core/auth/principal.js';
import { eraseCustomer, exportCustomer, findCustomers } from '../../core/customers/gdpr.js';
import type { Database } from '../../core/db/database.js';
import { requireStaff, staffOf } from '../auth.js';
import { permissions } from '../../core/auth/roles.js';
import { authProblems } from '../openapi.js';

export function customerRoutes(app: FastifyInstance, db: Database): void {
  const admin = requireStaff(db, ...permissions['customers.gdpr']);
  const tags = ['gdpr'];
  const security = [{ bearer: [] }];
  const params = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 100 } } } as const;

  // The address goes in the body: URLs end up in logs, histories and proxies.
  app.post<{ Body: { email: string } }>(
    '/api/admin/customers/search',
    {
      preHandler: admin,
      schema: {
        summary: 'Find customers by e-mail address (also guests who only ordered with an e-mail)',
        tags,
        security,
        body: { type: 'object', required: ['email'], additionalProperties: false, properties: { email: { type: 'string', minLength: 3, maxLength: 254 } } },
        response: { ...authProblems },
      },
    },
    async (request) => ({ customers: await findCustomers(db, staffOf(request).restaurantId, request.body.email) }),
  );

  app.get<{ Querystring: { email: string } }>(
    '/api/admin/customers',
    {
      preHandler: admin,
      schema: {
        summary: 'Deprecated: use POST /api/admin/customers/search (the address would be in the URL; logs redact it)',
        deprecated: true,
        tags,
        security,
        querystring: { type: 'object', required: ['email'], additionalProperties: false, properties: { email: { type: 'string', minLength: 3, maxLength: 254 } } },
        response: { ...authProblems },
      },
    },
    async (request) => ({ customers: await findCustomers(db, staffOf(request).restaurantId, request.query.email) }),
  );

  app.get<{ Params: { id: string } }>(
    '/api/admin/customers/:id/export',
    {
      preHandler: admin,
      schema: { summary: "All personal data held about a customer, as JSON (recorded in the audit log)", tags, security, params, response: { ...authProblems } },
    },
    async (request, reply) => {
      const staff = staffOf(request);
      const data = await exportCustomer(db, staff.restaurantId, request.params.id, actorOf(staff));
      return reply.header('content-disposition', `attachment; filename="customer-${request.params.id}.json"`).send(data);
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/admin/customers/:id/erase',
    {
      preHandler: admin,
      schema: {
        summary: "Erase a customer's personal data (anonymised everywhere; financial records kept; recorded in the audit log)",
        tags,
        security,
        params,
        response: { 200: { type: 'object', properties: { erased: { type: 'object', additionalProperties: { type: 'integer' } } } }, ...authProblems },
      },
    },
    async (request) => {
      const staff = staffOf(request);
      return { erased: await eraseCustomer(db, staff.restaurantId, request.params.id, actorOf(staff)) };
    },
  );
}
