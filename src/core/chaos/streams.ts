// The live streams of the `instance-kill` scenario: staff screens' Server-Sent Events streams
// (GET /api/staff/events?topics=orders) held open through the load balancer while an instance is
// killed. Each stream behaves as the staff pages' client does (src/web/client/staff-common.ts):
// when its connection ends it reconnects through the same address after a short pause. The
// balancer names the instance that answered in `x-comanda-instance` (the topology's HAProxy sets
// it); without that header the instances are "unknown" and only the reconnection is checked.

import { readServerEvents } from '../sse.js';

export interface StreamWatch {
  /** Which instance served it, for each connection in turn. */
  instances: string[];
  /** ms since the watch started: each time the connection ended unasked. */
  cutAt: number[];
  /** ms since the watch started: each time a connection answered 200 (the first one included). */
  connectedAt: number[];
  /** ms since the watch started of every `orders` nudge received. */
  nudgesAt: number[];
  /** Answers other than 200 while reconnecting (status or "no answer"). */
  failures: string[];
}

export interface StreamWatcher {
  readonly streams: StreamWatch[];
  /** Stops every stream (no reconnection). */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens `count` streams through `target` and keeps each one open (reconnecting) until closed. */
export async function watchStreams(options: { target: string; token: string; count: number; reconnectMs?: number; started?: number }): Promise<StreamWatcher> {
  const started = options.started ?? Date.now();
  const now = () => Date.now() - started;
  const stop = new AbortController();
  const streams: StreamWatch[] = [];
  const loops: Promise<void>[] = [];
  const firstConnection: Promise<void>[] = [];

  for (let n = 0; n < options.count; n++) {
    const watch: StreamWatch = { instances: [], cutAt: [], connectedAt: [], nudgesAt: [], failures: [] };
    streams.push(watch);
    let connected!: () => void;
    firstConnection.push(new Promise<void>((resolve) => (connected = resolve)));
    loops.push(
      (async () => {
        while (!stop.signal.aborted) {
          let res: Response;
          try {
            res = await fetch(new URL('/api/staff/events?topics=orders', options.target), {
              headers: { authorization: `Bearer ${options.token}`, accept: 'text/event-stream' },
              signal: stop.signal,
            });
          } catch {
            if (stop.signal.aborted) return;
            watch.failures.push('no answer');
            await sleep(options.reconnectMs ?? 500);
            continue;
          }
          if (res.status !== 200 || !res.body) {
            watch.failures.push(String(res.status));
            await res.body?.cancel().catch(() => undefined);
            await sleep(options.reconnectMs ?? 500);
            continue;
          }
          watch.connectedAt.push(now());
          watch.instances.push(res.headers.get('x-comanda-instance') ?? 'unknown');
          connected();
          try {
            await readServerEvents(res.body, ({ event }) => {
              if (event === 'orders') watch.nudgesAt.push(now());
            });
          } catch {
            // reset: the instance went away
          }
          if (stop.signal.aborted) return;
          watch.cutAt.push(now());
          await sleep(options.reconnectMs ?? 500);
        }
      })(),
    );
  }
  // Every stream connected once (or 10 s passed: the report shows which did not).
  await Promise.race([Promise.all(firstConnection), sleep(10_000)]);
  return {
    streams,
    async close() {
      stop.abort();
      await Promise.allSettled(loops);
    },
  };
}

export interface StreamsReport {
  opened: number;
  /** Streams whose connection the fault ended. */
  cut: number;
  /** Cut streams that reconnected to another instance and got an `orders` nudge there. */
  moved: number;
  /** The instance(s) the cut streams were on. */
  from: string[];
  /** Where they went. */
  to: string[];
  /** Longest time from a cut to the stream's next connection, and to its next nudge. */
  maxReconnectMs: number | null;
  maxFirstNudgeMs: number | null;
  problems: string[];
}

/** What became of the streams: every cut one must be back, on another instance, and live. */
export function streamsReport(streams: StreamWatch[]): StreamsReport {
  const problems: string[] = [];
  const from = new Set<string>();
  const to = new Set<string>();
  let cut = 0;
  let moved = 0;
  let maxReconnectMs: number | null = null;
  let maxFirstNudgeMs: number | null = null;
  streams.forEach((s, n) => {
    if (s.connectedAt.length === 0) {
      problems.push(`stream ${n + 1} never connected (${s.failures.join(', ') || 'no answer'})`);
      return;
    }
    if (s.cutAt.length === 0) return;
    cut++;
    const cutAt = s.cutAt[0]!;
    const before = s.instances[0]!;
    from.add(before);
    const again = s.connectedAt.findIndex((t) => t >= cutAt);
    if (again < 0) {
      problems.push(`stream ${n + 1} (on ${before}) was cut and did not reconnect (${s.failures.join(', ') || 'no answer'})`);
      return;
    }
    const after = s.instances[again]!;
    to.add(after);
    const reconnectMs = s.connectedAt[again]! - cutAt;
    maxReconnectMs = Math.max(maxReconnectMs ?? 0, reconnectMs);
    if (after !== 'unknown' && after === before) {
      problems.push(`stream ${n + 1} reconnected to ${after}, the instance it was cut from`);
      return;
    }
    const nudge = s.nudgesAt.find((t) => t >= s.connectedAt[again]!);
    if (nudge === undefined) {
      problems.push(`stream ${n + 1} reconnected to ${after} but received no change there`);
      return;
    }
    maxFirstNudgeMs = Math.max(maxFirstNudgeMs ?? 0, nudge - cutAt);
    moved++;
  });
  if (streams.length > 0 && cut === 0) problems.push('no live stream was on the killed instance: open more streams (--streams) or check the balancer spreads them');
  return { opened: streams.length, cut, moved, from: [...from], to: [...to], maxReconnectMs, maxFirstNudgeMs, problems };
}
