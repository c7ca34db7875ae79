// /admin/staff: lists the restaurant's accounts and devices and acts on them through the API.
// A generated password, a sign-in link or a pairing code is shown once, in #secret, and never
// kept: hiding it (or leaving the page) forgets it. Disabling, a new password and revoking are
// confirmed in place first.
import { el } from './common.js';
import { $, format, pageData, problemText, staffApi, wireSignOut, type StaffPageData } from './staff-common.js';

interface Account {
  id: string;
  name: string;
  login: string;
  role: string;
  hasPassword: boolean;
  lastSignInAt: string | null;
  disabledAt: string | null;
}

interface Device {
  id: string;
  role: string;
  label: string | null;
  state: 'pending' | 'expired' | 'paired' | 'revoked';
  createdAt: string;
  pairingExpiresAt: string;
  lastSeenAt: string | null;
}

interface Data extends StaffPageData {
  me: string | null;
}

const data = pageData<Data>();
const s = data.strings;
wireSignOut();

const when = new Intl.DateTimeFormat(data.lang, { dateStyle: 'short', timeStyle: 'short' });
const clock = new Intl.DateTimeFormat(data.lang, { hour: '2-digit', minute: '2-digit' });
const status = $('#status');
const error = $('#error');
let confirming: string | undefined;
let accounts: Account[] = [];
let devices: Device[] = [];

const roleName = (role: string) => s[`staff.role.${role}`] ?? role;
const say = (text: string) => {
  status.textContent = text;
  error.textContent = '';
};

/** Shows a secret once; hiding it forgets it. */
function showSecret(text: string, value: string): void {
  $('#secret-text').textContent = text;
  $('#secret-value').textContent = value;
  const box = $('#secret');
  box.hidden = false;
  box.focus();
}
$('#secret-done').addEventListener('click', () => {
  $('#secret-value').textContent = '';
  $('#secret-text').textContent = '';
  $('#secret').hidden = true;
});

const button = (text: string, key: string, onClick: () => void, options: { label?: string; className?: string } = {}) => {
  const b = el('button', { type: 'button', text, className: options.className ?? 'small secondary', attrs: { 'data-key': key, ...(options.label ? { 'aria-label': options.label } : {}) } });
  b.addEventListener('click', onClick);
  return b;
};

async function act(run: () => Promise<string | void>): Promise<void> {
  try {
    const text = await run();
    if (text) say(text);
  } catch (err) {
    error.textContent = problemText(err, s);
  }
  await load();
}

function confirmRow(key: string, question: string, yes: () => void): HTMLElement {
  return el(
    'div',
    { className: 'confirm', attrs: { role: 'group', 'aria-label': question } },
    el('p', { text: question }),
    el(
      'span',
      { className: 'row' },
      button(s['staffAdmin.yes'] ?? '', `${key}-yes`, () => {
        confirming = undefined;
        yes();
      }, { className: 'small danger' }),
      button(s['staffAdmin.no'] ?? '', `${key}-no`, () => {
        confirming = undefined;
        render();
        focusKey(key);
      }),
    ),
  );
}

function ask(key: string): void {
  confirming = key;
  render();
  focusKey(`${key}-no`);
}

function focusKey(key: string): void {
  document.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`)?.focus();
}

function accountItem(a: Account): HTMLElement {
  const self = a.id === data.me;
  const state = a.disabledAt ? s['staffAdmin.disabled'] : a.hasPassword ? s['staffAdmin.active'] : s['staffAdmin.noPassword'];
  const li = el(
    'li',
    { className: `entry${a.disabledAt ? ' off' : ''}`, attrs: { 'data-account': a.login } },
    el('p', { className: 'who' }, el('strong', { text: a.name }), el('span', { text: ` ${a.login}${self ? ` ${s['staffAdmin.you'] ?? ''}` : ''}` })),
    el(
      'p',
      { className: 'note' },
      el('span', { text: `${roleName(a.role)} · ${state ?? ''} · ${s['staffAdmin.lastSignIn'] ?? ''}: ${a.lastSignInAt ? when.format(new Date(a.lastSignInAt)) : s['staffAdmin.never'] ?? ''}` }),
    ),
  );
  const actions = el('div', { className: 'row' });
  const p = { name: a.name };
  const path = `/api/staff/accounts/${encodeURIComponent(a.id)}`;
  if (a.disabledAt) {
    actions.append(
      button(s['staffAdmin.enable'] ?? '', `enable-${a.id}`, () =>
        void act(async () => {
          await staffApi(`${path}/enable`, { method: 'POST' });
          return format(s['staffAdmin.enabledDone'], p);
        }),
        { label: format(s['staffAdmin.enableLabel'], p) },
      ),
    );
  } else {
    if (!self) actions.append(button(s['staffAdmin.disable'] ?? '', `disable-${a.id}`, () => ask(`disable-${a.id}`), { label: format(s['staffAdmin.disableLabel'], p) }));
    actions.append(
      button(s['staffAdmin.reset'] ?? '', `reset-${a.id}`, () => ask(`reset-${a.id}`), { label: format(s['staffAdmin.resetLabel'], p) }),
      button(s['staffAdmin.signInLink'] ?? '', `link-${a.id}`, () =>
        void act(async () => {
          const issued = await staffApi<{ token: string; expiresAt: string }>(`${path}/sign-in-link`, { method: 'POST' });
          showSecret(format(s['staffAdmin.link'], { name: a.name, time: clock.format(new Date(issued.expiresAt)) }), `${location.origin}/staff/sign-in#token=${issued.token}`);
        }),
        { label: format(s['staffAdmin.signInLinkLabel'], p) },
      ),
    );
  }
  if (confirming === `disable-${a.id}`) {
    li.append(confirmRow(`disable-${a.id}`, format(s['staffAdmin.disableConfirm'], p), () =>
      void act(async () => {
        await staffApi(`${path}/disable`, { method: 'POST' });
        return format(s['staffAdmin.disabledDone'], p);
      }),
    ));
  } else if (confirming === `reset-${a.id}`) {
    li.append(confirmRow(`reset-${a.id}`, format(s['staffAdmin.resetConfirm'], p), () =>
      void act(async () => {
        const reset = await staffApi<{ password: string }>(`${path}/reset-password`, { method: 'POST' });
        showSecret(format(s['staffAdmin.password'], p), reset.password);
      }),
    ));
  } else {
    li.append(actions);
  }
  return li;
}

