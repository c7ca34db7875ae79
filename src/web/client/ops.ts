// The operators' dashboard (/ops): each page reads its JSON from /api/ops/… and builds the DOM with
// el()/textContent only (check summaries, queries and names are data, never markup). Safe actions
// (cancel, terminate, vacuum, reset statistics) go through a confirmation dialog, then the API,
// which applies the same refusals as the CLI and records them in the actions log. Charts: uPlot
// (canvas; it styles its own elements through the CSSOM, which the strict CSP allows; its
// stylesheet is bundled into ops.css).
import uPlot from 'uplot';
import { el } from './common.js';
import { $, askDialog, format, HttpError, pageData, problemText, staffApi, wireSignOut, type StaffPageData } from './staff-common.js';

type Status = 'ok' | 'warning' | 'critical' | 'unknown';

interface CheckView {
  name: string;
  status: Status;
  summary: string;
  description: string;
  unit: string;
  thresholds: { warning: number; critical: number };
  lowerIsWorse: boolean;
  advice?: string;
  commands: string[];
  rows: Array<Record<string, unknown>>;
  durationMs: number;
}

interface Capability {
  id: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

interface ActionOutcome {
  action: string;
  status: string;
  summary: string;
  recorded: boolean;
}

interface Page extends StaffPageData {
  page: 'overview' | 'connections' | 'queries' | 'space' | 'maintenance' | 'indexes' | 'system';
}

const data = pageData<Page>();
const S = data.strings;
const lang = data.lang === 'en' ? 'en' : 'es';
const s = (key: string, params: Record<string, string | number> = {}): string => format(S[key] ?? key, params);

const content = $('#content');
const statusLine = $('#status');
const updated = $('#updated');

// ---------------------------------------------------------------------------------------------
// Formatting

const numberFormat = new Intl.NumberFormat(lang);
const fmt = (n: number | null | undefined, digits = 1): string =>
  n === null || n === undefined ? '—' : new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(n);
const fmtInt = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : numberFormat.format(Math.round(n)));

