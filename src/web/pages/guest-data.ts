// What the guest page needs from the database: the table behind a code (and why a code does not
// work: unknown, rotated, a closed restaurant) and the menu as the page shows it (also dishes that
// are unavailable, marked so; /api/menu leaves those out). Both are cached briefly per instance;
// the menu by its version (restaurante.menu_versions), like /api/menu.
import type { Database } from '../../core/db/database.js';
import type { MenuCache } from '../../core/ordering/menu.js';
import { qrCodeOf } from '../../core/ordering/table-sessions.js';
import { timingSafeEqual } from 'node:crypto';

export interface TableLookup {
  id: string;
  restaurantId: string;
  qrVersion: number;
  number: number;
  isActive: boolean;
  restaurantName: string;
  language: string;
  currency: string;
  closedToday: boolean;
}

export type CodeCheck =
  | { kind: 'ok'; table: TableLookup }
  | { kind: 'invalid' }
  | { kind: 'rotated'; table: TableLookup }
  | { kind: 'closed'; table: TableLookup };

export interface PageDish {
  id: string;
  name: string;
  description: string | null;
  price: number;
  allergens: string[];
  stockState: 'in_stock' | 'low' | 'sold_out';
  available: boolean;
}

export interface PageMenu {
  version: number;
  categories: Array<{ id: string; name: string; description: string | null; items: PageDish[] }>;
}

const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export class GuestPageData {
  private readonly tables = new Map<string, { at: number; table: TableLookup | undefined }>();
  private readonly menus = new Map<string, PageMenu>();

  constructor(
    private readonly db: Database,
    private readonly secret: string,
    private readonly menuCache: MenuCache,
    private readonly maxAgeMs = 1_000,
  ) {}

  private async table(tableId: string): Promise<TableLookup | undefined> {
    const hit = this.tables.get(tableId);
    if (hit && Date.now() - hit.at < this.maxAgeMs) return hit.table;
    // "Closed today": an exception closing today, or (without one) no service hours on today's
    // weekday when the restaurant has hours at all. Both in the restaurant's time zone.
    const { rows } = await this.db.query<TableLookup>(
      `SELECT tb.id, tb."restaurantId", tb."qrVersion", tb.number, tb."isActive",
              r.name AS "restaurantName", r."defaultLanguage" AS language, r.currency,
              coalesce(
                (SELECT e.closed FROM restaurante.opening_exceptions e
                  WHERE e."restaurantId" = r.id AND e.date = (now() AT TIME ZONE r.timezone)::date
                  ORDER BY e.closed LIMIT 1),
                EXISTS (SELECT 1 FROM restaurante.opening_hours h WHERE h."restaurantId" = r.id)
                AND NOT EXISTS (SELECT 1 FROM restaurante.opening_hours h
                                 WHERE h."restaurantId" = r.id
                                   AND h.weekday = extract(isodow FROM now() AT TIME ZONE r.timezone))
              ) AS "closedToday"
         FROM restaurante.tables tb JOIN restaurante.restaurants r ON r.id = tb."restaurantId"
        WHERE tb.id = $1`,
      [tableId],
      { readOnly: true },
    );
    if (this.tables.size > 5_000) this.tables.clear();
    this.tables.set(tableId, { at: Date.now(), table: rows[0] });
    return rows[0];
  }

  /** What a printed code leads to. Codes of earlier versions of a table are "rotated". */
  async check(code: string): Promise<CodeCheck> {
    const dot = code.lastIndexOf('.');
    if (dot <= 0 || code.length > 200) return { kind: 'invalid' };
    const table = await this.table(code.slice(0, dot));
    if (!table) return { kind: 'invalid' };
    if (!same(qrCodeOf(this.secret, table), code)) {
      for (let v = table.qrVersion - 1; v >= 1 && v >= table.qrVersion - 100; v--) {
        if (same(qrCodeOf(this.secret, { ...table, qrVersion: v }), code)) return { kind: 'rotated', table };
      }
      return { kind: 'invalid' };
    }
    if (!table.isActive) return { kind: 'invalid' };
    if (table.closedToday) return { kind: 'closed', table };
    return { kind: 'ok', table };
  }

  /** The page's menu at the restaurant's current version. */
  async menu(restaurantId: string): Promise<PageMenu> {
    const { version } = await this.menuCache.get(restaurantId);
    const hit = this.menus.get(restaurantId);
    if (hit && hit.version === version) return hit;
    const { rows } = await this.db.query<{ menu: PageMenu }>(
      `SELECT jsonb_build_object('version', mv.version, 'categories', coalesce((
                SELECT jsonb_agg(jsonb_build_object('id', c.id, 'name', c.name, 'description', c.description, 'items', (
                         SELECT coalesce(jsonb_agg(jsonb_build_object(
                                  'id', i.id, 'name', i.name, 'description', i.description, 'price', i.price,
                                  'allergens', to_jsonb(i.allergens), 'stockState', restaurante.stock_state(i.stock),
                                  'available', i."isAvailable")
                                ORDER BY i."sortOrder", i.name, i.id), '[]'::jsonb)
                           FROM restaurante.menu_items i WHERE i."restaurantId" = c."restaurantId" AND i."categoryId" = c.id))
                       ORDER BY c."sortOrder", c.name, c.id)
                  FROM restaurante.menu_categories c WHERE c."restaurantId" = mv."restaurantId" AND c."isActive"), '[]'::jsonb)) AS menu
         FROM restaurante.menu_versions mv WHERE mv."restaurantId" = $1`,
      [restaurantId],
      { readOnly: true },
    );
    const menu = rows[0]!.menu;
    menu.version = Number(menu.version);
    for (const c of menu.categories) for (const i of c.items) i.price = Number(i.price);
    menu.categories = menu.categories.filter((c) => c.items.length > 0);
    this.menus.set(restaurantId, menu);
    return menu;
  }
}
