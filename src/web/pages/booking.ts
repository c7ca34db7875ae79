// GET /r/<restaurantId>: book a table. The form works as plain HTML for the details; the script
// (src/web/client/booking.ts) fetches free times from /api/availability and posts the booking to
// /api/reservations, showing the alternatives of a 409.
import type { Assets } from '../assets.js';
import { html } from '../html.js';
import { localeOf, stringsFor, t, type Lang } from '../i18n.js';
import { layout } from '../layout.js';

export interface BookingRestaurant {
  id: string;
  name: string;
  language: string;
  timezone: string;
  today: string;
}

export function bookingPage(assets: Assets, lang: Lang, r: BookingRestaurant): string {
  const title = t(lang, 'book.title', { name: r.name });
  const body = html`<main id="main" class="card">
<form id="book" novalidate>
<fieldset>
<legend>${t(lang, 'book.times')}</legend>
<div class="row">
<label class="field">${t(lang, 'book.date')}<input type="date" id="date" name="date" required min="${r.today}" value="${r.today}"></label>
<label class="field">${t(lang, 'book.party')}<input type="number" id="party" name="party" required min="1" max="50" value="2" inputmode="numeric"></label>
</div>
<div id="times" class="times" role="radiogroup" aria-label="${t(lang, 'book.pickTime')}" aria-describedby="times-status"></div>
<p id="times-status" class="note" role="status" aria-live="polite"></p>
</fieldset>
<fieldset>
<legend>${t(lang, 'book.details')}</legend>
<label class="field">${t(lang, 'book.name')}<input id="name" name="name" required maxlength="200" autocomplete="name"></label>
<label class="field">${t(lang, 'book.email')}<input id="email" name="email" type="email" required maxlength="254" autocomplete="email"></label>
<label class="field">${t(lang, 'book.phone')}<input id="phone" name="phone" type="tel" maxlength="20" autocomplete="tel"></label>
<label class="field">${t(lang, 'book.notes')}<textarea id="notes" name="notes" maxlength="1000" rows="3"></textarea></label>
<label class="check"><input type="checkbox" id="privacy" name="privacy" required><span>${t(lang, 'book.privacy')}</span></label>
<label class="check"><input type="checkbox" id="marketing" name="marketing"><span>${t(lang, 'book.marketing')}</span></label>
</fieldset>
<p id="book-message" class="note" role="alert"></p>
<button type="submit" id="submit">${t(lang, 'book.submit')}</button>
</form>
</main>`;
  return layout(assets, {
    lang,
    title,
    body,
    script: 'booking.js',
    className: 'booking',
    data: { restaurantId: r.id, lang, locale: localeOf(lang), timezone: r.timezone, strings: stringsFor(lang, ['book.', 'error.']) },
  });
}
