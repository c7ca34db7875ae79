// Reading a Server-Sent Events body in Node (the chaos scenarios, the benchmarks and the tests
// follow the service's streams the way the pages do; the pages' own reader is
// src/web/client/common.ts, bundled for browsers).

export interface ServerEvent {
  event: string;
  data: string;
  id?: string;
}

/** Reads `body` to its end (or until it errors), calling `onEvent` for each event; comments are skipped. */
export async function readServerEvents(body: ReadableStream<Uint8Array>, onEvent: (event: ServerEvent) => void): Promise<void> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let at: number;
    while ((at = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      const event = /^event: ?(.*)$/m.exec(block)?.[1];
      if (!event) continue;
      const data = [...block.matchAll(/^data: ?(.*)$/gm)].map((m) => m[1]).join('\n');
      const id = /^id: ?(.*)$/m.exec(block)?.[1];
      onEvent({ event, data, ...(id === undefined ? {} : { id }) });
    }
  }
}
