// /admin/reservations: a day's bookings on a timeline per table, today's arrivals, a booking for a
// phone call, moves to another time or table, and the lifecycle. Reads the day through
// GET /api/admin/reservation-day; acts through the reservations API, whose answers decide:
// a time or table taken meanwhile comes back as 409 with the alternatives, which are offered here.
import { el, newKey } from './common.js';
import { $, askDialog, follow, format, HttpError, pageData, problemText, staffApi, wireSignOut, type StaffPageData } from './staff-common.js';

type Status = 'PENDING' | 'CONFIRMED' | 'SEATED' | 'COMPLETED' | 'CANCELLED' | 'NO_SHOW';

interface Reservation {
  id: string;
  status: Status;
  time: string;
  date: string;
  partySize: number;
  durationMinutes: number;
  tableIds: string[];
  customerName: string;
  customerEmail: string | null;
  customerPhone: string | null;
  notes: string | null;
}

interface Plan {
  date: string;
  timezone: string;
  slotMinutes: number;
  bufferMinutes: number;
  windows: Array<{ opens: string; closes: string }>;
  tables: Array<{ id: string; number: number; capacity: number; location: string | null }>;
  combinations: Array<{ id: string; name: string; tableIds: string[] }>;
  /** The turn of a party of n at index n - 1, in minutes. */
  turnMinutes: number[];
  reservations: Reservation[];
}

interface Data extends StaffPageData {
  today: string;
  date: string;
  timezone: string;
}

const data = pageData<Data>();
const S = data.strings;
const tr = (key: string, params: Record<string, string | number> = {}) => format(S[`resAdmin.${key}`], params);

/** The lifecycle the API allows (src/core/reservations): only these buttons are offered. */
const NEXT: Record<Status, Status[]> = {
  PENDING: ['CONFIRMED', 'CANCELLED', 'NO_SHOW'],
  CONFIRMED: ['SEATED', 'CANCELLED', 'NO_SHOW'],
  SEATED: ['COMPLETED'],
  COMPLETED: [],
  CANCELLED: [],
  NO_SHOW: [],
};
const ACTIVE: Status[] = ['PENDING', 'CONFIRMED', 'SEATED'];
const movable = (r: Reservation) => r.status === 'PENDING' || r.status === 'CONFIRMED';
/** Minutes per timeline column (see the .at-N / .len-N classes in admin-reservations.css). */
const STEP = 15;
const MAX_AT = 120;
const MAX_LEN = 64;

let date = data.date;
let plan: Plan | undefined;
let todayPlan: Plan | undefined;
let loadSeq = 0;
/** The date whose timeline was last scrolled into place. */
let scrolledFor: string | undefined;

