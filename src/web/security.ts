// Security headers of every page and asset. The CSP is strict and needs no nonce: pages carry no
// inline script at all (data for scripts travels in <script type="application/json">, which is
// never executed), so 'self' is the only source of code. The one inline element is the page's
// stylesheet, allowed by its hash (it saves a round trip before the first paint on a slow
// network); no style attribute and no other inline style is allowed.
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';

let styleHash = '';

/** The inlined stylesheet's text, so the policy allows exactly it. */
export function allowInlineStyle(css: string): void {
  styleHash = `'sha256-${createHash('sha256').update(css).digest('base64')}'`;
}

export const contentSecurityPolicy = (): string =>
  [
  "default-src 'none'",
  "script-src 'self'",
  `style-src 'self'${styleHash ? ` ${styleHash}` : ''}`,
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
    .header('content-security-policy', contentSecurityPolicy())
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()')
    .header('cache-control', options.secret ? 'no-store' : 'no-cache');
}
