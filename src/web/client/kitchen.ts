// /kitchen: the kitchen display. Tickets by status in columns, oldest first; the time since
// ordered turns amber and red past the restaurant's thresholds; a tap (or Enter/space on the
// chosen ticket) bumps a line or a ticket one step; the last bump can be undone for 10 s (the
// toast's button or U); a recall list of the last tickets served or cancelled; a station
// selector; live through /api/staff/events (orders, menu), re-reading the tickets on each nudge;
// an optional beep for new tickets (Web Audio, off by default, remembered on this device).
import { el, store } from './common.js';
import { $, follow, format, pageData, problemText, staffApi, wireSignOut, type StaffPageData } from './staff-common.js';

type Status = 'PENDING' | 'CONFIRMED' | 'IN_PROGRESS' | 'READY' | 'SERVED' | 'CANCELLED';
interface Line {
  itemId: string;
  name: string;
  quantity: number;
  notes: string | null;
  allergens: string[];
  status: Status;
  stationId: string | null;
}
interface Ticket {
  orderId: string;
  orderNumber: string;
  tableNumber: number | null;
  status: Status;
  notes: string | null;
  orderedAt: string;
  updatedAt: string;
  lines: Line[];
}
interface Snapshot {
  now: string;
  settings: { amberMinutes: number; redMinutes: number; stations: Array<{ id: string; name: string }> };
  tickets: Ticket[];
  recall: Ticket[];
}
interface BumpAnswer {
  bump: { id: string; orderId: string; lines: Array<{ itemId: string; from: Status; to: Status }> };
}

const COLUMNS = ['PENDING', 'CONFIRMED', 'IN_PROGRESS', 'READY'] as const;
const FORWARD: Status[] = ['PENDING', 'CONFIRMED', 'IN_PROGRESS', 'READY', 'SERVED'];
const next = (s: Status): Status => FORWARD[FORWARD.indexOf(s) + 1] ?? s;
const UNDO_MS = 10_000;

const data = pageData<StaffPageData>();
const s = data.strings;
const status = $('#k-status');
const stationSelect = $<HTMLSelectElement>('#station');
const soundBox = $<HTMLInputElement>('#sound');
const recall = $('#recall');
const recallToggle = $<HTMLButtonElement>('#recall-toggle');
const toast = $('#toast');
const toastText = $('#toast-text');
const undoButton = $<HTMLButtonElement>('#undo');

let snapshot: Snapshot | undefined;
let clockOffset = 0; // server − client, ms
let station = store.get<string>('kitchen.station') ?? '';
let hidden = new Set<string>(store.get<string[]>('kitchen.hiddenColumns') ?? []);
let selected: string | undefined;
let seen: Set<string> | undefined;
let lastBump: { id: string; until: number } | undefined;
let toastTimer: ReturnType<typeof setTimeout> | undefined;
let busy = false;

// ---- reading ----------------------------------------------------------------------------------
let loading: Promise<void> | undefined;
let again = false;

/** Re-reads the tickets; nudges that arrive during a read cause one more read after it. */
function load(): void {
  if (loading) {
    again = true;
    return;
  }
  loading = (async () => {
    try {
      const query = station ? `?station=${encodeURIComponent(station)}` : '';
      const fresh = await staffApi<Snapshot>(`/api/kitchen/tickets${query}`);
      clockOffset = Date.parse(fresh.now) - Date.now();
      const isNew = seen ? fresh.tickets.some((t) => !seen!.has(t.orderId)) : false;
      seen = new Set(fresh.tickets.map((t) => t.orderId));
      snapshot = fresh;
      status.textContent = '';
      render();
      if (isNew) beep();
      document.documentElement.dataset.loaded = '1';
    } catch (err) {
      // A station deleted meanwhile: back to all stations.
      if (station && err instanceof Error && 'problem' in err && (err as { problem: { status: number } }).problem.status === 404) {
        station = '';
        store.remove('kitchen.station');
        again = true;
      } else status.textContent = problemText(err, s);
    } finally {
      loading = undefined;
      if (again) {
        again = false;
        load();
      }
    }
  })();
}

// ---- rendering --------------------------------------------------------------------------------
const tableOf = (t: Ticket) => (t.tableNumber === null ? s['kitchen.noTable'] ?? '' : format(s['kitchen.table'], { n: t.tableNumber }));
const minutesSince = (iso: string) => Math.max(0, Math.floor((Date.now() + clockOffset - Date.parse(iso)) / 60_000));
/** The ticket's column: the slowest of its (shown) lines. */
const columnOf = (t: Ticket): Status => FORWARD[Math.min(...t.lines.map((l) => FORWARD.indexOf(l.status)))] ?? t.status;

