// /admin/menu: the admins' menu page. Categories and dishes (create, edit, reorder), prices in the
// restaurant's currency, the 14 EU allergens, availability in one tap (the "86"), stock through
// the ledger with a reason, and a dish's stock history. The page only renders the shell and its
// forms; the script reads and writes through the admin menu API (/api/admin/…) with the session's
// CSRF token, so every rule is the API's, and it follows the `menu` live topic.
import type { Lang, MessageKey } from '../i18n.js';
import { allergenCodes, t } from '../i18n.js';
import { html, type SafeHtml } from '../html.js';
import { langOf } from '../respond.js';
import { staffLayout } from './layout.js';
import { staffPage, type StaffPageContext } from './routes.js';

/** A labelled field with its help line and the paragraph its API error goes to. */
function field(
  lang: Lang,
  form: string,
  name: string,
  label: string,
  control: (id: string, describedBy: string) => SafeHtml,
  help?: MessageKey,
): SafeHtml {
  const id = `${form}-${name}`;
  const helpId = help ? `${id}-help` : '';
  return html`<div class="field">
<label for="${id}">${label}</label>
${control(id, helpId)}
${help ? html`<p class="note help" id="${helpId}">${t(lang, help)}</p>` : ''}
<p class="field-error" id="${id}-error" data-error-for="${name}" hidden></p>
</div>`;
}

const describedBy = (ids: string) => (ids ? html` aria-describedby="${ids}"` : '');

function categoryDialog(lang: Lang): SafeHtml {
  return html`<dialog id="category-dialog" aria-labelledby="category-title">
<form id="category-form" method="dialog" novalidate>
<h2 id="category-title">${t(lang, 'menuAdmin.dialog.newCategory')}</h2>
${field(lang, 'category', 'name', t(lang, 'menuAdmin.form.name'), (id, d) => html`<input id="${id}" name="name" data-field="name" maxlength="120" required autocomplete="off"${describedBy(d)}>`)}
${field(lang, 'category', 'description', t(lang, 'menuAdmin.form.description'), (id, d) => html`<textarea id="${id}" name="description" data-field="description" rows="2" maxlength="2000"${describedBy(d)}></textarea>`)}
<div class="check"><input type="checkbox" id="category-isActive" name="isActive" data-field="isActive" checked><label for="category-isActive">${t(lang, 'menuAdmin.form.active')}</label></div>
<p class="error" role="alert" data-form-error></p>
<div class="actions"><button type="submit" data-submit>${t(lang, 'menuAdmin.form.save')}</button> <button type="button" class="secondary" data-close>${t(lang, 'menuAdmin.form.cancel')}</button></div>
</form>
</dialog>`;
}

function itemDialog(lang: Lang, currency: string): SafeHtml {
  const allergens = allergenCodes.map(
    (code) => html`<li><input type="checkbox" id="item-allergen-${code}" name="allergens" value="${code}" data-field="allergens"><label for="item-allergen-${code}">${t(lang, `allergen.${code}` as MessageKey)}</label></li>`,
  );
  return html`<dialog id="item-dialog" class="wide" aria-labelledby="item-title">
<form id="item-form" method="dialog" novalidate>
<h2 id="item-title">${t(lang, 'menuAdmin.dialog.newItem')}</h2>
${field(lang, 'item', 'name', t(lang, 'menuAdmin.form.name'), (id, d) => html`<input id="${id}" name="name" data-field="name" maxlength="200" required autocomplete="off"${describedBy(d)}>`)}
<div class="row">
${field(lang, 'item', 'categoryId', t(lang, 'menuAdmin.form.category'), (id, d) => html`<select id="${id}" name="categoryId" data-field="categoryId"${describedBy(d)}></select>`)}
${field(
  lang,
  'item',
  'price',
  t(lang, 'menuAdmin.form.price', { currency }),
  (id, d) => html`<input id="${id}" name="price" data-field="price" inputmode="decimal" autocomplete="off" required${describedBy(d)}>`,
  'menuAdmin.form.priceHelp',
)}
${field(lang, 'item', 'stock', t(lang, 'menuAdmin.form.stock'), (id, d) => html`<input id="${id}" name="stock" data-field="stock" type="number" inputmode="numeric" min="0" step="1" value="0"${describedBy(d)}>`)}
</div>
${field(lang, 'item', 'description', t(lang, 'menuAdmin.form.description'), (id, d) => html`<textarea id="${id}" name="description" data-field="description" rows="2" maxlength="2000"${describedBy(d)}></textarea>`)}
<fieldset id="item-allergens" aria-describedby="item-allergens-error">
<legend>${t(lang, 'menuAdmin.form.allergens')}</legend>
<ul class="allergen-grid">${allergens}</ul>
<p class="field-error" id="item-allergens-error" data-error-for="allergens" hidden></p>
</fieldset>
<div class="check"><input type="checkbox" id="item-isAvailable" name="isAvailable" data-field="isAvailable" checked><label for="item-isAvailable">${t(lang, 'menuAdmin.form.available')}</label></div>
<p class="error" role="alert" data-form-error></p>
<div class="actions"><button type="submit" data-submit>${t(lang, 'menuAdmin.form.save')}</button> <button type="button" class="secondary" data-close>${t(lang, 'menuAdmin.form.cancel')}</button></div>
</form>
</dialog>`;
}

