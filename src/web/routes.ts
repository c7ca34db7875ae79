// The pages: registered on the service's Fastify app by src/http/app.ts, in their own scope (the
// form parser for the booking link's buttons applies to pages only; the API stays JSON-only).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../core/db/database.js';
import { AppError } from '../core/errors.js';
import type { MenuCache } from '../core/ordering/menu.js';
import { actByToken, viewByToken } from '../core/reservations/reservations.js';
import { lookUpReservationToken } from '../core/reservations/tokens.js';
import { Assets, compress, sendEncoded } from './assets.js';
import { t, type MessageKey } from './i18n.js';
import { messagePage } from './layout.js';
import { bookingPage } from './pages/booking.js';
import { GuestPageData } from './pages/guest-data.js';
import { guestPage } from './pages/guest.js';
import { reservationPage } from './pages/reservation.js';
import { langOf, sendPage, type Rendered } from './respond.js';
import { allowInlineStyle, pageHeaders } from './security.js';
import { staffRoutes } from './staff/routes.js';

export interface WebOptions {
  db: Database;
  secret: string;
  menus: MenuCache;
  assets?: Assets;
}

/** Rendered pages by key, compressed once: the guest page is the same for every phone at a table. */
class PageCache {
  private readonly entries = new Map<string, Rendered>();
  get(key: string, render: () => string): Rendered {
    let hit = this.entries.get(key);
    if (!hit) {
      const body = Buffer.from(render());
      hit = { body, ...compress(body) };
      if (this.entries.size >= 2_000) this.entries.clear();
      this.entries.set(key, hit);
    }
    return hit;
  }
}