function visibleTickets(): Ticket[] {
  if (!snapshot) return [];
  const byColumn = new Map<string, Ticket[]>(COLUMNS.map((c) => [c, []]));
  for (const t of snapshot.tickets) byColumn.get(columnOf(t))?.push(t);
  return COLUMNS.filter((c) => !hidden.has(c)).flatMap((c) => byColumn.get(c) ?? []);
}

function ageClass(minutes: number): { cls: string; label: string } {
  if (!snapshot) return { cls: '', label: '' };
  if (minutes >= snapshot.settings.redMinutes) return { cls: 'age-red', label: s['kitchen.veryLate'] ?? '' };
  if (minutes >= snapshot.settings.amberMinutes) return { cls: 'age-amber', label: s['kitchen.late'] ?? '' };
  return { cls: 'age-ok', label: '' };
}

function lineNode(ticket: Ticket, line: Line, column: Status): HTMLElement {
  const to = next(line.status);
  const button = el(
    'button',
    { type: 'button', className: 'line-bump' },
    el('span', { className: 'k-qty', text: `${line.quantity}×` }),
    el('span', { className: 'k-dish', text: line.name }),
    el('span', { className: 'sr-only', text: format(s['kitchen.bumpLineHidden'], { status: s[`kitchen.next.${to}`] ?? to }) }),
  );
  button.addEventListener('click', () => void bump(ticket, line.itemId));
  const allergens = line.allergens.map((a) => s[`allergen.${a}`] ?? a).join(', ');
  return el(
    'li',
    { className: `k-line st-${line.status}` },
    el('div', { className: 'l-row' }, button, line.status !== column ? el('span', { className: `l-status st-${line.status}`, text: s[`status.${line.status}`] ?? line.status }) : null),
    line.notes ? el('p', { className: 'l-notes', text: line.notes }) : null,
    allergens ? el('p', { className: 'l-allergens', text: format(s['kitchen.allergens'], { list: allergens }) }) : null,
  );
}

function ticketNode(ticket: Ticket, index: number): HTMLElement {
  const column = columnOf(ticket);
  const minutes = minutesSince(ticket.orderedAt);
  const age = ageClass(minutes);
  const table = tableOf(ticket);
  const to = next(column);
  const bumpAll = el('button', {
    type: 'button',
    className: 't-bump',
    text: format(s['kitchen.bumpTicket'], { status: s[`kitchen.next.${to}`] ?? to }),
    attrs: { 'aria-label': format(s['kitchen.bumpTicketLabel'], { table, status: s[`kitchen.next.${to}`] ?? to }) },
  });
  bumpAll.addEventListener('click', () => void bump(ticket));
  const number = index < 9 ? String(index + 1) : '';
  const card = el(
    'article',
    {
      className: `ticket ${age.cls}${ticket.orderId === selected ? ' selected' : ''}`,
      attrs: {
        'data-order': ticket.orderId,
        'aria-label': format(s['kitchen.ticketLabel'], { n: number || '–', table, number: ticket.orderNumber, age: format(s['kitchen.minutes'], { n: minutes }) }),
        ...(ticket.orderId === selected ? { 'aria-current': 'true' } : {}),
      },
    },
    el(
      'header',
      { className: 't-head' },
      number ? el('span', { className: 't-key', text: number, attrs: { 'aria-hidden': 'true' } }) : null,
      el('span', { className: 't-table', text: table }),
      el('span', { className: 't-num', text: format(s['kitchen.number'], { number: ticket.orderNumber }) }),
      el('span', { className: 't-age', attrs: { 'data-since': ticket.orderedAt } }, el('span', { className: 't-late', text: age.label }), el('span', { className: 't-min', text: format(s['kitchen.minutes'], { n: minutes }) })),
    ),
    ticket.notes ? el('p', { className: 't-note', text: format(s['kitchen.orderNote'], { note: ticket.notes }) }) : null,
    el('ul', { className: 't-lines' }, ...ticket.lines.map((l) => lineNode(ticket, l, column))),
    bumpAll,
  );
  card.addEventListener('click', (event) => {
    if ((event.target as HTMLElement).closest('button')) return;
    select(ticket.orderId);
  });
  return el('li', {}, card);
}

