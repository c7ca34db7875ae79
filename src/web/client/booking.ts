// The booking page (GET /r/<restaurantId>): free times of a day for a party from
// /api/availability, the guest's details and consents, then POST /api/reservations. A 409 shows the
// alternative times the API offers. The Idempotency-Key is kept with the exact body until an
// answer arrives, so a retry after a lost connection never books twice.
import { $, api, el, format, HttpError, newKey, pageData } from './common.js';

interface Data {
  restaurantId: string;
  lang: 'es' | 'en';
  strings: Record<string, string>;
}

const data = pageData<Data>();
const tr = (key: string, params: Record<string, string | number> = {}) => format(data.strings[key], params);
const form = $<HTMLFormElement>('#book');
const date = $<HTMLInputElement>('#date');
const party = $<HTMLInputElement>('#party');
const times = $('#times');
const timesStatus = $('#times-status');
const result = $('#book-message');
let pending: { key: string; body: string } | undefined;
let loadSeq = 0;

/** "2026-12-24T21:00:00+01:00" → "21:00": slots are already in the restaurant's local time. */
const hhmm = (iso: string) => iso.slice(11, 16);

function showTimes(slots: string[], selected?: string): void {
  times.replaceChildren();
  slots.forEach((slot, i) => {
    const id = `slot-${i}`;
    const input = el('input', { type: 'radio', id, attrs: { name: 'time', value: slot } });
    if (slot === selected) input.checked = true;
    times.append(el('label', { className: 'time', attrs: { for: id } }, input, el('span', { text: hhmm(slot) })));
  });
}

async function loadTimes(): Promise<void> {
  const seq = ++loadSeq;
  const n = Number(party.value);
  if (!date.value || !(n >= 1 && n <= 50)) return;
  timesStatus.textContent = tr('book.loadingTimes');
  try {
    const res = await api<{ slots: string[] }>(
      `/api/availability?restaurantId=${encodeURIComponent(data.restaurantId)}&date=${encodeURIComponent(date.value)}&partySize=${n}`,
    );
    if (seq !== loadSeq) return;
    // A time already chosen stays chosen while it is still free (the times are loaded again when
    // the day or the party changes, and a slower earlier answer may have been shown first).
    showTimes(res.body.slots, form.querySelector<HTMLInputElement>('input[name=time]:checked')?.value);
    timesStatus.textContent = res.body.slots.length ? tr('book.pickTime') : tr('book.noTimes');
  } catch (err) {
    if (seq !== loadSeq) return;
    showTimes([]);
    timesStatus.textContent = err instanceof HttpError ? tr('book.failed', { detail: err.problem.detail ?? '' }) : tr('error.network');
  }
}

async function submit(): Promise<void> {
  const time = form.querySelector<HTMLInputElement>('input[name=time]:checked')?.value;
  const name = $<HTMLInputElement>('#name').value.trim();
  const email = $<HTMLInputElement>('#email').value.trim();
  const phone = $<HTMLInputElement>('#phone').value.trim();
  const notes = $<HTMLTextAreaElement>('#notes').value.trim();
  if (!time || !name || !email || !$<HTMLInputElement>('#email').checkValidity() || !$<HTMLInputElement>('#privacy').checked) {
    result.className = 'note warn';
    result.textContent = tr('book.required');
    return;
  }
  const body = JSON.stringify({
    restaurantId: data.restaurantId,
    partySize: Number(party.value),
    time,
    customerName: name,
    customerEmail: email,
    ...(phone ? { customerPhone: phone } : {}),
    ...(notes ? { notes } : {}),
    language: data.lang,
    marketingConsent: $<HTMLInputElement>('#marketing').checked,
  });
  if (!pending || pending.body !== body) pending = { key: newKey(), body };
  const submitButton = $<HTMLButtonElement>('#submit');
  submitButton.disabled = true;
  submitButton.textContent = tr('book.submitting');
  result.className = 'note';
  result.textContent = '';
  try {
    await api('/api/reservations', { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': pending.key }, body: pending.body });
    pending = undefined;
    form.replaceChildren(el('p', { className: 'ok', attrs: { role: 'status' }, text: tr('book.done', { email }) }));
    return;
  } catch (err) {
    if (!(err instanceof HttpError)) {
      result.className = 'note warn';
      result.textContent = tr('error.network');
    } else {
      pending = undefined;
      const p = err.problem;
      result.className = 'note warn';
      if (p.code === 'TABLE_ALREADY_RESERVED') {
        const alternatives = [...((p.alternatives as string[] | undefined) ?? [])].sort();
        result.textContent = alternatives.length ? tr('book.taken') : tr('book.noTimes');
        showTimes(alternatives);
        timesStatus.textContent = alternatives.length ? `${tr('book.taken')} ${tr('book.pickTime')}` : '';
        // The alternatives replace the times above: take the guest there.
        times.scrollIntoView({ block: 'center' });
        times.querySelector<HTMLInputElement>('input')?.focus();
      } else {
        result.textContent = tr('book.failed', { detail: p.detail ?? String(p.status) });
      }
    }
  }
  submitButton.disabled = false;
  submitButton.textContent = tr('book.submit');
}

date.addEventListener('change', () => void loadTimes());
party.addEventListener('change', () => void loadTimes());
form.addEventListener('submit', (event) => {
  event.preventDefault();
  void submit();
});
void loadTimes();
