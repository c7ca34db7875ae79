// /admin/menu: categories and dishes through the admin menu API. Everything is rendered with el()
// and textContent (a dish's name is text, never markup). A bad field comes back from the API as
// problem+json naming the field (`field`, `errors[].field`); the form marks that field
// (aria-invalid, aria-describedby → its error line). Live: the `menu` topic re-reads the lists.
import { el } from './common.js';
import { $, clearFieldErrors, follow, format, HttpError, pageData, problemFields, problemText, showFieldErrors, staffApi, wireSignOut, type StaffPageData } from './staff-common.js';

interface Category {
  id: string;
  name: string;
  description: string | null;
  sortOrder: number;
  isActive: boolean;
}
interface Item {
  id: string;
  categoryId: string;
  name: string;
  description: string | null;
  price: number;
  stock: number;
  isAvailable: boolean;
  allergens: string[];
  sortOrder: number;
}
interface Movement {
  id: string;
  delta: number;
  stockAfter: number;
  reason: string;
  actor: string | null;
  note: string | null;
  createdAt: string;
}

const data = pageData<StaffPageData & { currency: string; allergens: string[] }>();
const s = data.strings;
const str = (key: string, params: Record<string, string | number> = {}) => format(s[`menuAdmin.${key}`] ?? key, params);
const locale = data.lang === 'en' ? 'en-GB' : 'es-ES';
const money = new Intl.NumberFormat(locale, { style: 'currency', currency: data.currency });
const decimal = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2, useGrouping: false });
const when = new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short' });

let categories: Category[] = [];
let items: Item[] = [];
const root = $('#menu');
const statusLine = $('#status');

const say = (text: string) => {
  statusLine.textContent = text;
};

// ---------------------------------------------------------------------------------------------
// Reading and drawing
// ---------------------------------------------------------------------------------------------

async function load(): Promise<void> {
  const [c, i] = await Promise.all([
    staffApi<{ categories: Category[] }>('/api/admin/categories'),
    staffApi<{ items: Item[] }>('/api/admin/menu-items'),
  ]);
  categories = c.categories;
  items = i.items;
  draw();
}

let reloading: Promise<void> | undefined;
let again = false;
/** Re-reads the menu; calls during a read run once more after it. */
function reload(): Promise<void> {
  if (reloading) {
    again = true;
    return reloading;
  }
  reloading = load()
    .catch((err: unknown) => say(problemText(err, s)))
    .finally(() => {
      reloading = undefined;
      if (again) {
        again = false;
        void reload();
      }
    });
  return reloading;
}

const itemsOf = (categoryId: string) => items.filter((i) => i.categoryId === categoryId);

function button(text: string, label: string | undefined, key: string, onClick: () => void, className = 'secondary small'): HTMLButtonElement {
  const b = el('button', { type: 'button', className, text, attrs: { 'data-key': key, ...(label ? { 'aria-label': label } : {}) } });
  b.addEventListener('click', onClick);
  return b;
}

function moveButtons(list: { id: string; name: string }[], index: number, keyOf: string, move: (from: number, to: number) => void): HTMLElement {
  const name = list[index]!.name;
  const up = button('↑', str('moveUpLabel', { name }), `up:${keyOf}`, () => move(index, index - 1), 'secondary small icon');
  const down = button('↓', str('moveDownLabel', { name }), `down:${keyOf}`, () => move(index, index + 1), 'secondary small icon');
  up.disabled = index === 0;
  down.disabled = index === list.length - 1;
  return el('span', { className: 'move' }, up, down);
}

function itemRow(item: Item, index: number, siblings: Item[]): HTMLElement {
  const allergens = item.allergens.length
    ? item.allergens.map((a) => s[`allergen.${a}`] ?? a).join(', ')
    : str('noAllergens');
  // One tap: its name is the dish's and its state ("Jamón Disponible", pressed), so the visible
  // text is part of the name.
  const nameId = `dish-${item.id}`;
  const toggleId = `avail-${item.id}`;
  const toggle = button(item.isAvailable ? str('available') : str('unavailable'), undefined, `avail:${item.id}`, () => void setAvailable(item, !item.isAvailable), 'toggle');
  toggle.id = toggleId;
  toggle.setAttribute('aria-pressed', String(item.isAvailable));
  toggle.setAttribute('aria-labelledby', `${nameId} ${toggleId}`);
  toggle.classList.toggle('off', !item.isAvailable);
  const stock = button(str('stockButton', { n: item.stock }), str('stockLabel', { name: item.name, n: item.stock }), `stock:${item.id}`, () => void openStock(item), 'secondary small stock');
  return el(
    'li',
    { className: `dish${item.isAvailable ? '' : ' is-off'}`, attrs: { 'data-item': item.id } },
    el(
      'div',
      { className: 'dish-main' },
      el('span', { className: 'dish-name', id: nameId, text: item.name }),
      el('span', { className: 'dish-price', text: money.format(item.price) }),
      el('span', { className: 'dish-allergens', text: allergens, attrs: { title: str('allergensOf') } }),
    ),
    el(
      'div',
      { className: 'dish-actions' },
      toggle,
      stock,
      button(str('editItem'), str('editItemLabel', { name: item.name }), `edit:${item.id}`, () => openItem(item)),
    ),
    moveButtons(siblings, index, item.id, (from, to) => void moveItem(item.categoryId, from, to)),
  );
}