function render(): void {
  if (!snapshot) return;
  renderStations();
  const visible = visibleTickets();
  if (selected && !visible.some((t) => t.orderId === selected)) selected = undefined;
  const indexOf = new Map(visible.map((t, i) => [t.orderId, i]));
  for (const column of COLUMNS) {
    const section = $(`#col-${column}`);
    section.hidden = hidden.has(column);
    const tickets = snapshot.tickets.filter((t) => columnOf(t) === column);
    $(`#count-${column}`).textContent = String(tickets.length);
    const list = $(`#list-${column}`);
    list.replaceChildren(...(tickets.length ? tickets.map((t) => ticketNode(t, indexOf.get(t.orderId) ?? 99)) : [el('li', { className: 'k-empty', text: s['kitchen.empty'] })]));
  }
  $('#board').dataset.columns = String(COLUMNS.filter((c) => !hidden.has(c)).length);
  renderRecall();
}

function renderStations(): void {
  const stations = snapshot?.settings.stations ?? [];
  $('#station-field').hidden = stations.length === 0;
  const wanted = ['', ...stations.map((x) => x.id)].join('|');
  if (stationSelect.dataset.ids !== wanted) {
    stationSelect.replaceChildren(el('option', { text: s['kitchen.allStations'], attrs: { value: '' } }), ...stations.map((x) => el('option', { text: x.name, attrs: { value: x.id } })));
    stationSelect.dataset.ids = wanted;
  }
  stationSelect.value = station;
}

function renderRecall(): void {
  const list = $('#recall-list');
  const tickets = snapshot?.recall ?? [];
  list.replaceChildren(
    ...(tickets.length
      ? tickets.map((t) =>
          el(
            'li',
            { className: `recall-item st-${t.status}` },
            el(
              'p',
              { className: 'r-head' },
              el('strong', { text: tableOf(t) }),
              el('span', { text: ` · ${format(s['kitchen.number'], { number: t.orderNumber })} · ` }),
              el('span', { className: 'r-status', text: t.status === 'CANCELLED' ? s['kitchen.cancelled'] ?? '' : s['kitchen.served'] ?? '' }),
              el('span', { text: ` · ${new Date(t.updatedAt).toLocaleTimeString(data.lang, { hour: '2-digit', minute: '2-digit' })}` }),
            ),
            el('ul', {}, ...t.lines.map((l) => el('li', { text: `${l.quantity}× ${l.name}${l.notes ? ` — ${l.notes}` : ''}` }))),
          ),
        )
      : [el('li', { text: s['kitchen.recallEmpty'] })]),
  );
}

/** The time since ordered, every 15 s without re-reading. */
function tick(): void {
  if (!snapshot) return;
  for (const node of document.querySelectorAll<HTMLElement>('.t-age[data-since]')) {
    const minutes = minutesSince(node.dataset.since ?? '');
    const age = ageClass(minutes);
    $('.t-min', node).textContent = format(s['kitchen.minutes'], { n: minutes });
    $('.t-late', node).textContent = age.label;
    const card = node.closest('.ticket');
    card?.classList.remove('age-ok', 'age-amber', 'age-red');
    card?.classList.add(age.cls);
  }
}

// ---- selection and keyboard -------------------------------------------------------------------
function select(orderId: string | undefined): void {
  selected = orderId;
  for (const card of document.querySelectorAll<HTMLElement>('.ticket')) {
    const on = card.dataset.order === orderId;
    card.classList.toggle('selected', on);
    if (on) {
      card.setAttribute('aria-current', 'true');
      card.scrollIntoView({ block: 'nearest' });
    } else card.removeAttribute('aria-current');
  }
}

function move(delta: number): void {
  const visible = visibleTickets();
  if (!visible.length) return;
  const at = visible.findIndex((t) => t.orderId === selected);
  const to = at < 0 ? (delta > 0 ? 0 : visible.length - 1) : Math.min(visible.length - 1, Math.max(0, at + delta));
  select(visible[to]!.orderId);
}

document.addEventListener('keydown', (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  const target = event.target as HTMLElement;
  // Controls keep their own keys (a focused button's Enter presses it; a select's arrows choose).
  if (target.closest('input, select, textarea, button, summary, a')) {
    if (event.key !== 'Escape') return;
  }
  const key = event.key;
  if (key === 'ArrowRight' || key === 'ArrowDown') move(1);
  else if (key === 'ArrowLeft' || key === 'ArrowUp') move(-1);
  else if (/^[1-9]$/.test(key)) {
    const ticket = visibleTickets()[Number(key) - 1];
    if (ticket) select(ticket.orderId);
  } else if (key === 'Enter' || key === ' ') {
    const ticket = snapshot?.tickets.find((t) => t.orderId === selected);
    if (!ticket) return;
    void bump(ticket);
  } else if (key === 'u' || key === 'U') void undo();
  else if (key === 'r' || key === 'R') toggleRecall();
  else if (key === 'Escape') {
    if (!recall.hidden) toggleRecall(false);
    else select(undefined);
  } else return;
  event.preventDefault();
});

