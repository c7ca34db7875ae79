// Bearer-token authentication for the HTTP API: `Authorization: Bearer <token>`.
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { authenticateStaff, type StaffPrincipal, type StaffRole } from '../core/auth/staff-tokens.js';
import type { Database } from '../core/db/database.js';
import { AppError } from '../core/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    staff: StaffPrincipal | null;
  }
}

/** The bearer token of a request, or undefined; a malformed Authorization header is an error. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw new AppError('UNAUTHENTICATED', 'The Authorization header must be "Bearer <token>".');
  return match[1];
}

/** A preHandler that admits staff tokens with one of `roles` (any role when none is given). */
export function requireStaff(db: Database, ...roles: StaffRole[]): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const token = bearerToken(request);
    if (!token) throw new AppError('UNAUTHENTICATED');
    const principal = await authenticateStaff(db, token);
    if (!principal) throw new AppError('UNAUTHENTICATED', 'The token is unknown, revoked or expired.');
    if (roles.length > 0 && !roles.includes(principal.role)) {
      throw new AppError('FORBIDDEN', `This needs the role ${roles.join(' or ')}; the token has ${principal.role}.`);
    }
    request.staff = principal;
  };
}
