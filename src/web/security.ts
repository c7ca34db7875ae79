// Security headers of every page and asset. The CSP is strict and needs no nonce: pages carry no
// inline script or style at all (data for scripts travels in <script type="application/json">,
// which is never executed), so 'self' is the only source of code.
import type { FastifyReply } from 'fastify';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * `secret`: the URL carries a code or token (/t/<code>, /reservations/<token>): never cached by
 * the browser or a proxy. Every page sends Referrer-Policy: no-referrer, so no URL leaves by the
 * Referer header either.
 */
export function pageHeaders(reply: FastifyReply, options: { secret?: boolean } = {}): FastifyReply {
  return reply
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()')
    .header('cache-control', options.secret ? 'no-store' : 'no-cache');
}
