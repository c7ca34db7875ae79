// /floor and /floor/qr in Chromium: a table goes seated → ordering → asked for the bill live as a
// guest's phone acts through the API; a waiting phone is let in, a request resolved (who did it
// shows), a table closed after confirming; the waiter gets no QR buttons, the admin rotates a
// code and prints the sheet, whose every image decodes to its table's address. axe-core clean,
// screenshots at 1024×768 and phone size.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { QRCode } from 'jsqr';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { qrCodeOf, tableOf } from '../src/core/ordering/table-sessions.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { ARTIFACTS, chromiumTool, screenshot } from './helpers/browser.js';
import { expectAccessible, STAFF_SECRET, useStaffBrowserApp, type StaffBrowserApp } from './helpers/staff-browser.js';
import { describeWith } from './helpers/tools.js';

const jsQR = createRequire(import.meta.url)('jsqr') as (data: Uint8ClampedArray, width: number, height: number) => QRCode | null;
const PHONE = { width: 390, height: 844 };
// Run in the page: an <img> as the browser drew it, on a 400×400 canvas, as a PNG data URL.
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const RASTERISE = new Function('img', `const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 400;
  const g = canvas.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, 400, 400);
  g.drawImage(img, 0, 0, 400, 400);
  return canvas.toDataURL('image/png');`) as (img: unknown) => string;

