// /admin/reservations: the day's bookings per table on a timeline from opening to closing time,
// today's arrivals, a booking for a phone call, moves to another time or table, and the
// lifecycle buttons. The page is a shell: its script reads the day through
// GET /api/admin/reservation-day and acts through the reservations API (see
// docs/admin-reservations.md), so every rule, double bookings above all, is the API's.
import { html } from '../html.js';
import { t } from '../i18n.js';
import { langOf } from '../respond.js';
import { staffLayout } from './layout.js';
import { staffPage, type StaffPageContext } from './routes.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function registerReservationPages(ctx: StaffPageContext): void {
  staffPage(ctx, '/admin/reservations', 'reservations', async (request, reply, session) => {
    const lang = langOf(request, reply);
    const { rows } = await ctx.db.query<{ today: string; timezone: string }>(
      `SELECT to_char((now() AT TIME ZONE timezone)::date, 'YYYY-MM-DD') AS today, timezone FROM restaurante.restaurants WHERE id = $1`,
      [session.restaurantId],
      { readOnly: true },
    );
    const today = rows[0]?.today ?? new Date().toISOString().slice(0, 10);
    const asked = (request.query as { date?: unknown } | undefined)?.date;
    const date = typeof asked === 'string' && DATE.test(asked) && !Number.isNaN(Date.parse(`${asked}T12:00:00Z`)) ? asked : today;
    const s = (key: Parameters<typeof t>[1]) => t(lang, key);
    const body = html`<main id="main" class="bookings">
<div class="res-bar">
<h1>${s('resAdmin.title')}</h1>
<div class="res-day" role="group" aria-label="${s('resAdmin.date')}">
<button type="button" id="prev-day" class="secondary icon" aria-label="${s('resAdmin.prevDay')}">‹</button>
<label for="res-date" class="sr-only">${s('resAdmin.date')}</label>
<input type="date" id="res-date" value="${date}" required>
<button type="button" id="next-day" class="secondary icon" aria-label="${s('resAdmin.nextDay')}">›</button>
<button type="button" id="to-today" class="secondary">${s('resAdmin.today')}</button>
</div>
<button type="button" id="new-booking">${s('resAdmin.new')}</button>
</div>
<p id="res-status" class="res-status" role="status" aria-live="polite"></p>
<div class="res-layout">
<section class="res-timeline" aria-labelledby="timeline-title">
<h2 id="timeline-title">${s('resAdmin.timeline')} <span id="day-name" class="day-name"></span></h2>
<p id="day-summary" class="note">${s('resAdmin.loading')}</p>
<div id="timeline" class="timeline" role="region" tabindex="0" aria-labelledby="timeline-title"></div>
</section>
<section class="res-arrivals" aria-labelledby="arrivals-title">
<h2 id="arrivals-title">${s('resAdmin.arrivals')}</h2>
<p id="seated-count" class="note"></p>
<ol id="arrivals" class="arrivals"></ol>
</section>
</div>
<dialog id="details" aria-labelledby="details-title">
<h2 id="details-title"></h2>
<dl id="details-list" class="details"></dl>
<p id="details-error" class="error" role="alert"></p>
<div id="details-actions" class="actions"></div>
<p class="actions"><button type="button" class="secondary" id="details-close">${s('resAdmin.close')}</button></p>
</dialog>
<dialog id="booking-form-dialog" aria-labelledby="form-title">
<form id="booking-form" novalidate>
<h2 id="form-title"></h2>
<div id="who-fields">
<label for="bk-name">${s('resAdmin.form.name')}</label>
<input id="bk-name" name="name" maxlength="200" autocomplete="off" required>
<p id="bk-name-error" class="field-error"></p>
<label for="bk-phone">${s('resAdmin.form.phone')}</label>
<input id="bk-phone" name="phone" type="tel" maxlength="20" autocomplete="off" pattern="\\+?[0-9 ()\\-]{6,20}">
<label for="bk-email">${s('resAdmin.form.email')}</label>
<input id="bk-email" name="email" type="email" maxlength="254" autocomplete="off">
</div>
<div class="form-row">
<div><label for="bk-party">${s('resAdmin.form.party')}</label>
<input id="bk-party" name="party" type="number" min="1" max="50" value="2" required inputmode="numeric"></div>
<div><label for="bk-date">${s('resAdmin.form.date')}</label>
<input id="bk-date" name="date" type="date" required></div>
</div>
<label for="bk-time">${s('resAdmin.form.time')}</label>
<select id="bk-time" name="time" required></select>
<p id="bk-time-note" class="note" role="status"></p>
<div id="table-field">
<label for="bk-table">${s('resAdmin.form.table')}</label>
<select id="bk-table" name="table"></select>
</div>
<div id="notes-field">
<label for="bk-notes">${s('resAdmin.form.notes')}</label>
<textarea id="bk-notes" name="notes" maxlength="1000" rows="2"></textarea>
</div>
<p id="form-error" class="error" role="alert"></p>
<div id="alternatives" class="alternatives" hidden>
<p id="alternatives-title" class="alt-title"></p>
<ul id="alternatives-list" class="alt-list" aria-labelledby="alternatives-title"></ul>
</div>
<p class="actions"><button type="submit" id="form-submit"></button> <button type="button" class="secondary" id="form-cancel">${s('resAdmin.form.cancel')}</button></p>
</form>
</dialog>
<dialog id="confirm" aria-labelledby="confirm-text">
<p id="confirm-text"></p>
<p class="actions"><button type="button" id="confirm-yes" class="danger">${s('resAdmin.confirm.yes')}</button> <button type="button" id="confirm-no" class="secondary">${s('resAdmin.confirm.no')}</button></p>
</dialog>
</main>`;
    return staffLayout(ctx.assets, {
      lang,
      session,
      section: 'reservations',
      title: s('resAdmin.title'),
      body,
      script: 'admin-reservations.js',
      style: 'admin-reservations.css',
      strings: ['resAdmin.'],
      data: { today, date, timezone: rows[0]?.timezone ?? 'Europe/Madrid' },
      className: 'reservations-page',
    });
  });
}
