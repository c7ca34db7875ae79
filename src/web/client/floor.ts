// /floor: reads GET /api/floor and draws the tables and requests; re-reads on every live nudge
// (floor, orders, requests). Acting goes through the API with the session's CSRF token: close a
// table and give it a new QR code (each confirmed first, in place), let a waiting phone in or turn
// it away, resolve a request. /floor/qr: the print button.
import { el } from './common.js';
import { $, follow, format, pageData, problemText, staffApi, wireSignOut, type StaffPageData } from './staff-common.js';

type State = 'free' | 'seated' | 'ordering' | 'waiting' | 'bill';

interface Phone {
  id: string;
  phone: number;
  state: 'admitted' | 'pending' | 'denied';
  joinedAt: string;
  decidedBy: string | null;
}

interface Request {
  id: string;
  tableId: string;
  tableNumber: number;
  kind: 'waiter' | 'bill';
  status: 'open' | 'resolved';
  phone: number | null;
  createdAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
}

interface Table {
  id: string;
  number: number;
  capacity: number;
  location: string | null;
  state: State;
  session: { id: string; openedAt: string; expiresAt: string; phones: Phone[] } | null;
  orders: { count: number; pending: number; inKitchen: number; ready: number; served: number; totalAmount: number };
  requests: Request[];
}

interface Floor {
  tables: Table[];
  open: Request[];
  resolved: Request[];
}

interface Data extends StaffPageData {
  page: 'floor' | 'qr';
  canRotate?: boolean;
  timezone?: string;
  currency?: string;
}

const data = pageData<Data>();
const s = data.strings;
wireSignOut();

if (data.page === 'qr') {
  $('#print').addEventListener('click', () => window.print());
} else {
  startFloor();
}

