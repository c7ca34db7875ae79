import type { FastifyInstance } from 'fastify';
import type { Database } from '../../core/db/database.js';
import { requireStaff } from '../auth.js';

export function staffRoutes(app: FastifyInstance, db: Database): void {
  // Who am I: lets a client (or an operator with curl) check a staff token and its role.
  app.get('/api/staff/me', { preHandler: requireStaff(db) }, (request) => {
    const staff = request.staff!;
    return { tokenId: staff.tokenId, role: staff.role, restaurantId: staff.restaurantId };
  });
}
