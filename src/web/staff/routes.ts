// The staff's pages: sign-in, device pairing, and the sections (kitchen, floor, menu, bookings,
// operations), each behind the session cookie and its role. A page without a session sends the
// browser to sign in (and back afterwards); a role that may not see a section gets a 403 page
// that says so. The pages act through the JSON API with the session's CSRF token, so every rule
// (roles, restaurant, validation) is the API's.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sessionOf, type StaffSessionInfo } from '../../core/auth/staff-sessions.js';
import type { Database } from '../../core/db/database.js';
import { sessionCookie } from '../../http/staff-cookies.js';
import type { Assets } from '../assets.js';
import { html } from '../html.js';
import { stringsFor, t } from '../i18n.js';
import { layout, messagePage } from '../layout.js';
import { langOf, sendPage } from '../respond.js';
import { homeOf, sectionInfo, type StaffSection } from './sections.js';
import { registerFloorPages } from './floor.js';
import { registerStaffAdminPages } from './staff-admin.js';
import { registerMenuAdminPages } from './admin-menu.js';
import { registerKitchenPages } from './kitchen.js';
import { registerReservationPages } from './admin-reservations.js';
import { registerOpsPages } from './ops.js';

export interface StaffPageContext {
  app: FastifyInstance;
  db: Database;
  assets: Assets;
}

/** A relative path of this site to go back to after signing in (anything else: the role's home). */
function safeNext(value: unknown): string | undefined {
  return typeof value === 'string' && /^\/(?![/\\])[\w\-./?=&%]*$/.test(value) && value.length <= 300 ? value : undefined;
}

/** The request's live staff session, if any. */
export async function pageSession(db: Database, request: FastifyRequest): Promise<StaffSessionInfo | undefined> {
  const token = sessionCookie(request);
  return token ? sessionOf(db, token) : undefined;
}

/**
 * Registers a section's page: `render` runs only for a live session whose role may see the
 * section; otherwise the browser goes to sign-in, or gets the 403 page.
 */
export function staffPage<P = Record<string, string>>(
  ctx: StaffPageContext,
  path: string,
  section: StaffSection,
  render: (request: FastifyRequest<{ Params: P }>, reply: FastifyReply, session: StaffSessionInfo) => Promise<string> | string,
): void {
  const info = sectionInfo(section);
  ctx.app.get<{ Params: P }>(path, { schema: { hide: true } }, async (request, reply) => {
    const session = await pageSession(ctx.db, request);
    if (!session) {
      return reply.header('cache-control', 'no-store').redirect(`/staff/sign-in?next=${encodeURIComponent(request.url)}`, 303);
    }
    if (!info.roles.includes(session.role)) {
      const lang = langOf(request, reply);
      return sendPage(request, reply, messagePage(ctx.assets, lang, t(lang, 'staff.forbidden.title'), t(lang, 'staff.forbidden.text'), html`<p><a href="${homeOf(session.role)}">${t(lang, `staff.nav.${sectionOfHome(session.role)}`)}</a></p>`), { status: 403, secret: true });
    }
    return sendPage(request, reply, await render(request, reply, session), { secret: true });
  });
}

const sectionOfHome = (role: StaffSessionInfo['role']) => (role === 'kitchen' ? 'kitchen' : 'floor');

export function staffRoutes(ctx: StaffPageContext): void {
  const { app, assets, db } = ctx;
  const hide = { schema: { hide: true } };
  registerFloorPages(ctx);
  registerStaffAdminPages(ctx);
  registerMenuAdminPages(ctx);
  registerKitchenPages(ctx);
  registerReservationPages(ctx);
  registerOpsPages(ctx);

  app.get('/staff', hide, async (request, reply) => {
    const session = await pageSession(db, request);
    return reply.header('cache-control', 'no-store').redirect(session ? homeOf(session.role) : '/staff/sign-in', 303);
  });

  app.get<{ Querystring: { next?: string } }>('/staff/sign-in', hide, (request, reply) => {
    const lang = langOf(request, reply);
    const next = safeNext(request.query.next);
    const page = layout(assets, {
      lang,
      title: t(lang, 'signIn.title'),
      styles: ['staff.css'],
      className: 'staff sign-in',
      script: 'staff-sign-in.js',
      data: { strings: stringsFor(lang, ['signIn.', 'staff.error.']), next: next ?? null, mode: 'password' },
      body: html`<main id="main" class="card">
<p id="link-status" class="note" role="status" hidden>${t(lang, 'signIn.link')}</p>
<form id="sign-in" novalidate>
<label for="login">${t(lang, 'signIn.login')}</label>
<input id="login" name="login" autocomplete="username" required maxlength="254" autocapitalize="none" spellcheck="false">
<label for="password">${t(lang, 'signIn.password')}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="200">
<p id="error" class="error" role="alert"></p>
<button type="submit">${t(lang, 'signIn.submit')}</button>
</form>
<p><a href="/staff/pair">${t(lang, 'signIn.pairInstead')}</a></p>
</main>`,
    });
    return sendPage(request, reply, page, { secret: true });
  });

  app.get<{ Querystring: { next?: string } }>('/staff/pair', hide, (request, reply) => {
    const lang = langOf(request, reply);
    const page = layout(assets, {
      lang,
      title: t(lang, 'pair.title'),
      styles: ['staff.css'],
      className: 'staff sign-in',
      script: 'staff-sign-in.js',
      data: { strings: stringsFor(lang, ['pair.', 'signIn.', 'staff.error.']), next: safeNext(request.query.next) ?? null, mode: 'pair' },
      body: html`<main id="main" class="card">
<p class="note" id="pair-help">${t(lang, 'pair.help')}</p>
<form id="pair" novalidate>
<label for="code">${t(lang, 'pair.code')}</label>
<input id="code" name="code" required maxlength="40" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" aria-describedby="pair-help">
<p id="error" class="error" role="alert"></p>
<button type="submit">${t(lang, 'pair.submit')}</button>
</form>
<p><a href="/staff/sign-in">${t(lang, 'pair.signInInstead')}</a></p>
</main>`,
    });
    return sendPage(request, reply, page, { secret: true });
  });
}