function stockDialog(lang: Lang): SafeHtml {
  const col = (key: MessageKey) => html`<th scope="col">${t(lang, key)}</th>`;
  return html`<dialog id="stock-dialog" class="wide" aria-labelledby="stock-title">
<form id="stock-form" method="dialog" novalidate>
<h2 id="stock-title"></h2>
<p id="stock-current" class="stock-current"></p>
<div class="row">
${field(lang, 'stock', 'mode', t(lang, 'menuAdmin.stock.mode'), (id) => html`<select id="${id}" name="mode" data-field="mode"><option value="delta">${t(lang, 'menuAdmin.stock.delta')}</option><option value="set">${t(lang, 'menuAdmin.stock.set')}</option></select>`)}
${field(
  lang,
  'stock',
  'amount',
  t(lang, 'menuAdmin.stock.amount'),
  (id, d) => html`<input id="${id}" name="amount" data-field="delta set" type="number" inputmode="numeric" step="1" required${describedBy(d)}>`,
  'menuAdmin.stock.amountHelp',
)}
${field(lang, 'stock', 'reason', t(lang, 'menuAdmin.stock.reason'), (id, d) => html`<select id="${id}" name="reason" data-field="reason"${describedBy(d)}><option value="restock">${t(lang, 'menuAdmin.reason.restock')}</option><option value="correction">${t(lang, 'menuAdmin.reason.correction')}</option></select>`)}
</div>
${field(lang, 'stock', 'note', t(lang, 'menuAdmin.stock.note'), (id, d) => html`<input id="${id}" name="note" data-field="note" maxlength="500" autocomplete="off"${describedBy(d)}>`)}
<p class="error" role="alert" data-form-error></p>
<div class="actions"><button type="submit" data-submit>${t(lang, 'menuAdmin.stock.apply')}</button> <button type="button" class="secondary" data-close>${t(lang, 'menuAdmin.form.cancel')}</button></div>
<h3 id="history-title">${t(lang, 'menuAdmin.history')}</h3>
<div class="table-scroll" role="region" aria-labelledby="history-title" tabindex="0">
<table id="history">
<thead><tr>${col('menuAdmin.history.when')}${col('menuAdmin.history.change')}${col('menuAdmin.history.after')}${col('menuAdmin.history.reason')}${col('menuAdmin.history.who')}${col('menuAdmin.history.note')}</tr></thead>
<tbody></tbody>
</table>
</div>
<p id="history-empty" class="note" hidden>${t(lang, 'menuAdmin.history.empty')}</p>
</form>
</dialog>`;
}

export function registerMenuAdminPages(ctx: StaffPageContext): void {
  staffPage(ctx, '/admin/menu', 'menu', async (request, reply, session) => {
    const lang = langOf(request, reply);
    const { rows } = await ctx.db.query<{ currency: string }>('SELECT currency FROM restaurante.restaurants WHERE id = $1', [session.restaurantId], {
      readOnly: true,
    });
    const currency = rows[0]?.currency ?? 'EUR';
    return staffLayout(ctx.assets, {
      lang,
      session,
      section: 'menu',
      title: t(lang, 'menuAdmin.title'),
      script: 'admin-menu.js',
      style: 'admin-menu.css',
      strings: ['menuAdmin.', 'allergen.'],
      data: { currency, allergens: allergenCodes },
      className: 'admin-menu',
      body: html`<main id="main">
<div class="menu-head">
<h1>${t(lang, 'menuAdmin.title')}</h1>
<button type="button" id="new-category">${t(lang, 'menuAdmin.newCategory')}</button>
</div>
<p class="note">${t(lang, 'menuAdmin.intro')}</p>
<p id="status" class="menu-status" role="status" aria-live="polite"></p>
<div id="menu" aria-busy="true"><p class="note">${t(lang, 'menuAdmin.loading')}</p></div>
${categoryDialog(lang)}
${itemDialog(lang, currency)}
${stockDialog(lang)}
</main>`,
    });
  });
}
