// Errors as RFC 9457 problem documents (application/problem+json) with a catalogue code.
// Nothing from the database (SQL, parameters, messages) and no stack trace reaches a client.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errorCatalogue, fromDatabaseError, type ErrorCode } from '../core/errors.js';

export const PROBLEM_TYPE_BASE = 'https://comanda.dev/errors/';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  instance?: string;
  [extra: string]: unknown;
}

export function problemOf(error: AppError, instance?: string): ProblemDocument {
  return {
    ...error.extra,
    type: PROBLEM_TYPE_BASE + error.code.toLowerCase().replace(/_/g, '-'),
    title: errorCatalogue[error.code].title,
    status: error.status,
    code: error.code,
    detail: error.message,
    ...(instance ? { instance } : {}),
  };
}

/** Maps Fastify's own errors (validation, body parsing, limits) onto the catalogue. */
function fromFastifyError(error: FastifyError): AppError | undefined {
  if (error.validation) {
    // Each error names the top-level `field` it is about (the unknown one, the missing one, or
    // the first segment of its path), so a form can show it at that field.
    const details = error.validation.map((v) => {
      const params = v.params as { additionalProperty?: string; missingProperty?: string };
      const field =
        v.keyword === 'additionalProperties'
          ? params.additionalProperty
          : v.keyword === 'required'
            ? params.missingProperty
            : (v.instancePath || '').split('/')[1] || undefined;
      return { path: v.instancePath || '/', message: v.message ?? 'is invalid', ...(field ? { field } : {}) };
    });
    const first = details[0];
    const where = first ? `${error.validationContext ?? 'body'}${first.path === '/' ? '' : first.path}` : 'request';
    const field = first?.field && error.validation[0]?.keyword === 'additionalProperties' ? ` (${first.field})` : '';
    return new AppError('VALIDATION_FAILED', `${where} ${first?.message ?? 'is invalid'}${field}`, {
      extra: { ...(first?.field ? { field: first.field } : {}), errors: details },
    });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('MALFORMED_JSON');
  }
  if (error instanceof SyntaxError && error.statusCode === 400) return new AppError('MALFORMED_JSON');
  if (error.statusCode === 413) return new AppError('PAYLOAD_TOO_LARGE');
  if (error.statusCode === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE');
  if (error.statusCode === 405) return new AppError('METHOD_NOT_ALLOWED');
  if (error.statusCode === 429) return new AppError('RATE_LIMITED');
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return new AppError('VALIDATION_FAILED', error.message);
  }
  return undefined;
}

/** The error code each problem answer was sent with (the metrics read it; nothing re-parses the body). */
const problemCodes = new WeakMap<FastifyReply, ErrorCode>();

/** The catalogued code of the problem this reply answered with; undefined for any other answer. */
export const problemCodeOf = (reply: FastifyReply): ErrorCode | undefined => problemCodes.get(reply);

export function sendProblem(reply: FastifyReply, error: AppError, request?: FastifyRequest): FastifyReply {
  problemCodes.set(reply, error.code);
  if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
  return reply
    .code(error.status)
    .type('application/problem+json')
    .send(problemOf(error, request?.url.split('?')[0]));
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const known = fromDatabaseError(error) ?? fromFastifyError(error);
  if (!known || known.status >= 500) {
    // Log the cause for operators; node-postgres errors carry no parameters, and the client only
    // ever sees the catalogue sentence.
    request.log.error({ err: known?.cause ?? error, code: known?.code ?? 'INTERNAL_ERROR' }, 'request failed');
  }
  return sendProblem(reply, known ?? new AppError('INTERNAL_ERROR'), request);
}
