// The guests' pages in a real browser: Debian's Chromium via playwright-core, at phone size.
// Scan the printed QR code, order, a second phone is let in, the kitchen's changes show live on
// both phones, sold-out dishes, a retry after a dropped answer, the error pages, booking end to
// end with the e-mail's link page, axe-core on every page, a dish named like markup. Screenshots
// go to test-artifacts/ (git-ignored).
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { QRCode } from 'jsqr';
import { PNG } from 'pngjs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createStaffToken } from '../src/core/auth/staff-tokens.js';
import { EmailWorker, fileTransport } from '../src/core/email/outbox.js';
import { loadMigrations } from '../src/core/migrations/runner.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { freePort } from '../src/embedded/postgres.js';
import { build, defaultOrderingSettings } from '../src/http/app.js';
import { chromiumTool, launchChromium, phone, screenshot, seriousViolations } from './helpers/browser.js';
import { futureTuesday } from './helpers/dates.js';
import { useTestDatabase } from './helpers/db.js';
import { describeWith } from './helpers/tools.js';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../src/core/db/database.js';

const SECRET = 'comanda-browser-secret-0123456789abcdef01';
// jsQR is a CommonJS module whose types declare a default export.
const jsQR = createRequire(import.meta.url)('jsqr') as (data: Uint8ClampedArray, width: number, height: number) => QRCode | null;

