// The staff session cookie and the CSRF defences of requests it authenticates.
//
// Cookie: `HttpOnly; SameSite=Strict; Path=/`, plus `Secure` (and the `__Host-` name prefix,
// which browsers only accept from a secure origin with no Domain) when the request came over
// HTTPS, PUBLIC_URL is https, or STAFF_COOKIE_SECURE=true.
// CSRF: a state-changing request authenticated by the cookie must carry the session's
// synchronizer token in X-CSRF-Token (GET /api/staff/session gives it to pages), and must not come
// from another site: Sec-Fetch-Site, when sent, is same-origin (or none: typed by the user), and
// Origin, when sent, is the service's own. Bearer-token requests are never cookie-driven and are
// not checked.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { csrfTokenMatches } from '../core/auth/staff-sessions.js';
import { AppError } from '../core/errors.js';

export const COOKIE_NAME = 'comanda_staff';
export const SECURE_COOKIE_NAME = '__Host-comanda_staff';
export const CSRF_HEADER = 'x-csrf-token';

export interface StaffCookieSettings {
  /** `auto`: Secure when the request came over HTTPS or PUBLIC_URL is https. */
  secure: 'auto' | boolean;
  publicUrl?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    staffCookies: StaffCookieSettings;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const isStateChanging = (request: FastifyRequest): boolean => !SAFE_METHODS.has(request.method);

function settingsOf(request: FastifyRequest): StaffCookieSettings {
  return request.server.staffCookies ?? { secure: 'auto' };
}

export function isSecure(request: FastifyRequest): boolean {
  const { secure, publicUrl } = settingsOf(request);
  if (secure !== 'auto') return secure;
  return request.protocol === 'https' || (publicUrl?.startsWith('https://') ?? false);
}

/** The session token in the request's cookie, if any. */
export function sessionCookie(request: FastifyRequest): string | undefined {
  const cookies = request.cookies as Record<string, string | undefined> | undefined;
  return cookies?.[SECURE_COOKIE_NAME] ?? cookies?.[COOKIE_NAME];
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, expiresAt: Date): void {
  const secure = isSecure(request);
  const maxAge = Math.max(1, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  void reply.setCookie(secure ? SECURE_COOKIE_NAME : COOKIE_NAME, token, { path: '/', httpOnly: true, sameSite: 'strict', secure, maxAge });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  const cookies = request.cookies as Record<string, string | undefined> | undefined;
  for (const name of [COOKIE_NAME, SECURE_COOKIE_NAME]) {
    if (cookies?.[name] === undefined) continue;
    void reply.clearCookie(name, { path: '/', httpOnly: true, sameSite: 'strict', secure: name === SECURE_COOKIE_NAME });
  }
}

/** The origins the service's own pages are served from: PUBLIC_URL's and the request's own. */
function ownOrigins(request: FastifyRequest): string[] {
  const origins = [`${request.protocol}://${request.host}`];
  const { publicUrl } = settingsOf(request);
  if (publicUrl) origins.push(new URL(publicUrl).origin);
  return origins;
}

/** Refuses a request a browser sent from another site (sign-in forms and cookie requests alike). */
export function assertSameSite(request: FastifyRequest): void {
  const fetchSite = request.headers['sec-fetch-site'];
  if (typeof fetchSite === 'string' && fetchSite !== 'same-origin' && fetchSite !== 'none') {
    throw new AppError('CSRF_FAILED', `A ${fetchSite} request may not use the staff session; use the service's own pages.`);
  }
  const origin = request.headers.origin;
  if (typeof origin === 'string' && !ownOrigins(request).includes(origin)) {
    throw new AppError('CSRF_FAILED', `Requests from ${origin === 'null' ? 'an opaque origin' : origin} may not use the staff session.`);
  }
}

/** The CSRF check of a state-changing request authenticated by the session cookie `token`. */
export function assertCsrf(request: FastifyRequest, token: string): void {
  assertSameSite(request);
  const presented = request.headers[CSRF_HEADER];
  if (!csrfTokenMatches(token, typeof presented === 'string' ? presented : undefined)) {
    throw new AppError('CSRF_FAILED', 'Send the session\'s CSRF token (csrfToken of GET /api/staff/session) in the X-CSRF-Token header.');
  }
}