function fmtBytes(bytes: number | null | undefined, signed = false): string {
  if (bytes === null || bytes === undefined) return '—';
  const sign = signed && bytes > 0 ? '+' : bytes < 0 ? '−' : '';
  let v = Math.abs(bytes);
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${sign}${fmt(v, u === 0 ? 0 : 1)} ${units[u]}`;
}

function fmtTime(value: unknown): string {
  if (typeof value !== 'string' || !value) return S['ops.never'] ?? '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toLocaleString(lang, { dateStyle: 'short', timeStyle: 'short' });
}

/** A cell's text for any value a check row holds. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return fmt(value, 3);
  if (typeof value === 'boolean') return value ? (S['ops.yes'] ?? 'yes') : (S['ops.no'] ?? 'no');
  if (typeof value === 'string') return /^\d{4}-\d\d-\d\dT/.test(value) ? fmtTime(value) : value;
  return JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------
// Building blocks

function section(title: string, ...children: Array<Node | null | undefined | false>): HTMLElement {
  return el('section', { className: 'ops-section' }, el('h2', { text: title }), ...children);
}

let tableCount = 0;

/** A table in a scrollable, focusable region (so a keyboard can scroll it on a phone). */
function table(caption: string, headers: string[], rows: Array<Array<Node | string>>, className = ''): HTMLElement {
  const id = `t${++tableCount}`;
  const t = el(
    'table',
    { className: `ops-table ${className}`.trim() },
    el('caption', { className: 'sr-only', id, text: caption }),
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { text: h, attrs: { scope: 'col' } })))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, typeof c === 'string' ? document.createTextNode(c) : c))))),
  );
  return el('div', { className: 'table-wrap', attrs: { role: 'region', 'aria-labelledby': id, tabindex: '0' } }, t);
}

function badge(status: Status): HTMLElement {
  return el('span', { className: `badge st-${status}`, text: S[`ops.status.${status}`] ?? status });
}

function copyBox(text: string): HTMLElement {
  const button = el('button', { type: 'button', className: 'secondary small copy-button', text: S['ops.copy'] ?? 'Copy', attrs: { 'aria-label': s('ops.copyLabel', { text: text.length > 80 ? `${text.slice(0, 77)}…` : text }) } });
  button.addEventListener('click', () => {
    navigator.clipboard.writeText(text).then(
      () => say(S['ops.copied'] ?? ''),
      () => say(S['ops.copyFailed'] ?? ''),
    );
  });
  return el('div', { className: 'copy' }, el('code', { text }), button);
}

/** A check's rows as a table (the evidence), every key a column. */
function rowsTable(name: string, rows: Array<Record<string, unknown>>): HTMLElement | null {
  if (!rows.length) return null;
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => k !== 'fix').slice(0, 9);
  const shown = rows.slice(0, 50);
  return el(
    'details',
    { className: 'check-rows' },
    el('summary', { text: s('ops.check.rows', { n: rows.length }) }),
    table(`${name}: ${s('ops.check.rows', { n: rows.length })}`, columns, shown.map((r) => columns.map((c) => cellText(r[c])))),
  );
}

function checkCard(c: CheckView, open = c.status !== 'ok'): HTMLElement {
  const above = c.lowerIsWorse ? 'ops.check.thresholdBelow' : 'ops.check.thresholdAbove';
  const details = el(
    'details',
    { className: `ops-check st-${c.status}`, id: `check-${c.name}` },
    el('summary', {}, badge(c.status), el('span', { className: 'check-name', text: c.name }), el('span', { className: 'check-summary', text: c.summary })),
    el(
      'dl',
      {},
      el('dt', { text: S['ops.check.threshold'] ?? '' }),
      el('dd', { text: s(above, { warning: fmt(c.thresholds.warning, 3), critical: fmt(c.thresholds.critical, 3), unit: c.unit }) }),
      el('dt', { text: S['ops.check.why'] ?? '' }),
      el('dd', { text: c.description }),
      c.advice ? el('dt', { text: S['ops.check.todo'] ?? '' }) : null,
      c.advice ? el('dd', { text: c.advice }) : null,
      el('dt', { text: S['ops.check.copy'] ?? '' }),
      el('dd', { className: 'copies' }, ...c.commands.map(copyBox)),
    ),
    rowsTable(c.name, c.rows),
  );
  details.open = open;
  return details;
}

function checksSection(title: string, checks: CheckView[]): HTMLElement {
  return section(title, ...checks.map((c) => checkCard(c)));
}

function counts(checks: CheckView[]): HTMLElement {
  const n = (st: Status) => checks.filter((c) => c.status === st).length;
  const worst: Status = n('critical') ? 'critical' : n('warning') ? 'warning' : n('unknown') ? 'unknown' : 'ok';
  return el('p', { className: `ops-counts st-${worst}` }, badge(worst), document.createTextNode(' ' + s('ops.counts', { critical: n('critical'), warning: n('warning'), unknown: n('unknown'), ok: n('ok') })));
}

function capabilityPanel(caps: Capability[], only?: string[]): HTMLElement | null {
  const shown = caps.filter((c) => !only || only.includes(c.id));
  const missing = shown.filter((c) => !c.ok);
  if (only && !missing.length) return null;
  return el(
    'section',
    { className: `ops-section caps${missing.length ? ' has-missing' : ''}`, attrs: { 'aria-labelledby': 'caps-title' } },
    el('h2', { id: 'caps-title', text: S['ops.caps.title'] ?? '' }),
    missing.length ? null : el('p', { className: 'note', text: S['ops.caps.allOk'] ?? '' }),
    wrapIf(!missing.length, S['ops.caps.show'] ?? '', el(
      'ul',
      { className: 'caps-list' },
      ...shown.map((c) =>
        el(
          'li',
          { className: c.ok ? 'cap cap-ok' : 'cap cap-missing', attrs: { 'data-capability': c.id } },
          el('span', { className: `badge ${c.ok ? 'st-ok' : 'st-warning'}`, text: c.ok ? (S['ops.caps.ok'] ?? '') : (S['ops.caps.missing'] ?? '') }),
          el('strong', { text: ` ${S[`ops.cap.${c.id}`] ?? c.id}` }),
          el('p', { className: 'note', text: c.detail }),
          c.fix ? el('p', { className: 'fix-label', text: S['ops.caps.fix'] ?? '' }) : null,
          c.fix ? copyBox(c.fix) : null,
        ),
      ),
    )),
  );
}

/** `node` inside a closed <details> with `label` when `wrap`, else as it is. */
function wrapIf(wrap: boolean, label: string, node: HTMLElement): HTMLElement {
  return wrap ? el('details', { className: 'caps-details' }, el('summary', { text: label }), node) : node;
}

function say(text: string, error = false): void {
  statusLine.textContent = text;
  statusLine.classList.toggle('error', error);
}

// ---------------------------------------------------------------------------------------------
// Confirmation and actions

const dialog = $<HTMLDialogElement>('#confirm');

function confirmAction(text: string, sql?: string): Promise<boolean> {
  $('#confirm-text').textContent = text;
  const pre = $('#confirm-sql');
  pre.textContent = sql ?? '';
  pre.hidden = !sql;
  return askDialog(dialog, $('#confirm-yes'), $('#confirm-no'));
}

async function act(question: string, path: string): Promise<void> {
  if (!(await confirmAction(question))) return;
  try {
    const result = await staffApi<ActionOutcome>(path, { method: 'POST', body: {} });
    await load();
    say(s(result.recorded ? 'ops.action.done' : 'ops.action.notRecorded', { summary: result.summary }), result.status === 'failed');
  } catch (err) {
    say(problemText(err, S), true);
  }
}

// ---------------------------------------------------------------------------------------------
// Pages

async function overview(): Promise<Node[]> {
  const body = await staffApi<{ checks: CheckView[]; capabilities: Capability[]; timeline: Array<{ at: string; critical: number; warning: number; unknown: number; ok: number; notOk: string[] }> }>('/api/ops/overview');
  return [counts(body.checks), capabilityPanel(body.capabilities)!, timelineSection(body.timeline), checksSection(S['ops.checks'] ?? '', body.checks)];
}

/** Check statuses at each history capture of the last day: how many were critical, warning, unknown. */
function timelineSection(timeline: Array<{ at: string; critical: number; warning: number; unknown: number; ok: number; notOk: string[] }>): HTMLElement {
  if (!timeline.length) return section(S['ops.timeline.title'] ?? '', el('p', { className: 'note', text: S['ops.timeline.none'] ?? '' }));
  const xs = timeline.map((p) => new Date(p.at).getTime() / 1000);
  const lines: Line[] = (['critical', 'warning', 'unknown'] as const).map((st, i) => ({ label: S[`ops.status.${st}`] ?? st, values: timeline.map((p) => p[st]), ...PALETTE[i]! }));
  const last = timeline[timeline.length - 1]!;
  return section(
    S['ops.timeline.title'] ?? '',
    timeChart(
      S['ops.timeline.caption'] ?? '',
      s('ops.timeline.alt', { n: timeline.length, critical: last.critical, warning: last.warning, unknown: last.unknown }),
      xs,
      lines,
      (v) => fmtInt(v),
      timeline.map((p) => [fmtTime(p.at), fmtInt(p.critical), fmtInt(p.warning), fmtInt(p.unknown), fmtInt(p.ok), p.notOk.join(', ') || '—']),
      [S['ops.q.series.at'] ?? '', ...(['critical', 'warning', 'unknown', 'ok'] as const).map((st) => S[`ops.status.${st}`] ?? st), S['ops.timeline.notOk'] ?? ''],
      86_400,
      true,
    ),
  );
}

interface LiveSession {
  pid: number;
  user: string | null;
  application: string;
  client: string | null;
  backendType: string;
  state: string | null;
  xactSeconds: number | null;
  query: string;
  blockedBy: number[];
  actionable: boolean;
  leftAlone: 'server-process' | 'other-database' | 'own' | null;
  database: string | null;
}

interface Counted {
  key: string;
  total: number;
  active: number;
  idle: number;
  idleInTransaction: number;
}

async function connections(): Promise<Node[]> {
  const body = await staffApi<{
    maxConnections: number; sessions: LiveSession[]; byState: Counted[]; byApplication: Counted[]; byUser: Counted[]; byClient: Counted[];
    blocking: Array<{ pid: number; depth: number; blockedBy: number[]; waitingSeconds: number | null }>; checks: CheckView[];
  }>('/api/ops/connections');
  const clients = body.sessions.filter((x) => x.backendType === 'client backend');
  const countTable = (title: string, rows: Counted[]) =>
    el(
      'div',
      { className: 'count-table' },
      el('h3', { text: title }),
      table(title, [S['ops.conn.col.key'] ?? '', S['ops.conn.col.total'] ?? '', S['ops.conn.col.active'] ?? '', S['ops.conn.col.idle'] ?? '', S['ops.conn.col.idleTx'] ?? ''],
        rows.map((r) => [r.key, fmtInt(r.total), fmtInt(r.active), fmtInt(r.idle), fmtInt(r.idleInTransaction)])),
    );
  const tree = body.blocking.length
    ? el(
        'ul',
        { className: 'blocking-tree' },
        ...body.blocking.map((n) =>
          el('li', {
            className: `depth-${Math.min(n.depth, 5)}`,
            text: n.blockedBy.length
              ? s('ops.conn.waiter', { pid: n.pid, s: fmt(n.waitingSeconds ?? 0), pids: n.blockedBy.join(', ') })
              : s('ops.conn.blocker', { pid: n.pid }),
          }),
        ),
      )
    : el('p', { className: 'note', text: S['ops.conn.noBlocking'] ?? '' });
  const sessionRows = body.sessions.map((x) => {
    const actions = x.actionable
      ? el(
          'div',
          { className: 'row-actions' },
          x.state === 'active'
            ? actionButton(S['ops.conn.cancel'] ?? '', s('ops.conn.cancelLabel', { pid: x.pid }), () =>
                act(s('ops.conn.confirmCancel', { pid: x.pid, user: x.user ?? '?', application: x.application }), `/api/ops/sessions/${x.pid}/cancel`),
              )
            : null,
          actionButton(S['ops.conn.terminate'] ?? '', s('ops.conn.terminateLabel', { pid: x.pid }), () =>
            act(s('ops.conn.confirmTerminate', { pid: x.pid, user: x.user ?? '?', application: x.application }), `/api/ops/sessions/${x.pid}/terminate`),
          ),
        )
      : el('span', {
          className: 'note',
          text: x.leftAlone === 'other-database' ? s('ops.conn.otherDatabase', { db: x.database ?? '?' }) : x.leftAlone === 'own' ? (S['ops.conn.own'] ?? '') : s('ops.conn.notActionable', { kind: x.backendType }),
        });
    return [String(x.pid), x.user ?? '—', x.application, x.client ?? '—', x.state ?? x.backendType, fmt(x.xactSeconds), el('code', { className: 'query', text: x.query }), actions];
  });
  return [
    el('p', { className: 'ops-lead', text: s('ops.conn.summary', { n: clients.length, max: body.maxConnections }) }),
    section(
      S['ops.conn.counts'] ?? '',
      el(
        'div',
        { className: 'count-grid' },
        countTable(S['ops.conn.byState'] ?? '', body.byState),
        countTable(S['ops.conn.byApplication'] ?? '', body.byApplication),
        countTable(S['ops.conn.byUser'] ?? '', body.byUser),
        countTable(S['ops.conn.byClient'] ?? '', body.byClient),
      ),
    ),
    section(S['ops.conn.blocking'] ?? '', tree),
    section(
      S['ops.conn.sessions'] ?? '',
      table(
        S['ops.conn.sessions'] ?? '',
        ['ops.conn.col.pid', 'ops.conn.col.user', 'ops.conn.col.application', 'ops.conn.col.client', 'ops.conn.col.state', 'ops.conn.col.xact', 'ops.conn.col.query', 'ops.conn.col.actions'].map((k) => S[k] ?? k),
        sessionRows,
        'sessions',
      ),
    ),
    checksSection(S['ops.checks'] ?? '', body.checks),
  ];
}

function actionButton(text: string, label: string, onClick: () => Promise<void>, className = 'danger small'): HTMLButtonElement {
  const b = el('button', { type: 'button', className, text, attrs: { 'aria-label': label } });
  b.addEventListener('click', () => void onClick());
  return b;
}

interface Statement {
  queryid: string;
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  maxMs?: number;
  rows: number;
  hitPct: number | null;
}

let queryWindow = new URLSearchParams(location.search).get('window') ?? 'day';
if (!['hour', 'day', 'week'].includes(queryWindow)) queryWindow = 'day';
let charts: uPlot[] = [];
const WINDOW_SECONDS: Record<string, number> = { hour: 3_600, day: 86_400, week: 604_800 };
/** Charts of the page being built, drawn once it is in the document (uPlot measures its box). */
let pendingCharts: Array<() => void> = [];

interface Line {
  label: string;
  values: number[];
  stroke: string;
  dash?: number[];
}

/**
 * A time chart over the last `windowSeconds` (uPlot), with its text alternative and its data in a
 * table beside it; drawn after the page is mounted.
 */
function timeChart(caption: string, alt: string, xs: number[], lines: Line[], value: (v: number) => string, rows: Array<Array<Node | string>>, headers: string[], windowSeconds: number, counts = false): HTMLElement {
  const plot = el('div', { className: 'plot', attrs: { role: 'img', 'aria-label': alt } });
  const box = el(
    'figure',
    { className: 'chart' },
    el('figcaption', { text: caption }),
    plot,
    el('details', { className: 'chart-data' }, el('summary', { text: s('ops.check.rows', { n: rows.length }) }), table(caption, headers, rows)),
  );
  pendingCharts.push(() => {
    const end = Math.max(Date.now() / 1000, xs[xs.length - 1] ?? 0);
    const start = Math.min(end - windowSeconds, xs[0] ?? end);
    const chart = new uPlot(
      {
        width: Math.max(260, Math.min(plot.clientWidth || 600, 1100)),
        height: 200,
        scales: { x: { time: true, range: () => [start, end] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        series: [
          { label: S['ops.q.series.at'], value: (_u, v) => (v === null ? '—' : fmtTime(new Date(v * 1000).toISOString())) },
          ...lines.map((l) => ({ label: l.label, stroke: l.stroke, width: 2, ...(l.dash ? { dash: l.dash } : {}), points: { show: true, size: 5 }, value: (_u: uPlot, v: number | null) => (v === null ? '—' : value(v)) })),
        ],
        axes: [
          {
            // A week: each day once (the ticks fall twice a day); a day: the time.
            values: (_u, splits) =>
              splits.map((v, i) => {
                const label = (t: number) => (windowSeconds > 86_400 ? new Date(t * 1000).toLocaleDateString(lang, { day: 'numeric', month: 'short' }) : new Date(t * 1000).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' }));
                return i > 0 && label(splits[i - 1]!) === label(v) ? '' : label(v);
              }),
          },
          // Counts tick on whole numbers only.
          { values: (_u, splits) => splits.map((v) => value(v)), size: 70, ...(counts ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] } : {}) },
        ],
      },
      [xs, ...lines.map((l) => l.values)],
      plot,
    );
    charts.push(chart);
  });
  return box;
}

/** Colours for several lines, told apart by dashes too (not by colour alone). */
const PALETTE: Array<Pick<Line, 'stroke' | 'dash'>> = [
  { stroke: '#8a2f12' }, { stroke: '#1a5fb4', dash: [6, 4] }, { stroke: '#26734d', dash: [2, 3] }, { stroke: '#6b3fa0', dash: [10, 3, 2, 3] }, { stroke: '#8a6d00', dash: [12, 6] }, { stroke: '#444', dash: [1, 5] },
];

async function queries(): Promise<Node[]> {
  const [body, caps] = await Promise.all([
    staffApi<{ captures: number; from: string | null; to: string | null; countersReset: number; byTotal: Statement[]; byMean: Statement[]; live: Statement[] | null; checks: CheckView[] }>(
      `/api/ops/queries?window=${queryWindow}`,
    ),
    staffApi<{ capabilities: Capability[] }>('/api/ops/capabilities'),
  ]);
  const select = el('select', { id: 'window' }, ...['hour', 'day', 'week'].map((w) => {
    const o = el('option', { text: S[`ops.q.window.${w}`] ?? w, attrs: { value: w } });
    o.selected = w === queryWindow;
    return o;
  }));
  select.addEventListener('change', () => {
    queryWindow = select.value;
    history.replaceState(null, '', `?window=${queryWindow}`);
    void load();
  });
  const resetCap = caps.capabilities.find((c) => c.id === 'reset_statements');
  const controls = el(
    'div',
    { className: 'ops-controls' },
    el('div', { className: 'field' }, el('label', { text: S['ops.q.window'] ?? '', attrs: { for: 'window' } }), select),
    resetCap?.ok
      ? actionButton(S['ops.q.reset'] ?? '', S['ops.q.reset'] ?? '', async () => {
          if (!(await confirmAction(S['ops.q.confirmReset'] ?? '', 'SELECT pg_stat_statements_reset()'))) return;
          try {
            const r = await staffApi<{ statements: number }>('/api/ops/statistics/reset', { method: 'POST', body: {} });
            await load();
            say(s('ops.q.resetDone', { n: r.statements }));
          } catch (err) {
            say(problemText(err, S), true);
          }
        }, 'secondary')
      : null,
  );
  const detail = el('div', { id: 'statement-detail' });
  const statementTable = (title: string, rows: Statement[], live = false) =>
    rows.length
      ? table(
          title,
          [S['ops.q.col.query'] ?? '', S['ops.q.col.calls'] ?? '', S['ops.q.col.total'] ?? '', S['ops.q.col.mean'] ?? '', live ? (S['ops.q.col.max'] ?? '') : (S['ops.q.col.rows'] ?? ''), S['ops.q.col.hit'] ?? '', S['ops.q.col.open'] ?? ''],
          rows.map((r, i) => [
            el('code', { className: 'query', text: r.query }),
            fmtInt(r.calls),
            fmt(r.totalMs, 1),
            fmt(r.meanMs, 3),
            live ? fmt(r.maxMs ?? 0, 2) : fmtInt(r.rows),
            fmt(r.hitPct, 1),
            actionButton(S['ops.q.open'] ?? '', s('ops.q.openLabel', { n: `${title} ${i + 1}` }), () => openStatement(detail, r), 'secondary small'),
          ]),
          'statements',
        )
      : el('p', { className: 'note', text: S['ops.q.none'] ?? '' });
  const out: Node[] = [controls, capabilityPanel(caps.capabilities, ['pg_stat_statements', 'history']) ?? el('span')];
  const statStatements = caps.capabilities.find((c) => c.id === 'pg_stat_statements');
  if (body.captures > 0) {
    out.push(el('p', { className: 'note', text: s('ops.q.history', { n: body.captures, from: fmtTime(body.from), to: fmtTime(body.to) }) }));
    if (body.countersReset) out.push(el('p', { className: 'note', text: s('ops.q.resets', { n: body.countersReset }) }));
  } else {
    out.push(el('div', { className: 'notice' }, el('p', { text: S['ops.q.noHistory'] ?? '' }), copyBox('comanda history capture')));
  }
  out.push(detail);
  if (body.captures > 0 || statStatements?.ok) {
    out.push(section(S['ops.q.byTotal'] ?? '', statementTable(S['ops.q.byTotal'] ?? '', body.byTotal)));
    out.push(section(S['ops.q.byMean'] ?? '', statementTable(S['ops.q.byMean'] ?? '', body.byMean)));
  }
  if (body.live) out.push(section(S['ops.q.live'] ?? '', statementTable(S['ops.q.live'] ?? '', body.live, true)));
  out.push(checksSection(S['ops.checks'] ?? '', body.checks));
  return out;
}

async function openStatement(holder: HTMLElement, st: Statement): Promise<void> {
  for (const c of charts) c.destroy();
  charts = [];
  holder.replaceChildren(el('p', { className: 'note', text: S['ops.loading'] ?? '' }));
  let body: { query: string; series: Array<{ at: string; calls: number; totalMs: number; meanMs: number }> };
  try {
    body = await staffApi(`/api/ops/queries/${encodeURIComponent(st.queryid)}?window=${queryWindow}`);
  } catch (err) {
    holder.replaceChildren(el('p', { className: 'error', text: problemText(err, S) }));
    return;
  }
  const title = el('h2', { id: 'statement-title', text: s('ops.q.detail', { n: st.queryid }), attrs: { tabindex: '-1' } });
  const close = actionButton(S['ops.q.close'] ?? '', S['ops.q.close'] ?? '', () => {
    for (const c of charts) c.destroy();
    charts = [];
    holder.replaceChildren();
    return Promise.resolve();
  }, 'secondary small');
  const planHolder = el('div', { className: 'plan' });
  const planButton = actionButton(S['ops.q.plan'] ?? '', S['ops.q.plan'] ?? '', async () => {
    planHolder.replaceChildren(el('p', { className: 'note', text: S['ops.loading'] ?? '' }));
    try {
      const plan = await staffApi<{ refused: string | null; text?: string }>(`/api/ops/queries/${encodeURIComponent(st.queryid)}/plan`);
      planHolder.replaceChildren(
        el('h3', { text: S['ops.q.planTitle'] ?? '' }),
        plan.refused ? el('p', { className: 'warn', text: s('ops.q.refused', { reason: plan.refused }) }) : el('pre', { className: 'sql plan-text', text: plan.text ?? '', attrs: { tabindex: '0' } }),
      );
    } catch (err) {
      planHolder.replaceChildren(el('p', { className: 'error', text: problemText(err, S) }));
    }
  }, 'small');
  const chartBox = el('figure', { className: 'chart' }, el('figcaption', { text: S['ops.q.chart'] ?? '' }));
  const panel = el(
    'section',
    { className: 'ops-section statement', attrs: { 'aria-labelledby': 'statement-title' } },
    el('div', { className: 'ops-head' }, title, close),
    el('pre', { className: 'sql', text: body.query, attrs: { tabindex: '0' } }),
    chartBox,
    el('div', { className: 'row' }, planButton),
    planHolder,
  );
  holder.replaceChildren(panel);
  if (!body.series.length) {
    chartBox.append(el('p', { className: 'note', text: S['ops.q.noSeries'] ?? '' }));
  } else {
    const plot = el('div', { className: 'plot', attrs: { role: 'img', 'aria-label': S['ops.q.chartAlt'] ?? '' } });
    chartBox.append(plot);
    const xs = body.series.map((p) => new Date(p.at).getTime() / 1000);
    const windowEnd = Math.max(Date.now() / 1000, xs[xs.length - 1] ?? 0);
    const windowStart = Math.min(windowEnd - WINDOW_SECONDS[queryWindow]!, xs[0] ?? windowEnd);
    const width = Math.max(260, Math.min(plot.clientWidth || chartBox.clientWidth || 600, 1100));
    const chart = new uPlot(
      {
        width,
        height: 220,
        // The whole window, whatever the captures in it (one point alone would stretch to years).
        scales: { x: { time: true, range: () => [windowStart, windowEnd] }, ms: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] }, calls: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        series: [
          { label: S['ops.q.series.at'], value: (_u, v) => (v === null ? '—' : fmtTime(new Date(v * 1000).toISOString())) },
          { label: S['ops.q.series.total'], scale: 'ms', stroke: '#8a2f12', width: 2, fill: 'rgba(138,47,18,.08)', points: { show: true, size: 6 } },
          { label: S['ops.q.series.calls'], scale: 'calls', stroke: '#1a5fb4', width: 2, dash: [6, 4], points: { show: true, size: 6 } },
        ],
        axes: [{ values: (_u, splits) => splits.map((v) => axisTime(v)) }, { scale: 'ms', label: 'ms' }, { scale: 'calls', side: 1, grid: { show: false }, label: S['ops.q.series.calls'] }],
      },
      [xs, body.series.map((p) => p.totalMs), body.series.map((p) => p.calls)],
      plot,
    );
    charts.push(chart);
    chartBox.append(
      el('details', { className: 'chart-data' }, el('summary', { text: s('ops.check.rows', { n: body.series.length }) }),
        table(S['ops.q.chart'] ?? '', [S['ops.q.series.at'] ?? '', S['ops.q.series.calls'] ?? '', S['ops.q.series.total'] ?? '', S['ops.q.series.mean'] ?? ''],
          body.series.map((p) => [fmtTime(p.at), fmtInt(p.calls), fmt(p.totalMs, 1), fmt(p.meanMs, 3)]))),
    );
  }
  title.focus();
}

/** An x-axis tick in the page's language: the time of day, or the day for the week's window. */
function axisTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  return queryWindow === 'week' ? d.toLocaleDateString(lang, { day: 'numeric', month: 'short' }) : d.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
}

window.addEventListener('resize', () => {
  for (const c of charts) {
    const parent = c.root.parentElement;
    if (parent) c.setSize({ width: Math.max(260, Math.min(parent.clientWidth, 1100)), height: c.height });
  }
});

interface SizeRow {
  kind: 'database' | 'table' | 'index';
  name: string;
  bytes: number;
  growthBytes: number | null;
  growthPerDayBytes: number | null;
  liveRows: number | null;
  deadRows: number | null;
}

interface SizePoint {
  at: string;
  kind: 'database' | 'table';
  name: string;
  bytes: number;
}

/** The database and its largest tables at each size capture of the week. */
function sizeChart(series: SizePoint[]): HTMLElement {
  const times = [...new Set(series.map((p) => p.at))];
  const names = [...new Set(series.map((p) => `${p.kind}:${p.name}`))];
  const at = new Map(series.map((p) => [`${p.at}|${p.kind}:${p.name}`, p.bytes]));
  const labelOf = (key: string) => (key.startsWith('database:') ? (S['ops.space.kind.database'] ?? 'database') : key.slice(key.indexOf(':') + 1));
  // A missing point (a table created during the week) is a gap; uPlot takes null for it.
  const values = (key: string) => times.map((t) => at.get(`${t}|${key}`) ?? (null as unknown as number));
  const lines: Line[] = names.map((key, i) => ({ label: labelOf(key), values: values(key), ...PALETTE[i % PALETTE.length]! }));
  return section(
    S['ops.space.chart'] ?? '',
    timeChart(
      S['ops.space.chartCaption'] ?? '',
      s('ops.space.chartAlt', { n: times.length, names: names.map(labelOf).join(', ') }),
      times.map((t) => new Date(t).getTime() / 1000),
      lines,
      (v) => fmtBytes(v),
      times.map((t) => [fmtTime(t), ...names.map((key) => fmtBytes(at.get(`${t}|${key}`)))]),
      [S['ops.q.series.at'] ?? '', ...names.map(labelOf)],
      604_800,
    ),
  );
}

async function space(): Promise<Node[]> {
  const body = await staffApi<{ from: string | null; to: string | null; sizes: SizeRow[]; series: SizePoint[]; checks: CheckView[] }>(`/api/ops/space?window=week`);
  const out: Node[] = [];
  // Growth per day extrapolated from less than an hour of captures says nothing: left out.
  const spanMs = body.from && body.to ? new Date(body.to).getTime() - new Date(body.from).getTime() : 0;
  const perDay = (r: SizeRow) => (spanMs >= 3_600_000 ? fmtBytes(r.growthPerDayBytes, true) : '—');
  if (body.series.length) out.push(sizeChart(body.series));
  if (body.sizes.length) {
    out.push(
      section(
        S['ops.space.sizes'] ?? '',
        el('p', { className: 'note', text: s('ops.space.range', { from: fmtTime(body.from), to: fmtTime(body.to) }) }),
        table(
          S['ops.space.sizes'] ?? '',
          ['kind', 'name', 'size', 'growth', 'perDay', 'rows', 'dead'].map((k) => S[`ops.space.col.${k}`] ?? k),
          body.sizes.map((r) => [S[`ops.space.kind.${r.kind}`] ?? r.kind, r.name, fmtBytes(r.bytes), fmtBytes(r.growthBytes, true), perDay(r), fmtInt(r.liveRows), fmtInt(r.deadRows)]),
          'sizes',
        ),
      ),
    );
  } else {
    out.push(el('div', { className: 'notice' }, el('p', { text: S['ops.space.noHistory'] ?? '' }), copyBox('comanda history capture')));
  }
  out.push(checksSection(S['ops.checks'] ?? '', body.checks));
  return out;
}

interface TableStat {
  table: string;
  liveRows: number;
  deadRows: number;
  sizeBytes: number;
  vacuums: number;
  autovacuums: number;
  analyzes: number;
  autoanalyzes: number;
  lastVacuum: string | null;
  lastAutovacuum: string | null;
  lastAnalyze: string | null;
  lastAutoanalyze: string | null;
}

async function maintenance(): Promise<Node[]> {
  const body = await staffApi<{ tables: TableStat[]; checks: CheckView[] }>('/api/ops/maintenance');
  const tables = [...body.tables].sort((a, b) => b.deadRows - a.deadRows || a.table.localeCompare(b.table));
  return [
    checksSection(S['ops.checks'] ?? '', body.checks),
    section(
      S['ops.mnt.tables'] ?? '',
      table(
        S['ops.mnt.tables'] ?? '',
        ['table', 'live', 'dead', 'size', 'vacuum', 'analyze', 'counts', 'actions'].map((k) => S[`ops.mnt.col.${k}`] ?? k),
        tables.map((t) => [
          t.table,
          fmtInt(t.liveRows),
          fmtInt(t.deadRows),
          fmtBytes(t.sizeBytes),
          `${fmtTime(t.lastVacuum)} / ${fmtTime(t.lastAutovacuum)}`,
          `${fmtTime(t.lastAnalyze)} / ${fmtTime(t.lastAutoanalyze)}`,
          `${t.vacuums} / ${t.autovacuums} · ${t.analyzes} / ${t.autoanalyzes}`,
          actionButton(S['ops.mnt.vacuum'] ?? '', s('ops.mnt.vacuumLabel', { table: t.table }), () =>
            act(s('ops.mnt.confirmVacuum', { table: t.table }), `/api/ops/tables/${encodeURIComponent(t.table)}/vacuum`), 'secondary small'),
        ]),
        'maintenance',
      ),
    ),
  ];
}

async function indexes(): Promise<Node[]> {
  const body = await staffApi<{ checks: CheckView[] }>('/api/ops/indexes');
  return [el('p', { className: 'note ops-lead', text: S['ops.idx.intro'] ?? '' }), checksSection(S['ops.checks'] ?? '', body.checks.map((c) => c))];
}

async function system(): Promise<Node[]> {
  const body = await staffApi<{
    checks: CheckView[];
    backups: {
      backups: Array<{ file: string; createdAt: string; sizeBytes: number; verifiedAt: string | null; verifyError: string | null; copiedAt: string | null; copyError: string | null }>;
      lastVerifiedAt: string | null;
      canVerify: boolean;
      verifying: boolean;
    };
    alerts: { open: Array<{ check: string; status: Status; since: string; summary: string }>; history: Array<{ at: string; check: string; kind: string; status: Status; summary: string }> };
    actions: Array<{ at: string; action: string; status: string; summary: string; osUser: string | null; dbRole: string }>;
    history: { captures: number; totalBytes: number; meanCaptureMs: number; maxCaptureMs: number };
  }>('/api/ops/system');
  const b = body.backups;
  return [
    checksSection(S['ops.sys.checks'] ?? '', body.checks),
    section(
      S['ops.sys.backups'] ?? '',
      el('p', { text: b.lastVerifiedAt ? s('ops.sys.lastVerified', { at: fmtTime(b.lastVerifiedAt) }) : (S['ops.sys.neverVerified'] ?? '') }),
      b.backups.length
        ? table(
            S['ops.sys.backups'] ?? '',
            ['file', 'created', 'size', 'verified', 'copied'].map((k) => S[`ops.sys.col.${k}`] ?? k),
            b.backups.map((x) => [x.file, fmtTime(x.createdAt), fmtBytes(x.sizeBytes), x.verifiedAt ? fmtTime(x.verifiedAt) : (x.verifyError ?? '—'), x.copiedAt ? fmtTime(x.copiedAt) : (x.copyError ?? '—')]),
          )
        : el('p', { className: 'note', text: S['ops.sys.noBackups'] ?? '' }),
      b.canVerify && b.backups[0] ? verifyNow(b.backups[0].file, b.verifying) : null,
      el('p', { className: 'fix-label', text: b.canVerify && b.backups[0] ? (S['ops.sys.verifyCli'] ?? '') : (S['ops.sys.verifyNow'] ?? '') }),
      copyBox('comanda backup --verify'),
    ),
    section(
      S['ops.sys.alerts'] ?? '',
      body.alerts.open.length
        ? table(S['ops.sys.alerts'] ?? '', ['check', 'status', 'since', 'summary'].map((k) => S[`ops.sys.col.${k}`] ?? k),
            body.alerts.open.map((a) => [a.check, badge(a.status), fmtTime(a.since), a.summary]))
        : el('p', { className: 'note', text: S['ops.sys.noOpen'] ?? '' }),
      el('h3', { text: S['ops.sys.alertHistory'] ?? '' }),
      body.alerts.history.length
        ? table(S['ops.sys.alertHistory'] ?? '', ['at', 'check', 'kind', 'status', 'summary'].map((k) => S[`ops.sys.col.${k}`] ?? k),
            body.alerts.history.map((a) => [fmtTime(a.at), a.check, a.kind, badge(a.status), a.summary]))
        : el('p', { className: 'note', text: S['ops.sys.noAlertHistory'] ?? '' }),
    ),
    section(
      S['ops.sys.actions'] ?? '',
      body.actions.length
        ? table(S['ops.sys.actions'] ?? '', ['at', 'action', 'status', 'who', 'summary'].map((k) => S[`ops.sys.col.${k}`] ?? k),
            body.actions.map((a) => [fmtTime(a.at), a.action, a.status, a.osUser ?? a.dbRole, a.summary]), 'actions-log')
        : el('p', { className: 'note', text: S['ops.sys.noActions'] ?? '' }),
    ),
    section(
      S['ops.sys.history'] ?? '',
      el('p', { text: s('ops.sys.historyText', { captures: body.history.captures, bytes: fmtBytes(body.history.totalBytes), mean: body.history.meanCaptureMs, max: body.history.maxCaptureMs }) }),
    ),
  ];
}

/** "Verify the newest backup": confirmed, then the API restores it into a scratch database and says how it went. */
function verifyNow(file: string, running: boolean): HTMLElement {
  const button = el('button', { type: 'button', className: 'small', text: S['ops.sys.verifyButton'] ?? '' });
  button.disabled = running;
  button.addEventListener('click', () => {
    void (async () => {
      if (!(await confirmAction(s('ops.sys.confirmVerify', { file })))) return;
      button.disabled = true;
      say(s('ops.sys.verifying', { file }));
      try {
        const r = await staffApi<{ status: 'verified' | 'failed' | 'running'; summary: string; recorded?: boolean }>('/api/ops/backups/verify', { method: 'POST', body: {} });
        await load();
        say(r.status === 'running' ? (S['ops.sys.verifyRunning'] ?? '') : s(r.recorded ? 'ops.action.done' : 'ops.action.notRecorded', { summary: r.summary }), r.status === 'failed');
      } catch (err) {
        say(problemText(err, S), true);
        button.disabled = false;
      }
    })();
  });
  return el('p', { className: 'row' }, button);
}

const pages: Record<Page['page'], () => Promise<Node[]>> = { overview, connections, queries, space, maintenance, indexes, system };

let loading: Promise<void> | undefined;
/** Whether the status line shows "Loading…" or a failed load (the next load clears it; an action's result stays across live redraws). */
let loadFailed = true;

// What the person was looking at survives a redraw: the <details> they opened or closed and the
// control that had the keyboard focus, matched in the new DOM by the same keys.
function detailsKey(d: HTMLDetailsElement): string {
  return d.id || `${d.parentElement?.closest('[id]')?.id ?? ''}/${d.className}`;
}

function focusKey(node: Element | null): string | undefined {
  if (!node || !content.contains(node)) return undefined;
  const label = node.getAttribute('aria-label');
  if (label) return `label:${label}`;
  if (node.id) return `id:${node.id}`;
  if (node.tagName === 'SUMMARY' && node.parentElement instanceof HTMLDetailsElement) return `summary:${detailsKey(node.parentElement)}`;
  return undefined;
}

function findByFocusKey(key: string): HTMLElement | undefined {
  const [kind, value] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
  const all = [...content.querySelectorAll<HTMLElement>(kind === 'label' ? '[aria-label]' : kind === 'id' ? '[id]' : 'details > summary')];
  return all.find((e) =>
    kind === 'label' ? e.getAttribute('aria-label') === value : kind === 'id' ? e.id === value : e.parentElement instanceof HTMLDetailsElement && detailsKey(e.parentElement) === value,
  );
}

async function load(): Promise<void> {
  if (loading) return loading;
  loading = (async () => {
    try {
      tableCount = 0;
      pendingCharts = [];
      const nodes = await pages[data.page]();
      const opened = new Map([...content.querySelectorAll('details')].map((d) => [detailsKey(d), d.open] as const));
      const focused = focusKey(document.activeElement);
      for (const c of charts) c.destroy();
      charts = [];
      content.replaceChildren(...nodes);
      for (const draw of pendingCharts) draw();
      pendingCharts = [];
      for (const d of content.querySelectorAll('details')) {
        const was = opened.get(detailsKey(d));
        if (was !== undefined) d.open = was;
      }
      if (focused) findByFocusKey(focused)?.focus({ preventScroll: true });
      if (loadFailed || !live) say('');
      loadFailed = false;
      updated.textContent = s(live ? 'ops.updatedLive' : 'ops.updated', { time: new Date().toLocaleTimeString(lang, { timeStyle: 'medium' }), s: (live ?? 0) / 1000 });
    } catch (err) {
      loadFailed = true;
      say(err instanceof HttpError || err instanceof Error ? problemText(err, S) : String(err), true);
    } finally {
      loading = undefined;
    }
  })();
  return loading;
}

// Live pages: the overview and the connections re-read themselves every few seconds while the tab
// is visible (a hidden tab costs the database nothing; coming back reads at once). A redraw waits
// while the confirmation dialog is open or the person is selecting text to copy.
const LIVE_MS: Partial<Record<Page['page'], number>> = { overview: 10_000, connections: 5_000 };
const live = LIVE_MS[data.page];
let liveTimer: ReturnType<typeof setTimeout> | undefined;

function schedule(): void {
  clearTimeout(liveTimer);
  if (!live || document.hidden) return;
  liveTimer = setTimeout(() => {
    const selecting = !!window.getSelection()?.toString() && content.contains(window.getSelection()?.anchorNode ?? null);
    if (dialog.open || selecting) return schedule();
    void load().then(schedule);
  }, live);
}

if (live) {
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) clearTimeout(liveTimer);
    else void load().then(schedule);
  });
}

wireSignOut();
// On a phone the tabs scroll sideways: keep this page's in view.
document.querySelector('.ops-tabs [aria-current="page"]')?.scrollIntoView({ block: 'nearest', inline: 'center' });
$('#refresh').addEventListener('click', () => void load().then(schedule));
void load().then(schedule);