describeWith([chromiumTool], "the guests' pages in Chromium", () => {
  let db: Database;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let admin: string;
  let kitchen: string;
  const contexts: BrowserContext[] = [];
  const dialogs: string[] = [];
  const cspErrors: string[] = [];

  beforeAll(async () => {
    const test = await useTestDatabase({ poolSize: 20 });
    db = test.db;
    await seedDemo(db);
    // Open today whatever the weekday (the demo closes on Mondays).
    await db.query(
      `INSERT INTO restaurante.opening_exceptions ("restaurantId", date, closed, opens_at, closes_at)
       VALUES ($1, (now() AT TIME ZONE 'Europe/Madrid')::date, false, '00:00', '23:59')`,
      [DEMO_RESTAURANT_ID],
    );
    admin = (await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'admin' })).token;
    kitchen = (await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'kitchen' })).token;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = await build({
      db,
      secret: SECRET,
      publicUrl: base,
      directUrl: test.url, // live updates through LISTEN/NOTIFY
      expectedMigrations: (await loadMigrations()).map((m) => m.version),
      logLevel: 'silent',
      ordering: {
        ...defaultOrderingSettings,
        rateLimits: { qrScansPerMinute: 1000, ordersPerMinute: 1000, ordersPerIpPerMinute: 1000 },
        // Other guests fill a slot from this same address in one test.
        bookings: { ...defaultOrderingSettings.bookings, perIpPerHour: 1000, perEmailPerHour: 1000, maxHoldsPerEmail: 1000, maxHoldsPerIp: 1000 },
      },
    });
    await app.listen({ port, host: '127.0.0.1' });
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await app?.close();
  });

  async function newPhone(locale = 'es-ES'): Promise<Page> {
    const context = await phone(browser, { locale });
    contexts.push(context);
    const page = await context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    return page;
  }

  async function expectAccessible(page: Page, name: string, show?: string): Promise<void> {
    if (show) await page.locator(show).first().scrollIntoViewIfNeeded();
    await screenshot(page, name);
    expect(await seriousViolations(page), name).toEqual([]);
  }

  const api = async (method: string, url: string, token: string, body?: unknown) => {
    const res = await fetch(base + url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> };
  };

  /** The URL in table 1's printed QR code, read back from the PNG the staff print. */
  async function scannedUrl(tableId: string): Promise<string> {
    const res = await fetch(`${base}/api/tables/${tableId}/qr.png`, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.headers.get('content-type')).toBe('image/png');
    const png = PNG.sync.read(Buffer.from(await res.arrayBuffer()));
    const decoded = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
    expect(decoded?.data).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/t\//);
    return decoded!.data;
  }

  let url1: string;
  let phoneA: Page;
  let phoneB: Page;

  it('scanning the printed QR code opens the menu; ordering shows the confirmation only once accepted', async () => {
    url1 = await scannedUrl('table_01');
    phoneA = await newPhone();
    await phoneA.goto(url1);
    await expect.poll(() => phoneA.locator('#live').textContent(), { timeout: 5_000 }).toBe('En directo');
    await expect(phoneA.getByRole('heading', { name: 'Entrantes' }).isVisible()).resolves.toBe(true);
    await expectAccessible(phoneA, '01-menu');

    await phoneA.getByRole('button', { name: 'Añadir Croquetas de jamón (6 uds.) al pedido' }).click();
    await phoneA.getByRole('button', { name: 'Añadir Croquetas de jamón (6 uds.) al pedido' }).click();
    await phoneA.getByRole('button', { name: 'Añadir Gilda al pedido' }).click();
    await phoneA.locator('#open-cart').click();
    await phoneA.getByLabel('Nota para Gilda').fill('sin guindilla');
    // The cart (with its note) survives a reload.
    await phoneA.reload();
    await phoneA.locator('#open-cart').click();
    await expect(phoneA.getByLabel('Nota para Gilda').inputValue()).resolves.toBe('sin guindilla');
    await expectAccessible(phoneA, '02-cart');
    await phoneA.getByRole('button', { name: 'Enviar pedido' }).click();
    await phoneA.locator('#cart-message strong').waitFor();
    expect(await phoneA.locator('#cart-message').textContent()).toMatch(/Pedido .+ recibido.*2 × Croquetas.*Gilda/s);
    await screenshot(phoneA, '03-order-sent');
    await phoneA.locator('#close-cart').click();
    await phoneA.locator('article.order').first().waitFor();
    expect(await phoneA.locator('article.order h3').first().textContent()).toContain('Teléfono 1 (tú)');
    await phoneA.getByRole('link', { name: 'Tu mesa' }).click();
    await expectAccessible(phoneA, '03b-table-orders');
    const notes = await db.query<{ notes: string }>(`SELECT oi.notes FROM restaurante.order_items oi WHERE oi."menuItemId" = 'item_gilda'`);
    expect(notes.rows.map((r) => r.notes)).toEqual(['sin guindilla']);
  });

  it('a second phone waits until the first lets it in, then sees the table’s order', async () => {
    phoneB = await newPhone('en-GB');
    await phoneB.goto(url1);
    await phoneB.getByRole('heading', { name: 'Waiting to be let in' }).waitFor();
    expect(await phoneB.locator('article.order').count()).toBe(0);
    await expectAccessible(phoneB, '04-second-phone-waiting');
    const letIn = phoneA.getByRole('button', { name: 'Dejar entrar al teléfono 2' });
    await letIn.waitFor({ timeout: 5_000 });
    await expectAccessible(phoneA, '05-let-in-prompt');
    await letIn.click();
    await phoneB.locator('article.order').first().waitFor({ timeout: 5_000 });
    expect(await phoneB.locator('article.order h3').first().textContent()).toContain('Phone 1');
    expect(await phoneB.content()).not.toContain('@');
    await expectAccessible(phoneB, '06-second-phone-in', '#orders');
  });

  it('the kitchen marks a line ready and both phones show it within 2 s, without reloading', async () => {
    const { rows } = await db.query<{ orderId: string; itemId: string }>(
      `SELECT o.id AS "orderId", oi.id AS "itemId" FROM restaurante.orders o JOIN restaurante.order_items oi ON oi."orderId" = o.id
        WHERE o."tableId" = 'table_01' AND oi."menuItemId" = 'item_croquetas_jamon'`,
    );
    const { orderId, itemId } = rows[0]!;
    for (const status of ['CONFIRMED', 'IN_PROGRESS']) {
      expect((await api('PATCH', `/api/orders/${orderId}/items/${itemId}/status`, kitchen, { status })).status).toBe(200);
    }
    const started = Date.now();
    expect((await api('PATCH', `/api/orders/${orderId}/items/${itemId}/status`, kitchen, { status: 'READY' })).status).toBe(200);
    const line = (p: Page) => p.locator(`[data-line="${itemId}"] .status`);
    await Promise.all([
      expect.poll(() => line(phoneA).textContent(), { timeout: 2_000, interval: 50 }).toBe('Listo'),
      expect.poll(() => line(phoneB).textContent(), { timeout: 2_000, interval: 50 }).toBe('Ready'),
    ]);
    expect(Date.now() - started).toBeLessThan(2_000);
    // …and screen readers hear it (the live region is refilled a moment after it is cleared).
    await expect.poll(() => phoneA.locator('#announce').textContent(), { timeout: 2_000 }).toContain('Listo');
    await phoneB.locator(`[data-line="${itemId}"]`).scrollIntoViewIfNeeded();
    await screenshot(phoneB, '07-line-ready');
  });

  it('a sold-out dish cannot be added, and a dish selling out shows at once', async () => {
    await db.query(`UPDATE restaurante.menu_items SET stock = 0 WHERE id = 'item_flan_casero'`);
    const add = phoneA.getByRole('button', { name: 'Añadir Flan casero al pedido' });
    await expect.poll(() => add.isDisabled(), { timeout: 5_000 }).toBe(true);
    await add.click({ force: true }).catch(() => undefined);
    expect(await phoneA.locator('#cartbar').isHidden()).toBe(true);
    expect(await phoneA.locator('#d-item_flan_casero .badge').textContent()).toBe('Agotado');
    // The seed's unavailable dish is shown as such, and cannot be added either.
    expect(await phoneA.locator('#d-item_torrija .badge').textContent()).toBe('No disponible');
    expect(await phoneA.locator('#d-item_torrija button.add').isDisabled()).toBe(true);
    await phoneA.locator('#d-item_flan_casero').scrollIntoViewIfNeeded();
    await screenshot(phoneA, '08-sold-out');
  });

  it('out of stock at send time: says how many are left and keeps the rest of the cart', async () => {
    await phoneA.getByRole('button', { name: 'Añadir Tarta de queso de la casa al pedido' }).click();
    await phoneA.getByRole('button', { name: 'Añadir Tarta de queso de la casa al pedido' }).click();
    await phoneA.getByRole('button', { name: 'Añadir Café solo al pedido' }).click();
    await db.query(`UPDATE restaurante.menu_items SET stock = 1 WHERE id = 'item_tarta_queso'`);
    await phoneA.locator('#open-cart').click();
    await phoneA.getByRole('button', { name: 'Enviar pedido' }).click();
    await expect.poll(() => phoneA.locator('#cart-message').textContent()).toContain('Tarta de queso de la casa: solo quedan 1.');
    const lines = await phoneA.locator('#cart-lines .line-name').allTextContents();
    expect(lines).toEqual(['Tarta de queso de la casa', 'Café solo']);
    await screenshot(phoneA, '09-out-of-stock');
    await phoneA.getByRole('button', { name: 'Enviar pedido' }).click();
    await phoneA.locator('#cart-message strong').waitFor();
    await phoneA.locator('#close-cart').click();
  });

  it('a retry after a dropped answer does not order twice', async () => {
    const count = async () => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM restaurante.orders WHERE "tableId" = 'table_01'`)).rows[0]!.n);
    const before = await count();
    await phoneA.getByRole('button', { name: 'Añadir Café con leche al pedido' }).click();
    // The server gets the order; its answer is lost on the way back.
    let dropped = 0;
    await phoneA.route('**/api/orders', async (route) => {
      await route.fetch();
      dropped++;
      await route.abort('connectionreset');
    });
    await phoneA.locator('#open-cart').click();
    await phoneA.getByRole('button', { name: 'Enviar pedido' }).click();
    await expect.poll(() => phoneA.locator('#cart-message').textContent()).toContain('No sabemos si el pedido llegó');
    expect(dropped).toBe(1);
    expect(await count()).toBe(before + 1);
    await screenshot(phoneA, '10-unsure');
    // The cart is locked with its key until an answer; a reload keeps both.
    await phoneA.unroute('**/api/orders');
    await phoneA.reload();
    await phoneA.locator('#open-cart').click();
    await phoneA.getByRole('button', { name: 'Reintentar el envío' }).click();
    await phoneA.locator('#cart-message strong').waitFor();
    expect(await count()).toBe(before + 1);
    await phoneA.locator('#close-cart').click();
  });

  it('call a waiter: the table sees it received, the staff list it', async () => {
    await phoneB.getByRole('button', { name: 'Call a waiter' }).click();
    await expect.poll(() => phoneB.locator('#help-status').textContent()).toBe('The waiter has been called.');
    const open = await api('GET', '/api/table-requests', admin);
    expect(open.body.requests).toEqual([expect.objectContaining({ tableNumber: 1, kind: 'waiter', phone: 2 })]);
    await expect.poll(() => phoneA.locator('#help-status').textContent(), { timeout: 3_000 }).toBe('Hemos avisado al camarero.');
  });

  it('a dish named like markup renders as text, in the menu and the cart', async () => {
    await db.query(`UPDATE restaurante.menu_items SET name = '<img src=x onerror=alert(1)>' WHERE id = 'item_refresco'`);
    await new Promise((r) => setTimeout(r, 1_100));
    const page = await newPhone();
    await page.goto((await scannedUrl('table_02')));
    const add = page.getByRole('button', { name: 'Añadir <img src=x onerror=alert(1)> al pedido' });
    await add.click();
    await page.locator('#open-cart').click();
    expect(await page.locator('#cart-lines .line-name').first().textContent()).toBe('<img src=x onerror=alert(1)>');
    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await screenshot(page, '11-markup-dish');
    await db.query(`UPDATE restaurante.menu_items SET name = 'Refresco' WHERE id = 'item_refresco'`);
  });

  it('invalid, rotated and closed pages are clear pages', async () => {
    const page = await newPhone('en-GB');
    await page.goto(`${base}/t/table_03.AAAAAAAAAAAAAAAAAAAAAA`);
    await page.getByRole('heading', { name: 'This QR code is not valid' }).waitFor();
    await expectAccessible(page, '12-invalid-code');

    const old = await scannedUrl('table_04');
    expect((await api('POST', '/api/tables/table_04/qr/rotate', admin)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_100));
    await page.goto(old);
    await page.getByRole('heading', { name: 'This QR code is no longer in use' }).waitFor();
    await expectAccessible(page, '13-rotated-code');

    // A session the staff closed: the phone says so and offers a new one.
    expect((await api('POST', '/api/tables/table_02/close', admin)).status).toBe(200);
    const closedPhone = contexts.at(-2)!.pages()[0]!; // the phone at table 2
    await closedPhone.locator('#closed').waitFor({ timeout: 5_000 });
    await expectAccessible(closedPhone, '14-session-closed');

    await db.query(`UPDATE restaurante.opening_exceptions SET closed = true, opens_at = NULL, closes_at = NULL WHERE "restaurantId" = $1`, [DEMO_RESTAURANT_ID]);
    await new Promise((r) => setTimeout(r, 1_100));
    await page.goto(await scannedUrl('table_05'));
    await page.getByRole('heading', { name: 'Enigma is closed today' }).waitFor();
    await expectAccessible(page, '15-restaurant-closed');
    await db.query(`UPDATE restaurante.opening_exceptions SET closed = false, opens_at = '00:00', closes_at = '23:59' WHERE "restaurantId" = $1`, [DEMO_RESTAURANT_ID]);
  });

  it('booking end to end, then the e-mail link page confirms with a POST button', async () => {
    const page = await newPhone('en-GB');
    await page.goto(`${base}/r/${DEMO_RESTAURANT_ID}`);
    const day = futureTuesday(0).slice(0, 10);
    await page.locator('#date').fill(day);
    await page.locator('#date').dispatchEvent('change');
    await page.getByRole('radio', { name: '21:00' }).waitFor();
    await expectAccessible(page, '16-booking');
    await page.getByRole('radio', { name: '21:00' }).check({ force: true });
    await page.getByLabel('Name').fill('Lucía <b>Pérez</b>');
    await page.getByLabel('E-mail').fill('lucia@example.com');
    await page.getByLabel('Special requests (optional)').fill('A high chair, please');
    await page.getByLabel('I agree that the restaurant keeps my data to handle the booking.').check();
    await page.getByRole('button', { name: 'Book' }).click();
    await page.getByText('Booked! We sent an e-mail to lucia@example.com').waitFor();
    await screenshot(page, '17-booked');

    // The e-mail, as the worker writes it, links to the booking's page.
    const outbox = await mkdtemp(path.join(tmpdir(), 'comanda-outbox-'));
    const worker = new EmailWorker(db, fileTransport(outbox), { secret: SECRET, publicUrl: base, from: 'Comanda <no-reply@localhost>' });
    await worker.runOnce();
    const files = await readdir(outbox);
    const eml = (await readFile(path.join(outbox, files.find((f) => f.endsWith('.eml'))!), 'utf8')).replace(/=\r?\n/g, '').replace(/=3D/g, '=');
    const link = /(http:\/\/127\.0\.0\.1:\d+\/reservations\/[A-Za-z0-9_.%-]+)/.exec(eml)![1]!;
    const { rows } = await db.query<{ status: string }>(`SELECT status FROM restaurante.reservations WHERE "customerEmail" = 'lucia@example.com'`);
    expect(rows.map((r) => r.status)).toEqual(['PENDING']);

    await page.goto(link); // opening it (as a mail scanner would) changes nothing
    expect((await db.query<{ status: string }>(`SELECT status FROM restaurante.reservations WHERE "customerEmail" = 'lucia@example.com'`)).rows[0]!.status).toBe('PENDING');
    await page.getByText('Lucía <b>Pérez</b>').waitFor();
    await expectAccessible(page, '18-reservation-link');
    await page.getByRole('button', { name: 'Confirm the booking' }).click();
    await page.getByText('Booking confirmed. See you soon!').waitFor();
    expect((await db.query<{ status: string }>(`SELECT status FROM restaurante.reservations WHERE "customerEmail" = 'lucia@example.com'`)).rows[0]!.status).toBe('CONFIRMED');
    await expectAccessible(page, '19-reservation-confirmed');
    // The link was used: the page says so and offers no more buttons.
    await page.goto(link);
    await page.getByText('You already confirmed or cancelled with this link.').waitFor();
    expect(await page.getByRole('button', { name: 'Cancel the booking' }).count()).toBe(0);
    await expectAccessible(page, '20-reservation-link-used');
  });

  it('booking a time taken meanwhile shows the alternatives the API offers', async () => {
    const page = await newPhone('en-GB');
    await page.goto(`${base}/r/${DEMO_RESTAURANT_ID}`);
    const when = futureTuesday(1);
    await page.locator('#date').fill(when.slice(0, 10));
    await page.locator('#date').dispatchEvent('change');
    // The chosen day's 20:00 (the times of the day shown first may offer a 20:00 too, and be
    // replaced by the chosen day's under the test's hands).
    const eight = page.locator(`#times input[name=time][value^="${when.slice(0, 10)}T20:00"]`);
    await eight.waitFor();
    await eight.check({ force: true });
    // The times loaded again (the day or the party changed) keep a time already chosen.
    await page.locator('#party').dispatchEvent('change');
    await expect.poll(() => page.locator('#times-status').textContent()).not.toBe('Looking for free times…');
    expect(await page.getByRole('radio', { name: '20:00' }).isChecked()).toBe(true);
    // Meanwhile others book every table at 20:00.
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${base}/api/reservations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ restaurantId: DEMO_RESTAURANT_ID, partySize: 2, time: when, customerName: `Guest ${i}`, customerEmail: `guest${i}@example.com` }),
      });
      if (res.status === 409) break;
      expect(res.status).toBe(201);
    }
    await page.getByLabel('Name').fill('Tom');
    await page.getByLabel('E-mail').fill('tom@example.com');
    await page.getByLabel('I agree that the restaurant keeps my data to handle the booking.').check();
    await page.getByRole('button', { name: 'Book' }).click();
    await page.locator('#book-message').getByText('That time was just taken. Free times nearby:').waitFor();
    const offered = (await page.locator('#times label.time').allTextContents()).map((text) => text.trim());
    expect(offered.length).toBeGreaterThan(0);
    expect(offered).not.toContain('20:00');
    await expectAccessible(page, '21-booking-alternatives');
  }, 90_000); // up to 40 bookings one after the other, then the browser: slow on a loaded machine

  it('the strict CSP held on every page (no violation reported)', () => {
    expect(cspErrors).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});
