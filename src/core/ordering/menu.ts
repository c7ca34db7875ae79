// The menu: the busiest read, served from a per-instance cache keyed by the restaurant's menu
// version (restaurante.menu_versions, bumped by triggers when what a guest sees changes).
//
// A cached menu is trusted for `maxAgeMs` (1 s by default); after that one cheap version check
// (a primary-key lookup, which works through a transaction-mode pooler) either renews it or loads
// the new menu. An instance with a direct connection also LISTENs on `comanda_menu` and drops a
// changed restaurant's menu at once (see MenuChangeListener). Concurrent misses share one load.
//
// With a read replica (src/core/db/replica.ts) the cache reads from it while it is within its lag
// bound; a menu older than the version a NOTIFY announced is loaded again from the primary, so a
// change never disappears behind a lagging replica.
import { createHash } from 'node:crypto';
import type { Database } from '../db/database.js';
import type { ReplicaReads } from '../db/replica.js';
import { AppError } from '../errors.js';

export interface CachedMenu {
  restaurantId: string;
  version: number;
  /** The menu document, serialised once. */
  json: string;
  etag: string;
}

interface Entry {
  menu: CachedMenu;
  checkedAt: number;
}

export class MenuCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<CachedMenu>>();
  /** The newest version a NOTIFY announced per restaurant: nothing older is served after it. */
  private readonly announced = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly maxAgeMs = 1_000,
    private readonly now: () => number = Date.now,
    private readonly replica?: ReplicaReads,
  ) {}

  async get(restaurantId: string): Promise<CachedMenu> {
    const entry = this.entries.get(restaurantId);
    if (entry && this.now() - entry.checkedAt < this.maxAgeMs) return entry.menu;
    const pending = this.loading.get(restaurantId);
    if (pending) return pending;
    const load = this.refresh(restaurantId, entry).finally(() => this.loading.delete(restaurantId));
    this.loading.set(restaurantId, load);
    return load;
  }

  /** Drops a restaurant's menu (on a NOTIFY from another instance, or a local change), remembering the announced version. */
  invalidate(restaurantId?: string, version?: number): void {
    if (restaurantId === undefined) this.entries.clear();
    else this.entries.delete(restaurantId);
    if (restaurantId !== undefined && version !== undefined && Number.isFinite(version)) {
      this.announced.set(restaurantId, Math.max(version, this.announced.get(restaurantId) ?? 0));
    }
  }

  private async refresh(restaurantId: string, entry: Entry | undefined): Promise<CachedMenu> {
    const source = this.replica?.db ?? this.db;
    const cached = await this.load(source, restaurantId, entry);
    if (source !== this.db && cached.version < (this.announced.get(restaurantId) ?? 0)) {
      // The replica has not replayed the announced change yet: the primary has it.
      return this.load(this.db, restaurantId, undefined);
    }
    return cached;
  }

  private async load(db: Database, restaurantId: string, entry: Entry | undefined): Promise<CachedMenu> {
    const checkedAt = this.now();
    if (entry) {
      const { rows } = await db.query<{ version: string }>(
        'SELECT version FROM restaurante.menu_versions WHERE "restaurantId" = $1',
        [restaurantId],
        { readOnly: true },
      );
      if (rows[0] && Number(rows[0].version) === entry.menu.version) {
        entry.checkedAt = checkedAt;
        return entry.menu;
      }
    }
    const { rows } = await db.query<{ menu: { version: number } | null }>(
      'SELECT restaurante.get_complete_menu($1) AS menu',
      [restaurantId],
      { readOnly: true },
    );
    const menu = rows[0]?.menu;
    if (!menu) {
      this.entries.delete(restaurantId);
      throw new AppError('NOT_FOUND', `No restaurant ${restaurantId}.`);
    }
    const json = JSON.stringify(menu);
    const cached: CachedMenu = {
      restaurantId,
      version: Number(menu.version),
      json,
      etag: `"m${menu.version}-${createHash('sha1').update(json).digest('base64url').slice(0, 12)}"`,
    };
    this.entries.set(restaurantId, { menu: cached, checkedAt });
    return cached;
  }
}