export async function webRoutes(app: FastifyInstance, options: WebOptions): Promise<void> {
  const assets = options.assets ?? new Assets();
  if (assets.has('web.css')) allowInlineStyle(assets.text('web.css'));
  const data = new GuestPageData(options.db, options.secret, options.menus);
  const cache = new PageCache();
  const hide = { schema: { hide: true } };

  app.get<{ Params: { file: string } }>('/assets/:file', hide, (request, reply) => {
    const asset = assets.get(`/assets/${request.params.file}`);
    if (!asset) throw new AppError('NOT_FOUND', 'No such asset.');
    void reply
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .header('cross-origin-resource-policy', 'same-origin');
    return sendEncoded(request, reply, asset, asset.type);
  });

  // The staff's pages (sign-in, pairing, the sections).
  staffRoutes({ app, db: options.db, assets });

  // The guest's page behind a table's QR code.
  app.get<{ Params: { code: string } }>('/t/:code', hide, async (request, reply) => {
    const check = await data.check(request.params.code);
    if (check.kind === 'invalid') {
      const lang = langOf(request, reply);
      return sendPage(request, reply, messagePage(assets, lang, t(lang, 'page.invalid.title'), t(lang, 'page.invalid.text')), { status: 404, secret: true });
    }
    const lang = langOf(request, reply, check.table.language);
    if (check.kind === 'rotated') {
      return sendPage(request, reply, messagePage(assets, lang, t(lang, 'page.rotated.title'), t(lang, 'page.rotated.text')), { status: 410, secret: true });
    }
    if (check.kind === 'closed') {
      const title = t(lang, 'page.restaurantClosed.title', { name: check.table.restaurantName });
      return sendPage(request, reply, messagePage(assets, lang, title, t(lang, 'page.restaurantClosed.text')), { secret: true });
    }
    const menu = await data.menu(check.table.restaurantId);
    const table = check.table;
    const key = `t|${table.id}|${table.qrVersion}|${lang}|${menu.version}|${table.number}|${table.restaurantName}|${table.currency}|${table.language}`;
    return sendPage(request, reply, cache.get(key, () => guestPage(assets, lang, table, menu)), { secret: true });
  });

  // Booking.
  app.get<{ Params: { restaurantId: string } }>('/r/:restaurantId', hide, async (request, reply) => {
    const { rows } = await options.db.query<{ id: string; name: string; language: string; timezone: string; today: string }>(
      `SELECT id, name, "defaultLanguage" AS language, timezone, to_char(now() AT TIME ZONE timezone, 'YYYY-MM-DD') AS today
         FROM restaurante.restaurants WHERE id = $1`,
      [request.params.restaurantId],
      { readOnly: true },
    );
    const restaurant = rows[0];
    const lang = langOf(request, reply, restaurant?.language);
    if (!restaurant) {
      return sendPage(request, reply, messagePage(assets, lang, t(lang, 'page.notFound.title'), t(lang, 'page.notFound.text')), { status: 404 });
    }
    const key = `r|${restaurant.id}|${restaurant.name}|${restaurant.today}|${lang}`;
    return sendPage(request, reply, cache.get(key, () => bookingPage(assets, lang, restaurant)));
  });

  // The booking's e-mail link: GET shows, POST (the page's buttons) acts.
  await app.register((scope, _opts, registered) => {
    // The buttons are plain forms; their (empty) bodies are not read.
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1024 }, (_request, _body, done) => done(null, {}));

    const restaurantOf = async (restaurantId: string) =>
      (
        await options.db.query<{ name: string; timezone: string; language: string }>(
          `SELECT name, timezone, "defaultLanguage" AS language FROM restaurante.restaurants WHERE id = $1`,
          [restaurantId],
          { readOnly: true },
        )
      ).rows[0]!;

    const linkProblem = (request: FastifyRequest, reply: FastifyReply, err: unknown) => {
      if (!(err instanceof AppError)) throw err;
      const lang = langOf(request, reply);
      const which = err.code === 'TOKEN_USED' ? 'used' : err.code === 'TOKEN_EXPIRED' ? 'expired' : err.code === 'TOKEN_INVALID' ? 'invalid' : undefined;
      if (!which) throw err;
      return sendPage(request, reply, messagePage(assets, lang, t(lang, `res.${which}.title` as MessageKey), t(lang, `res.${which}.text` as MessageKey)), {
        status: err.status === 401 ? 404 : err.status,
        secret: true,
      });
    };

    scope.get<{ Params: { token: string }; Querystring: { done?: string } }>('/reservations/:token', hide, async (request, reply) => {
      const token = request.params.token;
      try {
        const row = await options.db.transaction((tx) => lookUpReservationToken(tx, options.secret, token), { readOnly: true });
        const reservation = await viewByToken(options.db, options.secret, token);
        const restaurant = await restaurantOf(reservation.restaurantId);
        const lang = langOf(request, reply, reservation.language ?? restaurant.language);
        const done = request.query.done === 'confirmed' || request.query.done === 'cancelled' ? request.query.done : undefined;
        const page = reservationPage(assets, lang, {
          restaurantName: restaurant.name,
          timezone: restaurant.timezone,
          reservation,
          token,
          used: row.isUsed,
          done: done === 'confirmed' && reservation.status === 'CONFIRMED' ? done : done === 'cancelled' && reservation.status === 'CANCELLED' ? done : undefined,
        });
        return sendPage(request, reply, page, { secret: true });
      } catch (err) {
        return linkProblem(request, reply, err);
      }
    });

    for (const [action, to, done] of [['confirm', 'CONFIRMED', 'confirmed'], ['cancel', 'CANCELLED', 'cancelled']] as const) {
      scope.post<{ Params: { token: string } }>(`/reservations/:token/${action}`, hide, async (request, reply) => {
        const token = request.params.token;
        try {
          await actByToken(options.db, options.secret, token, to);
        } catch (err) {
          // A booking that cannot go there any more (e.g. confirming a cancelled one): show it as it is.
          if (!(err instanceof AppError && err.code === 'INVALID_TRANSITION')) return linkProblem(request, reply, err);
        }
        pageHeaders(reply, { secret: true });
        return reply.redirect(`/reservations/${encodeURIComponent(token)}?done=${done}`, 303);
      });
    }
    registered();
  });
}

/** A page for a path no route serves, for browsers (API clients keep the problem document). */
export function wantsHtml(request: FastifyRequest): boolean {
  return !request.url.startsWith('/api/') && /text\/html/.test(String(request.headers.accept ?? ''));
}

export function notFoundPage(request: FastifyRequest, reply: FastifyReply, assets: Assets): FastifyReply {
  const lang = langOf(request, reply);
  return sendPage(request, reply, messagePage(assets, lang, t(lang, 'page.notFound.title'), t(lang, 'page.notFound.text')), { status: 404 });
}
