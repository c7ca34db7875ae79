// GET /t/<code>: the guest's ordering page. The menu is rendered on the server (visible before any
// script runs, on a slow phone too); src/web/client/guest.ts then scans the code, keeps the
// session token for this table, and runs the cart, the table's orders and the live updates.
import type { Assets } from '../assets.js';
import { html, type SafeHtml } from '../html.js';
import { allergenCodes, localeOf, stringsFor, t, type Lang, type MessageKey } from '../i18n.js';
import { layout } from '../layout.js';
import type { PageDish, PageMenu, TableLookup } from './guest-data.js';

const money = (table: TableLookup) => new Intl.NumberFormat(localeOf(table.language), { style: 'currency', currency: table.currency });

/** Two letters for the icon (the name is always written beside it). */
const allergenIcon = (lang: Lang, code: string) =>
  html`<span class="ai ai-${code}" aria-hidden="true">${t(lang, `allergen.${code}` as MessageKey).slice(0, 2)}</span>`;

function dish(lang: Lang, format: Intl.NumberFormat, d: PageDish): SafeHtml {
  const state = !d.available ? 'unavailable' : d.stockState;
  const blocked = state === 'unavailable' || state === 'sold_out';
  const badge =
    state === 'unavailable' ? t(lang, 'menu.unavailable') : state === 'sold_out' ? t(lang, 'menu.soldOut') : state === 'low' ? t(lang, 'menu.low') : '';
  return html`<li class="dish" id="d-${d.id}" data-id="${d.id}" data-state="${state}" data-allergens="${d.allergens.join(' ')}">
<div class="dish-main">
<h3 class="dish-name">${d.name}</h3>
${d.description ? html`<p class="dish-desc">${d.description}</p>` : ''}
${d.allergens.length > 0
    ? html`<ul class="allergens" aria-label="${t(lang, 'menu.allergens')}">${d.allergens.map((a) => html`<li>${allergenIcon(lang, a)}${t(lang, `allergen.${a}` as MessageKey)}</li>`)}</ul>`
    : ''}
</div>
<div class="dish-side">
<span class="price" data-price="${d.price}">${format.format(d.price)}</span>
<span class="badge badge-${state}"${badge ? '' : ' hidden'}>${badge}</span>
<button type="button" class="add" data-add="${d.id}" aria-label="${t(lang, 'menu.addLabel', { name: d.name })}"${blocked ? html` disabled` : ''}>${t(lang, 'menu.add')}</button>
</div>
</li>`;
}

export function guestPage(assets: Assets, lang: Lang, table: TableLookup, menu: PageMenu): string {
  const format = money(table);
  const title = `${table.restaurantName} · ${t(lang, 'menu.table', { n: table.number })}`;
  const body = html`<nav class="cats" aria-label="${t(lang, 'menu.categories')}"><ul><li><a class="to-table" href="#orders">${t(lang, 'nav.table')}</a></li>${menu.categories.map(
    (c) => html`<li><a href="#c-${c.id}">${c.name}</a></li>`,
  )}</ul></nav>
<div id="announce" class="sr-only" role="status" aria-live="polite"></div>
<div id="join" class="panel" hidden></div>
<section id="closed" class="panel closed" hidden aria-labelledby="closed-title">
<h2 id="closed-title">${t(lang, 'closed.title')}</h2>
<p>${t(lang, 'closed.text')}</p>
<button type="button" id="rescan">${t(lang, 'closed.again')}</button>
</section>
<main id="main">
<details class="filter">
<summary>${t(lang, 'menu.filter')}</summary>
<fieldset>
<legend>${t(lang, 'menu.filterHelp')}</legend>
<div class="filter-grid">${allergenCodes.map(
    (a) => html`<label class="check"><input type="checkbox" name="allergen" value="${a}">${allergenIcon(lang, a)}<span>${t(lang, `allergen.${a}` as MessageKey)}</span></label>`,
  )}</div>
</fieldset>
</details>
<p id="hidden-count" class="note" hidden></p>
${menu.categories.map(
    (c) => html`<section class="category" id="c-${c.id}" aria-labelledby="h-${c.id}">
<h2 id="h-${c.id}">${c.name}</h2>
${c.description ? html`<p class="cat-desc">${c.description}</p>` : ''}
<ul class="dishes">${c.items.map((d) => dish(lang, format, d))}</ul>
</section>`,
  )}
<section id="orders" class="panel" aria-labelledby="orders-title">
<h2 id="orders-title">${t(lang, 'orders.title')}</h2>
<p id="live" class="live" hidden></p>
<div id="orders-list" aria-live="polite"><p class="note">${t(lang, 'orders.none')}</p></div>
</section>
<section id="help" class="panel" aria-labelledby="help-title">
<h2 id="help-title">${t(lang, 'help.title')}</h2>
<div class="row">
<button type="button" class="secondary" data-request="waiter" disabled>${t(lang, 'help.waiter')}</button>
<button type="button" class="secondary" data-request="bill" disabled>${t(lang, 'help.bill')}</button>
</div>
<p id="help-status" class="note" role="status" aria-live="polite"></p>
</section>
<noscript><p class="panel">${t(lang, 'page.noscript')}</p></noscript>
</main>
<div class="cartbar" id="cartbar" hidden><button type="button" id="open-cart" aria-haspopup="dialog"></button></div>
<dialog id="cart" aria-labelledby="cart-title">
<div class="cart-head"><h2 id="cart-title">${t(lang, 'cart.title')}</h2><button type="button" class="secondary" id="close-cart">${t(lang, 'cart.close')}</button></div>
<div id="cart-lines"></div>
<p id="cart-message" class="note" role="alert"></p>
<p class="total"><span>${t(lang, 'cart.total')}</span> <span id="cart-total"></span></p>
<button type="button" id="send">${t(lang, 'cart.send')}</button>
</dialog>`;
  return layout(assets, {
    lang,
    title,
    header: html`<h1>${table.restaurantName}</h1><p class="sub">${t(lang, 'menu.table', { n: table.number })}</p>`,
    body,
    script: 'guest.js',
    className: 'guest',
    data: {
      tableId: table.id,
      restaurantId: table.restaurantId,
      locale: localeOf(table.language),
      currency: table.currency,
      menuVersion: menu.version,
      strings: stringsFor(lang, ['menu.', 'cart.', 'orders.', 'status.', 'join.', 'help.', 'live.', 'error.', 'closed.']),
    },
  });
}
