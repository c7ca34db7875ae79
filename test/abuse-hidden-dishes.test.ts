// Issue 11, item 6: a dish of a hidden (inactive) category, or an unavailable dish, cannot be
// ordered by a guest, nor pre-ordered with a booking; nothing is written and no stock moves.
import { describe, expect, it } from 'vitest';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { useTestApp } from './helpers/app.js';
import { futureTuesday } from './helpers/dates.js';
import { expectProblem } from './helpers/problems.js';

const t = await useTestApp({ ordering: { menuCacheMaxAgeMs: 0 } });

const stockOf = async (id: string) => (await t.db.query<{ stock: number }>('SELECT stock FROM restaurante.menu_items WHERE id = $1', [id])).rows[0]!.stock;
const count = async (table: string) => (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM restaurante.${table}`)).rows[0]!.n;

describe('hidden and unavailable dishes (item 6)', () => {
  it("a dish of an inactive category is not on the guests' menu and POST /api/orders refuses it: 409 ITEM_UNAVAILABLE, no stock moves", async () => {
    await t.db.query(`UPDATE restaurante.menu_categories SET "isActive" = false WHERE id = 'cat_postres'`);
    const menu = await t.app.inject({ method: 'GET', url: `/api/menu?restaurantId=${DEMO_RESTAURANT_ID}` });
    expect(menu.body).not.toContain('item_flan_casero');
    const guest = await t.guest('table_03');
    const stock = await stockOf('item_flan_casero');
    const orders = await count('orders');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: t.auth(guest),
      payload: { items: [{ menuItemId: 'item_agua_mineral', quantity: 1 }, { menuItemId: 'item_flan_casero', quantity: 1 }] },
    });
    const problem = expectProblem(res, 409, 'ITEM_UNAVAILABLE');
    expect(problem.items).toEqual([{ menuItemId: 'item_flan_casero', requested: 1, available: 0 }]);
    expect(await stockOf('item_flan_casero')).toBe(stock);
    expect(await count('orders')).toBe(orders);
    // Shown again, it can be ordered.
    await t.db.query(`UPDATE restaurante.menu_categories SET "isActive" = true WHERE id = 'cat_postres'`);
    const again = await t.app.inject({ method: 'POST', url: '/api/orders', headers: t.auth(guest), payload: { items: [{ menuItemId: 'item_flan_casero', quantity: 1 }] } });
    expect(again.statusCode, again.body).toBe(201);
  });

  it('a booking cannot pre-order an unavailable dish, nor one of a hidden category: 409 ITEM_UNAVAILABLE, nothing written', async () => {
    await t.db.query(`UPDATE restaurante.menu_items SET "isAvailable" = false WHERE id = 'item_tarta_santiago'`);
    await t.db.query(`UPDATE restaurante.menu_categories SET "isActive" = false WHERE id = 'cat_vinos'`);
    const { rows } = await t.db.query<{ id: string }>(`SELECT id FROM restaurante.menu_items WHERE "categoryId" = 'cat_vinos' AND "isAvailable" LIMIT 1`);
    const before = [await count('reservations'), await count('reservation_items'), await count('email_logs')];
    for (const [i, menuItemId] of ['item_tarta_santiago', rows[0]!.id].entries()) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/reservations',
        payload: {
          restaurantId: DEMO_RESTAURANT_ID,
          partySize: 2,
          time: futureTuesday(i),
          customerName: 'Invitado',
          customerEmail: `preorder${i}@example.com`,
          items: [{ menuItemId, quantity: 2 }],
        },
      });
      const problem = expectProblem(res, 409, 'ITEM_UNAVAILABLE');
      expect(problem.items).toEqual([{ menuItemId }]);
    }
    expect([await count('reservations'), await count('reservation_items'), await count('email_logs')]).toEqual(before);
    // An available dish of a shown category is fine.
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/reservations',
      payload: { restaurantId: DEMO_RESTAURANT_ID, partySize: 2, time: futureTuesday(3), customerName: 'Invitado', customerEmail: 'ok@example.com', items: [{ menuItemId: 'item_flan_casero', quantity: 2 }] },
    });
    expect(ok.statusCode, ok.body).toBe(201);
  });
});
