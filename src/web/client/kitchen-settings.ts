// /kitchen/settings (admins): the amber and red thresholds (one form, the API's validation shown
// at its field), the stations (add, rename, delete after a confirmation) and each dish category's
// station. Everything goes through /api/kitchen/settings, /api/kitchen/stations and
// /api/kitchen/categories/{id}/station with the session's CSRF token; kitchen screens pick the
// changes up at once (they follow the menu topic).
import { el } from './common.js';
import { $, askDialog, clearFieldErrors, format, HttpError, pageData, problemFields, showFieldErrors, staffApi, wireSignOut, type StaffPageData } from './staff-common.js';

interface Station {
  id: string;
  name: string;
  sortOrder: number;
}
interface Settings {
  amberMinutes: number;
  redMinutes: number;
  stations: Station[];
  categories: Array<{ id: string; name: string; stationId: string | null }>;
}

const data = pageData<StaffPageData>();
const S = data.strings;
const s = (key: string, params: Record<string, string | number> = {}) => format(S[`kitchenSettings.${key}`], params);

const statusLine = $('#status');
const errorLine = $('#error');
const thresholds = $<HTMLFormElement>('#thresholds');
const addForm = $<HTMLFormElement>('#add-station');
const stationList = $('#stations');
const categoryList = $('#categories');
const dialog = $<HTMLDialogElement>('#confirm');

let settings: Settings | undefined;

function say(text: string): void {
  errorLine.textContent = '';
  statusLine.textContent = text;
}

/** A failure in the user's language: the network, a known problem, else the generic line. */
function failureText(err: unknown): string {
  if (!(err instanceof HttpError)) return S['staff.error.network'] ?? '';
  if (err.problem.code === 'CONFLICT') return s('error.nameTaken');
  if (err.problem.status === 404) return s('error.gone');
  return S['staff.error.generic'] ?? '';
}

function fail(err: unknown): void {
  statusLine.textContent = '';
  errorLine.textContent = failureText(err);
}

// ---- forms: errors at the field the API names ----------------------------------------------

/** Marks the fields the API named (a 409 on a name marks the name); else says it on the form. */
function showErrors(form: HTMLFormElement, err: unknown): void {
  const conflict = err instanceof HttpError && err.problem.code === 'CONFLICT';
  showFieldErrors(form, conflict ? [{ field: 'name', message: '' }] : problemFields(err), {
    of: ({ field }) => (conflict ? s('error.nameTaken') : s(`error.${field}`) || (S['staff.error.generic'] ?? '')),
    fix: s('error.fix'),
    otherwise: failureText(err),
  });
}

/** Submits `form` through `send` once at a time; a failure is shown at its fields. */
function wireForm(form: HTMLFormElement, send: () => Promise<void>): void {
  // What was wrong is no longer shown once the user changes it.
  form.addEventListener('input', () => clearFieldErrors(form));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = form.querySelector<HTMLButtonElement>('[data-submit]');
    if (button?.disabled) return;
    if (button) button.disabled = true;
    clearFieldErrors(form);
    void send()
      .catch((err: unknown) => {
        showErrors(form, err);
        if (err instanceof HttpError && err.problem.status === 404) void load();
      })
      .finally(() => {
        if (button) button.disabled = false;
      });
  });
}

/** An input's number, or its text as typed (the API says what is wrong with it). */
function numberOf(input: HTMLInputElement): number | string | null {
  const text = input.value.trim();
  if (!text) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

// ---- rendering ------------------------------------------------------------------------------

function renderThresholds(): void {
  if (!settings) return;
  $<HTMLInputElement>('#amber').value = String(settings.amberMinutes);
  $<HTMLInputElement>('#red').value = String(settings.redMinutes);
}

function stationEntry(station: Station): HTMLElement {
  const rename = el('button', { type: 'button', className: 'secondary small', text: s('rename'), attrs: { 'aria-label': s('renameLabel', { name: station.name }), 'aria-expanded': 'false', 'data-rename': station.id } });
  const remove = el('button', { type: 'button', className: 'secondary small', text: s('delete'), attrs: { 'aria-label': s('deleteLabel', { name: station.name }), 'data-delete': station.id } });
  const inputId = `rename-${station.id}`;
  const input = el('input', { id: inputId, attrs: { name: 'name', 'data-field': 'name', required: '', maxlength: '60', autocomplete: 'off', value: station.name } });
  const form = el(
    'form',
    { className: 'rename-form', attrs: { novalidate: '' } },
    el('label', { text: s('newName', { name: station.name }), attrs: { for: inputId } }),
    input,
    el('p', { className: 'field-error', id: `${inputId}-error`, attrs: { 'data-error-for': 'name', hidden: '' } }),
    el('p', { className: 'error', attrs: { 'data-form-error': '', role: 'alert' } }),
    el('div', { className: 'row' }, el('button', { type: 'submit', className: 'small', text: s('save'), attrs: { 'data-submit': '' } }), el('button', { type: 'button', className: 'secondary small', text: s('cancel'), attrs: { 'data-cancel': '' } })),
  );
  form.hidden = true;
  const li = el('li', { className: 'entry', attrs: { 'data-station': station.id } }, el('div', { className: 'station-row' }, el('p', { className: 'name', text: station.name }), el('div', { className: 'row' }, rename, remove)), form);

  const close = () => {
    form.hidden = true;
    rename.setAttribute('aria-expanded', 'false');
    clearFieldErrors(form);
    input.value = station.name;
  };
  rename.addEventListener('click', () => {
    const opening = form.hidden;
    if (!opening) return close();
    form.hidden = false;
    rename.setAttribute('aria-expanded', 'true');
    input.focus();
    input.select();
  });
  $('[data-cancel]', form).addEventListener('click', () => {
    close();
    rename.focus();
  });
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      close();
      rename.focus();
    }
  });
  wireForm(form, async () => {
    const renamed = await staffApi<Station>(`/api/kitchen/stations/${encodeURIComponent(station.id)}`, { method: 'PATCH', body: { name: input.value } });
    await load();
    say(s('renamed', { old: station.name, name: renamed.name }));
    stationList.querySelector<HTMLElement>(`[data-rename="${CSS.escape(station.id)}"]`)?.focus();
  });
  remove.addEventListener('click', () => void deleteStation(station));
  return li;
}

