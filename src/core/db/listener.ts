// LISTEN on a direct connection (a transaction-mode pooler cannot deliver notifications), with
// reconnection. Used to drop cached menus the moment another instance changes them; the caches
// stay correct without it (they re-check versions), only slower to notice.
import pg from 'pg';

export interface ListenerOptions {
  connectionString: string;
  /** One channel or several on the same connection. */
  channel: string | string[];
  onNotify: (payload: string, channel: string) => void;
  /** Called after (re)connecting, so the caller can drop what it may have missed. */
  onConnect?: () => void;
  onError?: (err: Error) => void;
}

export class NotificationListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private retryMs = 500;
  private timer: NodeJS.Timeout | undefined;

  private readonly channels: string[];

  constructor(private readonly options: ListenerOptions) {
    this.channels = Array.isArray(options.channel) ? options.channel : [options.channel];
  }

  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.options.connectionString, application_name: 'comanda-listen' });
    client.on('notification', (message) => {
      if (this.channels.includes(message.channel) && message.payload !== undefined) this.options.onNotify(message.payload, message.channel);
    });
    client.on('error', (err) => this.retry(client, err));
    client.on('end', () => this.retry(client));
    try {
      await client.connect();
      for (const channel of this.channels) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      this.client = client;
      this.retryMs = 500;
      this.options.onConnect?.();
    } catch (err) {
      this.retry(client, err instanceof Error ? err : new Error(String(err)));
    }
  }

  private retry(client: pg.Client, err?: Error): void {
    if (this.stopped || (this.client !== undefined && this.client !== client)) return;
    if (err) this.options.onError?.(err);
    this.client = undefined;
    client.removeAllListeners();
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), this.retryMs);
    this.timer.unref();
    this.retryMs = Math.min(this.retryMs * 2, 30_000);
  }
}