// ---- bump and undo ----------------------------------------------------------------------------
async function bump(ticket: Ticket, itemId?: string): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    const body: Record<string, string> = { orderId: ticket.orderId };
    if (itemId) body.itemId = itemId;
    else if (station) body.stationId = station;
    const answer = await staffApi<BumpAnswer>('/api/kitchen/bump', { method: 'POST', body });
    const to = answer.bump.lines[0]?.to ?? 'SERVED';
    lastBump = { id: answer.bump.id, until: Date.now() + UNDO_MS };
    showToast(format(s['kitchen.bumped'], { table: tableOf(ticket), what: answer.bump.lines.length === 1 ? (ticket.lines.find((l) => l.itemId === answer.bump.lines[0]!.itemId)?.name ?? '') : format(s['kitchen.lines'], { n: answer.bump.lines.length }), status: s[`kitchen.next.${to}`] ?? to }), true);
    load();
  } catch (err) {
    showToast(problemText(err, s), false);
    load();
  } finally {
    busy = false;
  }
}

async function undo(): Promise<void> {
  if (!lastBump || busy) return;
  const id = lastBump.id;
  lastBump = undefined;
  busy = true;
  try {
    await staffApi(`/api/kitchen/bumps/${encodeURIComponent(id)}/undo`, { method: 'POST' });
    showToast(s['kitchen.undone'] ?? '', false);
  } catch (err) {
    showToast(`${s['kitchen.undoGone'] ?? ''} ${problemText(err, s)}`, false);
  } finally {
    busy = false;
    load();
  }
}

function showToast(text: string, undoable: boolean): void {
  toastText.textContent = text;
  undoButton.hidden = !undoable;
  toast.hidden = false;
  if (toastTimer) clearTimeout(toastTimer);
  toastTimer = setTimeout(
    () => {
      toast.hidden = true;
      if (lastBump && Date.now() >= lastBump.until) lastBump = undefined;
    },
    undoable ? UNDO_MS : 4_000,
  );
}
undoButton.addEventListener('click', () => void undo());

// ---- recall, filters, station, sound ----------------------------------------------------------
function toggleRecall(open = recall.hidden): void {
  recall.hidden = !open;
  recallToggle.setAttribute('aria-expanded', String(open));
  if (open) $<HTMLButtonElement>('#recall-close').focus();
}
recallToggle.addEventListener('click', () => toggleRecall());
$('#recall-close').addEventListener('click', () => {
  toggleRecall(false);
  recallToggle.focus();
});

for (const box of document.querySelectorAll<HTMLInputElement>('input[name="column"]')) {
  box.checked = !hidden.has(box.value);
  box.addEventListener('change', () => {
    if (box.checked) hidden.delete(box.value);
    else hidden.add(box.value);
    hidden = new Set(hidden);
    store.set('kitchen.hiddenColumns', [...hidden]);
    render();
  });
}

stationSelect.addEventListener('change', () => {
  station = stationSelect.value;
  if (station) store.set('kitchen.station', station);
  else store.remove('kitchen.station');
  seen = undefined; // another station's tickets are not "new"
  load();
});

let audio: AudioContext | undefined;
soundBox.checked = store.get<boolean>('kitchen.sound') === true;
soundBox.addEventListener('change', () => {
  store.set('kitchen.sound', soundBox.checked);
  if (soundBox.checked) {
    // Created (or resumed) from the tap itself, as browsers require for sound.
    audio ??= new AudioContext();
    void audio.resume();
    beep();
  }
});

/** A short two-tone beep, when the sound is on. */
function beep(): void {
  if (!soundBox.checked) return;
  try {
    audio ??= new AudioContext();
    const ctx = audio;
    for (const [at, freq] of [[0, 880], [0.18, 1175]] as const) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, ctx.currentTime + at);
      gain.gain.exponentialRampToValueAtTime(0.3, ctx.currentTime + at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + at + 0.16);
      osc.connect(gain).connect(ctx.destination);
      osc.start(ctx.currentTime + at);
      osc.stop(ctx.currentTime + at + 0.17);
    }
  } catch {
    /* no audio on this device */
  }
}

wireSignOut();
load();
setInterval(tick, 15_000);
void follow(['orders', 'menu'], () => load(), s);
document.documentElement.dataset.ready = '1';
