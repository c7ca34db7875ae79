// Answering with a page: the page's language and the headers and encoding every page gets.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendEncoded } from './assets.js';
import { fromAcceptLanguage, isLang, type Lang } from './i18n.js';
import { pageHeaders } from './security.js';

const LANG_COOKIE = /(?:^|;\s*)lang=(es|en)(?:;|$)/;

/** ?lang= (the switch; remembered in a cookie), the cookie, Accept-Language, else the fallback. */
export function langOf(request: FastifyRequest, reply: FastifyReply, fallback: string = 'es'): Lang {
  const query = (request.query as { lang?: unknown } | undefined)?.lang;
  if (isLang(query)) {
    void reply.header('set-cookie', `lang=${query}; Path=/; Max-Age=31536000; SameSite=Lax`);
    return query;
  }
  const cookie = LANG_COOKIE.exec(request.headers.cookie ?? '')?.[1];
  if (isLang(cookie)) return cookie;
  return fromAcceptLanguage(request.headers['accept-language']) ?? (isLang(fallback) ? fallback : 'es');
}

/** A rendered page, or one compressed once by a cache. */
export interface Rendered {
  body: Buffer;
  gzip: Buffer;
  br: Buffer;
}

export function sendPage(request: FastifyRequest, reply: FastifyReply, page: string | Rendered, options: { status?: number; secret?: boolean } = {}) {
  pageHeaders(reply, { secret: options.secret }).code(options.status ?? 200);
  if (typeof page === 'string') return reply.type('text/html; charset=utf-8').send(page);
  return sendEncoded(request, reply, page, 'text/html; charset=utf-8');
}

