// Request logging: structured (pino, through Fastify), and blind to credentials. Authorization
// headers and cookies are never logged, and token-looking or personal query parameters in URLs
// are redacted (reservation links carry their token in the query; an old client may still look
// customers up with ?email=).
import type { FastifyRequest, FastifyServerOptions } from 'fastify';

const SECRET_PARAMS = /([?&](?:token|sessionToken|access_token|code|email|phone|name)=)[^&#]*/gi;
const TOKEN_LIKE = /cmd_[a-z]+_[A-Za-z0-9_-]{20,}/g;
// Pages whose path is a key: a table's QR code (/t/<code>) and a booking's link (/reservations/<token>).
const SECRET_PATHS = /^(\/(?:t|reservations)\/)[^/?#]+/;

/** The URL with token query parameters, secret path segments and anything shaped like a Comanda token replaced. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PATHS, '$1[REDACTED]').replace(SECRET_PARAMS, '$1[REDACTED]').replace(TOKEN_LIKE, '[REDACTED]');
}

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.token',
  '*.sessionToken',
  '*.password',
  '*.secret',
];

export function loggerOptions(level: string, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    serializers: {
      req(request: FastifyRequest) {
        return {
          method: request.method,
          url: redactUrl(request.url),
          remoteAddress: request.ip,
          userAgent: request.headers['user-agent'],
        };
      },
    },
  };
}
