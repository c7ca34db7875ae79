// GET /reservations/<token>: the guest's booking, from the e-mail's link. Opening it changes
// nothing (mail scanners prefetch links); Confirm and Cancel are forms that POST to
// /reservations/<token>/confirm and /cancel, and work without any script.
import type { Reservation } from '../../core/reservations/reservations.js';
import type { Assets } from '../assets.js';
import { html } from '../html.js';
import { localeOf, t, type Lang, type MessageKey } from '../i18n.js';
import { layout } from '../layout.js';

export function reservationPage(
  assets: Assets,
  lang: Lang,
  view: { restaurantName: string; timezone: string; reservation: Reservation; token: string; used: boolean; done?: 'confirmed' | 'cancelled' },
): string {
  const r = view.reservation;
  const when = new Intl.DateTimeFormat(localeOf(lang), { dateStyle: 'full', timeStyle: 'short', timeZone: view.timezone }).format(new Date(r.time));
  const action = (what: 'confirm' | 'cancel') => `/reservations/${encodeURIComponent(view.token)}/${what}`;
  const canConfirm = !view.used && r.status === 'PENDING';
  const canCancel = !view.used && (r.status === 'PENDING' || r.status === 'CONFIRMED');
  const notice = view.done
    ? html`<p class="ok" role="status">${t(lang, view.done === 'confirmed' ? 'res.confirmed' : 'res.cancelled')}</p>`
    : r.status === 'CANCELLED'
      ? html`<p class="warn">${t(lang, 'res.cancelledState')}</p>`
      : view.used
        ? html`<p class="warn">${t(lang, 'res.used.text')}</p>`
        : '';
  const body = html`<main id="main" class="card">
${notice}
<dl class="facts">
<dt>${t(lang, 'res.when')}</dt><dd>${when}</dd>
<dt>${t(lang, 'res.party')}</dt><dd>${r.partySize}</dd>
<dt>${t(lang, 'res.name')}</dt><dd>${r.customerName}</dd>
<dt>${t(lang, 'res.status')}</dt><dd id="res-status">${t(lang, `res.status.${r.status}` as MessageKey)}</dd>
</dl>
<div class="row">
${canConfirm ? html`<form method="post" action="${action('confirm')}"><button type="submit">${t(lang, 'res.confirm')}</button></form>` : ''}
${canCancel ? html`<form method="post" action="${action('cancel')}"><button type="submit" class="danger">${t(lang, 'res.cancel')}</button></form>` : ''}
</div>
</main>`;
  return layout(assets, { lang, title: t(lang, 'res.title', { name: view.restaurantName }), body, className: 'reservation' });
}
