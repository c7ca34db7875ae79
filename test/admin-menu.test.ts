// Admin menu management over HTTP against a real PostgreSQL: categories, dishes, prices,
// availability and stock through the ledger; what guests see on the public menu.
import { describe, expect, it } from 'vitest';
import { createStaffToken } from '../src/core/auth/staff-tokens.js';
import { adjustStock, isValidPrice } from '../src/core/ordering/menu-admin.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import type { AdminMenuItem as Item, StockMovement as Movement } from '../src/core/ordering/menu-admin.js';
import { useTestApp } from './helpers/app.js';

// Menu cache age 0: every public menu request re-checks the version, so changes show at once.
const t = await useTestApp({ ordering: { menuCacheMaxAgeMs: 0 } });
const { app, db, staff } = t;
const auth = (token: string) => t.auth(token);
const guest = (tableId: string) => t.guest(tableId);
const admin = auth(staff.admin);

interface PublicMenu {
  version: number;
  categories: { id: string; name: string; items: { id: string; name: string; price: number; allergens: string[]; stockState: string }[] }[];
}

// A second restaurant with a category and a dish of its own.
const OTHER = 'rest_other_admin_001';
await db.transaction(
  async (tx) => {
    await tx.query(`INSERT INTO restaurante.restaurants (id, name) VALUES ($1, 'Otro')`, [OTHER]);
    await tx.query(`INSERT INTO restaurante.menu_categories (id, "restaurantId", name) VALUES ('cat_other', $1, 'Otros')`, [OTHER]);
    await tx.query(
      `INSERT INTO restaurante.menu_items (id, "restaurantId", "categoryId", name, price, stock) VALUES ('item_other', $1, 'cat_other', 'Otro plato', 5, 9)`,
      [OTHER],
    );
  },
  { settings: { 'comanda.actor': 'test' } },
);

async function publicMenu(headers: Record<string, string> = {}) {
  const res = await app.inject({ method: 'GET', url: `/api/menu?restaurantId=${DEMO_RESTAURANT_ID}`, headers });
  return { res, etag: res.headers.etag, menu: res.statusCode === 200 ? res.json<PublicMenu>() : undefined };
}
const onMenu = (menu: PublicMenu | undefined, itemId: string) =>
  menu?.categories.flatMap((c) => c.items.map((i) => ({ ...i, categoryId: c.id }))).find((i) => i.id === itemId);

async function ledger(itemId: string) {
  const { rows } = await db.query<{ count: number; sum: number | null; stock: number }>(
    `SELECT count(sm.id)::int AS count, sum(sm.delta)::int AS sum, mi.stock
       FROM restaurante.menu_items mi LEFT JOIN restaurante.stock_movements sm ON sm."menuItemId" = mi.id
      WHERE mi.id = $1 GROUP BY mi.stock`,
    [itemId],
  );
  return rows[0]!;
}

async function stockChange(itemId: string, body: unknown, token = staff.admin) {
  return app.inject({ method: 'POST', url: `/api/admin/menu-items/${itemId}/stock`, headers: auth(token), payload: body as object });
}

let categoryId = '';
let itemId = '';