function startFloor(): void {
  const states: State[] = ['free', 'seated', 'ordering', 'waiting', 'bill'];
  const time = new Intl.DateTimeFormat(data.lang, { hour: '2-digit', minute: '2-digit', timeZone: data.timezone });
  const money = new Intl.NumberFormat(data.lang, { style: 'currency', currency: data.currency ?? 'EUR' });
  const status = $('#status');
  const error = $('#error');
  /** The one confirmation shown (close or rotate of a table), kept across re-renders. */
  let confirming: { tableId: string; action: 'close' | 'rotate' } | undefined;
  let floor: Floor | undefined;
  const busy = new Set<string>();

  const say = (text: string) => {
    status.textContent = text;
    error.textContent = '';
  };

  async function act(key: string, run: () => Promise<string>): Promise<void> {
    if (busy.has(key)) return;
    busy.add(key);
    try {
      say(await run());
    } catch (err) {
      error.textContent = problemText(err, s);
    } finally {
      busy.delete(key);
      void refresh();
    }
  }

  const button = (text: string, key: string, onClick: () => void, options: { label?: string; className?: string } = {}) => {
    const b = el('button', { type: 'button', text, className: options.className ?? 'small', attrs: { 'data-key': key, ...(options.label ? { 'aria-label': options.label } : {}) } });
    b.addEventListener('click', onClick);
    return b;
  };

  const kindText = (r: Request) => s[`floor.request.${r.kind}`] ?? r.kind;
  const since = (iso: string) => {
    const min = Math.floor((Date.now() - Date.parse(iso)) / 60_000);
    return min < 1 ? s['floor.request.sinceNow'] ?? '' : format(s['floor.request.since'], { min });
  };

  function requestItem(r: Request): HTMLElement {
    const line = format(s['floor.request.line'], { table: r.tableNumber, kind: kindText(r) });
    const meta = [since(r.createdAt), r.phone ? format(s['floor.request.phone'], { n: r.phone }) : ''].filter(Boolean).join(' · ');
    return el(
      'li',
      { className: `request ${r.kind}` },
      el('span', { className: 'what' }, el('strong', { text: line }), el('span', { className: 'note', text: meta })),
      button(s['floor.request.resolve'] ?? '', `resolve-${r.id}`, () =>
        void act(`resolve-${r.id}`, async () => {
          await staffApi(`/api/table-requests/${encodeURIComponent(r.id)}/resolve`, { method: 'POST' });
          return format(s['floor.request.resolved'], { table: r.tableNumber });
        }),
        { label: format(s['floor.request.resolveLabel'], { table: r.tableNumber, kind: kindText(r) }) },
      ),
    );
  }

  function handledItem(r: Request): HTMLElement {
    return el(
      'li',
      {},
      el('span', { text: format(s['floor.request.line'], { table: r.tableNumber, kind: kindText(r) }) }),
      el('span', { className: 'note', text: ` ${format(s['floor.handled.by'], { who: r.resolvedBy ?? '?', time: r.resolvedAt ? time.format(new Date(r.resolvedAt)) : '' })}` }),
    );
  }

  function phoneItem(table: Table, p: Phone): HTMLElement {
    // The database records "first phone" and "phone 2" for phones; staff by name.
    const byPhone = /^phone (\d+)$/.exec(p.decidedBy ?? '');
    const who = byPhone ? format(s['floor.phone'], { n: byPhone[1]! }).toLowerCase() : p.decidedBy;
    const stateText = p.decidedBy === 'first phone' ? s['floor.phone.opened'] : s[`floor.phone.${p.state}`] ?? p.state;
    const by = who && p.state !== 'pending' && p.decidedBy !== 'first phone' ? ` ${format(s['floor.phone.by'], { who })}` : '';
    const li = el('li', { className: `phone ${p.state}` }, el('span', { text: `${format(s['floor.phone'], { n: p.phone })}: ${stateText ?? ''}${by}` }));
    if (p.state === 'pending') {
      const decide = (decision: 'approve' | 'deny') =>
        void act(`${decision}-${p.id}`, async () => {
          await staffApi(`/api/table-session/phones/${encodeURIComponent(p.id)}/${decision}`, { method: 'POST' });
          return format(s[decision === 'approve' ? 'floor.phone.allowed' : 'floor.phone.denied.done'], { n: p.phone, table: table.number });
        });
      li.append(
        el(
          'span',
          { className: 'row' },
          button(s['floor.phone.allow'] ?? '', `approve-${p.id}`, () => decide('approve'), { label: format(s['floor.phone.allowLabel'], { n: p.phone, table: table.number }) }),
          button(s['floor.phone.deny'] ?? '', `deny-${p.id}`, () => decide('deny'), { label: format(s['floor.phone.denyLabel'], { n: p.phone, table: table.number }), className: 'small secondary' }),
        ),
      );
    }
    return li;
  }

  function confirmBox(table: Table, action: 'close' | 'rotate'): HTMLElement {
    const yes = action === 'close' ? 'floor.closeYes' : 'floor.rotateYes';
    const box = el(
      'div',
      { className: 'confirm', attrs: { role: 'group', 'aria-label': format(s[action === 'close' ? 'floor.closeLabel' : 'floor.rotateLabel'], { n: table.number }) } },
      el('p', { text: format(s[action === 'close' ? 'floor.closeConfirm' : 'floor.rotateConfirm'], { n: table.number }) }),
    );
    box.append(
      el(
        'span',
        { className: 'row' },
        button(format(s[yes], { n: table.number }), `${action}-yes-${table.id}`, () => {
          confirming = undefined;
          void act(`${action}-${table.id}`, async () => {
            if (action === 'close') {
              await staffApi(`/api/tables/${encodeURIComponent(table.id)}/close`, { method: 'POST' });
              return format(s['floor.closed'], { n: table.number });
            }
            await staffApi(`/api/tables/${encodeURIComponent(table.id)}/qr/rotate`, { method: 'POST' });
            return format(s['floor.rotated'], { n: table.number });
          });
        }, { className: 'small danger' }),
        button(s['floor.cancel'] ?? '', `${action}-no-${table.id}`, () => {
          confirming = undefined;
          render();
          focusKey(`${action}-${table.id}`);
        }, { className: 'small secondary' }),
      ),
    );
    return box;
  }

  function tableItem(table: Table): HTMLElement {
    const title = format(s['floor.table'], { n: table.number });
    const info = table.location ? format(s['floor.tableInfoAt'], { n: table.capacity, place: table.location }) : format(s['floor.tableInfo'], { n: table.capacity });
    const card = el(
      'li',
      { className: `table-card ${table.state}`, attrs: { 'data-table': table.id, 'data-state': table.state, 'aria-labelledby': `t-${table.id}` } },
      el(
        'div',
        { className: 'card-head' },
        el('h3', { id: `t-${table.id}`, text: title }),
        el('span', { className: `badge ${table.state}`, text: s[`floor.state.${table.state}`] ?? table.state }),
      ),
      el('p', { className: 'note', text: info }),
    );
    for (const r of table.requests.filter((r) => r.kind === 'waiter')) {
      card.append(el('p', { className: 'flag', text: `${kindText(r)} · ${since(r.createdAt)}` }));
    }
    if (table.session) {
      card.append(el('p', { className: 'note', text: format(s['floor.openedAt'], { time: time.format(new Date(table.session.openedAt)) }) }));
      const o = table.orders;
      if (o.count > 0) {
        card.append(el('p', { text: format(s['floor.orders'], { n: o.count, total: money.format(o.totalAmount) }) }));
        const lines = (['pending', 'inKitchen', 'ready', 'served'] as const)
          .filter((k) => o[k] > 0)
          .map((k) => el('li', { className: `lines ${k}`, text: format(s[`floor.lines.${k}`], { n: o[k] }) }));
        if (lines.length) card.append(el('ul', { className: 'chips' }, ...lines));
      }
      if (table.session.phones.length) {
        card.append(el('ul', { className: 'phones', attrs: { 'aria-label': `${s['floor.phones'] ?? ''} · ${title}` } }, ...table.session.phones.map((p) => phoneItem(table, p))));
      }
    }
    const actions = el('div', { className: 'row actions' });
    if (table.session) {
      actions.append(button(s['floor.close'] ?? '', `close-${table.id}`, () => ask(table, 'close'), { label: format(s['floor.closeLabel'], { n: table.number }), className: 'small secondary' }));
    }
    if (data.canRotate) {
      actions.append(button(s['floor.rotate'] ?? '', `rotate-${table.id}`, () => ask(table, 'rotate'), { label: format(s['floor.rotateLabel'], { n: table.number }), className: 'small secondary' }));
    }
    if (confirming?.tableId === table.id && (confirming.action === 'rotate' || table.session)) card.append(confirmBox(table, confirming.action));
    else if (actions.childElementCount) card.append(actions);
    return card;
  }

  function ask(table: Table, action: 'close' | 'rotate'): void {
    confirming = { tableId: table.id, action };
    render();
    focusKey(`${action}-no-${table.id}`);
  }

  function focusKey(key: string): void {
    document.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`)?.focus();
  }

  function render(): void {
    if (!floor) return;
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.key;
    const counts = new Map<State, number>(states.map((st) => [st, 0]));
    for (const table of floor.tables) counts.set(table.state, (counts.get(table.state) ?? 0) + 1);
    $('#summary').replaceChildren(
      ...states.map((st) => el('li', { className: `badge ${st}`, text: `${s[`floor.state.${st}`] ?? st}: ${counts.get(st) ?? 0}` })),
    );
    $('#requests').replaceChildren(...(floor.open.length ? floor.open.map(requestItem) : [el('li', { className: 'note', text: s['floor.requests.none'] })]));
    $('#handled').replaceChildren(...(floor.resolved.length ? floor.resolved.slice(0, 8).map(handledItem) : [el('li', { className: 'note', text: s['floor.handled.none'] })]));
    $('#tables').replaceChildren(...floor.tables.map(tableItem));
    if (focused) focusKey(focused);
  }

  let reading: Promise<void> | undefined;
  let again = false;
  async function refresh(): Promise<void> {
    if (reading) {
      again = true;
      return reading;
    }
    reading = (async () => {
      try {
        floor = await staffApi<Floor>('/api/floor');
        render();
      } catch (err) {
        error.textContent = problemText(err, s);
      }
    })();
    await reading;
    reading = undefined;
    if (again) {
      again = false;
      await refresh();
    }
  }

  void refresh();
  void follow(['floor', 'orders', 'requests'], () => void refresh(), s);
  // The "x min ago" texts age without events.
  setInterval(render, 60_000);
}
