// Migration 0065 and Database.announce: the service announces a placed order (NOTIFY
// comanda_orders with the restaurant, comanda_session with a guest's session) once it has
// committed, coalesced, instead of from inside the order's transaction, whose commit would take
// PostgreSQL's database-wide notification lock. Every other writer's orders are still announced
// by the triggers.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { Database } from '../src/core/db/database.js';
import { DEMO_RESTAURANT_ID as DEMO } from '../src/core/seed.js';
import { useTestApp } from './helpers/app.js';
import { orderingRequests } from './helpers/ordering.js';
import { schemaRows } from './helpers/schema.js';

const t = await useTestApp();
const { postOrder, placeOk } = orderingRequests(t);
const { newOrder } = schemaRows(t.db);
const listeners: pg.Client[] = [];
afterAll(async () => {
  await Promise.all(listeners.map((client) => client.end()));
});

interface Heard {
  channel: string;
  payload: string;
}

/** A LISTEN connection on the channels; `heard` fills as notifications arrive. */
async function listen(onHeard: (n: Heard) => void = () => undefined): Promise<{ heard: Heard[]; until: (p: (h: Heard[]) => boolean) => Promise<void> }> {
  const client = new pg.Client({ connectionString: t.url });
  await client.connect();
  listeners.push(client);
  const heard: Heard[] = [];
  client.on('notification', (n) => {
    const h = { channel: n.channel, payload: n.payload ?? '' };
    heard.push(h);
    onHeard(h);
  });
  await client.query('LISTEN comanda_orders; LISTEN comanda_session');
  return {
    heard,
    async until(done) {
      for (let waited = 0; !done(heard); waited += 20) {
        if (waited > 10_000) throw new Error(`not heard: ${JSON.stringify(heard)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

const orderCount = async () => Number((await t.db.query<{ n: string }>('SELECT count(*) AS n FROM restaurante.orders')).rows[0]!.n);
const marker = (payload: string) => t.db.query(`SELECT pg_notify('comanda_orders', $1)`, [payload]);

describe('orders announced after COMMIT (0065)', () => {
  it("a guest's order reaches the staff and the table's session, and is there to read when it does", async () => {
    // The scan has committed (and announced its session) before anyone listens.
    const guest = await t.guest('table_04');
    const seenWith: number[] = [];
    const { heard, until } = await listen((h) => {
      if (h.channel === 'comanda_orders') void orderCount().then((n) => seenWith.push(n));
    });
    const before = await orderCount();
    const order = await placeOk(guest, { items: [{ menuItemId: 'item_patatas_bravas', quantity: 1 }] });
    const { sessionId } = (await t.db.query<{ sessionId: string }>('SELECT "sessionId" FROM restaurante.orders WHERE id = $1', [order.id])).rows[0]!;
    await until((h) => h.some((n) => n.channel === 'comanda_session' && n.payload === sessionId) && seenWith.length > 0);
    expect(heard).toEqual([
      { channel: 'comanda_orders', payload: DEMO },
      { channel: 'comanda_session', payload: sessionId },
    ]);
    expect(seenWith[0]).toBe(before + 1);
  });

  it('a writer that promises to announce is quiet inside its transaction; any other writer is announced by the triggers', async () => {
    const { heard, until } = await listen();
    await newOrder({}, { settings: { 'comanda.notify': 'after-commit' } });
    await newOrder({});
    // Notifications arrive in commit order: once the second order's is here, the first's would be.
    await until((h) => h.length > 0);
    await t.db.query('SELECT 1'); // a round trip more for anything in flight
    expect(heard).toEqual([{ channel: 'comanda_orders', payload: DEMO }]);
  });

  it('announcements made together go out once per channel and key; later ones go out again', async () => {
    const { heard, until } = await listen();
    for (let i = 0; i < 50; i++) {
      t.db.announce('comanda_orders', 'rest_a');
      t.db.announce('comanda_orders', 'rest_b');
      t.db.announce('comanda_session', 'session_a');
    }
    await t.db.announced();
    await marker('first');
    await until((h) => h.some((n) => n.payload === 'first'));
    expect(heard.map((n) => `${n.channel} ${n.payload}`).sort()).toEqual(['comanda_orders first', 'comanda_orders rest_a', 'comanda_orders rest_b', 'comanda_session session_a']);
    t.db.announce('comanda_orders', 'rest_a');
    await t.db.announced();
    await marker('second');
    await until((h) => h.some((n) => n.payload === 'second'));
    expect(heard.slice(4).map((n) => n.payload)).toEqual(['rest_a', 'second']);
  });

  it('a replayed order and a refused one announce nothing', async () => {
    const { heard, until } = await listen();
    const body = { items: [{ menuItemId: 'item_patatas_bravas', quantity: 1 }] };
    const headers = { 'idempotency-key': 'announce-once-1' };
    expect((await postOrder(t.staff.waiter, body, headers)).statusCode).toBe(201);
    await t.db.announced();
    await marker('placed');
    await until((h) => h.some((n) => n.payload === 'placed'));
    expect(heard.map((n) => n.payload)).toEqual([DEMO, 'placed']);

    const replay = await postOrder(t.staff.waiter, body, headers);
    expect(replay.json<{ duplicate: boolean }>().duplicate).toBe(true);
    // Refused by place_order, inside the transaction (not on this restaurant's menu).
    const refused = await postOrder(t.staff.waiter, { items: [{ menuItemId: 'item_not_on_the_menu', quantity: 1 }] });
    expect(refused.json<{ code: string }>().code).toBe('UNKNOWN_MENU_ITEM');
    await t.db.announced();
    await marker('after');
    await until((h) => h.some((n) => n.payload === 'after'));
    expect(heard.map((n) => n.payload)).toEqual([DEMO, 'placed', 'after']);
  });

  it('an announcement that cannot be sent is reported, never thrown', async () => {
    const errors: Error[] = [];
    const unreachable = new Database({ connectionString: 'postgres://nobody@127.0.0.1:1/none', connectTimeoutMs: 1_000, onAnnounceError: (err) => errors.push(err) });
    try {
      unreachable.announce('comanda_orders', DEMO);
      await unreachable.announced();
      expect(errors).toHaveLength(1);
    } finally {
      await unreachable.close();
    }
  });
});
