// The staff pages' security in Chromium, across sections: each role sees only what it may (the
// navigation, direct URLs → the 403 page, and the API refuses too); an account of restaurant A
// sees nothing of restaurant B; the admin page creates accounts (password shown once), issues a
// one-time sign-in link and a device pairing code, disables an account and revokes a device — a
// revoked device is signed out at its next request and its open live stream gets `signed-out`;
// CSRF: a state-changing request without the page's token, or from another origin, is refused
// and changes nothing.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAccount } from '../src/core/auth/staff-accounts.js';
import { csrfTokenOf } from '../src/core/auth/staff-sessions.js';
import { qrCodeOf, tableOf } from '../src/core/ordering/table-sessions.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { chromiumTool } from './helpers/browser.js';
import { expectAccessible, STAFF_PASSWORD, STAFF_SECRET, useStaffBrowserApp, type StaffBrowserApp } from './helpers/staff-browser.js';
import { describeWith } from './helpers/tools.js';

const PHONE = { width: 390, height: 844 };

/** A JSON call from inside a signed-in page (its cookie), with or without the session's CSRF token. */
async function inPage(page: Page, method: string, url: string, options: { csrf?: boolean; body?: unknown } = {}): Promise<{ status: number; body: { code?: string } | null }> {
  return page.evaluate(`(async () => {
    const headers = {};
    if (${options.csrf === true}) headers['x-csrf-token'] = (await (await fetch('/api/staff/session')).json()).csrfToken;
    const body = ${options.body === undefined ? 'undefined' : JSON.stringify(JSON.stringify(options.body))};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(${JSON.stringify(url)}, { method: ${JSON.stringify(method)}, headers, body });
    return { status: res.status, body: await res.json().catch(() => null) };
  })()`);
}

const navLinks = (page: Page) => page.locator('.staff-nav a').allTextContents();

