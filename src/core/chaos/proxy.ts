// A TCP fault proxy for the chaos scenarios slow-network and network-cut: the service reaches its
// database through it, and it adds latency or cuts the network on request. Toxiproxy is the usual
// tool, but it is neither a Debian nor an npm package, so this is the small part of it Comanda
// needs. Every fault has a duration and heals by itself, even if whoever asked for it is gone.
//
// - latency: each chunk, in each direction, is delivered `latencyMs` later (order kept);
// - cut: open connections are reset, and new ones are accepted but never reach the database
//   (they hang, as behind a dead link, until the client gives up or the cut ends).
//
// A control API over HTTP (for `comanda chaos proxy`): GET / → state; POST /fault
// {"latencyMs":…,"cut":…,"durationMs":…}; DELETE /fault.
import http from 'node:http';
import net from 'node:net';

export interface Fault {
  latencyMs?: number;
  cut?: boolean;
  /** The fault ends by itself after this long (at most MAX_FAULT_MS). */
  durationMs: number;
}

export const MAX_FAULT_MS = 10 * 60_000;

export interface ProxyState {
  listen: string;
  upstream: string;
  connections: number;
  fault: (Omit<Fault, 'durationMs'> & { endsAt: string }) | null;
  totals: { accepted: number; reset: number; bytesUp: number; bytesDown: number };
}

export interface FaultProxy {
  port: number;
  host: string;
  inject(fault: Fault): void;
  heal(): void;
  state(): ProxyState;
  close(): Promise<void>;
}

export interface ProxyOptions {
  listenHost?: string;
  listenPort?: number;
  upstreamHost: string;
  upstreamPort: number;
}

/** Splits `host:port` ([v6]:port too). */
export function parseHostPort(value: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`${what} must be host:port, e.g. 127.0.0.1:5432 (got "${value}")`);
  return { host: (m[1] ?? m[2])!, port };
}

export async function startFaultProxy(options: ProxyOptions): Promise<FaultProxy> {
  let fault: { latencyMs: number; cut: boolean; endsAt: number; timer: NodeJS.Timeout } | null = null;
  const pairs = new Set<{ client: net.Socket; upstream?: net.Socket }>();
  const held = new Set<net.Socket>();
  const totals = { accepted: 0, reset: 0, bytesUp: 0, bytesDown: 0 };

  /** Pipes `from` into `to`, delayed by the current latency, in order. */
  const pipe = (from: net.Socket, to: net.Socket, count: (n: number) => void) => {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      count(chunk.length);
      const delay = fault?.latencyMs ?? 0;
      chain = chain.then(
        () =>
          new Promise<void>((resolve) => {
            const send = () => {
              if (!to.destroyed) to.write(chunk);
              resolve();
            };
            if (delay > 0) setTimeout(send, delay);
            else send();
          }),
      );
    });
    from.on('end', () => void chain.then(() => to.end()));
  };

  const server = net.createServer((client) => {
    totals.accepted++;
    client.on('error', () => undefined);
    if (fault?.cut) {
      // Behind a dead link: accepted, never answered.
      held.add(client);
      client.on('close', () => held.delete(client));
      return;
    }
    const pair: { client: net.Socket; upstream?: net.Socket } = { client };
    pairs.add(pair);
    const upstream = net.connect(options.upstreamPort, options.upstreamHost);
    pair.upstream = upstream;
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    const done = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', done);
    upstream.on('close', done);
    pipe(client, upstream, (n) => (totals.bytesUp += n));
    pipe(upstream, client, (n) => (totals.bytesDown += n));
  });

  const heal = () => {
    if (!fault) return;
    clearTimeout(fault.timer);
    fault = null;
    for (const socket of held) socket.destroy();
    held.clear();
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listenPort ?? 0, options.listenHost ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as net.AddressInfo;

  return {
    port: address.port,
    host: address.address,
    inject(f: Fault) {
      heal();
      const durationMs = Math.min(Math.max(0, f.durationMs), MAX_FAULT_MS);
      fault = { latencyMs: Math.max(0, f.latencyMs ?? 0), cut: !!f.cut, endsAt: Date.now() + durationMs, timer: setTimeout(heal, durationMs) };
      fault.timer.unref();
      if (fault.cut) {
        for (const pair of pairs) {
          totals.reset++;
          pair.client.resetAndDestroy();
          pair.upstream?.destroy();
        }
      }
    },
    heal,
    state: () => ({
      listen: `${address.address}:${address.port}`,
      upstream: `${options.upstreamHost}:${options.upstreamPort}`,
      connections: pairs.size,
      fault: fault ? { latencyMs: fault.latencyMs, cut: fault.cut, endsAt: new Date(fault.endsAt).toISOString() } : null,
      totals: { ...totals },
    }),
    async close() {
      heal();
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream?.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The proxy's control API on its own port (loopback by default: it is not authenticated). */
export async function startProxyControl(proxy: FaultProxy, port = 0, host = '127.0.0.1'): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/') return reply(200, proxy.state());
    if (req.method === 'DELETE' && req.url === '/fault') {
      proxy.heal();
      return reply(200, proxy.state());
    }
    if (req.method === 'POST' && req.url === '/fault') {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
        if (body.length > 10_000) req.destroy();
      });
      req.on('end', () => {
        let fault: Fault;
        try {
          fault = JSON.parse(body) as Fault;
        } catch {
          return reply(400, { error: 'the body must be JSON: {"latencyMs": 500, "cut": false, "durationMs": 10000}' });
        }
        if (typeof fault.durationMs !== 'number' || !(fault.durationMs > 0)) return reply(400, { error: 'durationMs (a positive number) is required: every fault ends by itself' });
        if (fault.latencyMs !== undefined && (typeof fault.latencyMs !== 'number' || fault.latencyMs < 0)) return reply(400, { error: 'latencyMs must be a number ≥ 0' });
        proxy.inject({ latencyMs: fault.latencyMs, cut: fault.cut === true, durationMs: fault.durationMs });
        reply(200, proxy.state());
      });
      return;
    }
    reply(404, { error: 'GET /, POST /fault, DELETE /fault' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
