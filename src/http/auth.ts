// Authentication for the HTTP API: `Authorization: Bearer <token>`, a staff token (cmd_staff_…)
// or a guest's table-session token (cmd_guest_…); or, with no Authorization header, the staff
// session cookie of a signed-in account or a paired device (docs/staff-sign-in.md). A session
// becomes the same staff principal a token does, so every route guard applies the same role rules
// to both; requests it authenticates that change state must pass the CSRF checks.
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { authenticate, type Principal } from '../core/auth/principal.js';
import type { StaffPrincipal, StaffRole } from '../core/auth/staff-tokens.js';
import { principalOfSession, sessionOf } from '../core/auth/staff-sessions.js';
import type { Database } from '../core/db/database.js';
import { AppError } from '../core/errors.js';
import { assertCsrf, isStateChanging, sessionCookie } from './staff-cookies.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The bearer token of a request, or undefined; a malformed Authorization header is an error. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = BEARER.exec(header);
  if (!match?.[1]) throw new AppError('UNAUTHENTICATED', 'The Authorization header must be "Bearer <token>".');
  return match[1];
}

async function principalOf(db: Database, request: FastifyRequest): Promise<Principal | undefined> {
  const token = bearerToken(request);
  if (!token) return principalOfCookie(db, request);
  return authenticate(db, token);
}

/** The staff session of the request's cookie (none, or not live: undefined); CSRF-checked when it changes state. */
async function principalOfCookie(db: Database, request: FastifyRequest): Promise<StaffPrincipal | undefined> {
  const cookie = sessionCookie(request);
  if (!cookie) return undefined;
  const session = await sessionOf(db, cookie);
  if (!session) return undefined;
  if (isStateChanging(request)) assertCsrf(request, cookie);
  return principalOfSession(session);
}

/**
 * The request's staff principal again, as it is now (a long-lived stream checks that its token or
 * session was not revoked, nor the account disabled, since it opened); undefined when it ended.
 */
export async function currentStaff(db: Database, request: FastifyRequest): Promise<StaffPrincipal | undefined> {
  try {
    const principal = await principalOf(db, request);
    return principal?.kind === 'staff' ? principal : undefined;
  } catch (err) {
    if (err instanceof AppError && err.code === 'UNAUTHENTICATED') return undefined;
    throw err;
  }
}

/** Admits staff tokens with one of `roles` (any role when none is given). */
export function requireStaff(db: Database, ...roles: StaffRole[]): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const principal = await principalOf(db, request);
    if (!principal) throw new AppError('UNAUTHENTICATED');
    if (principal.kind !== 'staff') throw new AppError('FORBIDDEN', 'This is for staff; a guest session cannot use it.');
    if (roles.length > 0 && !roles.includes(principal.role)) {
      throw new AppError('FORBIDDEN', `This needs the role ${roles.join(' or ')}; the token has ${principal.role}.`);
    }
    request.principal = principal;
  };
}

/** Admits a guest session or any staff token. */
export function requireGuestOrStaff(db: Database): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const principal = await principalOf(db, request);
    if (!principal) throw new AppError('UNAUTHENTICATED');
    request.principal = principal;
  };
}

/** Reads a token when one is sent (routes open to anyone that say more to a known caller). */
export function optionalPrincipal(db: Database): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    request.principal = (await principalOf(db, request)) ?? null;
  };
}

export function staffOf(request: FastifyRequest): StaffPrincipal {
  const principal = request.principal;
  if (principal?.kind !== 'staff') throw new AppError('FORBIDDEN');
  return principal;
}

export function principalOfRequest(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('UNAUTHENTICATED');
  return request.principal;
}
