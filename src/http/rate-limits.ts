// The HTTP side of the shared rate limits (src/core/rate-limits.ts): the limits each route
// enforces, counted in PostgreSQL so every instance shares one budget.
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Limit, RateLimiter } from '../core/rate-limits.js';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;

/** A preHandler counting one hit of the client `clientOf` returns (none: not counted). */
export function limitBy(
  limiter: RateLimiter,
  limit: Limit,
  clientOf: (request: FastifyRequest) => string | undefined,
  what?: string,
): preHandlerAsyncHookHandler {
  return async (request) => {
    const client = clientOf(request);
    if (client !== undefined) await limiter.enforce(limit, client, what);
  };
}

/**
 * The client's address: with TRUST_PROXY, the address the trusted proxy saw (Fastify's
 * proxy-addr: the nearest address in X-Forwarded-For that is not a trusted proxy), else the peer.
 */
export const clientIp = (request: FastifyRequest): string => request.ip;
