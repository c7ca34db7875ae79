// The chaos harness's order load: a steady rate of orders against a running deployment, each
// with its own Idempotency-Key, retried with the same key after a 503, a 429, a 409
// REQUEST_IN_PROGRESS, a timeout or a broken connection — as the API asks clients to — until it
// is acknowledged, refused for good, or the run's deadline passes. Bounded in count and time.

export interface LoadOptions {
  /** Base URL of the service (http://host:port). */
  target: string;
  /** A staff token of the restaurant (admin or waiter). */
  token: string;
  /** The dishes to order, one unit each, in turn. */
  dishes: string[];
  /** Orders started per second. */
  rate: number;
  /** How long new orders are started. */
  durationMs: number;
  /** After the load, how long retries of unacknowledged orders may go on. */
  graceMs: number;
  /** Each request's timeout. */
  requestTimeoutMs?: number;
  /** Prefix of the idempotency keys: one per run. */
  runId: string;
  /** Orders in flight at most. */
  concurrency?: number;
}

export interface Attempt {
  /** ms since the load started */
  sentAt: number;
  answeredAt: number;
  /** HTTP status, or 0 for no answer (timeout, connection refused or reset). */
  status: number;
  code?: string;
}

export interface LoadOrder {
  key: string;
  dish: string;
  attempts: Attempt[];
  /** The order id of an acknowledged (201) order. */
  orderId?: string;
  outcome: 'acknowledged' | 'refused' | 'gave-up';
}

export interface LoadResult {
  startedAt: number;
  orders: LoadOrder[];
  byStatus: Record<string, number>;
  fiveXx: number;
  retries: number;
}

const RETRYABLE = new Set([0, 429, 502, 503, 504]);

async function attempt(options: LoadOptions, key: string, dish: string): Promise<{ status: number; code?: string; orderId?: string; retryAfterMs?: number }> {
  try {
    const res = await fetch(new URL('/api/orders', options.target), {
      method: 'POST',
      headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ source: 'presencial', notes: key, items: [{ menuItemId: dish, quantity: 1 }] }),
      signal: AbortSignal.timeout(options.requestTimeoutMs ?? 5_000),
    });
    const text = await res.text();
    let body: { order?: { id?: string }; code?: string } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // not JSON (a proxy's error page): the status says enough
    }
    const retryAfter = Number(res.headers.get('retry-after'));
    return { status: res.status, code: body.code, orderId: body.order?.id, retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined };
  } catch {
    return { status: 0 };
  }
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const started = Date.now();
  const now = () => Date.now() - started;
  const deadline = options.durationMs + options.graceMs;
  const orders: LoadOrder[] = [];
  const interval = 1000 / Math.max(0.1, options.rate);
  const concurrency = options.concurrency ?? 32;
  let inFlight = 0;
  const running: Promise<void>[] = [];

  const one = async (order: LoadOrder) => {
    inFlight++;
    try {
      for (let n = 0; ; n++) {
        const sentAt = now();
        const r = await attempt(options, order.key, order.dish);
        order.attempts.push({ sentAt, answeredAt: now(), status: r.status, code: r.code });
        if (r.status === 201 || r.status === 200) {
          order.orderId = r.orderId;
          order.outcome = 'acknowledged';
          return;
        }
        const retry = RETRYABLE.has(r.status) || (r.status === 409 && r.code === 'REQUEST_IN_PROGRESS');
        if (!retry) {
          order.outcome = 'refused';
          return;
        }
        const wait = Math.min(r.retryAfterMs ?? 200 * 2 ** Math.min(n, 3), 2_000);
        if (now() + wait >= deadline) {
          order.outcome = 'gave-up';
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    } finally {
      inFlight--;
    }
  };

  for (let i = 0; now() < options.durationMs; i++) {
    const due = i * interval;
    if (due > now()) await new Promise((resolve) => setTimeout(resolve, due - now()));
    if (now() >= options.durationMs) break;
    if (inFlight >= concurrency) continue; // the service is stuck: do not pile up
    const order: LoadOrder = { key: `${options.runId}-${i}`, dish: options.dishes[i % options.dishes.length]!, attempts: [], outcome: 'gave-up' };
    orders.push(order);
    running.push(one(order));
  }
  await Promise.all(running);

  const byStatus: Record<string, number> = {};
  let fiveXx = 0;
  let retries = 0;
  for (const order of orders) {
    retries += order.attempts.length - 1;
    for (const a of order.attempts) {
      const label = a.status === 0 ? 'no answer' : a.code ? `${a.status} ${a.code}` : String(a.status);
      byStatus[label] = (byStatus[label] ?? 0) + 1;
      if (a.status >= 500) fiveXx++;
    }
  }
  return { startedAt: started, orders, byStatus, fiveXx, retries };
}
