// Several instances on one database, without the balancer (that is test/topology.test.ts): each
// instance's menu cache is dropped within 1 s of a change made anywhere (LISTEN/NOTIFY on the
// direct URL), and periodic jobs run on one instance however many schedule them.
import { describe, expect, it } from 'vitest';
import { Database } from '../src/core/db/database.js';
import { NotificationListener } from '../src/core/db/listener.js';
import { JobLeader } from '../src/core/jobs.js';
import { MenuCache } from '../src/core/ordering/menu.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { useTestDatabase } from './helpers/db.js';

const { db, url } = await useTestDatabase();
await seedDemo(db);

describe('the menu cache of every instance', () => {
  it('drops a changed menu within 1 s, although it would trust it for 60 s', async () => {
    // Three instances: each its own pool, cache (trusted for 60 s) and LISTEN connection, as src/main.ts wires them.
    const instances = await Promise.all(
      [1, 2, 3].map(async () => {
        const own = new Database({ connectionString: url, poolSize: 2 });
        const cache = new MenuCache(own, 60_000);
        let connected!: () => void;
        const ready = new Promise<void>((resolve) => (connected = resolve));
        const listener = new NotificationListener({
          connectionString: url,
          channel: 'comanda_menu',
          onNotify: (payload) => cache.invalidate(payload.split(' ')[0]),
          onConnect: () => {
            cache.invalidate();
            connected();
          },
        });
        listener.start();
        await ready;
        return { own, cache, listener };
      }),
    );
    try {
      const before = await Promise.all(instances.map((i) => i.cache.get(DEMO_RESTAURANT_ID)));
      const { rows } = await db.query<{ id: string }>(
        `UPDATE restaurante.menu_items SET price = price + 1
          WHERE id = (SELECT id FROM restaurante.menu_items WHERE "restaurantId" = $1 ORDER BY id LIMIT 1) RETURNING id`,
        [DEMO_RESTAURANT_ID],
      );
      expect(rows).toHaveLength(1);
      const changedAt = Date.now();
      const seenAfter = await Promise.all(
        instances.map(async (instance, n) => {
          for (;;) {
            const menu = await instance.cache.get(DEMO_RESTAURANT_ID);
            if (menu.version !== before[n]!.version) return Date.now() - changedAt;
            if (Date.now() - changedAt > 5_000) throw new Error(`instance ${n + 1} still serves version ${menu.version}`);
            await new Promise((r) => setTimeout(r, 10));
          }
        }),
      );
      console.log(`menu change seen by 3 instances after ${seenAfter.join(', ')} ms (cache trusted for 60 s)`);
      for (const ms of seenAfter) expect(ms).toBeLessThan(1_000);
    } finally {
      for (const i of instances) {
        await i.listener.stop();
        await i.own.close();
      }
    }
  });
});

describe('periodic jobs with several instances', () => {
  it('run on exactly one instance, the holder of the jobs lock; another takes over when it goes', async () => {
    const leaders = Array.from({ length: 6 }, () => new JobLeader(url));
    try {
      const ran: number[] = [];
      const round = (except?: number) =>
        Promise.all(leaders.map((leader, i) => (i === except ? Promise.resolve(undefined) : leader.run(() => Promise.resolve(ran.push(i))))));
      await round();
      expect(ran).toHaveLength(1);
      const first = ran[0]!;
      await round();
      await round();
      expect(ran).toEqual([first, first, first]);
      expect(leaders.filter((l) => l.leading)).toEqual([leaders[first]]);

      // The holder stops (or dies: its session ends either way): the next round has a new one.
      await leaders[first]!.stop();
      ran.length = 0;
      await round(first);
      expect(ran).toHaveLength(1);
      expect(ran[0]).not.toBe(first);
    } finally {
      await Promise.all(leaders.map((l) => l.stop()));
    }
  });
});
