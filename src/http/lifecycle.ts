// An instance's graceful life behind a load balancer. On SIGTERM (src/main.ts):
//   1. drain: GET /readyz answers 503 `draining: true`, while every route keeps serving, for
//      SHUTDOWN_DRAIN_DELAY_MS: the time the balancer needs to notice (its check interval × the
//      failures it waits for) and stop sending new requests here;
//   2. long-lived streams (Server-Sent Events) registered here are closed with a `retry:` hint, so
//      browsers reconnect at once, through the balancer, to another instance;
//   3. the HTTP server stops accepting connections and waits for the requests in flight (at most
//      SHUTDOWN_TIMEOUT_MS, then it cuts what is left);
//   4. background work and the database pool stop; the process exits.

export interface Stream {
  /** Ends the stream after telling the client to reconnect in `retryMs`. */
  close(retryMs: number): void;
}

export class Lifecycle {
  private drainingSince: number | undefined;
  private readonly streams = new Set<Stream>();

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /** From now on readiness fails; the caller keeps serving until the balancer noticed. */
  beginDrain(): void {
    this.drainingSince ??= Date.now();
  }

  /** A long-lived response to close on shutdown; returns the function that unregisters it. */
  track(stream: Stream): () => void {
    this.streams.add(stream);
    return () => this.streams.delete(stream);
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** Closes every registered stream with a retry hint; returns how many. */
  closeStreams(retryMs: number): number {
    const streams = [...this.streams];
    this.streams.clear();
    for (const stream of streams) {
      try {
        stream.close(retryMs);
      } catch {
        /* a stream whose client went away */
      }
    }
    return streams.length;
  }
}

/**
 * A Server-Sent Events response as a Stream: writes `retry: <ms>` and a `shutdown` event, then
 * ends it (EventSource reconnects after `retry`).
 */
export function sseStream(raw: NodeJS.WritableStream & { writableEnded?: boolean }): Stream {
  return {
    close(retryMs: number) {
      if (raw.writableEnded) return;
      raw.write(`retry: ${Math.max(0, Math.round(retryMs))}\nevent: shutdown\ndata: {}\n\n`);
      raw.end();
    },
  };
}
