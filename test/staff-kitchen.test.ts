// The kitchen display in Chromium: a kitchen tablet is paired with a code and lands on /kitchen;
// a guest's order (placed through the API) appears within 2 s; a bump there shows on the
// guest's phone page; undo by the toast and by the U key; the kitchen session cannot change the
// menu; stations, amber/red tickets and the recall list; axe-core and screenshots at 1024×768 and
// 1920×1080 (test-artifacts/kitchen-*.png).
import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import type { Order } from '../src/core/ordering/orders.js';
import { qrCodeOf, qrUrlOf, tableOf } from '../src/core/ordering/table-sessions.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { chromiumTool, phone, screenshot } from './helpers/browser.js';
import { expectAccessible, STAFF_SECRET, useStaffBrowserApp, type StaffBrowserApp } from './helpers/staff-browser.js';
import { describeWith } from './helpers/tools.js';

describeWith([chromiumTool], 'the kitchen display in Chromium', () => {
  let x: StaffBrowserApp;
  let kitchen: Page;
  let guestPhone: Page;
  let order: Order;

  beforeAll(async () => {
    x = await useStaffBrowserApp();
  }, 120_000);

  /** A guest at `tableId` orders through the API (the table's phone page, if open, lets them in via the staff). */
  async function guestOrders(tableId: string, items: Array<{ menuItemId: string; quantity: number; notes?: string }>): Promise<Order> {
    const code = qrCodeOf(STAFF_SECRET, await tableOf(x.db, DEMO_RESTAURANT_ID, tableId));
    const scan = await fetch(`${x.base}/api/qr/scan`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
    expect(scan.status).toBe(201);
    const { sessionToken, pending } = (await scan.json()) as { sessionToken: string; pending: boolean };
    if (pending) {
      const me = await x.api('GET', '/api/table-session', sessionToken);
      const phoneId = (me.body as unknown as { me: { id: string } }).me.id;
      expect((await x.api('POST', `/api/table-session/phones/${phoneId}/approve`, x.tokens.waiter)).status).toBe(200);
    }
    const placed = await x.api('POST', '/api/orders', sessionToken, { items });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    return (placed.body as unknown as { order: Order }).order;
  }

  const ticket = (page: Page, orderId: string) => page.locator(`article.ticket[data-order="${orderId}"]`);
  const phoneLine = (itemId: string) => guestPhone.locator(`[data-line="${itemId}"] .status`);
  const orderStatus = async (orderId: string) => (await x.db.query<{ status: string }>('SELECT status FROM restaurante.order_items WHERE "orderId" = $1 ORDER BY id', [orderId])).rows.map((r) => r.status);

  it('pairs a kitchen tablet with a one-time code: it lands on /kitchen, live', async () => {
    const issued = await x.api('POST', '/api/staff/devices', x.tokens.admin, { role: 'kitchen', label: 'Pase' });
    expect(issued.status).toBe(201);
    const code = (issued.body as unknown as { code: string }).code;
    const context: BrowserContext = await x.context();
    kitchen = await context.newPage();
    await kitchen.goto(`${x.base}/staff/pair`);
    await kitchen.getByLabel('Código de vinculación').fill(code);
    await Promise.all([kitchen.waitForURL(`${x.base}/kitchen`, { timeout: 20_000 }), kitchen.getByRole('button', { name: 'Vincular' }).click()]);
    await kitchen.locator('html[data-loaded]').waitFor({ state: 'attached' });
    await expect.poll(() => kitchen.locator('#live').textContent(), { timeout: 5_000 }).toBe('En directo');
    // The kitchen's navigation offers the kitchen only.
    expect(await kitchen.locator('.staff-nav a').allTextContents()).toEqual(['Cocina']);
  });

  it("a guest's order appears within 2 s with its notes and allergens; a bump there shows on the guest's phone", async () => {
    const phoneContext = await phone(x.browser);
    guestPhone = await phoneContext.newPage();
    await guestPhone.goto(qrUrlOf(x.base, STAFF_SECRET, await tableOf(x.db, DEMO_RESTAURANT_ID, 'table_02')));
    await expect.poll(() => guestPhone.locator('#live').textContent(), { timeout: 5_000 }).toBe('En directo');

    const started = Date.now();
    order = await guestOrders('table_02', [
      { menuItemId: 'item_croquetas_jamon', quantity: 2, notes: 'sin sal' },
      { menuItemId: 'item_gambas_ajillo', quantity: 1 },
    ]);
    await ticket(kitchen, order.id).waitFor({ timeout: 2_000 });
    expect(Date.now() - started).toBeLessThan(2_000);
    const card = ticket(kitchen, order.id);
    expect(await card.locator('.t-table').textContent()).toBe('Mesa 2');
    expect(await card.locator('.l-notes').first().textContent()).toBe('sin sal');
    expect(await card.locator('.l-allergens').first().textContent()).toMatch(/^Alérgenos: .*Gluten/);
    expect(await kitchen.locator('#col-PENDING').locator(`[data-order="${order.id}"]`).count()).toBe(1);
    await expect.poll(() => phoneLine(order.items[0]!.id).textContent(), { timeout: 5_000 }).toBe('Pendiente');

    // One tap bumps the ticket; the phone shows it within 2 s.
    const tapped = Date.now();
    await card.locator('.t-bump').click();
    await expect.poll(() => phoneLine(order.items[0]!.id).textContent(), { timeout: 2_000, interval: 50 }).toBe('Confirmado');
    expect(Date.now() - tapped).toBeLessThan(2_000);
    await expect.poll(() => kitchen.locator('#col-CONFIRMED').locator(`[data-order="${order.id}"]`).count(), { timeout: 2_000 }).toBe(1);
    expect(await kitchen.locator('#toast').isVisible()).toBe(true);
    await expectAccessible(kitchen, 'kitchen-01-bumped-1024');

    // Undo from the toast: back to Pendiente, on the display and on the phone.
    await kitchen.locator('#undo').click();
    await expect.poll(() => phoneLine(order.items[0]!.id).textContent(), { timeout: 2_000, interval: 50 }).toBe('Pendiente');
    expect(await orderStatus(order.id)).toEqual(['PENDING', 'PENDING']);
    await expect.poll(() => kitchen.locator('#col-PENDING').locator(`[data-order="${order.id}"]`).count(), { timeout: 2_000 }).toBe(1);
  });

  it('the keyboard: a number chooses a ticket, Enter bumps it, U undoes; a line bumps alone', async () => {
    await kitchen.locator('body').click({ position: { x: 5, y: 300 } });
    const orders = await Promise.all((await kitchen.locator('article.ticket').all()).map((card) => card.getAttribute('data-order')));
    const index = orders.indexOf(order.id) + 1;
    await kitchen.keyboard.press(String(index));
    expect(await ticket(kitchen, order.id).getAttribute('aria-current')).toBe('true');
    await kitchen.keyboard.press('Enter');
    await expect.poll(() => orderStatus(order.id), { timeout: 2_000 }).toEqual(['CONFIRMED', 'CONFIRMED']);
    // The bump is committed before its answer reaches the page: U undoes once the page offers it.
    await kitchen.locator('#undo').waitFor({ state: 'visible' });
    await kitchen.keyboard.press('u');
    await expect.poll(() => orderStatus(order.id), { timeout: 2_000 }).toEqual(['PENDING', 'PENDING']);
    // The shortcuts are on the page.
    await kitchen.getByText('Atajos de teclado').click();
    expect(await kitchen.locator('.k-keys li').allTextContents()).toContain('U: deshacer el último paso (10 s)');
    await kitchen.getByText('Atajos de teclado').click();
    // A line alone: the croquetas go on, the gambas stay.
    await ticket(kitchen, order.id).getByRole('button', { name: /Croquetas.*pasar a Confirmada/ }).click();
    await expect.poll(() => phoneLine(order.items[0]!.id).textContent(), { timeout: 2_000 }).toBe('Confirmado');
    expect(await phoneLine(order.items[1]!.id).textContent()).toBe('Pendiente');
  });

  it('a kitchen session cannot change the menu (403), even with its CSRF token', async () => {
    const status = await kitchen.evaluate(async () => {
      const session = (await (await fetch('/api/staff/session')).json()) as { csrfToken: string };
      const res = await fetch('/api/admin/categories', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: JSON.stringify({ name: 'Hackeos' }),
      });
      return res.status;
    });
    expect(status).toBe(403);
    const stations = await kitchen.evaluate(async () => {
      const session = (await (await fetch('/api/staff/session')).json()) as { csrfToken: string };
      return (await fetch('/api/kitchen/stations', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken }, body: JSON.stringify({ name: 'X' }) })).status;
    });
    expect(stations).toBe(403);
  });

  it('stations, amber and red tickets, the recall list; axe-clean at 1024×768 and 1920×1080', async () => {
    // A pastry station for the desserts; some tickets, older ones turned amber and red.
    const station = await x.api('POST', '/api/kitchen/stations', x.tokens.admin, { name: 'Postres' });
    const stationId = (station.body as unknown as { id: string }).id;
    expect((await x.api('PUT', '/api/kitchen/categories/cat_postres/station', x.tokens.admin, { stationId })).status).toBe(200);
    const more = [
      await guestOrders('table_03', [{ menuItemId: 'item_paella_marisco', quantity: 2, notes: 'una sin marisco de concha' }, { menuItemId: 'item_tarta_queso', quantity: 2 }]),
      await guestOrders('table_04', [{ menuItemId: 'item_pulpo_gallega', quantity: 1 }, { menuItemId: 'item_pimientos_padron', quantity: 1 }]),
      await guestOrders('table_05', [{ menuItemId: 'item_chuleton_buey', quantity: 1, notes: 'poco hecho' }, { menuItemId: 'item_crema_catalana', quantity: 1 }]),
      await guestOrders('table_06', [{ menuItemId: 'item_salmorejo', quantity: 3 }]),
      await guestOrders('table_07', [{ menuItemId: 'item_tortilla_patatas', quantity: 1 }, { menuItemId: 'item_gilda', quantity: 4 }]),
    ];
    await x.db.query(`UPDATE restaurante.orders SET "orderedAt" = now() - interval '25 minutes' WHERE id = $1`, [more[0]!.id]);
    await x.db.query(`UPDATE restaurante.orders SET "orderedAt" = now() - interval '12 minutes' WHERE id = $1`, [more[1]!.id]);
    for (const [o, steps] of [[more[2]!, 2], [more[3]!, 3], [more[4]!, 1]] as const) {
      for (let i = 0; i < steps; i++) expect((await x.api('POST', '/api/kitchen/bump', x.tokens.kitchen, { orderId: o.id })).status).toBe(200);
    }
    const served = await guestOrders('table_08', [{ menuItemId: 'item_cafe_solo', quantity: 2 }]);
    for (let i = 0; i < 4; i++) await x.api('POST', '/api/kitchen/bump', x.tokens.kitchen, { orderId: served.id });

    await kitchen.reload();
    await kitchen.locator('html[data-loaded]').waitFor({ state: 'attached' });
    await expect.poll(() => ticket(kitchen, more[0]!.id).getAttribute('class')).toContain('age-red');
    expect(await ticket(kitchen, more[0]!.id).locator('.t-late').textContent()).toBe('Muy tarde');
    expect(await ticket(kitchen, more[1]!.id).getAttribute('class')).toContain('age-amber');
    expect(await ticket(kitchen, more[3]!.id).getAttribute('class')).toContain('age-ok');
    await expectAccessible(kitchen, 'kitchen-02-board-1024');

    // The pastry station sees its lines only.
    await kitchen.getByLabel('Puesto').selectOption({ label: 'Postres' });
    await expect.poll(() => ticket(kitchen, more[0]!.id).locator('.k-dish').allTextContents()).toEqual(['Tarta de queso de la casa']);
    expect(await ticket(kitchen, more[3]!.id).count()).toBe(0);
    await expectAccessible(kitchen, 'kitchen-03-station-1024');
    await kitchen.getByLabel('Puesto').selectOption({ label: 'Todos los puestos' });
    await expect.poll(() => ticket(kitchen, more[3]!.id).count()).toBe(1);

    // The recall list: the coffee just served.
    await kitchen.keyboard.press('r');
    await expect.poll(() => kitchen.locator('#recall').isVisible()).toBe(true);
    expect(await kitchen.locator('#recall-list li.recall-item').first().textContent()).toContain('Mesa 8');
    await expectAccessible(kitchen, 'kitchen-04-recall-1024');
    await kitchen.keyboard.press('Escape');
    await expect.poll(() => kitchen.locator('#recall').isHidden()).toBe(true);

    // A 1920×1080 screen, in English, signed in with a password.
    const { page: big } = await x.signedIn(x.logins.kitchen, { viewport: { width: 1920, height: 1080 }, locale: 'en-GB' });
    expect(new URL(big.url()).pathname).toBe('/kitchen');
    await big.locator('html[data-loaded]').waitFor({ state: 'attached' });
    await expect.poll(() => big.locator('#live').textContent(), { timeout: 5_000 }).toBe('Live');
    expect(await big.locator('#col-IN_PROGRESS h2').textContent()).toContain('Cooking');
    await expectAccessible(big, 'kitchen-05-board-1920');
    await screenshot(kitchen, 'kitchen-06-end-1024');
    expect(x.cspErrors).toEqual([]);
  });
});