describeWith([chromiumTool], 'staff security in Chromium', () => {
  let sb: StaffBrowserApp;
  let other: Server;
  let otherBase: string;

  beforeAll(async () => {
    sb = await useStaffBrowserApp({ staffEventsRecheckMs: 1_000 });
    // Restaurant B, with one table and an admin account.
    await sb.db.query(
      `INSERT INTO restaurante.restaurants (id, name, timezone, currency, "defaultLanguage", slot_interval_minutes, buffer_minutes)
       VALUES ('rest_b_security', 'Restaurante B', 'Europe/Madrid', 'EUR', 'es', 15, 15)`,
    );
    await sb.db.query(`INSERT INTO restaurante.tables (id, "restaurantId", number, capacity) VALUES ('table_b_01', 'rest_b_security', 1, 4)`);
    await createAccount(sb.db, { restaurantId: 'rest_b_security', name: 'Admin B', login: 'admin-b', role: 'admin', password: STAFF_PASSWORD });
    // Another origin (another port): a page that tries to use the staff session.
    other = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>elsewhere</title>
<form id="f" method="POST" action="${sb.base}/api/tables/table_01/close" enctype="text/plain"><input name="x" value="y"><button>go</button></form>`);
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  }, 120_000);

  afterAll(async () => {
    await new Promise((resolve) => other?.close(resolve));
  });

  const openSession = async (tableId: string) => {
    const code = qrCodeOf(STAFF_SECRET, await tableOf(sb.db, DEMO_RESTAURANT_ID, tableId));
    const res = await fetch(`${sb.base}/api/qr/scan`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
    expect(res.status).toBe(201);
  };
  const isOpen = async (tableId: string) =>
    (await sb.db.query(`SELECT 1 FROM restaurante.table_sessions WHERE "tableId" = $1 AND "closedAt" IS NULL`, [tableId])).rowCount === 1;

  it('each role sees only its sections: navigation, direct URLs (403 page) and the API', async () => {
    const kitchen = (await sb.signedIn(sb.logins.kitchen)).page;
    expect(new URL(kitchen.url()).pathname).toBe('/kitchen');
    // Whatever the kitchen's page shows, it links to no section the kitchen may not open.
    expect(await kitchen.locator('a[href^="/floor"], a[href^="/admin"], a[href^="/ops"]').count()).toBe(0);
    for (const path of ['/floor', '/floor/qr', '/admin/staff']) {
      const res = await kitchen.goto(sb.base + path);
      expect(res?.status(), path).toBe(403);
      expect(await kitchen.locator('h1').textContent()).toBe('Esta sección no es para tu puesto');
      expect(await kitchen.locator('main a').getAttribute('href')).toBe('/kitchen');
    }
    await expectAccessible(kitchen, 'staff-security-403');
    expect((await inPage(kitchen, 'GET', '/api/floor')).status).toBe(403);
    expect((await inPage(kitchen, 'POST', '/api/tables/table_01/close', { csrf: true })).body?.code).toBe('FORBIDDEN');
    expect((await inPage(kitchen, 'GET', '/api/staff/accounts')).status).toBe(403);

    const waiter = (await sb.signedIn(sb.logins.waiter)).page;
    expect(await navLinks(waiter)).toEqual(['Sala', 'Reservas']);
    expect((await waiter.goto(`${sb.base}/floor`))?.status()).toBe(200);
    for (const path of ['/floor/qr', '/admin/staff']) expect((await waiter.goto(sb.base + path))?.status(), path).toBe(403);
    expect((await inPage(waiter, 'GET', '/api/floor')).status).toBe(200);
    expect((await inPage(waiter, 'POST', '/api/tables/table_01/qr/rotate', { csrf: true })).status).toBe(403);
    expect((await inPage(waiter, 'POST', '/api/staff/devices', { csrf: true, body: { role: 'admin' } })).status).toBe(403);
    expect((await inPage(waiter, 'GET', '/api/staff/accounts')).status).toBe(403);

    const admin = (await sb.signedIn(sb.logins.admin)).page;
    expect(await navLinks(admin)).toEqual(['Cocina', 'Sala', 'Reservas', 'Carta', 'Personal', 'Operaciones']);
    for (const path of ['/floor', '/floor/qr', '/admin/staff']) expect((await admin.goto(sb.base + path))?.status(), path).toBe(200);

    // Signed in as nobody: the pages send to sign-in, the API says 401.
    const anonymous = await (await sb.context()).newPage();
    await anonymous.goto(`${sb.base}/admin/staff`);
    expect(new URL(anonymous.url()).pathname).toBe('/staff/sign-in');
    expect((await inPage(anonymous, 'GET', '/api/floor')).status).toBe(401);
  });

  it("an account of restaurant B sees nothing of restaurant A's", async () => {
    await openSession('table_02');
    const guest = await sb.db.query<{ id: string }>(`SELECT id FROM restaurante.table_session_tokens WHERE "restaurantId" = $1 LIMIT 1`, [DEMO_RESTAURANT_ID]);
    const page = (await sb.signedIn('admin-b')).page;
    await expect.poll(() => page.locator('.table-card').count()).toBe(1);
    expect(await page.locator('.table-card h3').allTextContents()).toEqual(['Mesa 1']);
    const floor = await inPage(page, 'GET', '/api/floor');
    expect(JSON.stringify(floor.body)).not.toContain(DEMO_RESTAURANT_ID);
    expect(JSON.stringify(floor.body)).not.toContain('table_02');
    await page.goto(`${sb.base}/admin/staff`);
    await expect.poll(() => page.locator('#accounts .entry').count()).toBe(1);
    expect(await page.locator('#accounts').textContent()).not.toMatch(/admin-test|waiter-test/);
    expect((await inPage(page, 'GET', '/api/tables/table_02/qr')).status).toBe(404);
    expect((await inPage(page, 'POST', '/api/tables/table_02/close', { csrf: true })).status).toBe(404);
    expect((await inPage(page, 'POST', `/api/table-session/phones/${guest.rows[0]!.id}/deny`, { csrf: true })).status).toBe(404);
    const accountA = (await sb.db.query<{ id: string }>(`SELECT id FROM restaurante.staff_accounts WHERE login = 'waiter-test'`)).rows[0]!.id;
    expect((await inPage(page, 'POST', `/api/staff/accounts/${accountA}/disable`, { csrf: true })).status).toBe(404);
    expect(await isOpen('table_02')).toBe(true);
  });

  it('CSRF: without the X-CSRF-Token header, or from another origin, a state-changing request is refused and changes nothing', async () => {
    await openSession('table_01');
    const { context, page } = await sb.signedIn(sb.logins.admin);
    const refused = await inPage(page, 'POST', '/api/tables/table_01/close');
    expect(refused).toMatchObject({ status: 403, body: { code: 'CSRF_FAILED' } });
    const create = await inPage(page, 'POST', '/api/staff/accounts', { body: { name: 'Intruso', login: 'intruso', role: 'admin' } });
    expect(create.body?.code).toBe('CSRF_FAILED');
    expect(await isOpen('table_01')).toBe(true);
    expect((await sb.db.query(`SELECT 1 FROM restaurante.staff_accounts WHERE login = 'intruso'`)).rowCount).toBe(0);

    // Another origin, same browser (the cookie is there: ports do not make another site).
    const evil = await context.newPage();
    await evil.goto(otherBase);
    const statuses: number[] = [];
    evil.on('response', (r) => {
      if (r.url().startsWith(sb.base)) statuses.push(r.status());
    });
    await evil.evaluate(`fetch(${JSON.stringify(`${sb.base}/api/tables/table_01/close`)}, { method: 'POST', mode: 'no-cors', credentials: 'include' }).catch(() => null)`);
    await expect.poll(() => statuses).toEqual([403]);
    // Even holding the right token, a request that says it comes from there is refused.
    const cookie = (await context.cookies()).find((c) => c.name === 'comanda_staff')!;
    const foreign = await sb.app.inject({
      method: 'POST',
      url: '/api/tables/table_01/close',
      headers: { cookie: `${cookie.name}=${cookie.value}`, 'x-csrf-token': csrfTokenOf(cookie.value), origin: otherBase, 'sec-fetch-site': 'same-site' },
    });
    expect(foreign.json()).toMatchObject({ status: 403, code: 'CSRF_FAILED' });
    // A form posted from there is refused too (its body type is not even accepted: 415).
    const [navigation] = await Promise.all([evil.waitForNavigation(), evil.click('button')]);
    expect([403, 415]).toContain(navigation?.status());
    expect(await isOpen('table_01')).toBe(true);
    // With the token, from the page itself, it works.
    expect((await inPage(page, 'POST', '/api/tables/table_01/close', { csrf: true })).status).toBe(200);
    expect(await isOpen('table_01')).toBe(false);
  });

  it('the admin page: a new account with its password shown once, a one-time link, then disabled', async () => {
    const { page } = await sb.signedIn(sb.logins.admin);
    await page.goto(`${sb.base}/admin/staff`);
    await expect.poll(() => page.locator('#accounts .entry').count()).toBe(3);
    await page.getByLabel('Nombre', { exact: true }).fill('Marta');
    await page.getByLabel('Usuario o correo').fill('marta');
    await page.getByLabel('Puesto').first().selectOption('waiter');
    await page.getByRole('button', { name: 'Crear la cuenta' }).click();
    await page.locator('#secret:not([hidden])').waitFor();
    const password = (await page.locator('#secret-value').textContent())!;
    expect(password.replaceAll('-', '')).toMatch(/^[a-z0-9]{20}$/i);
    expect(await page.locator('#secret-text').textContent()).toMatch(/Contraseña de Marta: solo se muestra ahora/);
    await expectAccessible(page, 'staff-admin-1024');
    await page.getByRole('button', { name: 'Hecho, ocultarlo' }).click();
    expect(await page.locator('#secret-value').textContent()).toBe('');
    await expect.poll(() => page.locator('#accounts [data-account="marta"]').count()).toBe(1);

    // Marta signs in with it.
    const marta = await (await sb.context()).newPage();
    await marta.goto(`${sb.base}/staff/sign-in`);
    await marta.getByLabel('Usuario o correo').fill('marta');
    await marta.getByLabel('Contraseña').fill(password);
    await Promise.all([marta.waitForURL(`${sb.base}/floor`), marta.getByRole('button', { name: 'Entrar' }).click()]);

    // A one-time sign-in link, for another browser.
    await page.getByRole('button', { name: 'Enlace de acceso para Marta' }).click();
    await page.locator('#secret:not([hidden])').waitFor();
    const link = (await page.locator('#secret-value').textContent())!;
    expect(link).toMatch(new RegExp(`^${sb.base}/staff/sign-in#token=cmd_signin_`));
    const linked = await (await sb.context()).newPage();
    await linked.goto(link);
    await linked.waitForURL(`${sb.base}/floor`);
    await linked.goto(link); // used once
    await expect.poll(() => linked.locator('[role="alert"], .note[role="status"]').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/ya se usó o caducó/)]));

    // Disabled (after confirming): Marta's next request goes to sign-in.
    await page.getByRole('button', { name: 'Desactivar la cuenta de Marta' }).click();
    await page.getByRole('button', { name: 'Sí, seguir' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toBe('Cuenta de Marta desactivada.');
    // Her page may get there by itself first (its live stream is signed out), which aborts the
    // reload: either way she ends at sign-in.
    await marta.reload().catch((err: Error) => {
      if (!/ERR_ABORTED|frame was detached/.test(err.message)) throw err;
    });
    await marta.waitForURL((url) => url.pathname === '/staff/sign-in');
    expect(new URL(marta.url()).pathname).toBe('/staff/sign-in');
    // The admin's own account offers no "disable".
    expect(await page.getByRole('button', { name: 'Desactivar la cuenta de Test admin' }).count()).toBe(0);
  });

  it('a paired device is signed out at its next request once revoked, and its live stream gets signed-out', async () => {
    const { page } = await sb.signedIn(sb.logins.admin, { viewport: PHONE });
    await page.goto(`${sb.base}/admin/staff`);
    await page.getByLabel('Nombre del dispositivo').fill('tableta barra');
    await page.locator('#pair-role').selectOption('waiter');
    await page.getByRole('button', { name: 'Dar un código de vinculación' }).click();
    await page.locator('#secret:not([hidden])').waitFor();
    const code = (await page.locator('#secret-value').textContent())!;
    expect(code).toMatch(/^[A-Z0-9]{4}-?[A-Z0-9]{4}$/);
    expect(await page.locator('#secret-text').textContent()).toMatch(/Código de vinculación para «tableta barra» \(sala\).*10 minutos/);
    await expectAccessible(page, 'staff-admin-phone');
    await page.getByRole('button', { name: 'Hecho, ocultarlo' }).click();

    const device = await sb.context();
    const screen = await device.newPage();
    await screen.goto(`${sb.base}/staff/pair`);
    await screen.getByLabel('Código de vinculación').fill(code.toLowerCase());
    await Promise.all([screen.waitForURL(`${sb.base}/floor`), screen.getByRole('button', { name: 'Vincular' }).click()]);
    await screen.locator('#live:not(.off)').waitFor();
    // A second tab of the device reads the raw stream.
    const raw = await device.newPage();
    await raw.goto(`${sb.base}/healthz`);
    await raw.evaluate(`(async () => {
      window.events = [];
      const res = await fetch('/api/staff/events?topics=floor');
      window.events.push('status ' + res.status);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) { window.events.push('end'); break; }
        for (const m of value.matchAll(/event: ([\\w-]+)/g)) window.events.push(m[1]);
      }
    })(); null`);
    await expect.poll(() => raw.evaluate('window.events')).toContain('ready');

    await page.getByRole('button', { name: 'Revocar el dispositivo tableta barra' }).click();
    await page.getByRole('button', { name: 'Sí, seguir' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toBe('Dispositivo «tableta barra» revocado.');
    await expect.poll(() => raw.evaluate('window.events'), { timeout: 10_000 }).toEqual(expect.arrayContaining(['signed-out', 'end']));
    // The device's floor page followed the same stream: it went to sign-in by itself.
    await screen.waitForURL(/\/staff\/sign-in/, { timeout: 10_000 });
    await screen.goto(`${sb.base}/floor`);
    expect(new URL(screen.url()).pathname).toBe('/staff/sign-in');
    expect((await inPage(screen, 'GET', '/api/floor')).status).toBe(401);
    await expect.poll(() => page.locator('[data-device="tableta barra"] .state').textContent()).toBe('Revocado');
    expect(sb.cspErrors).toEqual([]);
  });
});