// ---------------------------------------------------------------------------------------------
// Times: the API writes local ISO times with offset; the timeline works in wall-clock minutes.
// ---------------------------------------------------------------------------------------------
const hhmm = (iso: string) => iso.slice(11, 16);
function addDays(d: string, n: number): string {
  const x = new Date(`${d}T12:00:00Z`);
  x.setUTCDate(x.getUTCDate() + n);
  return x.toISOString().slice(0, 10);
}
const dayDiff = (a: string, b: string) => Math.round((Date.parse(`${a}T12:00:00Z`) - Date.parse(`${b}T12:00:00Z`)) / 86_400_000);
/** Wall-clock minutes of `iso` counted from 00:00 of `base` (a later date adds 1440 a day). */
const wallMinutes = (iso: string, base: string) => dayDiff(iso.slice(0, 10), base) * 1440 + Number(iso.slice(11, 13)) * 60 + Number(iso.slice(14, 16));
const clock = (minutes: number) => `${String(Math.floor(minutes / 60) % 24).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** The restaurant's date and wall-clock minutes now. */
function now(): { date: string; minutes: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: data.timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date())
      .map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

const dayName = (d: string) =>
  new Intl.DateTimeFormat(data.lang, { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format(new Date(`${d}T12:00:00Z`));

function tablesLabel(ids: string[], source: Plan | undefined = plan): string {
  const numbers = ids.map((id) => source?.tables.find((t) => t.id === id)?.number ?? id);
  return numbers.map((n) => tr('table', { n })).join(' + ');
}

// ---------------------------------------------------------------------------------------------
// Loading and the status line
// ---------------------------------------------------------------------------------------------
const statusLine = $('#res-status');
const say = (text: string) => {
  statusLine.textContent = text;
};

async function load(): Promise<void> {
  const seq = ++loadSeq;
  try {
    const today = now().date;
    const dayPlan = await staffApi<Plan>(`/api/admin/reservation-day?date=${date}`);
    const forToday = date === today ? dayPlan : await staffApi<Plan>(`/api/admin/reservation-day?date=${today}`);
    if (seq !== loadSeq) return;
    plan = dayPlan;
    todayPlan = forToday;
    render();
    // The form's table list follows the day live (a hint: the API decides when it is sent).
    if (formDialog.open && formPlan && formPlan.date === dayPlan.date) {
      formPlan = dayPlan;
      fillTables();
    }
  } catch (err) {
    if (seq === loadSeq) say(problemText(err, S));
  }
}

let pending: ReturnType<typeof setTimeout> | undefined;
/** Live nudges come in bursts: re-read once they settle. */
function scheduleLoad(): void {
  clearTimeout(pending);
  pending = setTimeout(() => void load(), 150);
}

function setDate(next: string): void {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(next)) return;
  date = next;
  $<HTMLInputElement>('#res-date').value = next;
  history.replaceState(null, '', `?date=${next}`);
  void load();
}

// ---------------------------------------------------------------------------------------------
// The timeline
// ---------------------------------------------------------------------------------------------
const at = (col: number) => `at-${Math.max(0, Math.min(MAX_AT, col))}`;
const len = (n: number) => `len-${Math.max(1, Math.min(MAX_LEN, n))}`;

function render(): void {
  if (!plan) return;
  // Live redraws replace the lists: the focused button is found again by its key, so a keyboard
  // user keeps their place.
  const focused = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.key : undefined;
  renderTimeline(plan);
  renderArrivals();
  if (focused) {
    const again = [...document.querySelectorAll<HTMLElement>('[data-key]')].find((e) => e.dataset.key === focused);
    if (again && again !== document.activeElement) again.focus({ preventScroll: true });
  }
  if (shown && details.open) {
    const r = findReservation(shown.id);
    if (r && JSON.stringify(r) !== shown.drawn) openDetails(r.id);
  }
}

function renderTimeline(p: Plan): void {
  $('#day-name').textContent = dayName(p.date);
  const box = $('#timeline');
  box.setAttribute('aria-label', tr('timelineLabel', { date: dayName(p.date) }));
  const active = p.reservations.filter((r) => ACTIVE.includes(r.status));
  const others = p.reservations.filter((r) => !ACTIVE.includes(r.status));
  const windows = p.windows.map((w) => ({ opens: wallMinutes(w.opens, p.date), closes: wallMinutes(w.closes, p.date) }));
  const guests = p.reservations.filter((r) => r.status !== 'CANCELLED' && r.status !== 'NO_SHOW').reduce((n, r) => n + r.partySize, 0);
  const hours = windows.map((w) => `${clock(w.opens)}–${clock(w.closes)}`).join(', ');
  const counted = p.reservations.filter((r) => r.status !== 'CANCELLED' && r.status !== 'NO_SHOW').length;
  $('#day-summary').textContent = [
    windows.length ? tr('hours', { hours }) : tr('closed'),
    counted ? tr('count', { n: counted, guests }) : tr('none'),
  ].join(' · ');

  // The span: opening to closing (whole hours), widened to any booking outside it.
  const spans = [
    ...windows.map((w) => [w.opens, w.closes] as const),
    ...active.map((r) => {
      const start = wallMinutes(r.time, p.date);
      return [start, start + r.durationMinutes] as const;
    }),
  ];
  box.replaceChildren();
  if (spans.length === 0) return;
  // Whole hours around each window and booking; a closed stretch of an hour or more between them
  // (the afternoon between lunch and dinner) shrinks to one narrow column.
  const parts = spans
    .map(([a, b]) => [Math.floor(a / 60) * 60, Math.ceil(b / 60) * 60] as [number, number])
    .sort((x, y) => x[0] - y[0]);
  const segments: Array<{ from: number; to: number; col: number }> = [];
  for (const [a, b] of parts) {
    const last = segments[segments.length - 1];
    if (last && a < last.to + 60) last.to = Math.max(last.to, b);
    else segments.push({ from: a, to: b, col: 0 });
  }
  let next = 0;
  for (const seg of segments) {
    seg.col = next;
    next += (seg.to - seg.from) / STEP + 1; // + the gap column after it
  }
  const cols = Math.min(MAX_AT, next - 1);
  /** The column of a wall-clock minute (a minute in a gap: the gap's column). */
  const col = (minutes: number): number => {
    for (const [i, seg] of segments.entries()) {
      if (minutes < seg.from) return i === 0 ? 0 : seg.col - 1;
      if (minutes <= seg.to) return seg.col + Math.floor((minutes - seg.from) / STEP);
    }
    return cols;
  };
  const gaps = segments.slice(1).map((seg) => seg.col - 1);

  // Closed stretches inside the segments (before opening, after closing), and the gaps, shaded.
  const closed: Array<[number, number]> = [];
  for (const seg of segments) {
    let cursor = seg.from;
    for (const w of [...windows].sort((x, y) => x.opens - y.opens)) {
      if (w.closes <= seg.from || w.opens >= seg.to) continue;
      if (w.opens > cursor) closed.push([cursor, w.opens]);
      cursor = Math.max(cursor, w.closes);
    }
    if (cursor < seg.to) closed.push([cursor, seg.to]);
  }
  const shade = () => [
    ...closed.map(([a, b]) => el('span', { className: `tl-closed ${at(col(a))} ${len(Math.round((b - a) / STEP))}`, attrs: { 'aria-hidden': 'true' } })),
    ...gaps.map((g) => el('span', { className: `tl-closed tl-gap ${at(g)}`, attrs: { 'aria-hidden': 'true' } })),
  ];
  const current = now();
  const nowMinutes = current.date === p.date ? current.minutes : current.date === addDays(p.date, 1) ? current.minutes + 1440 : undefined;
  const nowCol = nowMinutes !== undefined && nowMinutes >= segments[0]!.from && nowMinutes < segments[segments.length - 1]!.to ? col(nowMinutes) : -1;
  const nowLine = () => (nowCol >= 0 ? el('span', { className: `tl-now ${at(nowCol)}`, attrs: { 'aria-hidden': 'true' } }) : null);
  const spacer = () => el('span', { className: `tl-end ${at(cols - 1)}`, attrs: { 'aria-hidden': 'true' } });

  const head = el('div', { className: 'tl-row tl-head', attrs: { 'aria-hidden': 'true' } }, el('span', { className: 'tl-label' }));
  const headTrack = el('div', { className: 'tl-track' }, ...shade(), spacer());
  for (const seg of segments) {
    for (let m = seg.from; m < seg.to; m += 60) headTrack.append(el('span', { className: `tl-hour ${at(col(m))} ${len(60 / STEP)}`, text: clock(m) }));
  }
  const marker = nowLine();
  if (marker) headTrack.append(el('span', { className: `tl-now-label ${at(nowCol)}`, text: clock(current.minutes), attrs: { title: tr('now') } }), marker);
  head.append(headTrack);

  const rows = el('ul', { className: 'tl-rows' });
  for (const table of p.tables) {
    const track = el('div', { className: 'tl-track' }, ...shade(), spacer());
    for (const r of active.filter((x) => x.tableIds.includes(table.id))) {
      const s = wallMinutes(r.time, p.date);
      const button = el(
        'button',
        {
          type: 'button',
          className: `tl-booking st-${r.status.toLowerCase()} ${at(col(s))} ${len(Math.ceil(r.durationMinutes / STEP))}`,
          attrs: { 'data-id': r.id, 'data-key': `tl:${r.id}:${table.id}` },
        },
        el('span', { className: 'tl-when', text: `${hhmm(r.time)} · ${tr('party', { n: r.partySize })}` }),
        el('span', { className: 'tl-name', text: r.customerName }),
        el('span', { className: 'tl-state', text: tr(`status.${r.status}`) }),
      );
      button.addEventListener('click', () => openDetails(r.id));
      track.append(button);
    }
    const line = nowLine();
    if (line) track.append(line);
    rows.append(
      el(
        'li',
        { className: 'tl-row' },
        el('span', { className: 'tl-label', attrs: { title: tr('tableSeats', { n: table.number, seats: table.capacity }) } },
          el('span', { className: 'tl-table', text: tr('table', { n: table.number }) }),
          el('span', { className: 'tl-seats', text: tr('seats', { n: table.capacity }) }),
        ),
        track,
      ),
    );
  }
  box.append(head, rows);
  // A day's first drawing scrolls to an hour before now (today) or to the start; a redraw keeps
  // where the user scrolled to.
  if (scrolledFor !== p.date) {
    scrolledFor = p.date;
    box.scrollLeft = 0;
    const line = box.querySelector('.tl-now');
    if (line) {
      const label = box.querySelector('.tl-label')?.getBoundingClientRect().width ?? 0;
      const hour = box.querySelector('.tl-hour')?.getBoundingClientRect().width ?? 0;
      box.scrollLeft = Math.max(0, line.getBoundingClientRect().left - box.getBoundingClientRect().left - label - hour);
    }
  }
  if (others.length > 0) {
    const list = el('ul', { className: 'others' });
    for (const r of others) {
      const open = el('button', {
        type: 'button',
        className: 'secondary small',
        text: tr('open'),
        attrs: { 'aria-label': tr('openLabel', { name: r.customerName, time: hhmm(r.time) }), 'data-key': `other:${r.id}` },
      });
      open.addEventListener('click', () => openDetails(r.id));
      list.append(
        el(
          'li',
          { className: `st-${r.status.toLowerCase()}` },
          el('span', { className: 'arr-time', text: hhmm(r.time) }),
          el('span', { className: 'arr-name', text: r.customerName }),
          el('span', { className: 'arr-meta', text: `${tr('party', { n: r.partySize })} · ${tablesLabel(r.tableIds, p)}` }),
          el('span', { className: `badge st-${r.status.toLowerCase()}`, text: tr(`status.${r.status}`) }),
          open,
        ),
      );
    }
    box.append(el('div', { className: 'others-box' }, el('h3', { text: `${tr('status.COMPLETED')}, ${tr('status.CANCELLED').toLowerCase()}, ${tr('status.NO_SHOW').toLowerCase()}` }), list));
  }
}

// ---------------------------------------------------------------------------------------------
// Today's arrivals: who is still expected, upcoming first, then the late ones; a seat button.
// ---------------------------------------------------------------------------------------------
function renderArrivals(): void {
  const list = $('#arrivals');
  list.replaceChildren();
  const p = todayPlan;
  if (!p) return;
  const current = now();
  const expected = p.reservations.filter((r) => r.status === 'PENDING' || r.status === 'CONFIRMED').sort((a, b) => a.time.localeCompare(b.time));
  const late = expected.filter((r) => wallMinutes(r.time, current.date) < current.minutes);
  const upcoming = expected.filter((r) => !late.includes(r));
  const seated = p.reservations.filter((r) => r.status === 'SEATED').length;
  $('#seated-count').textContent = tr('seatedCount', { n: seated });
  if (expected.length === 0) list.append(el('li', { className: 'note', text: tr('arrivalsNone') }));
  for (const r of [...upcoming, ...late]) {
    const actions = el('span', { className: 'arr-actions' });
    const next: Status | undefined = r.status === 'CONFIRMED' ? 'SEATED' : 'CONFIRMED';
    const act = el('button', {
      type: 'button',
      className: 'small',
      text: next === 'SEATED' ? tr('seat') : tr('action.CONFIRMED'),
      attrs: { 'aria-label': `${next === 'SEATED' ? tr('seat') : tr('action.CONFIRMED')}: ${r.customerName} (${hhmm(r.time)})`, 'data-key': `act:${r.id}` },
    });
    act.addEventListener('click', () => void changeStatus(r, next, act));
    const open = el('button', {
      type: 'button',
      className: 'secondary small',
      text: tr('open'),
      attrs: { 'aria-label': tr('openLabel', { name: r.customerName, time: hhmm(r.time) }), 'data-key': `open:${r.id}` },
    });
    open.addEventListener('click', () => openDetails(r.id));
    actions.append(act, open);
    list.append(
      el(
        'li',
        { className: late.includes(r) ? 'late' : '' },
        el('span', { className: 'arr-time', text: hhmm(r.time) }),
        el('span', { className: 'arr-name', text: r.customerName }),
        el('span', { className: 'arr-meta', text: `${tr('party', { n: r.partySize })} · ${tablesLabel(r.tableIds, p)}` }),
        el('span', { className: `badge st-${r.status.toLowerCase()}`, text: late.includes(r) ? `${tr('late')} · ${tr(`status.${r.status}`)}` : tr(`status.${r.status}`) }),
        actions,
      ),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// A booking's details and its lifecycle
// ---------------------------------------------------------------------------------------------
const details = $<HTMLDialogElement>('#details');
/** The booking the details dialog shows, as last drawn (redrawn when a live change alters it). */
let shown: { id: string; drawn: string } | undefined;

function findReservation(id: string): Reservation | undefined {
  return plan?.reservations.find((r) => r.id === id) ?? todayPlan?.reservations.find((r) => r.id === id);
}

function openDetails(id: string): void {
  const r = findReservation(id);
  if (!r) return;
  shown = { id, drawn: JSON.stringify(r) };
  $('#details-title').textContent = tr('details', { name: r.customerName });
  $('#details-error').textContent = '';
  const value = (v: string | null) => (v && v.length ? v : tr('none.value'));
  const rows: Array<[string, string]> = [
    [tr('when'), `${dayName(r.date)}, ${hhmm(r.time)}`],
    [tr('tables'), tablesLabel(r.tableIds, plan ?? todayPlan)],
    [tr('guests'), String(r.partySize)],
    [tr('phone'), value(r.customerPhone)],
    [tr('email'), value(r.customerEmail)],
    [tr('notes'), value(r.notes)],
    [tr('state'), tr(`status.${r.status}`)],
  ];
  $('#details-list').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
  const actions = $('#details-actions');
  actions.replaceChildren();
  for (const to of NEXT[r.status]) {
    const danger = to === 'CANCELLED' || to === 'NO_SHOW';
    const b = el('button', { type: 'button', className: danger ? 'danger' : '', text: tr(`action.${to}`), attrs: { 'data-key': `details:${to}` } });
    b.addEventListener('click', () => void changeStatus(r, to, b));
    actions.append(b);
  }
  if (movable(r)) {
    const move = el('button', { type: 'button', className: 'secondary', text: tr('move'), attrs: { 'data-key': 'details:move' } });
    move.addEventListener('click', () => {
      details.close();
      void openForm({ kind: 'move', reservation: r });
    });
    actions.append(move);
  }
  if (!details.open) details.showModal();
}

$('#details-close').addEventListener('click', () => details.close());
details.addEventListener('close', () => {
  shown = undefined;
});

/** Asks before cancel and no-show (they end the booking); the rest act at once. */
function ask(text: string): Promise<boolean> {
  const dialog = $<HTMLDialogElement>('#confirm');
  $('#confirm-text').textContent = text;
  return askDialog(dialog, $('#confirm-yes'), $('#confirm-no'));
}

async function changeStatus(r: Reservation, to: Status, button: HTMLButtonElement): Promise<void> {
  if ((to === 'CANCELLED' || to === 'NO_SHOW') && !(await ask(tr(`confirm.${to}`, { name: r.customerName, time: hhmm(r.time) })))) return;
  button.disabled = true;
  try {
    const { reservation } = await staffApi<{ reservation: Reservation }>(`/api/admin/reservations/${encodeURIComponent(r.id)}`, { method: 'PATCH', body: { status: to } });
    if (details.open) details.close();
    say(tr('done.status', { name: reservation.customerName, state: tr(`status.${reservation.status}`) }));
    await load();
  } catch (err) {
    const text = problemText(err, S);
    if (details.open) $('#details-error').textContent = text;
    else say(text);
    await load();
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// The form: a new booking (a phone call) or a move to another time / table
// ---------------------------------------------------------------------------------------------
type FormMode = { kind: 'new' } | { kind: 'move'; reservation: Reservation };
const formDialog = $<HTMLDialogElement>('#booking-form-dialog');
const form = $<HTMLFormElement>('#booking-form');
const f = {
  name: $<HTMLInputElement>('#bk-name'),
  phone: $<HTMLInputElement>('#bk-phone'),
  email: $<HTMLInputElement>('#bk-email'),
  party: $<HTMLInputElement>('#bk-party'),
  date: $<HTMLInputElement>('#bk-date'),
  time: $<HTMLSelectElement>('#bk-time'),
  table: $<HTMLSelectElement>('#bk-table'),
  notes: $<HTMLTextAreaElement>('#bk-notes'),
  submit: $<HTMLButtonElement>('#form-submit'),
};
let mode: FormMode = { kind: 'new' };
let formPlan: Plan | undefined;
let timesSeq = 0;
/** One Idempotency-Key per distinct booking sent from this form (a resend is not a second booking). */
const keys = new Map<string, string>();

function clearAlternatives(): void {
  $('#alternatives').hidden = true;
  $('#alternatives-list').replaceChildren();
  $('#form-error').textContent = '';
}

async function openForm(next: FormMode): Promise<void> {
  mode = next;
  form.reset();
  clearAlternatives();
  keys.clear();
  $('#bk-name-error').textContent = '';
  f.name.removeAttribute('aria-invalid');
  const moving = next.kind === 'move';
  $('#form-title').textContent = moving ? tr('form.move', { name: next.reservation.customerName }) : tr('form.new');
  f.submit.textContent = moving ? tr('form.submitMove') : tr('form.submitNew');
  $('#who-fields').hidden = moving;
  $('#notes-field').hidden = moving;
  f.table.replaceChildren(el('option', { text: tr('form.auto'), attrs: { value: '' } }));
  f.name.required = !moving;
  const today = now().date;
  f.date.min = today;
  f.date.value = moving ? next.reservation.date : date >= today ? date : today;
  f.party.value = String(moving ? next.reservation.partySize : 2);
  formDialog.showModal();
  (moving ? f.time : f.name).focus();
  await fillTimes(moving ? next.reservation.time : undefined);
}

/** New: the bookable times (GET /api/availability). Move: the day's slot grid; the API decides. */
async function fillTimes(preferred?: string): Promise<void> {
  const seq = ++timesSeq;
  const party = Number(f.party.value);
  const day = f.date.value;
  const note = $('#bk-time-note');
  if (!day || !(party >= 1 && party <= 50)) return;
  note.textContent = tr('form.loadingTimes');
  try {
    formPlan = plan?.date === day ? plan : await staffApi<Plan>(`/api/admin/reservation-day?date=${day}`);
    let times: string[];
    if (mode.kind === 'new') {
      const q = new URLSearchParams({ restaurantId: data.session.restaurantId, date: day, partySize: String(party) });
      times = (await staffApi<{ slots: string[] }>(`/api/availability?${q.toString()}`)).slots;
    } else {
      times = gridTimes(formPlan);
    }
    if (seq !== timesSeq) return;
    const chosen = preferred ?? f.time.value;
    f.time.replaceChildren(...times.map((t) => el('option', { text: hhmm(t), attrs: { value: t } })));
    // A time already chosen that is no longer free stays chosen, marked: it is never swapped for
    // another behind the user's back (sent, the API answers with the alternatives).
    if (chosen && chosen.slice(0, 10) === day && !times.includes(chosen)) {
      f.time.prepend(el('option', { text: preferred === chosen ? hhmm(chosen) : `${hhmm(chosen)} ${tr('form.full')}`, attrs: { value: chosen } }));
    }
    if (chosen && chosen.slice(0, 10) === day) f.time.value = chosen;
    note.textContent = times.length === 0 ? tr('form.noTimes', { n: party }) : '';
    f.submit.disabled = f.time.options.length === 0;
    fillTables();
  } catch (err) {
    if (seq === timesSeq) note.textContent = problemText(err, S);
  }
}

/** Every start time on the restaurant's grid inside the day's windows that is still ahead. */
function gridTimes(p: Plan): string[] {
  const out: string[] = [];
  const current = now();
  for (const w of p.windows) {
    const opens = Date.parse(w.opens);
    const closes = Date.parse(w.closes);
    for (let t = opens; t + p.slotMinutes * 60_000 <= closes; t += p.slotMinutes * 60_000) {
      const iso = toLocalIso(t, w.opens);
      if (iso.slice(0, 10) === current.date && wallMinutes(iso, current.date) <= current.minutes) continue;
      if (iso.slice(0, 10) < current.date) continue;
      out.push(iso);
    }
  }
  return out;
}

/** An instant as local ISO with the offset of `like` (a day without a clock change keeps one). */
function toLocalIso(ms: number, like: string): string {
  const offset = like.slice(19);
  const sign = offset.startsWith('-') ? -1 : 1;
  const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  const local = new Date(ms + minutes * 60_000).toISOString().slice(0, 19);
  return `${local}${offset}`;
}

/**
 * The table choice, from the form's copy of the day (a hint only: the API decides): the tables and
 * combinations that seat the party. Moving a booking lists them all, those taken at that time
 * marked; a new booking lists the free ones. A choice that is taken meanwhile stays chosen, marked:
 * it is never swapped for another behind the user's back (sent, the API offers the alternatives).
 */
function fillTables(): void {
  const auto = el('option', { text: tr('form.auto'), attrs: { value: '' } });
  if (!formPlan) return;
  if (!f.time.value) {
    f.table.replaceChildren(auto);
    return;
  }
  const moving = mode.kind === 'move' ? mode.reservation : undefined;
  const party = Number(f.party.value);
  const start = Date.parse(f.time.value);
  const turn = formPlan.turnMinutes?.[party - 1] ?? moving?.durationMinutes ?? 90;
  const busy = new Set<string>();
  for (const other of formPlan.reservations) {
    if (other.id === moving?.id || !ACTIVE.includes(other.status)) continue;
    const a = Date.parse(other.time);
    const b = a + (other.durationMinutes + formPlan.bufferMinutes) * 60_000;
    if (start < b && a < start + (turn + formPlan.bufferMinutes) * 60_000) other.tableIds.forEach((id) => busy.add(id));
  }
  const previous = f.table.value || (moving?.tableIds.join(',') ?? '');
  const options: HTMLOptionElement[] = [auto];
  const offer = (ids: string[], seats: number) => {
    const value = [...ids].sort().join(',');
    const taken = ids.some((id) => busy.has(id));
    if (taken && !moving && value !== previous) return;
    const text = `${tablesLabel(ids, formPlan)} (${tr('seats', { n: seats })})${taken ? ` ${tr('form.tableTaken')}` : ''}`;
    options.push(el('option', { text, attrs: { value } }));
  };
  for (const t of formPlan.tables.filter((x) => x.capacity >= party)) offer([t.id], t.capacity);
  for (const c of formPlan.combinations) {
    const seats = c.tableIds.reduce((n, id) => n + (formPlan?.tables.find((t) => t.id === id)?.capacity ?? 0), 0);
    if (seats >= party) offer(c.tableIds, seats);
  }
  f.table.replaceChildren(...options);
  f.table.value = options.some((o) => o.value === previous) ? previous : '';
}

f.party.addEventListener('change', () => void fillTimes());
f.date.addEventListener('change', () => void fillTimes());
f.time.addEventListener('change', () => {
  clearAlternatives();
  fillTables();
});
$('#form-cancel').addEventListener('click', () => formDialog.close());

form.addEventListener('submit', (event) => {
  event.preventDefault();
  clearAlternatives();
  if (mode.kind === 'new') {
    if (!f.name.value.trim()) {
      f.name.setAttribute('aria-invalid', 'true');
      $('#bk-name-error').textContent = tr('form.required');
      f.name.focus();
      return;
    }
    f.name.removeAttribute('aria-invalid');
    $('#bk-name-error').textContent = '';
    void submitNew(f.time.value, f.table.value ? f.table.value.split(',') : undefined);
  } else {
    const tableIds = f.table.value ? f.table.value.split(',') : undefined;
    void submitMove(mode.reservation, f.time.value, tableIds);
  }
});

async function sending<T>(work: () => Promise<T>): Promise<T | undefined> {
  f.submit.disabled = true;
  const label = f.submit.textContent;
  f.submit.textContent = tr('form.saving');
  try {
    return await work();
  } finally {
    f.submit.disabled = false;
    f.submit.textContent = label;
  }
}

async function submitNew(time: string, tableIds?: string[]): Promise<void> {
  const body: Record<string, unknown> = {
    restaurantId: data.session.restaurantId,
    partySize: Number(f.party.value),
    time,
    customerName: f.name.value.trim(),
  };
  if (tableIds) body.tableIds = tableIds;
  if (f.phone.value.trim()) body.customerPhone = f.phone.value.trim();
  if (f.email.value.trim()) body.customerEmail = f.email.value.trim();
  if (f.notes.value.trim()) body.notes = f.notes.value.trim();
  const fingerprint = JSON.stringify(body);
  const key = keys.get(fingerprint) ?? newKey();
  keys.set(fingerprint, key);
  await sending(async () => {
    try {
      const { reservation } = await staffApi<{ reservation: Reservation }>('/api/reservations', { method: 'POST', body, headers: { 'idempotency-key': key } });
      formDialog.close();
      await showBooked(reservation, 'done.created');
    } catch (err) {
      offerAlternatives(
        err,
        (alt) => {
          ensureTime(alt);
          void submitNew(alt, tableIds);
        },
        tableIds && { tableIds, time, pick: (ids) => void submitNew(time, ids) },
      );
    }
  });
}

async function submitMove(r: Reservation, time: string, tableIds?: string[]): Promise<void> {
  const change: Record<string, unknown> = {};
  if (time !== r.time) change.time = time;
  if (Number(f.party.value) !== r.partySize) change.partySize = Number(f.party.value);
  if (tableIds) change.tableIds = tableIds;
  if (Object.keys(change).length === 0) {
    formDialog.close();
    return;
  }
  await sending(async () => {
    try {
      const { reservation } = await staffApi<{ reservation: Reservation }>(`/api/admin/reservations/${encodeURIComponent(r.id)}`, { method: 'PATCH', body: change });
      formDialog.close();
      await showBooked(reservation, 'done.moved');
    } catch (err) {
      offerAlternatives(
        err,
        (alt) => {
          ensureTime(alt);
          void submitMove(r, alt, tableIds);
        },
        tableIds && { tableIds, time, pick: (ids) => void submitMove(r, time, ids) },
      );
    }
  });
}

function ensureTime(iso: string): void {
  if (![...f.time.options].some((o) => o.value === iso)) f.time.append(el('option', { text: hhmm(iso), attrs: { value: iso } }));
  f.time.value = iso;
}

/**
 * A 409 TABLE_ALREADY_RESERVED brings the API's alternatives: other times (for the same tables
 * when tables were chosen) and, for chosen tables, the options free at the asked time. Each is a
 * button that sends the request again with it; anything else is shown as the API said it.
 */
function offerAlternatives(
  err: unknown,
  pickTime: (time: string) => void,
  chosen?: { tableIds: string[]; time: string; pick: (ids: string[]) => void },
): void {
  if (!(err instanceof HttpError) || err.problem.code !== 'TABLE_ALREADY_RESERVED') {
    // The table and time refusals in the user's language; anything else as the API said it.
    const code = err instanceof HttpError ? err.problem.code : undefined;
    const known = code && S[`resAdmin.err.${code}`];
    $('#form-error').textContent = known ? tr(`err.${code}`) : problemText(err, S);
    if (known) void load();
    return;
  }
  const times = Array.isArray(err.problem.alternatives) ? (err.problem.alternatives as string[]) : [];
  const free = Array.isArray(err.problem.freeTables) ? (err.problem.freeTables as string[][]) : [];
  const list = $('#alternatives-list');
  const items: HTMLLIElement[] = [];
  for (const t of times) {
    const text = chosen ? tr('alt.pickTable', { time: hhmm(t), tables: tablesLabel(chosen.tableIds, formPlan) }) : tr('alt.pick', { time: hhmm(t) });
    const b = el('button', { type: 'button', className: 'secondary', text });
    b.addEventListener('click', () => pickTime(t));
    items.push(el('li', {}, b));
  }
  if (chosen) {
    for (const ids of free.slice(0, 6)) {
      const b = el('button', { type: 'button', className: 'secondary', text: tr('alt.pickTable', { time: hhmm(chosen.time), tables: tablesLabel(ids, formPlan) }) });
      b.addEventListener('click', () => chosen.pick(ids));
      items.push(el('li', {}, b));
    }
  }
  $('#alternatives-title').textContent = items.length === 0 ? tr('alt.none') : chosen ? tr('alt.tableTitle') : tr('alt.title');
  list.replaceChildren(...items);
  $('#alternatives').hidden = false;
  const first = list.querySelector('button');
  (first ?? f.time).focus();
  void load();
}

async function showBooked(r: Reservation, key: 'done.created' | 'done.moved'): Promise<void> {
  if (r.date !== date) setDate(r.date);
  else await load();
  say(tr(key, { name: r.customerName, time: hhmm(r.time), tables: tablesLabel(r.tableIds) }));
}

// ---------------------------------------------------------------------------------------------
// Wiring
// ---------------------------------------------------------------------------------------------
$('#prev-day').addEventListener('click', () => setDate(addDays(date, -1)));
$('#next-day').addEventListener('click', () => setDate(addDays(date, 1)));
$('#to-today').addEventListener('click', () => setDate(now().date));
$<HTMLInputElement>('#res-date').addEventListener('change', (e) => setDate((e.target as HTMLInputElement).value));
$('#new-booking').addEventListener('click', () => void openForm({ kind: 'new' }));
wireSignOut();
void load();
void follow(['reservations'], scheduleLoad, S);
// The "now" line and who is late move with the clock.
setInterval(render, 60_000);
