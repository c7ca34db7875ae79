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
${session.role === 'admin' ? html`<a class="k-settings-link" href="/kitchen/settings">${t(lang, 'kitchenSettings.link')}</a>` : ''}
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

  // Admins only (the section's roles): a kitchen session gets the 403 page.
  staffPage(ctx, '/kitchen/settings', 'kitchenSettings', (request, reply, session) => {
    const lang = langOf(request, reply);
    const minutesField = (id: string, field: 'amberMinutes' | 'redMinutes', label: MessageKey, min: number, max: number) =>
      html`<div class="field"><label for="${id}">${t(lang, label)}</label>
<div class="unit-input"><input id="${id}" name="${field}" data-field="${field}" type="number" inputmode="numeric" min="${String(min)}" max="${String(max)}" step="1" required aria-describedby="${id}-unit"><span id="${id}-unit" class="unit">${t(lang, 'kitchenSettings.minutesUnit')}</span></div>
<p class="field-error" id="${id}-error" data-error-for="${field}" hidden></p></div>`;
    const body = html`<main id="main" class="kitchen-settings">
<p class="back"><a href="/kitchen">${t(lang, 'kitchenSettings.back')}</a></p>
<h1>${t(lang, 'kitchenSettings.title')}</h1>
<p id="status" class="flash" role="status" aria-live="polite">${t(lang, 'kitchenSettings.loading')}</p>
<p id="error" class="error" role="alert"></p>
<div class="columns">
<section aria-labelledby="thresholds-title">
<h2 id="thresholds-title">${t(lang, 'kitchenSettings.thresholds')}</h2>
<form id="thresholds" class="panel-form" novalidate aria-labelledby="thresholds-title" aria-describedby="thresholds-help">
<p id="thresholds-help" class="note">${t(lang, 'kitchenSettings.thresholdsHelp')}</p>
${minutesField('amber', 'amberMinutes', 'kitchenSettings.amber', 1, 240)}
${minutesField('red', 'redMinutes', 'kitchenSettings.red', 2, 480)}
<p class="error" data-form-error role="alert"></p>
<button type="submit" data-submit>${t(lang, 'kitchenSettings.saveThresholds')}</button>
</form>
</section>
<section aria-labelledby="stations-title">
<h2 id="stations-title">${t(lang, 'kitchenSettings.stations')}</h2>
<p class="note">${t(lang, 'kitchenSettings.stationsHelp')}</p>
<p id="stations-empty" class="note" hidden>${t(lang, 'kitchenSettings.noStations')}</p>
<ul id="stations" class="entries" aria-labelledby="stations-title"></ul>
<form id="add-station" class="panel-form" novalidate aria-labelledby="add-title">
<h3 id="add-title">${t(lang, 'kitchenSettings.addStation')}</h3>
<div class="field"><label for="station-name">${t(lang, 'kitchenSettings.stationName')}</label>
<input id="station-name" name="name" data-field="name" required maxlength="60" autocomplete="off">
<p class="field-error" id="station-name-error" data-error-for="name" hidden></p></div>
<p class="error" data-form-error role="alert"></p>
<button type="submit" data-submit>${t(lang, 'kitchenSettings.add')}</button>
</form>
</section>
</div>
<section aria-labelledby="categories-title">
<h2 id="categories-title">${t(lang, 'kitchenSettings.categories')}</h2>
<p class="note">${t(lang, 'kitchenSettings.categoriesHelp')}</p>
<p id="categories-empty" class="note" hidden>${t(lang, 'kitchenSettings.noCategories')}</p>
<ul id="categories" class="entries categories" aria-labelledby="categories-title"></ul>
</section>
<dialog id="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-text">
<h2 id="confirm-title">${t(lang, 'kitchenSettings.confirmTitle')}</h2>
<p id="confirm-text"></p>
<div class="row"><button type="button" id="confirm-yes" class="danger">${t(lang, 'kitchenSettings.confirmYes')}</button> <button type="button" id="confirm-no" class="secondary">${t(lang, 'kitchenSettings.confirmNo')}</button></div>
</dialog>
</main>`;
    return staffLayout(ctx.assets, {
      lang,
      session,
      section: 'kitchenSettings',
      title: t(lang, 'kitchenSettings.title'),
      body,
      script: 'kitchen-settings.js',
      style: 'kitchen-settings.css',
      strings: ['kitchenSettings.'],
      className: 'kitchen-settings-page',
    });
  });
}
