// HTML that escapes by default. `html` is a tagged template: every interpolated value is escaped
// unless it is itself SafeHtml (the result of `html`, or of `raw` for text this code wrote).
// Arrays are joined, null/undefined/false render nothing. Pages are built from these only, so a
// dish named `<img src=x onerror=alert(1)>` is text wherever it appears.

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

type Value = SafeHtml | string | number | boolean | null | undefined | Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false || value === true) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Marks markup this code wrote itself as safe. Never pass data from a request or the database. */
export const raw = (markup: string): SafeHtml => new SafeHtml(markup);

/**
 * Data for the page's script, as `<script type="application/json">` (not executed, so the strict
 * CSP allows it). `<` is escaped so no value can close the element.
 */
export function jsonData(id: string, data: unknown): SafeHtml {
  const json = JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return html`<script type="application/json" id="${id}">${raw(json)}</script>`;
}