describe('categories and dishes', () => {
  it('creates a category and a dish that then appear on the public menu', async () => {
    const before = await publicMenu();
    expect(before.res.statusCode).toBe(200);

    const cat = await app.inject({
      method: 'POST',
      url: '/api/admin/categories',
      headers: admin,
      payload: { name: 'Especiales', description: 'Fuera de carta', sortOrder: 5 },
    });
    expect(cat.statusCode).toBe(201);
    const category = cat.json<{ category: { id: string; restaurantId: string; name: string; isActive: boolean; sortOrder: number } }>().category;
    expect(category).toMatchObject({ restaurantId: DEMO_RESTAURANT_ID, name: 'Especiales', isActive: true, sortOrder: 5 });
    categoryId = category.id;

    const list = await app.inject({ method: 'GET', url: '/api/admin/categories', headers: admin });
    expect(list.statusCode).toBe(200);
    expect(list.json<{ categories: { id: string }[] }>().categories.map((c) => c.id)).toContain(categoryId);

    const res = await app.inject({
      method: 'POST',
      url: '/api/admin/menu-items',
      headers: admin,
      payload: { categoryId, name: 'Arroz del señoret', description: 'Todo pelado', price: 18.5, stock: 10, allergens: ['crustaceans', 'molluscs'] },
    });
    expect(res.statusCode).toBe(201);
    const item = res.json<{ item: Item }>().item;
    expect(item).toMatchObject({
      restaurantId: DEMO_RESTAURANT_ID,
      categoryId,
      name: 'Arroz del señoret',
      price: 18.5,
      stock: 10,
      isAvailable: true,
      allergens: ['crustaceans', 'molluscs'],
    });
    expect(new Date(item.createdAt).toISOString()).toBe(item.createdAt);
    itemId = item.id;

    const after = await publicMenu();
    expect(after.etag).not.toBe(before.etag);
    const shown = onMenu(after.menu, itemId);
    expect(shown).toMatchObject({ categoryId, name: 'Arroz del señoret', price: 18.5, allergens: ['crustaceans', 'molluscs'], stockState: 'in_stock' });
    expect(after.menu!.categories.find((c) => c.id === categoryId)?.name).toBe('Especiales');

    // The initial stock is the ledger's first row, by the admin.
    const movements = await app.inject({ method: 'GET', url: `/api/admin/menu-items/${itemId}/stock-movements`, headers: admin });
    expect(movements.statusCode).toBe(200);
    const rows = movements.json<{ movements: Movement[] }>().movements;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ delta: 10, stockAfter: 10, reason: 'initial', menuItemId: itemId });
    expect(rows[0]!.actor).toMatch(/^staff:admin:/);
  });

  it('lists every dish with its exact stock, unavailable ones included', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/admin/menu-items', headers: admin });
    expect(res.statusCode).toBe(200);
    const items = res.json<{ items: Item[] }>().items;
    // The seed's seasonal torrija is unavailable and still listed; the tarta de queso has 3.
    expect(items.find((i) => i.id === 'item_torrija')?.isAvailable).toBe(false);
    expect(items.find((i) => i.id === 'item_tarta_queso')?.stock).toBe(3);
    expect(items.find((i) => i.id === itemId)?.stock).toBe(10);
    expect(items.every((i) => i.restaurantId === DEMO_RESTAURANT_ID)).toBe(true);
    expect(items.some((i) => i.id === 'item_other')).toBe(false);
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM restaurante.menu_items WHERE "restaurantId" = $1', [DEMO_RESTAURANT_ID]);
    expect(items).toHaveLength(rows[0]!.n);
  });

  it('a price change shows on the public menu with a new ETag', async () => {
    const before = await publicMenu();
    expect(before.etag).toBeDefined();
    expect((await publicMenu({ 'if-none-match': before.etag! })).res.statusCode).toBe(304);

    const res = await app.inject({ method: 'PATCH', url: `/api/admin/menu-items/${itemId}`, headers: admin, payload: { price: 19.95 } });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ item: Item }>().item).toMatchObject({ price: 19.95, stock: 10, name: 'Arroz del señoret' });

    const after = await publicMenu({ 'if-none-match': before.etag! });
    expect(after.res.statusCode).toBe(200);
    expect(after.etag).not.toBe(before.etag);
    expect(after.menu!.version).toBeGreaterThan(before.menu!.version);
    expect(onMenu(after.menu, itemId)?.price).toBe(19.95);
  });

  it('changes other fields, moves a dish between categories and clears a description', async () => {
    const res = await app.inject({
      method: 'PATCH',
      url: `/api/admin/menu-items/${itemId}`,
      headers: admin,
      payload: { name: 'Arroz señoret', description: null, allergens: ['crustaceans'], sortOrder: 3 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ item: Item }>().item).toMatchObject({ name: 'Arroz señoret', description: null, allergens: ['crustaceans'], sortOrder: 3 });

    const moved = await app.inject({ method: 'PATCH', url: `/api/admin/menu-items/${itemId}`, headers: admin, payload: { categoryId: 'cat_principales' } });
    expect(moved.statusCode).toBe(200);
    expect(onMenu((await publicMenu()).menu, itemId)?.categoryId).toBe('cat_principales');
    const back = await app.inject({ method: 'PATCH', url: `/api/admin/menu-items/${itemId}`, headers: admin, payload: { categoryId } });
    expect(back.json<{ item: Item }>().item.categoryId).toBe(categoryId);

    // Another restaurant's category is not a category of this one.
    const foreign = await app.inject({ method: 'PATCH', url: `/api/admin/menu-items/${itemId}`, headers: admin, payload: { categoryId: 'cat_other' } });
    expect(foreign.statusCode).toBe(422);
    expect(foreign.json()).toMatchObject({ code: 'REFERENCE_NOT_FOUND' });
  });

  it('turning availability off takes the dish off the public menu, and on puts it back', async () => {
    const off = await app.inject({ method: 'POST', url: `/api/admin/menu-items/${itemId}/availability`, headers: admin, payload: { isAvailable: false } });
    expect(off.statusCode).toBe(200);
    expect(off.json<{ item: Item }>().item).toMatchObject({ isAvailable: false, stock: 10 });
    const menu = (await publicMenu()).menu;
    expect(onMenu(menu, itemId)).toBeUndefined();
    // Its category had only this dish, so it is gone too.
    expect(menu!.categories.some((c) => c.id === categoryId)).toBe(false);

    const on = await app.inject({ method: 'POST', url: `/api/admin/menu-items/${itemId}/availability`, headers: admin, payload: { isAvailable: true } });
    expect(on.statusCode).toBe(200);
    expect(onMenu((await publicMenu()).menu, itemId)).toBeDefined();
  });

  it('an inactive category hides its dishes; PATCH renames it', async () => {
    const res = await app.inject({ method: 'PATCH', url: `/api/admin/categories/${categoryId}`, headers: admin, payload: { isActive: false, name: 'Especiales del día' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ category: { id: categoryId, isActive: false, name: 'Especiales del día' } });
    expect(onMenu((await publicMenu()).menu, itemId)).toBeUndefined();
    const again = await app.inject({ method: 'PATCH', url: `/api/admin/categories/${categoryId}`, headers: admin, payload: { isActive: true } });
    expect(again.statusCode).toBe(200);
    const menu = (await publicMenu()).menu;
    expect(onMenu(menu, itemId)).toBeDefined();
    expect(menu!.categories.find((c) => c.id === categoryId)?.name).toBe('Especiales del día');
  });
});