describeWith([chromiumTool], '/floor in Chromium', () => {
  let sb: StaffBrowserApp;
  let waiter: Page;

  beforeAll(async () => {
    sb = await useStaffBrowserApp();
    waiter = (await sb.signedIn(sb.logins.waiter)).page;
  }, 120_000);

  const card = (page: Page, tableId: string) => page.locator(`.table-card[data-table="${tableId}"]`);
  const scan = async (tableId: string) => {
    const code = qrCodeOf(STAFF_SECRET, await tableOf(sb.db, DEMO_RESTAURANT_ID, tableId));
    const res = await fetch(`${sb.base}/api/qr/scan`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
    expect(res.status).toBe(201);
    return (await res.json()) as { sessionToken: string; pending: boolean };
  };

  it('shows every table; a party goes seated → ordering → asked for the bill, live', async () => {
    expect(new URL(waiter.url()).pathname).toBe('/floor');
    await expect.poll(() => waiter.locator('.table-card').count()).toBe(12);
    await expect.poll(() => card(waiter, 'table_02').getAttribute('data-state')).toBe('free');
    await waiter.locator('#live:not(.off)').waitFor();

    const guest = await scan('table_02');
    await expect.poll(() => card(waiter, 'table_02').getAttribute('data-state'), { timeout: 5_000 }).toBe('seated');
    const order = await sb.api('POST', '/api/orders', guest.sessionToken, { items: [{ menuItemId: 'item_jamon_iberico', quantity: 1 }] });
    expect(order.status).toBe(201);
    await expect.poll(() => card(waiter, 'table_02').getAttribute('data-state'), { timeout: 5_000 }).toBe('ordering');
    await expect(card(waiter, 'table_02').textContent()).resolves.toMatch(/Pedidos: 1 · 24,00\s€/);
    expect((await sb.api('POST', '/api/table-requests', guest.sessionToken, { kind: 'bill' })).status).toBe(201);
    await expect.poll(() => card(waiter, 'table_02').getAttribute('data-state'), { timeout: 5_000 }).toBe('bill');
    await expect.poll(() => waiter.locator('#requests').textContent()).toMatch(/Mesa 2 · Pide la cuenta/);

    // Two more parties, for the screenshot: one waiting for food (a dish ready), one calling a waiter.
    const table3 = await scan('table_03');
    const order3 = await sb.api('POST', '/api/orders', table3.sessionToken, {
      items: [{ menuItemId: 'item_croquetas_jamon', quantity: 2 }, { menuItemId: 'item_patatas_bravas', quantity: 1 }],
    });
    const o = order3.body.order as { id: string; items: Array<{ id: string }> };
    for (const status of ['CONFIRMED', 'IN_PROGRESS']) expect((await sb.api('PATCH', `/api/orders/${o.id}/status`, sb.tokens.kitchen, { status })).status).toBe(200);
    expect((await sb.api('PATCH', `/api/orders/${o.id}/items/${o.items[0]!.id}/status`, sb.tokens.kitchen, { status: 'READY' })).status).toBe(200);
    const table5 = await scan('table_05');
    expect((await sb.api('POST', '/api/table-requests', table5.sessionToken, { kind: 'waiter' })).status).toBe(201);
    await expect.poll(() => card(waiter, 'table_03').getAttribute('data-state'), { timeout: 5_000 }).toBe('waiting');
    await expect.poll(() => card(waiter, 'table_03').textContent()).toMatch(/2 listos para servir/);
    await expect.poll(() => card(waiter, 'table_05').textContent(), { timeout: 5_000 }).toMatch(/Llama al camarero/);
    expect(await card(waiter, 'table_05').getAttribute('data-state')).toBe('seated');
    await expectAccessible(waiter, 'staff-floor-1024');
  });

  it('lets a waiting phone in from the table card', async () => {
    const second = await scan('table_02');
    expect(second.pending).toBe(true);
    const allow = waiter.getByRole('button', { name: 'Dejar entrar al teléfono 2 en la mesa 2' });
    await allow.waitFor({ timeout: 5_000 });
    await allow.click();
    await expect.poll(() => card(waiter, 'table_02').locator('.phone').nth(1).textContent()).toMatch(/Teléfono 2: dentro por Test waiter/);
    // Its token now works: the phone can order.
    expect((await sb.api('POST', '/api/table-requests', second.sessionToken, { kind: 'waiter' })).status).toBe(201);
  });

  it('resolves a request: it leaves the list and shows who handled it', async () => {
    const resolve = waiter.getByRole('button', { name: 'Marcar como atendido: mesa 5, Llama al camarero' });
    await resolve.waitFor({ timeout: 5_000 });
    await resolve.click();
    await expect.poll(() => waiter.locator('#handled').textContent()).toMatch(/Mesa 5 · Llama al camarero por Test waiter/);
    await expect.poll(() => waiter.locator('#requests').textContent()).not.toMatch(/Mesa 5 · Llama al camarero/);
    await expect.poll(() => waiter.locator('#status').textContent()).toMatch(/atendido/);
  });

  it('closes a table after confirming; its phones stop working', async () => {
    const guest = (await sb.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM restaurante.table_sessions WHERE "tableId" = 'table_02' AND "closedAt" IS NULL`)).rows[0]!.n;
    expect(guest).toBe(1);
    const phone = await scan('table_06');
    await expect.poll(() => card(waiter, 'table_06').getAttribute('data-state'), { timeout: 5_000 }).toBe('seated');
    await waiter.getByRole('button', { name: 'Cerrar mesa 6' }).click();
    // Nothing happens until confirmed; "no" keeps it open.
    await waiter.getByRole('button', { name: 'No, dejarlo' }).click();
    await waiter.getByRole('button', { name: 'Cerrar mesa 6' }).click();
    await expect(card(waiter, 'table_06').locator('.confirm').textContent()).resolves.toMatch(/¿Cerrar la mesa 6\?/);
    expect(await card(waiter, 'table_06').getAttribute('data-state')).toBe('seated');
    await waiter.getByRole('button', { name: 'Sí, cerrar la mesa 6' }).click();
    await expect.poll(() => card(waiter, 'table_06').getAttribute('data-state'), { timeout: 5_000 }).toBe('free');
    expect((await sb.api('POST', '/api/table-requests', phone.sessionToken, { kind: 'waiter' })).status).toBe(401);
  });

  it('offers a waiter neither the QR sheet nor a new code; the sheet and the API refuse a waiter', async () => {
    expect(await waiter.getByRole('button', { name: /código QR/ }).count()).toBe(0);
    expect(await waiter.getByRole('link', { name: /códigos QR/ }).count()).toBe(0);
    const sheet = await waiter.goto(`${sb.base}/floor/qr`);
    expect(sheet?.status()).toBe(403);
    const api = await waiter.evaluate(async () => (await fetch('/api/tables/table_01/qr.svg')).status);
    expect(api).toBe(403);
    await waiter.goto(`${sb.base}/floor`);
  });

  it('at phone size: requests first, then the tables', async () => {
    const { page } = await sb.signedIn(sb.logins.waiter, { viewport: PHONE });
    await expect.poll(() => page.locator('.table-card').count()).toBe(12);
    const requests = await page.locator('.requests-panel').boundingBox();
    const tables = await page.locator('.tables-panel').boundingBox();
    expect(requests!.y).toBeLessThan(tables!.y);
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(PHONE.width);
    await expectAccessible(page, 'staff-floor-phone');
  });

  it('an admin gives a table a new code and prints the sheet: every image decodes to its table', async () => {
    const { page } = await sb.signedIn(sb.logins.admin);
    await expect.poll(() => page.locator('.table-card').count()).toBe(12);
    const before = qrCodeOf(STAFF_SECRET, await tableOf(sb.db, DEMO_RESTAURANT_ID, 'table_07'));
    await page.getByRole('button', { name: 'Cambiar código QR de la mesa 7' }).click();
    await page.getByRole('button', { name: 'Sí, cambiar el código de la mesa 7' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/La mesa 7 tiene un código QR nuevo/);
    const after = qrCodeOf(STAFF_SECRET, await tableOf(sb.db, DEMO_RESTAURANT_ID, 'table_07'));
    expect(after).not.toBe(before);

    await page.getByRole('link', { name: 'Imprimir los códigos QR' }).click();
    await page.waitForURL(`${sb.base}/floor/qr`);
    const cards = page.locator('.qr-card');
    expect(await cards.count()).toBe(12);
    await page.waitForFunction("[...document.querySelectorAll('img')].every((i) => i.complete && i.naturalWidth > 0)");
    await expectAccessible(page, 'staff-floor-qr');
    const tables = (await sb.db.query<{ id: string; number: number }>(`SELECT id, number FROM restaurante.tables WHERE "restaurantId" = $1 ORDER BY number`, [DEMO_RESTAURANT_ID])).rows;
    for (const [i, table] of tables.entries()) {
      const item = cards.nth(i);
      expect(await item.locator('h2').textContent()).toBe(`Mesa ${table.number}`);
      expect(await item.locator('img').getAttribute('alt')).toBe(`Código QR de la mesa ${table.number}`);
      // The image as the browser drew it, rasterised on a canvas and read back.
      const dataUrl = await item.locator('img').evaluate(RASTERISE);
      const png = PNG.sync.read(Buffer.from(dataUrl.split(',')[1]!, 'base64'));
      const decoded = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
      const code = qrCodeOf(STAFF_SECRET, await tableOf(sb.db, DEMO_RESTAURANT_ID, table.id));
      expect(decoded?.data, table.id).toBe(`${sb.base}/t/${encodeURIComponent(code)}`);
    }
    // Print-ready: on paper the page header and buttons go, the codes stay (3 per row).
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('header.top').isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Imprimir' }).isVisible()).toBe(false);
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? [];
    expect(pages).toHaveLength(1);
    await screenshot(page, 'staff-floor-qr-print');
    await page.emulateMedia({ media: 'screen' });
    expect(readFileSync(new URL('staff-floor-qr.png', ARTIFACTS)).length).toBeGreaterThan(0);
    expect(sb.cspErrors).toEqual([]);
  });
});
