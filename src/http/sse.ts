// Server-Sent Events responses: the guests' table stream and the staff's screens share this.
// A stream is hijacked from Fastify, written to directly, closed with a `retry:` hint on a
// graceful shutdown (lifecycle.ts), and destroyed when the app closes (or it would wait for every
// screen to leave).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sseStream, type Lifecycle } from './lifecycle.js';

export interface EventStream {
  /** One event; `data` is sent as JSON. Nothing is written once the stream closed. */
  send(event: string, data: unknown, id?: string): void;
  /** A comment line (keeps proxies from timing the stream out). */
  ping(): void;
  readonly closed: boolean;
  /** Called once when the stream ends, for whatever reason. */
  onClose(fn: () => void): void;
}

/** The set of open streams of a group of routes, destroyed when the app closes. */
export class EventStreams {
  private readonly stops = new Set<() => void>();

  constructor(app: FastifyInstance, private readonly lifecycle?: Lifecycle) {
    app.addHook('preClose', (done) => {
      for (const stop of this.stops) stop();
      done();
    });
  }

  get size(): number {
    return this.stops.size;
  }

  /** Starts the response: 200, text/event-stream, a 2 s reconnection hint. */
  open(request: FastifyRequest, reply: FastifyReply): EventStream {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-accel-buffering': 'no',
      'x-request-id': request.id,
    });
    res.write('retry: 2000\n\n');
    let closed = false;
    const listeners: Array<() => void> = [];
    const end = () => {
      if (closed) return;
      closed = true;
      for (const fn of listeners.splice(0)) {
        try {
          fn();
        } catch (err) {
          request.log.warn({ err }, 'event stream: a close handler failed');
        }
      }
    };
    request.raw.on('close', end);
    res.on('close', end);
    const socket = request.raw.socket;
    const stop = () => {
      end();
      socket.destroy();
    };
    this.stops.add(stop);
    const graceful = sseStream(res);
    const untrack = this.lifecycle?.track({
      close(retryMs) {
        end();
        graceful.close(retryMs);
      },
    });
    socket.on('close', () => {
      end();
      this.stops.delete(stop);
      untrack?.();
    });
    return {
      send(event, data, id) {
        if (closed) return;
        res.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      ping() {
        if (!closed) res.write(': ping\n\n');
      },
      get closed() {
        return closed;
      },
      onClose(fn) {
        if (closed) fn();
        else listeners.push(fn);
      },
    };
  }
}