describe('stock through the ledger', () => {
  it('a restock writes a ledger row with the reason, the note and the admin as actor', async () => {
    const res = await stockChange(itemId, { delta: 5, reason: 'restock', note: 'Albarán 42' });
    expect(res.statusCode).toBe(200);
    const { item, movement } = res.json<{ item: Item; movement: Movement }>();
    expect(item.stock).toBe(15);
    expect(movement).toMatchObject({ delta: 5, stockAfter: 15, reason: 'restock', note: 'Albarán 42', orderId: null, menuItemId: itemId });
    expect(movement.actor).toMatch(/^staff:admin:/);

    const list = await app.inject({ method: 'GET', url: `/api/admin/menu-items/${itemId}/stock-movements`, headers: admin });
    const movements = list.json<{ movements: Movement[] }>().movements;
    expect(movements[0]).toEqual(movement);
    expect(movements.map((m) => m.reason)).toEqual(['restock', 'initial']);
  });

  it('a correction with set records the difference', async () => {
    const res = await stockChange(itemId, { set: 7, reason: 'correction', note: 'Inventario' });
    expect(res.statusCode).toBe(200);
    const { item, movement } = res.json<{ item: Item; movement: Movement }>();
    expect(item.stock).toBe(7);
    expect(movement).toMatchObject({ delta: -8, stockAfter: 7, reason: 'correction', note: 'Inventario' });
    expect(await ledger(itemId)).toEqual({ count: 3, sum: 7, stock: 7 });
  });

  it('a change that would make the stock negative is 422 and writes nothing', async () => {
    const before = await ledger(itemId);
    for (const body of [{ delta: -8, reason: 'correction' }, { set: -1, reason: 'correction' }]) {
      const res = await stockChange(itemId, body);
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({ code: 'CONSTRAINT_VIOLATION', constraint: 'check_stock_non_negative', status: 422 });
    }
    expect(await ledger(itemId)).toEqual(before);
    expect(before.stock).toBe(7);
  });

  it('refuses a change of nothing and malformed requests with 400', async () => {
    const before = await ledger(itemId);
    const bodies = [
      { delta: 0, reason: 'restock' },
      { set: 7, reason: 'correction' }, // already 7
      { delta: 1, set: 3, reason: 'correction' },
      { reason: 'restock' },
      { delta: 1 },
      { delta: 1, reason: 'order' },
      { delta: 1, reason: 'manual' },
      { delta: 1.5, reason: 'restock' },
      { delta: '1', reason: 'restock' },
      { delta: 1, reason: 'restock', note: 'x'.repeat(501) },
      { delta: 1, reason: 'restock', extra: true },
    ];
    for (const body of bodies) {
      const res = await stockChange(itemId, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(await ledger(itemId)).toEqual(before);
  });

  it('stock is not patchable through PATCH', async () => {
    const res = await app.inject({ method: 'PATCH', url: `/api/admin/menu-items/${itemId}`, headers: admin, payload: { stock: 100 } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await ledger(itemId)).stock).toBe(7);
  });

  it('concurrent restocks all land, one ledger row each', async () => {
    const before = await ledger(itemId);
    const results = await Promise.all(Array.from({ length: 8 }, () => stockChange(itemId, { delta: 2, reason: 'restock' })));
    expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
    const after = results.map((r) => r.json<{ movement: Movement }>().movement.stockAfter).sort((a, b) => a - b);
    expect(after).toEqual(Array.from({ length: 8 }, (_, i) => before.stock + 2 * (i + 1)));
    expect(await ledger(itemId)).toEqual({ count: before.count + 8, sum: before.stock + 16, stock: before.stock + 16 });
  });

  it('the stock state guests see follows the stock', async () => {
    expect(onMenu((await publicMenu()).menu, itemId)?.stockState).toBe('in_stock');
    expect((await stockChange(itemId, { set: 2, reason: 'correction' })).statusCode).toBe(200);
    expect(onMenu((await publicMenu()).menu, itemId)?.stockState).toBe('low');
    expect((await stockChange(itemId, { set: 0, reason: 'correction' })).statusCode).toBe(200);
    expect(onMenu((await publicMenu()).menu, itemId)?.stockState).toBe('sold_out');
    expect((await stockChange(itemId, { delta: 12, reason: 'restock' })).statusCode).toBe(200);
  });
});

describe('validation', () => {
  const countItems = async () =>
    (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM restaurante.menu_items WHERE "restaurantId" = $1', [DEMO_RESTAURANT_ID])).rows[0]!.n;

  it('refuses invalid prices on create and on change, with a code', async () => {
    const before = await countItems();
    for (const price of [0, -1, 1000, 1000.5, 1.234, 0.001, '5', null]) {
      const created = await app.inject({ method: 'POST', url: '/api/admin/menu-items', headers: admin, payload: { categoryId, name: 'Caro', price } });
      expect([400, 422], `create ${JSON.stringify(price)}`).toContain(created.statusCode);
      expect(created.json<{ code: string }>().code).toMatch(/^(VALIDATION_FAILED|CONSTRAINT_VIOLATION)$/);
      const patched = await app.inject({ method: 'PATCH', url: `/api/admin/menu-items/${itemId}`, headers: admin, payload: { price } });
      expect(patched.statusCode, `patch ${JSON.stringify(price)}`).toBe(400);
      expect(patched.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(await countItems()).toBe(before);
    const current = await app.inject({ method: 'GET', url: '/api/admin/menu-items', headers: admin });
    expect(current.json<{ items: Item[] }>().items.find((i) => i.id === itemId)?.price).toBe(19.95);
  });

  it('accepts two-decimal prices that binary floats represent inexactly', async () => {
    expect([0.29, 0.01, 1.1, 999.99, 4.35, 12].every(isValidPrice)).toBe(true);
    expect([0, 1000, 1.234, 0.005, Number.NaN, Infinity].some(isValidPrice)).toBe(false);
    for (const price of [0.29, 999.99, 4.35]) {
      const res = await app.inject({ method: 'POST', url: '/api/admin/menu-items', headers: admin, payload: { categoryId, name: `Precio ${price}`, price, isAvailable: false } });
      expect(res.statusCode).toBe(201);
      expect(res.json<{ item: Item }>().item).toMatchObject({ price, stock: 0, isAvailable: false });
    }
  });

  it('refuses unknown and repeated allergens', async () => {
    for (const allergens of [['gluten', 'shellfish'], ['Gluten'], ['milk', 'milk'], 'gluten']) {
      const res = await app.inject({ method: 'POST', url: '/api/admin/menu-items', headers: admin, payload: { categoryId, name: 'Plato', price: 5, allergens } });
      expect(res.statusCode, JSON.stringify(allergens)).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      const patched = await app.inject({ method: 'PATCH', url: `/api/admin/menu-items/${itemId}`, headers: admin, payload: { allergens } });
      expect(patched.statusCode).toBe(400);
    }
  });

  it('refuses unknown fields, empty changes and missing or empty names', async () => {
    const cases: [string, string, object][] = [
      ['POST', '/api/admin/categories', { name: 'X', color: 'red' }],
      ['POST', '/api/admin/categories', {}],
      ['POST', '/api/admin/categories', { name: '   ' }],
      ['PATCH', `/api/admin/categories/${categoryId}`, {}],
      ['PATCH', `/api/admin/categories/${categoryId}`, { restaurantId: OTHER }],
      ['POST', '/api/admin/menu-items', { categoryId, name: 'X', price: 5, restaurantId: OTHER }],
      ['POST', '/api/admin/menu-items', { categoryId, name: 'X', price: 5, stock: -1 }],
      ['POST', '/api/admin/menu-items', { categoryId, name: '', price: 5 }],
      ['POST', '/api/admin/menu-items', { name: 'X', price: 5 }],
      ['PATCH', `/api/admin/menu-items/${itemId}`, {}],
      ['PATCH', `/api/admin/menu-items/${itemId}`, { id: 'other' }],
      ['POST', `/api/admin/menu-items/${itemId}/availability`, {}],
      ['POST', `/api/admin/menu-items/${itemId}/availability`, { isAvailable: 'false' }],
    ];
    for (const [method, url, payload] of cases) {
      const res = await app.inject({ method: method as 'POST' | 'PATCH', url, headers: admin, payload });
      expect(res.statusCode, `${method} ${url} ${JSON.stringify(payload)}`).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });

  it('a dish needs a category of this restaurant', async () => {
    for (const cat of ['cat_other', 'no_such_category']) {
      const res = await app.inject({ method: 'POST', url: '/api/admin/menu-items', headers: admin, payload: { categoryId: cat, name: 'X', price: 5 } });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({ code: 'REFERENCE_NOT_FOUND', field: 'categoryId' });
    }
  });
});

describe('access', () => {
  const routes = (id: string): [string, string, object | undefined][] => [
    ['GET', '/api/admin/categories', undefined],
    ['POST', '/api/admin/categories', { name: 'X' }],
    ['PATCH', `/api/admin/categories/${categoryId}`, { name: 'X' }],
    ['GET', '/api/admin/menu-items', undefined],
    ['POST', '/api/admin/menu-items', { categoryId, name: 'X', price: 5 }],
    ['PATCH', `/api/admin/menu-items/${id}`, { price: 1 }],
    ['POST', `/api/admin/menu-items/${id}/availability`, { isAvailable: false }],
    ['POST', `/api/admin/menu-items/${id}/stock`, { delta: 100, reason: 'restock' }],
    ['GET', `/api/admin/menu-items/${id}/stock-movements`, undefined],
    ['PUT', '/api/admin/category-order', { ids: [categoryId] }],
    ['PUT', `/api/admin/categories/${categoryId}/menu-items/order`, { ids: [id] }],
  ];

  it('kitchen and waiter tokens are 403, guests 403, no token 401; nothing changes', async () => {
    const before = await ledger(itemId);
    const guestToken = await guest('table_01');
    for (const [token, status] of [
      [staff.kitchen, 403],
      [staff.waiter, 403],
      [guestToken, 403],
      [undefined, 401],
    ] as const) {
      for (const [method, url, payload] of routes(itemId)) {
        const res = await app.inject({ method: method as 'GET' | 'POST' | 'PATCH' | 'PUT', url, headers: token ? auth(token) : {}, payload });
        expect(res.statusCode, `${method} ${url}`).toBe(status);
        expect(res.json()).toMatchObject({ code: status === 403 ? 'FORBIDDEN' : 'UNAUTHENTICATED' });
      }
    }
    expect(await ledger(itemId)).toEqual(before);
    const item = await db.query<{ price: string; isAvailable: boolean }>('SELECT price, "isAvailable" FROM restaurante.menu_items WHERE id = $1', [itemId]);
    expect(item.rows[0]).toEqual({ price: '19.95', isAvailable: true });
  });

  it('the core refuses non-admin principals too', async () => {
    await expect(
      adjustStock(db, { kind: 'staff', tokenId: 'stf_x', restaurantId: DEMO_RESTAURANT_ID, role: 'kitchen' }, itemId, { delta: 1, reason: 'restock' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it("another restaurant's ids are 404 and stay untouched", async () => {
    const before = await ledger('item_other');
    for (const [method, url, payload] of routes('item_other').filter(([, url]) => url.includes('item_other'))) {
      const res = await app.inject({ method: method as 'GET' | 'POST' | 'PATCH' | 'PUT', url, headers: admin, payload });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
    }
    const cat = await app.inject({ method: 'PATCH', url: '/api/admin/categories/cat_other', headers: admin, payload: { name: 'Mío' } });
    expect(cat.statusCode).toBe(404);
    expect(cat.json()).toMatchObject({ code: 'NOT_FOUND' });
    expect(await ledger('item_other')).toEqual(before);
    const { rows } = await db.query<{ price: string; isAvailable: boolean; name: string }>(
      `SELECT mi.price, mi."isAvailable", c.name FROM restaurante.menu_items mi JOIN restaurante.menu_categories c ON c.id = mi."categoryId" WHERE mi.id = 'item_other'`,
    );
    expect(rows[0]).toEqual({ price: '5.00', isAvailable: true, name: 'Otros' });

    // And the other restaurant's admin sees only its own menu.
    const otherAdmin = (await createStaffToken(db, { restaurantId: OTHER, role: 'admin' })).token;
    const list = await app.inject({ method: 'GET', url: '/api/admin/menu-items', headers: auth(otherAdmin) });
    expect(list.json<{ items: Item[] }>().items.map((i) => i.id)).toEqual(['item_other']);
    const mine = await app.inject({ method: 'GET', url: `/api/admin/menu-items/${itemId}/stock-movements`, headers: auth(otherAdmin) });
    expect(mine.statusCode).toBe(404);
  });
});

describe('the ledger', () => {
  it('stock = sum(ledger deltas) for the dish and for every dish of both restaurants', async () => {
    const mine = await ledger(itemId);
    expect(mine.count).toBeGreaterThan(10);
    expect(mine.sum).toBe(mine.stock);
    const { rows } = await db.query<{ id: string; stock: number; sum: number | null }>(
      `SELECT mi.id, mi.stock, (SELECT sum(delta)::int FROM restaurante.stock_movements sm WHERE sm."menuItemId" = mi.id) AS sum
         FROM restaurante.menu_items mi`,
    );
    expect(rows.length).toBeGreaterThan(40);
    expect(rows.filter((r) => (r.sum ?? 0) !== r.stock)).toEqual([]);
  });
});

describe('bad fields are named', () => {
  type FieldProblem = { code: string; field?: string; errors?: { path: string; field?: string; message: string }[] };
  const send = (method: 'POST' | 'PATCH', url: string, payload: object) => app.inject({ method, url, headers: admin, payload });

  it('every admin menu route says which field is wrong, in `field` and in `errors[].field`', async () => {
    const cases: [('POST' | 'PATCH'), string, object, number, string][] = [
      // The schema's errors (Fastify) …
      ['POST', '/api/admin/categories', {}, 400, 'name'],
      ['POST', '/api/admin/categories', { name: '   ' }, 400, 'name'],
      ['POST', '/api/admin/categories', { name: 'X', color: 'red' }, 400, 'color'],
      ['PATCH', `/api/admin/categories/${categoryId}`, { sortOrder: 1.5 }, 400, 'sortOrder'],
      ['POST', '/api/admin/menu-items', { categoryId, name: 'X' }, 400, 'price'],
      ['POST', '/api/admin/menu-items', { categoryId, name: 'X', price: 0 }, 400, 'price'],
      ['POST', '/api/admin/menu-items', { categoryId, name: 'X', price: 'abc' }, 400, 'price'],
      ['POST', '/api/admin/menu-items', { categoryId, name: '', price: 5 }, 400, 'name'],
      ['POST', '/api/admin/menu-items', { categoryId, name: 'X', price: 5, allergens: ['gluten', 'shellfish'] }, 400, 'allergens'],
      ['POST', '/api/admin/menu-items', { categoryId, name: 'X', price: 5, stock: -1 }, 400, 'stock'],
      ['PATCH', `/api/admin/menu-items/${itemId}`, { price: 1000 }, 400, 'price'],
      ['POST', `/api/admin/menu-items/${itemId}/availability`, {}, 400, 'isAvailable'],
      ['POST', `/api/admin/menu-items/${itemId}/stock`, { delta: 1 }, 400, 'reason'],
      ['POST', `/api/admin/menu-items/${itemId}/stock`, { delta: 1, reason: 'restock', note: 'x'.repeat(501) }, 400, 'note'],
      // … and the core's.
      ['POST', '/api/admin/menu-items', { categoryId, name: 'X', price: 4.355 }, 400, 'price'],
      ['PATCH', `/api/admin/menu-items/${itemId}`, { price: 0.001 }, 400, 'price'],
      ['POST', '/api/admin/menu-items', { categoryId: 'no_such_category', name: 'X', price: 5 }, 422, 'categoryId'],
      ['PATCH', `/api/admin/menu-items/${itemId}`, { categoryId: 'cat_other' }, 422, 'categoryId'],
      ['POST', `/api/admin/menu-items/${itemId}/stock`, { delta: 0, reason: 'restock' }, 400, 'delta'],
      ['POST', `/api/admin/menu-items/${itemId}/stock`, { delta: 1, set: 3, reason: 'restock' }, 400, 'delta'],
      ['POST', `/api/admin/menu-items/${itemId}/stock`, { delta: -10_000, reason: 'correction' }, 422, 'delta'],
      ['POST', `/api/admin/menu-items/${itemId}/stock`, { set: -1, reason: 'correction' }, 422, 'set'],
    ];
    const before = await ledger(itemId);
    const count = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM restaurante.menu_items')).rows[0]!.n;
    const items = await count();
    for (const [method, url, payload, status, field] of cases) {
      const res = await send(method, url, payload);
      const label = `${method} ${url} ${JSON.stringify(payload).slice(0, 80)}`;
      expect(res.statusCode, label).toBe(status);
      expect(res.headers['content-type'], label).toMatch(/application\/problem\+json/);
      const problem = res.json<FieldProblem>();
      expect(problem.field, label).toBe(field);
      const first = problem.errors?.[0];
      expect(first?.field, label).toBe(field);
      expect(typeof first?.path === 'string' && typeof first.message === 'string', label).toBe(true);
    }
    expect(await ledger(itemId)).toEqual(before);
    expect(await count()).toBe(items);
  });
});

describe('order', () => {
  const order = async () =>
    (await app.inject({ method: 'GET', url: '/api/admin/categories', headers: admin })).json<{ categories: { id: string; sortOrder: number }[] }>().categories;
  const dishesOf = async (cat: string) =>
    (await app.inject({ method: 'GET', url: '/api/admin/menu-items', headers: admin })).json<{ items: Item[] }>().items.filter((i) => i.categoryId === cat);

  it('puts the categories in the order given, in one request, and guests see it', async () => {
    const ids = (await order()).map((c) => c.id);
    const reversed = [...ids].reverse();
    const res = await app.inject({ method: 'PUT', url: '/api/admin/category-order', headers: admin, payload: { ids: reversed } });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ categories: { id: string; sortOrder: number }[] }>().categories.map((c) => c.id)).toEqual(reversed);
    expect((await order()).map((c) => [c.id, c.sortOrder])).toEqual(reversed.map((id, i) => [id, (i + 1) * 10]));
    const { menu } = await publicMenu();
    const active = reversed.filter((id) => menu!.categories.some((c) => c.id === id));
    expect(menu!.categories.map((c) => c.id)).toEqual(active);
  });

  it("puts a category's dishes in the order given", async () => {
    const dishes = await dishesOf(categoryId);
    expect(dishes.length).toBeGreaterThan(1);
    const ids = dishes.map((d) => d.id);
    const moved = [ids[ids.length - 1]!, ...ids.slice(0, -1)];
    const res = await app.inject({ method: 'PUT', url: `/api/admin/categories/${categoryId}/menu-items/order`, headers: admin, payload: { ids: moved } });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ items: Item[] }>().items.map((i) => i.id)).toEqual(moved);
    expect((await dishesOf(categoryId)).map((d) => d.id)).toEqual(moved);
  });

  it('a list that is not exactly the current set is 409 CONFLICT and changes nothing', async () => {
    const before = await order();
    const ids = before.map((c) => c.id);
    for (const bad of [ids.slice(1), [...ids, 'cat_other'], [...ids.slice(1), 'no_such']]) {
      const res = await app.inject({ method: 'PUT', url: '/api/admin/category-order', headers: admin, payload: { ids: bad } });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'CONFLICT', field: 'ids' });
    }
    const repeated = await app.inject({ method: 'PUT', url: '/api/admin/category-order', headers: admin, payload: { ids: [...ids, ids[0]] } });
    expect(repeated.statusCode).toBe(400);
    expect(repeated.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'ids' });
    const dishes = (await dishesOf(categoryId)).map((d) => d.id);
    const wrongCategory = await app.inject({ method: 'PUT', url: `/api/admin/categories/${categoryId}/menu-items/order`, headers: admin, payload: { ids: [...dishes, 'item_other'] } });
    expect(wrongCategory.statusCode).toBe(409);
    const other = await app.inject({ method: 'PUT', url: '/api/admin/categories/cat_other/menu-items/order', headers: admin, payload: { ids: ['item_other'] } });
    expect(other.statusCode).toBe(404);
    expect(await order()).toEqual(before);
    expect((await dishesOf(categoryId)).map((d) => d.id)).toEqual(dishes);
  });
});
