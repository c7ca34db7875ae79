import type { FastifyInstance } from 'fastify';
import type { Database } from '../../core/db/database.js';
import { requireStaff, staffOf } from '../auth.js';
import { authProblems } from '../openapi.js';

export function staffRoutes(app: FastifyInstance, db: Database): void {
  // Who am I: lets a client (or an operator with curl) check a staff token and its role.
  const schema = {
    summary: 'The calling staff token',
    tags: ['staff'],
    security: [{ bearer: [] }],
    response: {
      200: {
        type: 'object',
        required: ['tokenId', 'role', 'restaurantId'],
        properties: { tokenId: { type: 'string' }, role: { type: 'string', enum: ['admin', 'kitchen', 'waiter'] }, restaurantId: { type: 'string' } },
      },
      ...authProblems,
    },
  };
  app.get('/api/staff/me', { preHandler: requireStaff(db), schema }, (request) => {
    const staff = staffOf(request);
    return { tokenId: staff.tokenId, role: staff.role, restaurantId: staff.restaurantId };
  });
}