function deviceItem(d: Device): HTMLElement {
  const label = d.label ?? s['staffAdmin.unnamed'] ?? '';
  const seen = d.lastSeenAt ? ` · ${s['staffAdmin.lastSeen'] ?? ''}: ${when.format(new Date(d.lastSeenAt))}` : '';
  const li = el(
    'li',
    { className: `entry device ${d.state}`, attrs: { 'data-device': label } },
    el('p', { className: 'who' }, el('strong', { text: label }), el('span', { text: ` ${roleName(d.role)}` })),
    el('p', { className: 'note' }, el('span', { className: `state ${d.state}`, text: s[`staffAdmin.device.${d.state}`] ?? d.state }), el('span', { text: ` · ${s['staffAdmin.created.at'] ?? ''}: ${when.format(new Date(d.createdAt))}${seen}` })),
  );
  if (d.state === 'pending' || d.state === 'paired') {
    const key = `revoke-${d.id}`;
    if (confirming === key) {
      li.append(confirmRow(key, format(s['staffAdmin.revokeConfirm'], { label }), () =>
        void act(async () => {
          await staffApi(`/api/staff/devices/${encodeURIComponent(d.id)}/revoke`, { method: 'POST' });
          return format(s['staffAdmin.revoked'], { label });
        }),
      ));
    } else {
      li.append(el('div', { className: 'row' }, button(s['staffAdmin.revoke'] ?? '', key, () => ask(key), { label: format(s['staffAdmin.revokeLabel'], { label }) })));
    }
  }
  return li;
}

function render(): void {
  $('#accounts').replaceChildren(...(accounts.length ? accounts.map(accountItem) : [el('li', { className: 'note', text: s['staffAdmin.accounts.none'] })]));
  $('#devices').replaceChildren(...(devices.length ? devices.map(deviceItem) : [el('li', { className: 'note', text: s['staffAdmin.devices.none'] })]));
}

async function load(): Promise<void> {
  try {
    const [a, d] = await Promise.all([
      staffApi<{ accounts: Account[] }>('/api/staff/accounts'),
      staffApi<{ devices: Device[] }>('/api/staff/devices'),
    ]);
    accounts = a.accounts;
    devices = d.devices;
    render();
  } catch (err) {
    error.textContent = problemText(err, s);
  }
}

function wireForm(form: HTMLFormElement, errorBox: HTMLElement, submit: () => Promise<void>): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const submitButton = $<HTMLButtonElement>('button[type=submit]', form);
    if (submitButton.disabled) return;
    submitButton.disabled = true;
    errorBox.textContent = '';
    void submit()
      .catch((err: unknown) => {
        errorBox.textContent = problemText(err, s);
      })
      .finally(() => {
        submitButton.disabled = false;
        void load();
      });
  });
}

const createForm = $<HTMLFormElement>('#create');
wireForm(createForm, $('#create-error'), async () => {
  const name = $<HTMLInputElement>('#new-name').value.trim();
  const login = $<HTMLInputElement>('#new-login').value.trim();
  const role = $<HTMLSelectElement>('#new-role').value;
  const created = await staffApi<{ account: Account; password?: string }>('/api/staff/accounts', { method: 'POST', body: { name, login, role } });
  createForm.reset();
  say(format(s['staffAdmin.created'], { name: created.account.name }));
  if (created.password) showSecret(format(s['staffAdmin.password'], { name: created.account.name }), created.password);
});

const pairForm = $<HTMLFormElement>('#pair');
wireForm(pairForm, $('#pair-error'), async () => {
  const label = $<HTMLInputElement>('#pair-label').value.trim();
  const role = $<HTMLSelectElement>('#pair-role').value;
  const issued = await staffApi<{ device: Device; code: string; expiresAt: string }>('/api/staff/devices', {
    method: 'POST',
    body: label ? { role, label } : { role },
  });
  pairForm.reset();
  showSecret(format(s['staffAdmin.code'], { label: issued.device.label ?? s['staffAdmin.unnamed'] ?? '', role: roleName(role), time: clock.format(new Date(issued.expiresAt)) }), issued.code);
});

void load();
