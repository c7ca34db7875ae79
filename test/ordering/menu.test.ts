// The guest menu over HTTP: categories, prices, allergens and stock state, its ETag and cache, and
// restaurante.get_complete_menu().
import { describe, expect, it } from 'vitest';
import { DEMO_RESTAURANT_ID } from '../../src/core/seed.js';
import { useTestApp, type TestApp } from '../helpers/app.js';
import { priceOf, stockOf } from '../helpers/fixtures.js';
import { cents, itemOf, orderingRequests, type Menu } from '../helpers/ordering.js';
import { expectProblem } from '../helpers/problems.js';

// The file's own app over its own database (the demo restaurant seeded).
const t = await useTestApp();
// The same app over its own database, with no cache slack on the menu.
const fresh = await useTestApp({ ordering: { menuCacheMaxAgeMs: 0 } });
const { postOrder, placeOk, get } = orderingRequests(t);

describe('the menu', () => {
  it('GET /api/menu?restaurantId= → categories with available items, prices, allergens, stock state and an ETag', async () => {
    const res = await get(undefined, `/api/menu?restaurantId=${DEMO_RESTAURANT_ID}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers.etag).toMatch(/^".+"$/);
    const menu = res.json<Menu>();
    expect(menu).toMatchObject({ restaurantId: DEMO_RESTAURANT_ID, name: 'Enigma', currency: 'EUR' });
    expect(menu.version).toEqual(expect.any(Number));
    expect(menu.categories.map((c) => c.id)).toEqual(['cat_entrantes', 'cat_tapas', 'cat_principales', 'cat_postres', 'cat_bebidas', 'cat_vinos']);
    const bravas = itemOf(menu, 'item_patatas_bravas');
    expect(bravas).toMatchObject({ name: 'Patatas bravas', allergens: ['gluten', 'eggs'] });
    expect(cents(bravas!.price)).toBe(cents(await priceOf(t.db, 'item_patatas_bravas')));
    expect(['in_stock', 'low', 'sold_out']).toContain(bravas!.stockState);
    expect(itemOf(menu, 'item_jamon_iberico')?.allergens).toEqual([]);
    expect(itemOf(menu, 'item_torrija')).toBeUndefined();
    // Guests see the stock state, never the count.
    expect(JSON.stringify(menu)).not.toContain('"stock"');
  });

  it('If-None-Match with the ETag → 304 with no body', async () => {
    const first = await get(undefined, `/api/menu?restaurantId=${DEMO_RESTAURANT_ID}`);
    const etag = first.headers.etag;
    expect(typeof etag).toBe('string');
    const again = await t.app.inject({
      method: 'GET',
      url: `/api/menu?restaurantId=${DEMO_RESTAURANT_ID}`,
      headers: { 'if-none-match': String(etag) },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers.etag).toBe(etag);
    const other = await t.app.inject({
      method: 'GET',
      url: `/api/menu?restaurantId=${DEMO_RESTAURANT_ID}`,
      headers: { 'if-none-match': '"something-else"' },
    });
    expect(other.statusCode).toBe(200);
  });

  it("without ?restaurantId=: a guest's or staff token picks the restaurant; nothing → 400; unknown → 404", async () => {
    const guest = await t.guest('table_01');
    const viaGuest = await get(guest, '/api/menu');
    expect(viaGuest.statusCode, viaGuest.body).toBe(200);
    expect(viaGuest.json<Menu>().restaurantId).toBe(DEMO_RESTAURANT_ID);
    const viaStaff = await get(t.staff.kitchen, '/api/menu');
    expect(viaStaff.json<Menu>().restaurantId).toBe(DEMO_RESTAURANT_ID);
    expectProblem(await get(undefined, '/api/menu'), 400, 'VALIDATION_FAILED');
    expectProblem(await get('cmd_guest_notarealtokennotarealtokennotarealtok', '/api/menu'), 400, 'VALIDATION_FAILED');
    expectProblem(await get(undefined, '/api/menu?restaurantId=rest_no_existe'), 404, 'NOT_FOUND');
  });
});

describe('the menu without cache slack (menuCacheMaxAgeMs: 0)', () => {
  const m = fresh;

  const menuOf = (app: TestApp) => get(undefined, `/api/menu?restaurantId=${DEMO_RESTAURANT_ID}`, app);

  it('a price change shows at once with a new ETag; the old ETag no longer gives 304', async () => {
    const before = await menuOf(m);
    const oldEtag = String(before.headers.etag);
    const oldPrice = itemOf(before.json<Menu>(), 'item_patatas_bravas')!.price;
    await m.db.query(`UPDATE restaurante.menu_items SET price = price + 1 WHERE id = 'item_patatas_bravas'`);
    const after = await menuOf(m);
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(oldEtag);
    expect(cents(itemOf(after.json<Menu>(), 'item_patatas_bravas')!.price)).toBe(cents(oldPrice) + 100);
    expect(after.json<Menu>().version).toBeGreaterThan(before.json<Menu>().version);
    const conditional = await m.app.inject({
      method: 'GET',
      url: `/api/menu?restaurantId=${DEMO_RESTAURANT_ID}`,
      headers: { 'if-none-match': oldEtag },
    });
    expect(conditional.statusCode).toBe(200);
    // And orders are charged the new price.
    const guest = await m.guest('table_02');
    const order = await placeOk(guest, { items: [{ menuItemId: 'item_patatas_bravas', quantity: 1 }] }, m);
    expect(cents(order.totalAmount)).toBe(cents(oldPrice) + 100);
  });

  it("an order that takes item_tarta_queso to 0 makes it 'sold_out'", async () => {
    const before = itemOf((await menuOf(m)).json<Menu>(), 'item_tarta_queso');
    expect(before?.stockState).toBe('low');
    const stock = await stockOf(m.db, 'item_tarta_queso');
    expect(stock).toBe(3);
    const guest = await m.guest('table_03');
    await placeOk(guest, { items: [{ menuItemId: 'item_tarta_queso', quantity: stock }] }, m);
    expect(await stockOf(m.db, 'item_tarta_queso')).toBe(0);
    const after = itemOf((await menuOf(m)).json<Menu>(), 'item_tarta_queso');
    expect(after?.stockState).toBe('sold_out');
    // And the next one is refused.
    const res = await postOrder(guest, { items: [{ menuItemId: 'item_tarta_queso', quantity: 1 }] }, {}, m);
    expect(expectProblem(res, 409, 'OUT_OF_STOCK').items).toEqual([{ menuItemId: 'item_tarta_queso', requested: 1, available: 0 }]);
  });

  it('restaurante.get_complete_menu() returns the same document as the API', async () => {
    const res = await menuOf(m);
    const { rows } = await m.db.query<{ menu: unknown }>('SELECT restaurante.get_complete_menu($1) AS menu', [DEMO_RESTAURANT_ID]);
    expect(res.json<unknown>()).toEqual(rows[0]!.menu);
    const { rows: none } = await m.db.query<{ menu: unknown }>(`SELECT restaurante.get_complete_menu('rest_no_existe') AS menu`);
    expect(none[0]!.menu).toBeNull();
  });
});