function draw(): void {
  // Keep the focus on the same control across a redraw (a live update must not lose it).
  const focused = (document.activeElement as HTMLElement | null)?.dataset.key;
  root.setAttribute('aria-busy', 'false');
  root.replaceChildren();
  if (categories.length === 0) root.append(el('p', { className: 'note', text: str('empty') }));
  categories.forEach((category, index) => {
    const dishes = itemsOf(category.id);
    const headingId = `cat-${category.id}`;
    const section = el(
      'section',
      { className: `category${category.isActive ? '' : ' is-off'}`, attrs: { 'aria-labelledby': headingId, 'data-category': category.id } },
      el(
        'div',
        { className: 'category-head' },
        el('h2', { id: headingId, text: category.name }),
        category.isActive ? null : el('span', { className: 'badge', text: str('inactive') }),
        el(
          'div',
          { className: 'category-actions' },
          button(str('newItem'), str('newItemIn', { name: category.name }), `add:${category.id}`, () => openItem(undefined, category.id), 'small'),
          button(str('editCategory'), str('editCategoryLabel', { name: category.name }), `edit:${category.id}`, () => openCategory(category)),
          moveButtons(categories, index, category.id, (from, to) => void moveCategory(from, to)),
        ),
      ),
      dishes.length
        ? el('ul', { className: 'dishes' }, ...dishes.map((item, i) => itemRow(item, i, dishes)))
        : el('p', { className: 'note', text: str('emptyCategory') }),
    );
    root.append(section);
  });
  if (focused) {
    const again = root.querySelector<HTMLElement>(`[data-key="${CSS.escape(focused)}"]`);
    if (again && !(again as HTMLButtonElement).disabled) again.focus();
    else if (again) {
      // A move button that became disabled at the edge: its neighbour takes the focus.
      const other = focused.startsWith('up:') ? focused.replace('up:', 'down:') : focused.replace('down:', 'up:');
      root.querySelector<HTMLElement>(`[data-key="${CSS.escape(other)}"]`)?.focus();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// One-tap actions
// ---------------------------------------------------------------------------------------------

async function setAvailable(item: Item, isAvailable: boolean): Promise<void> {
  try {
    const { item: saved } = await staffApi<{ item: Item }>(`/api/admin/menu-items/${encodeURIComponent(item.id)}/availability`, {
      method: 'POST',
      body: { isAvailable },
    });
    items = items.map((i) => (i.id === saved.id ? saved : i));
    draw();
    say(str(isAvailable ? 'nowAvailable' : 'nowUnavailable', { name: saved.name }));
  } catch (err) {
    say(problemText(err, s));
  }
}

async function moveCategory(from: number, to: number): Promise<void> {
  if (to < 0 || to >= categories.length) return;
  const ids = categories.map((c) => c.id);
  const [moved] = ids.splice(from, 1);
  ids.splice(to, 0, moved!);
  await reorder('/api/admin/category-order', ids, categories[from]!.name, to, ids.length);
}

async function moveItem(categoryId: string, from: number, to: number): Promise<void> {
  const dishes = itemsOf(categoryId);
  if (to < 0 || to >= dishes.length) return;
  const ids = dishes.map((d) => d.id);
  const [moved] = ids.splice(from, 1);
  ids.splice(to, 0, moved!);
  await reorder(`/api/admin/categories/${encodeURIComponent(categoryId)}/menu-items/order`, ids, dishes[from]!.name, to, ids.length);
}

async function reorder(path: string, ids: string[], name: string, to: number, total: number): Promise<void> {
  try {
    await staffApi(path, { method: 'PUT', body: { ids } });
    await load();
    say(str('moved', { name, n: to + 1, total }));
  } catch (err) {
    await reload();
    say(err instanceof HttpError && err.problem.code === 'CONFLICT' ? str('error.conflict') : problemText(err, s));
  }
}

// ---------------------------------------------------------------------------------------------
// Forms: errors at the field, as the API reports them
// ---------------------------------------------------------------------------------------------

/** Marks each field the API named; else says what went wrong on the form. */
function showErrors(form: HTMLFormElement, err: unknown): void {
  showFieldErrors(form, problemFields(err), {
    of: ({ field, message }) => s[`menuAdmin.error.${field}`] ?? `${field} ${message}`,
    fix: str('form.fix'),
    otherwise: problemText(err, s),
  });
}

function wireDialog(dialog: HTMLDialogElement, submit: (form: HTMLFormElement) => Promise<void>): HTMLFormElement {
  const form = $<HTMLFormElement>('form', dialog);
  $('[data-close]', dialog).addEventListener('click', () => dialog.close());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const sendButton = $<HTMLButtonElement>('[data-submit]', form);
    if (sendButton.disabled) return;
    sendButton.disabled = true;
    void submit(form)
      .catch((err: unknown) => showErrors(form, err))
      .finally(() => {
        sendButton.disabled = false;
      });
  });
  return form;
}

const value = (form: HTMLFormElement, name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
const checked = (form: HTMLFormElement, name: string) => (form.elements.namedItem(name) as HTMLInputElement).checked;

/** "12,50", "12.5", "€ 12,50" → 12.5; anything else goes to the API as typed, which names the field. */
function parsePrice(text: string): number | string {
  const cleaned = text.replace(/[\s\u00a0]/g, '').replace(data.currency, '').replace(/[€$£]/g, '');
  if (/^\d+([.,]\d+)?$/.test(cleaned)) return Number(cleaned.replace(',', '.'));
  return text;
}
/** An integer field: a number when it is one, else the text (the API says what is wrong). */
function parseInteger(text: string): number | string {
  const trimmed = text.trim();
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

// The category dialog
const categoryDialog = $<HTMLDialogElement>('#category-dialog');
let editingCategory: Category | undefined;
const categoryForm = wireDialog(categoryDialog, async (form) => {
  const body = {
    name: value(form, 'name'),
    description: value(form, 'description').trim() || null,
    isActive: checked(form, 'isActive'),
  };
  if (editingCategory) {
    await staffApi(`/api/admin/categories/${encodeURIComponent(editingCategory.id)}`, { method: 'PATCH', body });
    say(str('saved'));
  } else {
    const last = categories.at(-1);
    await staffApi('/api/admin/categories', { method: 'POST', body: { ...body, sortOrder: (last?.sortOrder ?? 0) + 10 } });
    say(str('created', { name: body.name }));
  }
  categoryDialog.close();
  await load();
});

function openCategory(category?: Category): void {
  editingCategory = category;
  clearFieldErrors(categoryForm);
  categoryForm.reset();
  $('#category-title').textContent = str(category ? 'dialog.editCategory' : 'dialog.newCategory');
  (categoryForm.elements.namedItem('name') as HTMLInputElement).value = category?.name ?? '';
  (categoryForm.elements.namedItem('description') as HTMLTextAreaElement).value = category?.description ?? '';
  (categoryForm.elements.namedItem('isActive') as HTMLInputElement).checked = category?.isActive ?? true;
  $<HTMLButtonElement>('[data-submit]', categoryForm).textContent = str(category ? 'form.save' : 'form.create');
  categoryDialog.showModal();
  (categoryForm.elements.namedItem('name') as HTMLInputElement).focus();
}

// The dish dialog
const itemDialog = $<HTMLDialogElement>('#item-dialog');
let editingItem: Item | undefined;
const itemForm = wireDialog(itemDialog, async (form) => {
  const allergens = [...form.querySelectorAll<HTMLInputElement>('input[name="allergens"]:checked')].map((c) => c.value);
  const priceText = value(form, 'price');
  const body: Record<string, unknown> = {
    name: value(form, 'name'),
    categoryId: value(form, 'categoryId'),
    description: value(form, 'description').trim() || null,
    allergens,
    isAvailable: checked(form, 'isAvailable'),
  };
  // An empty price is left out, so the API says it is missing (at the field).
  if (priceText.trim() !== '') body.price = parsePrice(priceText);
  if (editingItem) {
    await staffApi(`/api/admin/menu-items/${encodeURIComponent(editingItem.id)}`, { method: 'PATCH', body });
    say(str('saved'));
  } else {
    body.stock = parseInteger(value(form, 'stock') || '0');
    const last = itemsOf(body.categoryId as string).at(-1);
    body.sortOrder = (last?.sortOrder ?? 0) + 10;
    await staffApi('/api/admin/menu-items', { method: 'POST', body });
    say(str('created', { name: body.name as string }));
  }
  itemDialog.close();
  await load();
});

function openItem(item?: Item, categoryId?: string): void {
  editingItem = item;
  clearFieldErrors(itemForm);
  itemForm.reset();
  $('#item-title').textContent = str(item ? 'dialog.editItem' : 'dialog.newItem');
  const select = itemForm.elements.namedItem('categoryId') as HTMLSelectElement;
  select.replaceChildren(...categories.map((c) => el('option', { text: c.name, attrs: { value: c.id } })));
  select.value = item?.categoryId ?? categoryId ?? categories[0]?.id ?? '';
  (itemForm.elements.namedItem('name') as HTMLInputElement).value = item?.name ?? '';
  (itemForm.elements.namedItem('price') as HTMLInputElement).value = item ? decimal.format(item.price) : '';
  (itemForm.elements.namedItem('description') as HTMLTextAreaElement).value = item?.description ?? '';
  (itemForm.elements.namedItem('isAvailable') as HTMLInputElement).checked = item?.isAvailable ?? true;
  for (const box of itemForm.querySelectorAll<HTMLInputElement>('input[name="allergens"]')) box.checked = item?.allergens.includes(box.value) ?? false;
  // Stock is set when the dish is created; afterwards it changes through the ledger.
  const stockField = $('#item-stock', itemForm).closest<HTMLElement>('.field')!;
  stockField.hidden = item !== undefined;
  $<HTMLButtonElement>('[data-submit]', itemForm).textContent = str(item ? 'form.save' : 'form.create');
  itemDialog.showModal();
  (itemForm.elements.namedItem('name') as HTMLInputElement).focus();
}

// The stock dialog: a change with a reason, and the dish's ledger
const stockDialog = $<HTMLDialogElement>('#stock-dialog');
let stockItem: Item | undefined;
const stockForm = wireDialog(stockDialog, async (form) => {
  if (!stockItem) return;
  const mode = value(form, 'mode');
  const amount = parseInteger(value(form, 'amount'));
  const note = value(form, 'note').trim();
  const body: Record<string, unknown> = { [mode === 'set' ? 'set' : 'delta']: amount, reason: value(form, 'reason'), ...(note ? { note } : {}) };
  const { item } = await staffApi<{ item: Item }>(`/api/admin/menu-items/${encodeURIComponent(stockItem.id)}/stock`, { method: 'POST', body });
  stockItem = item;
  items = items.map((i) => (i.id === item.id ? item : i));
  draw();
  clearFieldErrors(form);
  (form.elements.namedItem('amount') as HTMLInputElement).value = '';
  (form.elements.namedItem('note') as HTMLInputElement).value = '';
  showStockHead(item);
  say(str('stock.done', { name: item.name, n: item.stock }));
  await loadHistory(item.id);
});

function showStockHead(item: Item): void {
  $('#stock-title').textContent = str('dialog.stock', { name: item.name });
  $('#stock-current').textContent = str('stock.current', { n: item.stock });
}

async function loadHistory(itemId: string): Promise<void> {
  const body = $('#history tbody');
  try {
    const { movements } = await staffApi<{ movements: Movement[] }>(`/api/admin/menu-items/${encodeURIComponent(itemId)}/stock-movements`);
    if (stockItem?.id !== itemId) return;
    body.replaceChildren(
      ...movements.map((m) =>
        el(
          'tr',
          {},
          el('td', { text: when.format(new Date(m.createdAt)) }),
          el('td', { className: m.delta < 0 ? 'minus' : 'plus', text: m.delta > 0 ? `+${m.delta}` : String(m.delta) }),
          el('td', { text: String(m.stockAfter) }),
          el('td', { text: s[`menuAdmin.reason.${m.reason}`] ?? m.reason }),
          el('td', { text: m.actor ?? '' }),
          el('td', { text: m.note ?? '' }),
        ),
      ),
    );
    $('#history-empty').hidden = movements.length > 0;
  } catch (err) {
    $('[data-form-error]', stockForm).textContent = problemText(err, s);
  }
}

async function openStock(item: Item): Promise<void> {
  stockItem = item;
  clearFieldErrors(stockForm);
  stockForm.reset();
  showStockHead(item);
  $('#history tbody').replaceChildren();
  stockDialog.showModal();
  (stockForm.elements.namedItem('amount') as HTMLInputElement).focus();
  await loadHistory(item.id);
}

stockDialog.addEventListener('close', () => {
  stockItem = undefined;
});

// ---------------------------------------------------------------------------------------------

$('#new-category').addEventListener('click', () => openCategory());
wireSignOut();
void reload();
void follow(
  ['menu'],
  () => {
    void reload().then(() => {
      // An open stock dialog shows the dish's stock and ledger as they are now.
      const open = stockItem && items.find((i) => i.id === stockItem!.id);
      if (open) {
        stockItem = open;
        showStockHead(open);
        void loadHistory(open.id);
      }
    });
  },
  s,
);
