// /staff/sign-in and /staff/pair. A one-time sign-in link carries its token in the fragment
// (#token=…), which browsers never send to a server or in a Referer: it is posted once, then
// removed from the address bar and history.
import { $, api, HttpError, pageData } from './common.js';

interface Data {
  strings: Record<string, string>;
  next: string | null;
  mode: 'password' | 'pair';
}

const data = pageData<Data>();
const s = data.strings;
const error = $('#error');

function done(session: { role: string }): void {
  const home = session.role === 'kitchen' ? '/kitchen' : '/floor';
  location.replace(data.next ?? home);
}

function post(path: string, body: unknown) {
  return api<{ session: { role: string } }>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

function show(err: unknown, invalidKey: string): void {
  if (err instanceof HttpError) {
    error.textContent =
      err.problem.status === 429
        ? s['signIn.locked'] ?? ''
        : err.problem.status === 401
          ? s[invalidKey] ?? ''
          : err.problem.detail ?? s['staff.error.generic'] ?? '';
  } else error.textContent = s['staff.error.network'] ?? '';
}

function wire(form: HTMLFormElement, submit: () => Promise<void>): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = $<HTMLButtonElement>('button[type=submit]', form);
    if (button.disabled) return;
    const label = button.textContent;
    button.disabled = true;
    if (s['signIn.submitting']) button.textContent = s['signIn.submitting'];
    error.textContent = '';
    void submit().finally(() => {
      button.disabled = false;
      button.textContent = label;
    });
  });
}

if (data.mode === 'pair') {
  const form = $<HTMLFormElement>('#pair');
  wire(form, async () => {
    const code = $<HTMLInputElement>('#code').value.trim();
    if (!code) return void (error.textContent = s['pair.invalid'] ?? '');
    try {
      done((await post('/api/staff/pair', { code })).body.session);
    } catch (err) {
      show(err, 'pair.invalid');
    }
  });
} else {
  const form = $<HTMLFormElement>('#sign-in');
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (token) {
    history.replaceState(null, '', location.pathname + location.search);
    $('#link-status').hidden = false;
    form.hidden = true;
    void (async () => {
      try {
        done((await post('/api/staff/sign-in/link', { token })).body.session);
      } catch (err) {
        $('#link-status').hidden = true;
        form.hidden = false;
        show(err, 'signIn.linkInvalid');
      }
    })();
  }
  wire(form, async () => {
    const login = $<HTMLInputElement>('#login').value.trim();
    const password = $<HTMLInputElement>('#password').value;
    if (!login || !password) return void (error.textContent = s['signIn.invalid'] ?? '');
    try {
      done((await post('/api/staff/sign-in', { login, password })).body.session);
    } catch (err) {
      show(err, 'signIn.invalid');
    }
  });
}
