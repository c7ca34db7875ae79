// Shared by the staff's page scripts: API calls with the session's CSRF token, the live event
// stream (/api/staff/events) with its Live / Reconnecting indicator, sign-out, and strings.
import { $, api, format, HttpError, pageData, readEvents, sleep } from './common.js';

export { $, format, HttpError, pageData, sleep };

export interface StaffPageData {
  lang: string;
  strings: Record<string, string>;
  session: { role: string; restaurantId: string; kind: string; name: string };
}

let csrf: string | undefined;

/** The session's CSRF token (asked once per page). */
async function csrfToken(): Promise<string> {
  csrf ??= (await api<{ csrfToken: string }>('/api/staff/session')).body.csrfToken;
  return csrf;
}

/** A JSON API call as the signed-in staff member; a 401 sends the page to sign-in. */
export async function staffApi<T>(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  if (method !== 'GET') headers['x-csrf-token'] = await csrfToken();
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  try {
    const res = await api<T>(path, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    return res.body;
  } catch (err) {
    if (err instanceof HttpError && err.problem.status === 401) toSignIn();
    throw err;
  }
}

export function toSignIn(): void {
  location.assign(`/staff/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`);
}

/** The text of a failed call, for a status line (the API's own detail when it gave one). */
export function problemText(err: unknown, strings: Record<string, string>): string {
  if (err instanceof HttpError) return err.problem.detail ?? strings['staff.error.generic'] ?? '';
  return strings['staff.error.network'] ?? '';
}

// ---------------------------------------------------------------------------------------------
// Forms: errors at the field the API names (`errors[].field`, else `field`)
// ---------------------------------------------------------------------------------------------

export interface FieldProblem {
  field: string;
  /** The API's words for it (Ajv's, in English); pages show their own strings first. */
  message: string;
}

/** The fields a failed call's problem names: `errors[].field`, else the top-level `field`. */
export function problemFields(err: unknown): FieldProblem[] {
  if (!(err instanceof HttpError)) return [];
  const problem = err.problem as { field?: unknown; errors?: { field?: unknown; message?: unknown }[] };
  const listed = (Array.isArray(problem.errors) ? problem.errors : [])
    .filter((e) => typeof e.field === 'string')
    .map((e) => ({ field: e.field as string, message: typeof e.message === 'string' ? e.message : '' }));
  if (listed.length) return listed;
  return typeof problem.field === 'string' ? [{ field: problem.field, message: '' }] : [];
}

/** Hides every field's error line and the form's, and unmarks the controls. */
export function clearFieldErrors(form: HTMLFormElement): void {
  for (const p of form.querySelectorAll<HTMLElement>('[data-error-for]')) {
    p.hidden = true;
    p.textContent = '';
  }
  for (const input of form.querySelectorAll<HTMLElement>('[aria-invalid]')) {
    input.removeAttribute('aria-invalid');
    const ids = (input.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => id && !id.endsWith('-error'));
    if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
    else input.removeAttribute('aria-describedby');
  }
  const formError = form.querySelector<HTMLElement>('[data-form-error]');
  if (formError) formError.textContent = '';
}

/**
 * Marks the controls of each named field (`[data-field~=field]`) as invalid and fills its error
 * line (`[data-error-for=…]`, by the control's name, else the field) with `textOf(problem)`; then
 * focuses the first and says `fix` on the form, or, when no field is on this form, `otherwise`.
 */
export function showFieldErrors(
  form: HTMLFormElement,
  problems: FieldProblem[],
  text: { of: (problem: FieldProblem) => string; fix: string; otherwise: string },
): void {
  clearFieldErrors(form);
  let first: HTMLElement | undefined;
  for (const problem of problems) {
    const { field } = problem;
    const controls = [...form.querySelectorAll<HTMLElement>(`[data-field~="${CSS.escape(field)}"]`)];
    const line = controls.length
      ? form.querySelector<HTMLElement>(`[data-error-for="${CSS.escape(controls[0]!.getAttribute('name') ?? field)}"]`) ??
        form.querySelector<HTMLElement>(`[data-error-for="${CSS.escape(field)}"]`)
      : null;
    if (!controls.length || !line) continue;
    line.textContent = text.of(problem);
    line.hidden = false;
    for (const control of controls) {
      control.setAttribute('aria-invalid', 'true');
      const ids = new Set((control.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean));
      ids.add(line.id);
      control.setAttribute('aria-describedby', [...ids].join(' '));
    }
    first ??= controls[0];
  }
  const formError = form.querySelector<HTMLElement>('[data-form-error]');
  if (formError) formError.textContent = first ? text.fix : text.otherwise;
  first?.focus();
}

/**
 * Follows /api/staff/events: `onEvent(topic)` for each change of the given topics, and for
 * `refresh` (re-read everything). Reconnects with backoff, sending the last event id; the element
 * `#live` shows Live / Reconnecting. Runs for the life of the page.
 */
export async function follow(topics: string[], onEvent: (topic: string) => void, strings: Record<string, string>): Promise<void> {
  const indicator = document.getElementById('live');
  const setLive = (up: boolean) => {
    if (!indicator) return;
    indicator.textContent = up ? strings['staff.live.on'] ?? 'Live' : strings['staff.live.off'] ?? '…';
    indicator.classList.toggle('off', !up);
  };
  let lastId: string | undefined;
  let backoff = 1_000;
  for (;;) {
    try {
      const res = await fetch(`/api/staff/events?topics=${topics.join(',')}`, {
        headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
        cache: 'no-store',
        credentials: 'same-origin',
      });
      if (res.status === 401) return toSignIn();
      if (!res.ok || !res.body) throw new Error(`stream ${res.status}`);
      setLive(true);
      backoff = 1_000;
      let signedOut = false;
      await readEvents(res.body, ({ event, id }) => {
        if (id) lastId = id;
        if (event === 'signed-out') signedOut = true;
        // `ready` after a reconnect: what changed meanwhile is unknown, so re-read everything.
        else if (event === 'ready' || event === 'refresh') onEvent('refresh');
        else if (event !== 'shutdown') onEvent(event);
      });
      if (signedOut) return toSignIn();
    } catch {
      /* reconnect below */
    }
    setLive(false);
    await sleep(backoff);
    backoff = Math.min(backoff * 2, 15_000);
  }
}

/** Wires the header's sign-out button (every staff page has one). */
export function wireSignOut(): void {
  const button = document.getElementById('sign-out');
  button?.addEventListener('click', () => {
    void (async () => {
      try {
        await staffApi('/api/staff/sign-out', { method: 'POST' });
      } finally {
        location.assign('/staff/sign-in');
      }
    })();
  });
}

/** Opens a modal yes/no `<dialog>` with the focus on No; resolves true for Yes, false for No, Esc or closing. */
export function askDialog(dialog: HTMLDialogElement, yes: HTMLElement, no: HTMLElement): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (answer: boolean) => {
      yes.removeEventListener('click', onYes);
      no.removeEventListener('click', onNo);
      dialog.removeEventListener('close', onNo);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const onYes = () => done(true);
    const onNo = () => done(false);
    yes.addEventListener('click', onYes);
    no.addEventListener('click', onNo);
    dialog.addEventListener('close', onNo);
    dialog.showModal();
    no.focus();
  });
}
