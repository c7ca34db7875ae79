// One shared kitchen snapshot per restaurant and instance. Every kitchen screen re-reads the
// tickets when it is nudged (an order or the menu changed), so without sharing, 200 screens cost
// 200 identical queries per change. Here the first re-read after a change builds the snapshot and
// the others wait for the same promise; a change (the same LISTEN notification that nudges the
// screens) starts a new generation, so nobody is answered with data older than the nudge they
// got: a build that started before the change is never handed to a request that came after it.
// While this instance cannot LISTEN, nothing is shared (each read queries), and a snapshot is
// kept 30 s at most in any case.
import type { Database } from '../db/database.js';
import type { LiveHub } from '../live.js';
import { kitchenSnapshot, type KitchenSnapshot } from './kitchen.js';

interface Entry {
  generation: number;
  cached?: { generation: number; at: number; snapshot: Promise<KitchenSnapshot> };
}

export class KitchenSnapshots {
  private readonly entries = new Map<string, Entry>();
  /** Snapshots built (queries run), for the benchmark and tests. */
  builds = 0;

  constructor(
    private readonly db: Database,
    private readonly live: LiveHub,
    private readonly maxAgeMs = 30_000,
  ) {}

  get(restaurantId: string): Promise<KitchenSnapshot> {
    if (!this.live.live) {
      this.builds++;
      return kitchenSnapshot(this.db, restaurantId);
    }
    let entry = this.entries.get(restaurantId);
    if (!entry) {
      const created: Entry = { generation: 0 };
      const changed = () => {
        created.generation++;
      };
      this.live.subscribe('comanda_orders', restaurantId, changed);
      this.live.subscribe('comanda_menu', restaurantId, changed);
      this.entries.set(restaurantId, (entry = created));
    }
    const cached = entry.cached;
    if (cached && cached.generation === entry.generation && Date.now() - cached.at < this.maxAgeMs) return cached.snapshot;
    this.builds++;
    const snapshot = kitchenSnapshot(this.db, restaurantId);
    const mine = { generation: entry.generation, at: Date.now(), snapshot };
    entry.cached = mine;
    const owner = entry;
    snapshot.catch(() => {
      if (owner.cached === mine) owner.cached = undefined;
    });
    return snapshot;
  }
}