function renderStations(): void {
  const stations = settings?.stations ?? [];
  stationList.replaceChildren(...stations.map(stationEntry));
  $('#stations-empty').hidden = stations.length > 0;
}

function renderCategories(): void {
  const categories = settings?.categories ?? [];
  const stations = settings?.stations ?? [];
  categoryList.replaceChildren(
    ...categories.map((category) => {
      const id = `cat-${category.id}`;
      const select = el(
        'select',
        { id, attrs: { 'data-category': category.id } },
        el('option', { text: s('noStation'), attrs: { value: '' } }),
        ...stations.map((station) => el('option', { text: station.name, attrs: { value: station.id } })),
      );
      select.value = category.stationId ?? '';
      select.addEventListener('change', () => void setStation(category, select));
      return el('li', { className: 'entry' }, el('label', { text: category.name, attrs: { for: id } }), select);
    }),
  );
  $('#categories-empty').hidden = categories.length > 0;
}

function render(): void {
  renderThresholds();
  renderStations();
  renderCategories();
}

// ---- actions ------------------------------------------------------------------------------------

async function load(): Promise<void> {
  settings = await staffApi<Settings>('/api/kitchen/settings');
  render();
}

wireForm(thresholds, async () => {
  const body = { amberMinutes: numberOf($<HTMLInputElement>('#amber')), redMinutes: numberOf($<HTMLInputElement>('#red')) };
  settings = await staffApi<Settings>('/api/kitchen/settings', { method: 'PUT', body });
  renderThresholds();
  say(s('thresholdsSaved', { amber: settings.amberMinutes, red: settings.redMinutes }));
});

wireForm(addForm, async () => {
  const input = $<HTMLInputElement>('#station-name');
  const created = await staffApi<Station>('/api/kitchen/stations', { method: 'POST', body: { name: input.value } });
  input.value = '';
  await load();
  say(s('added', { name: created.name }));
  input.focus();
});

async function deleteStation(station: Station): Promise<void> {
  const n = settings?.categories.filter((c) => c.stationId === station.id).length ?? 0;
  $('#confirm-text').textContent = s(n ? 'deleteQuestion' : 'deleteQuestionEmpty', { name: station.name, n });
  if (!(await askDialog(dialog, $('#confirm-yes'), $('#confirm-no')))) {
    stationList.querySelector<HTMLElement>(`[data-delete="${CSS.escape(station.id)}"]`)?.focus();
    return;
  }
  try {
    await staffApi(`/api/kitchen/stations/${encodeURIComponent(station.id)}`, { method: 'DELETE' });
    await load();
    say(s('deleted', { name: station.name }));
    $('#station-name').focus();
  } catch (err) {
    fail(err);
    if (err instanceof HttpError && err.problem.status === 404) await load().catch(() => undefined);
  }
}

async function setStation(category: Settings['categories'][number], select: HTMLSelectElement): Promise<void> {
  const stationId = select.value || null;
  select.disabled = true;
  try {
    settings = await staffApi<Settings>(`/api/kitchen/categories/${encodeURIComponent(category.id)}/station`, { method: 'PUT', body: { stationId } });
    const station = settings.stations.find((x) => x.id === stationId);
    say(s('categorySaved', { category: category.name, station: station?.name ?? s('noStation') }));
  } catch (err) {
    fail(err);
    select.value = category.stationId ?? '';
    if (err instanceof HttpError && err.problem.status === 404) await load().catch(() => undefined);
  } finally {
    select.disabled = false;
    const current = settings?.categories.find((c) => c.id === category.id);
    if (current) category.stationId = current.stationId;
    select.focus();
  }
}

wireSignOut();
load()
  .then(() => {
    statusLine.textContent = '';
    document.documentElement.dataset.loaded = '1';
  })
  .catch(fail);
