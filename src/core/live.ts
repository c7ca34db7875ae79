// Live updates for guests' (and later staff) pages: one LISTEN connection per instance, through
// DATABASE_DIRECT_URL (a transaction-mode pooler cannot deliver notifications), fanned out in
// memory to the pages' event streams. The database announces changes (migrations 0015, 0019):
// `comanda_session` with a table session's id, `comanda_menu` with a restaurant's id and version,
// `comanda_table_requests` with a restaurant's id; for staff screens (0021) `comanda_orders`,
// `comanda_floor` and `comanda_reservations`, each with a restaurant's id. Whichever instance made a change, every
// instance hears it. Subscribers re-read what they show, so a notification is only a nudge: a
// lost one costs freshness (pages also poll while their stream is down), never correctness.
import { EventEmitter } from 'node:events';
import { NotificationListener } from './db/listener.js';

export const LIVE_CHANNELS = [
  'comanda_session',
  'comanda_menu',
  'comanda_table_requests',
  'comanda_orders',
  'comanda_floor',
  'comanda_reservations',
] as const;
export type LiveChannel = (typeof LIVE_CHANNELS)[number];

export class LiveHub {
  private readonly events = new EventEmitter();
  private listener: NotificationListener | undefined;
  private connected = false;

  constructor(private readonly connectionString?: string, private readonly onError?: (err: Error) => void) {
    this.events.setMaxListeners(0);
  }

  /** True while notifications can arrive (pages then need no polling). */
  get live(): boolean {
    return this.connected;
  }

  start(): void {
    if (!this.connectionString || this.listener) return;
    this.listener = new NotificationListener({
      connectionString: this.connectionString,
      channel: [...LIVE_CHANNELS],
      onNotify: (payload, channel) => {
        const key = payload.split(' ')[0] ?? '';
        this.events.emit(`${channel}:${key}`);
      },
      onConnect: () => {
        this.connected = true;
        // Whatever happened while the connection was down: everyone re-reads.
        this.events.emit('reconnect');
      },
      onError: (err) => {
        this.connected = false;
        this.onError?.(err);
      },
    });
    this.listener.start();
  }

  async stop(): Promise<void> {
    this.connected = false;
    await this.listener?.stop();
    this.listener = undefined;
  }

  /** Calls `fn` when `key` (a session or restaurant id) changes on `channel`; returns the unsubscribe. */
  subscribe(channel: LiveChannel, key: string, fn: () => void): () => void {
    const name = `${channel}:${key}`;
    this.events.on(name, fn);
    this.events.on('reconnect', fn);
    return () => {
      this.events.off(name, fn);
      this.events.off('reconnect', fn);
    };
  }

  /** Announces a change made by this instance (tests, or an instance without a direct URL). */
  emit(channel: LiveChannel, key: string): void {
    this.events.emit(`${channel}:${key}`);
  }
}
