// Helpers shared by the pages' scripts (bundled into each by src/web/build.ts).

export const $ = <T extends HTMLElement = HTMLElement>(selector: string, root: ParentNode = document): T => {
  const el = root.querySelector<T>(selector);
  if (!el) throw new Error(`missing ${selector}`);
  return el;
};

export function pageData<T>(): T {
  return JSON.parse($('#page-data').textContent ?? '{}') as T;
}

/** A message with `{name}` placeholders filled in (plain text: set with textContent only). */
export function format(template: string | undefined, params: Record<string, string | number> = {}): string {
  return (template ?? '').replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** Makes an element with text content; never parses HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<'className' | 'id' | 'type' | 'lang', string>> & { attrs?: Record<string, string>; text?: string } = {},
  ...children: Array<Node | null | undefined | false>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.id) node.id = props.id;
  if (props.type) node.setAttribute('type', props.type);
  if (props.text !== undefined) node.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) node.setAttribute(k, v);
  for (const child of children) if (child) node.append(child);
  return node;
}

export interface Problem {
  status: number;
  code?: string;
  detail?: string;
  [extra: string]: unknown;
}

export class HttpError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? `HTTP ${problem.status}`);
  }
}

/** fetch with a timeout; a problem document becomes an HttpError, no answer a TypeError/AbortError. */
export async function api<T>(path: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), init.timeoutMs ?? 15_000);
  try {
    const res = await fetch(path, { ...init, signal: controller.signal, credentials: 'same-origin', cache: 'no-store' });
    const text = await res.text();
    const body = (text ? JSON.parse(text) : null) as T;
    if (!res.ok && res.status !== 304) throw new HttpError({ ...(body as object), status: res.status });
    return { status: res.status, body, headers: res.headers };
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function newKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** localStorage that survives private modes and full quotas (then it only lasts the page). */
export const store = {
  get<T>(key: string): T | undefined {
    try {
      const raw = localStorage.getItem(key);
      return raw ? (JSON.parse(raw) as T) : undefined;
    } catch {
      return undefined;
    }
  },
  set(key: string, value: unknown): void {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch {
      /* not persisted */
    }
  },
  remove(key: string): void {
    try {
      localStorage.removeItem(key);
    } catch {
      /* nothing */
    }
  },
};

export interface ServerEvent {
  event: string;
  data: string;
  id?: string;
}

/** Reads a text/event-stream body to its end, calling `onEvent` for each event. */
export async function readEvents(body: ReadableStream<BufferSource>, onEvent: (event: ServerEvent) => void): Promise<void> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event: ServerEvent = { event: 'message', data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event.event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        else if (line.startsWith('id:')) event.id = line.slice(3).trim();
      }
      // A block of comments or a bare retry: hint carries no event.
      if (data.length === 0 && event.event === 'message') continue;
      event.data = data.join('\n');
      onEvent(event);
    }
  }
}
