// /floor (waiters and admins): the tables with their state, open sessions and their phones, the
// guests' requests; close a table, let a waiting phone in, resolve a request, and (admins) give a
// table a new QR code. The page renders its frame; the script reads GET /api/floor and re-reads
// it on every live nudge. /floor/qr (admins, like the API that prints codes): a print-ready sheet
// of every table's QR code.
import { can, permissions } from '../../core/auth/roles.js';
import type { StaffSessionInfo } from '../../core/auth/staff-sessions.js';
import type { Database } from '../../core/db/database.js';
import { html } from '../html.js';
import { t, type Lang } from '../i18n.js';
import { messagePage } from '../layout.js';
import { langOf, sendPage } from '../respond.js';
import { staffLayout } from './layout.js';
import { pageSession, type StaffPageContext, staffPage } from './routes.js';
import { homeOf } from './sections.js';

async function restaurantOf(db: Database, restaurantId: string): Promise<{ timezone: string; currency: string }> {
  const { rows } = await db.query<{ timezone: string; currency: string }>(
    'SELECT timezone, currency FROM restaurante.restaurants WHERE id = $1',
    [restaurantId],
    { readOnly: true },
  );
  return rows[0] ?? { timezone: 'UTC', currency: 'EUR' };
}

function floorPage(ctx: StaffPageContext, lang: Lang, session: StaffSessionInfo, restaurant: { timezone: string; currency: string }): string {
  const admin = can(session.role, 'tables.qr');
  return staffLayout(ctx.assets, {
    lang,
    session,
    section: 'floor',
    title: t(lang, 'floor.title'),
    script: 'floor.js',
    style: 'floor.css',
    strings: ['floor.'],
    data: { page: 'floor', canRotate: admin, ...restaurant },
    body: html`<main id="main" class="floor">
<div class="floor-head">
<h1>${t(lang, 'floor.title')}</h1>
<ul id="summary" class="summary" aria-label="${t(lang, 'floor.summary')}"></ul>
${admin ? html`<a class="button-link secondary" href="/floor/qr">${t(lang, 'floor.qrSheet')}</a>` : ''}
</div>
<p id="status" class="flash" role="status" aria-live="polite"></p>
<p id="error" class="error" role="alert"></p>
<section class="requests-panel" aria-labelledby="requests-title">
<h2 id="requests-title">${t(lang, 'floor.requests')}</h2>
<ul id="requests" class="requests"></ul>
<h3 id="handled-title">${t(lang, 'floor.handled')}</h3>
<ul id="handled" class="handled" aria-labelledby="handled-title"></ul>
</section>
<section class="tables-panel" aria-labelledby="tables-title">
<h2 id="tables-title">${t(lang, 'floor.tables')}</h2>
<ul id="tables" class="tables"><li class="note">${t(lang, 'floor.loading')}</li></ul>
</section>
</main>`,
  });
}

async function qrSheet(ctx: StaffPageContext, lang: Lang, session: StaffSessionInfo): Promise<string> {
  const { rows: tables } = await ctx.db.query<{ id: string; number: number; capacity: number; location: string | null }>(
    `SELECT id, number, capacity, location FROM restaurante.tables WHERE "restaurantId" = $1 AND "isActive" ORDER BY number`,
    [session.restaurantId],
    { readOnly: true },
  );
  return staffLayout(ctx.assets, {
    lang,
    session,
    section: 'floor',
    title: t(lang, 'qr.title'),
    script: 'floor.js',
    style: 'floor.css',
    strings: ['qr.'],
    data: { page: 'qr' },
    className: 'qr-page',
    body: html`<main id="main" class="qr-sheet">
<div class="qr-head no-print">
<h1>${t(lang, 'qr.title')}</h1>
<p class="note">${t(lang, 'qr.help')}</p>
<p class="row"><button type="button" id="print">${t(lang, 'qr.print')}</button> <a href="/floor">${t(lang, 'qr.back')}</a></p>
</div>
${tables.length === 0 ? html`<p>${t(lang, 'qr.none')}</p>` : ''}
<ul class="qr-grid">${tables.map(
      (table) => html`<li class="qr-card" data-table="${table.id}">
<h2>${t(lang, 'qr.table', { n: table.number })}</h2>
<img src="/api/tables/${encodeURIComponent(table.id)}/qr.svg" alt="${t(lang, 'qr.alt', { n: table.number })}" width="200" height="200">
<p>${t(lang, 'qr.scan')}</p>
</li>`,
    )}</ul>
</main>`,
  });
}

export function registerFloorPages(ctx: StaffPageContext): void {
  staffPage(ctx, '/floor', 'floor', async (request, reply, session) =>
    floorPage(ctx, langOf(request, reply), session, await restaurantOf(ctx.db, session.restaurantId)),
  );

  // Printing codes is the API's `tables.qr` permission (admins): the sheet has the same guard.
  ctx.app.get('/floor/qr', { schema: { hide: true } }, async (request, reply) => {
    const session = await pageSession(ctx.db, request);
    if (!session) {
      return reply.header('cache-control', 'no-store').redirect(`/staff/sign-in?next=${encodeURIComponent(request.url)}`, 303);
    }
    const lang = langOf(request, reply);
    if (!(permissions['tables.qr'] as readonly string[]).includes(session.role)) {
      const home = homeOf(session.role);
      const page = messagePage(ctx.assets, lang, t(lang, 'staff.forbidden.title'), t(lang, 'staff.forbidden.text'), html`<p><a href="${home}">${t(lang, home === '/kitchen' ? 'staff.nav.kitchen' : 'staff.nav.floor')}</a></p>`);
      return sendPage(request, reply, page, { status: 403, secret: true });
    }
    return sendPage(request, reply, await qrSheet(ctx, lang, session), { secret: true });
  });
}
