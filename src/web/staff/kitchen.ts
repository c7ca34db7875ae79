// /kitchen: the kitchen display. The page is a shell; its script reads the tickets from
// GET /api/kitchen/tickets, follows /api/staff/events (orders, menu) and bumps through the API
// with the session's CSRF token. The keyboard shortcuts are listed on the page itself.
import { html } from '../html.js';
import { t, type MessageKey } from '../i18n.js';
import { langOf } from '../respond.js';
import { staffLayout } from './layout.js';
import { staffPage, type StaffPageContext } from './routes.js';

const columns = ['PENDING', 'CONFIRMED', 'IN_PROGRESS', 'READY'] as const;
const keys: MessageKey[] = ['kitchen.key.select', 'kitchen.key.number', 'kitchen.key.bump', 'kitchen.key.undo', 'kitchen.key.recall', 'kitchen.key.escape'];

export function registerKitchenPages(ctx: StaffPageContext): void {
  staffPage(ctx, '/kitchen', 'kitchen', (request, reply, session) => {
    const lang = langOf(request, reply);
    const body = html`<main id="main" class="kitchen">
<h1 class="sr-only">${t(lang, 'kitchen.heading')}</h1>
<div class="k-toolbar">
<p class="k-station" id="station-field" hidden><label for="station">${t(lang, 'kitchen.station')}</label>
<select id="station"><option value="">${t(lang, 'kitchen.allStations')}</option></select></p>
<fieldset class="k-columns"><legend>${t(lang, 'kitchen.columns')}</legend>${columns.map(
      (c) => html`<label><input type="checkbox" name="column" value="${c}" checked> ${t(lang, `kitchen.col.${c}`)}</label>`,
    )}</fieldset>
<label class="k-sound"><input type="checkbox" id="sound"> ${t(lang, 'kitchen.sound')}</label>
<button type="button" id="recall-toggle" class="secondary small" aria-expanded="false" aria-controls="recall">${t(lang, 'kitchen.recall')}</button>
<details class="k-keys"><summary>${t(lang, 'kitchen.keys')}</summary><ul>${keys.map((k) => html`<li>${t(lang, k)}</li>`)}</ul></details>
</div>
<p id="k-status" class="k-status" role="status">${t(lang, 'kitchen.loading')}</p>
<div class="k-board" id="board">${columns.map(
      (c) => html`<section class="k-col" id="col-${c}" data-status="${c}" aria-labelledby="col-${c}-title">
<h2 id="col-${c}-title">${t(lang, `kitchen.col.${c}`)} <span class="k-count" id="count-${c}">0</span></h2>
<ol class="k-tickets" id="list-${c}"></ol>
</section>`,
    )}</div>
<aside id="recall" class="k-recall" aria-labelledby="recall-title" hidden>
<h2 id="recall-title">${t(lang, 'kitchen.recallTitle')}</h2>
<button type="button" id="recall-close" class="secondary small">${t(lang, 'kitchen.recallClose')}</button>
<ol id="recall-list"></ol>
</aside>
<div id="toast" class="k-toast" hidden><p id="toast-text" role="status"></p><button type="button" id="undo">${t(lang, 'kitchen.undo')}</button></div>
</main>`;
    return staffLayout(ctx.assets, {
      lang,
      session,
      section: 'kitchen',
      title: t(lang, 'kitchen.title'),
      body,
      script: 'kitchen.js',
      style: 'kitchen.css',
      strings: ['kitchen.', 'allergen.', 'status.'],
      className: 'kitchen-page',
    });
  });
}
