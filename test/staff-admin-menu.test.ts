// /admin/menu in Chromium: an admin creates a category and a dish (allergens, a price typed the
// Spanish way) that guests then see; bad fields come back from the API and are shown at the field
// (aria-invalid, aria-describedby) with nothing changed; the one-tap 86; stock with a reason and
// its history; reordering by keyboard; a second admin's screen follows live; a dish named like
// markup is text; waiter and kitchen accounts get the 403 page; axe-core, CSP, screenshots.
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { chromiumTool } from './helpers/browser.js';
import { expectAccessible, useStaffBrowserApp, type StaffBrowserApp } from './helpers/staff-browser.js';
import { describeWith } from './helpers/tools.js';

interface PublicMenu {
  categories: { id: string; name: string; items: { id: string; name: string; price: number; allergens: string[] }[] }[];
}
interface AdminItem {
  id: string;
  categoryId: string;
  name: string;
  price: number;
  stock: number;
  isAvailable: boolean;
  allergens: string[];
}

describeWith([chromiumTool], '/admin/menu in Chromium', () => {
  let t: StaffBrowserApp;
  let page: Page;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    t = await useStaffBrowserApp();
    ({ page } = await t.signedIn(t.logins.admin, { viewport: { width: 1280, height: 800 } }));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  }, 120_000);

  const guestMenu = async () => (await (await fetch(`${t.base}/api/menu?restaurantId=${DEMO_RESTAURANT_ID}`)).json()) as PublicMenu;
  const guestDish = async (name: string) => (await guestMenu()).categories.flatMap((c) => c.items.map((i) => ({ ...i, categoryName: c.name }))).find((i) => i.name === name);
  const adminItems = async () => (await t.api('GET', '/api/admin/menu-items', t.tokens.admin)).body as unknown as { items: AdminItem[] };
  const adminItem = async (name: string) => (await adminItems()).items.find((i) => i.name === name);
  // (Strings, so this file needs no DOM types.)
  const focusedId = (p: Page) => p.evaluate<string>('document.activeElement?.id ?? ""');
  const focusedLabel = (p: Page) => p.evaluate<string>('document.activeElement?.getAttribute("aria-label") ?? ""');
  const row = (p: Page, name: string) => p.locator('li.dish').filter({ has: p.locator('.dish-name', { hasText: name }) });
  const categoryIds = async () =>
    ((await t.api('GET', '/api/admin/categories', t.tokens.admin)).body as unknown as { categories: { id: string; name: string }[] }).categories;

  it('an admin creates a category and a dish with allergens and a price; guests see it', async () => {
    await page.goto(`${t.base}/admin/menu`);
    await expect.poll(() => page.locator('#live').textContent(), { timeout: 10_000 }).toBe('En directo');
    await page.getByRole('heading', { name: 'Entrantes', level: 2 }).waitFor();
    await expectAccessible(page, 'staff-menu-01-desktop');

    // By keyboard: the button, then the dialog's fields.
    await page.getByRole('button', { name: 'Nueva categoría' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => focusedId(page)).toBe('category-name');
    await page.keyboard.type('Temporada');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Platos de temporada');
    await page.keyboard.press('Tab'); // "shown to guests"
    await page.keyboard.press('Tab'); // "Create"
    expect(await page.evaluate<string>('document.activeElement?.textContent ?? ""')).toBe('Crear');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Temporada', level: 2 }).waitFor();
    await expect.poll(() => page.locator('#status').textContent()).toBe('Se ha creado «Temporada».');

    await page.getByRole('button', { name: 'Añadir plato a Temporada' }).click();
    const dialog = page.locator('#item-dialog');
    await dialog.getByLabel('Nombre').fill('Alcachofas confitadas');
    await dialog.getByLabel('Precio (EUR)').fill('12,50');
    await dialog.getByLabel('Existencias iniciales').fill('8');
    await dialog.getByLabel('Huevos').check();
    await dialog.getByLabel('Sulfitos').check();
    expect(await dialog.getByLabel('Categoría').inputValue()).toBe((await categoryIds()).find((c) => c.name === 'Temporada')!.id);
    await expectAccessible(page, 'staff-menu-02-dish-form');
    await dialog.getByRole('button', { name: 'Crear' }).click();
    await row(page, 'Alcachofas confitadas').waitFor();
    expect(await row(page, 'Alcachofas confitadas').locator('.dish-price').textContent()).toBe('12,50\u00a0€');
    expect(await row(page, 'Alcachofas confitadas').locator('.dish-allergens').textContent()).toBe('Huevos, Sulfitos');

    await expect.poll(async () => guestDish('Alcachofas confitadas'), { timeout: 5_000 }).toMatchObject({
      price: 12.5,
      allergens: ['eggs', 'sulphites'],
      categoryName: 'Temporada',
    });
    expect(await adminItem('Alcachofas confitadas')).toMatchObject({ stock: 8, isAvailable: true });
  }, 90_000);

  it('a bad price or name is shown at its field, as the API reports it, and changes nothing', async () => {
    const before = await adminItems();
    await page.getByRole('button', { name: 'Añadir plato a Temporada' }).click();
    const dialog = page.locator('#item-dialog');
    const price = dialog.getByLabel('Precio (EUR)');
    await dialog.getByLabel('Nombre').fill('Plato caro');
    await price.fill('1200');
    await dialog.getByRole('button', { name: 'Crear' }).click();
    await expect.poll(() => price.getAttribute('aria-invalid')).toBe('true');
    expect((await price.getAttribute('aria-describedby'))?.split(' ')).toContain('item-price-error');
    expect(await page.locator('#item-price-error').textContent()).toMatch(/mayor que 0 y menor que 1000/);
    expect(await page.locator('#item-price-error').isVisible()).toBe(true);
    // The focus goes to the field, the name is not marked.
    expect(await focusedId(page)).toBe('item-price');
    expect(await dialog.getByLabel('Nombre').getAttribute('aria-invalid')).toBeNull();
    await expectAccessible(page, 'staff-menu-03-field-error');

    // Three decimals: the core's check, same place.
    await price.fill('4,355');
    await dialog.getByRole('button', { name: 'Crear' }).click();
    await expect.poll(() => page.locator('#item-price-error').isVisible()).toBe(true);

    // A good price and an empty name: the mark moves to the name.
    await price.fill('9,90');
    await dialog.getByLabel('Nombre').fill('   ');
    await dialog.getByRole('button', { name: 'Crear' }).click();
    await expect.poll(() => dialog.getByLabel('Nombre').getAttribute('aria-invalid')).toBe('true');
    expect(await price.getAttribute('aria-invalid')).toBeNull();
    expect(await page.locator('#item-price-error').isVisible()).toBe(false);
    expect((await dialog.getByLabel('Nombre').getAttribute('aria-describedby'))?.split(' ')).toContain('item-name-error');
    expect(await page.locator('#item-name-error').textContent()).toBe('Escribe un nombre (no solo espacios).');
    await dialog.getByRole('button', { name: 'Cancelar' }).click();

    // Editing an existing dish with a bad price: same, and the dish keeps its price.
    await row(page, 'Alcachofas confitadas').getByRole('button', { name: 'Editar Alcachofas confitadas' }).click();
    expect(await price.inputValue()).toBe('12,50');
    await price.fill('0');
    await dialog.getByRole('button', { name: 'Guardar' }).click();
    await expect.poll(() => price.getAttribute('aria-invalid')).toBe('true');
    await dialog.getByRole('button', { name: 'Cancelar' }).click();
    expect(await adminItems()).toEqual(before);
  }, 90_000);

  it('86 a dish in one tap: guests no longer see it; a second tap brings it back', async () => {
    const toggle = row(page, 'Alcachofas confitadas').locator('button.toggle');
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('false');
    expect(await toggle.textContent()).toBe('Agotado (86)');
    expect(await page.getByRole('button', { name: 'Alcachofas confitadas Agotado (86)', pressed: false }).count()).toBe(1);
    await expect.poll(() => page.locator('#status').textContent()).toBe('Alcachofas confitadas está agotado: los clientes ya no pueden pedirlo.');
    await expect.poll(async () => guestDish('Alcachofas confitadas'), { timeout: 5_000 }).toBeUndefined();
    expect((await adminItem('Alcachofas confitadas'))?.isAvailable).toBe(false);
    await expectAccessible(page, 'staff-menu-04-86');
    await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('true');
    await expect.poll(async () => (await guestDish('Alcachofas confitadas'))?.price, { timeout: 5_000 }).toBe(12.5);

    // The overview (docs/img/staff-menu.png): a dish of the first category 86'd.
    const pulpo = row(page, 'Pulpo a la gallega').locator('button.toggle');
    await pulpo.click();
    await expect.poll(() => pulpo.getAttribute('aria-pressed')).toBe('false');
    await page.evaluate('window.scrollTo(0, 0)');
    await expectAccessible(page, 'staff-menu-00-overview');
    await pulpo.click();
    await expect.poll(() => pulpo.getAttribute('aria-pressed')).toBe('true');
  }, 90_000);

  it('a stock change with a reason appears in the history; one below zero is shown at the field', async () => {
    await row(page, 'Alcachofas confitadas').getByRole('button', { name: 'Existencias: 8, Alcachofas confitadas' }).click();
    const dialog = page.locator('#stock-dialog');
    await dialog.getByRole('heading', { name: 'Existencias de Alcachofas confitadas' }).waitFor();
    await expect.poll(() => dialog.locator('#history tbody tr').count()).toBe(1);
    expect(await dialog.locator('#history tbody tr').first().locator('td').nth(3).textContent()).toBe('Alta del plato');

    await dialog.getByLabel('Cantidad').fill('12');
    await dialog.getByLabel('Motivo').selectOption('restock');
    await dialog.getByLabel('Nota (opcional)').fill('Entrega del martes');
    await dialog.getByRole('button', { name: 'Aplicar' }).click();
    await expect.poll(() => dialog.locator('#stock-current').textContent()).toBe('Ahora hay 20.');
    await expect.poll(() => dialog.locator('#history tbody tr').count()).toBe(2);
    const newest = dialog.locator('#history tbody tr').first().locator('td');
    expect(await newest.nth(1).textContent()).toBe('+12');
    expect(await newest.nth(2).textContent()).toBe('20');
    expect(await newest.nth(3).textContent()).toBe('Entrega');
    expect(await newest.nth(5).textContent()).toBe('Entrega del martes');

    // A count: set to 15, a correction.
    await dialog.getByLabel('Tipo de cambio').selectOption('set');
    await dialog.getByLabel('Cantidad').fill('15');
    await dialog.getByLabel('Motivo').selectOption('correction');
    await dialog.getByRole('button', { name: 'Aplicar' }).click();
    await expect.poll(() => dialog.locator('#history tbody tr').count()).toBe(3);
    expect(await dialog.locator('#history tbody tr').first().locator('td').nth(1).textContent()).toBe('-5');
    await expectAccessible(page, 'staff-menu-05-stock');

    // Below zero: the API's 422 names `delta`; the quantity field is marked; nothing changes.
    await dialog.getByLabel('Tipo de cambio').selectOption('delta');
    await dialog.getByLabel('Cantidad').fill('-100');
    await dialog.getByRole('button', { name: 'Aplicar' }).click();
    await expect.poll(() => dialog.getByLabel('Cantidad').getAttribute('aria-invalid')).toBe('true');
    expect((await dialog.getByLabel('Cantidad').getAttribute('aria-describedby'))?.split(' ')).toEqual(['stock-amount-help', 'stock-amount-error']);
    expect(await page.locator('#stock-amount-error').textContent()).toMatch(/por debajo de 0/);
    expect(await dialog.locator('#history tbody tr').count()).toBe(3);
    expect((await adminItem('Alcachofas confitadas'))?.stock).toBe(15);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(await row(page, 'Alcachofas confitadas').getByRole('button', { name: 'Existencias: 15, Alcachofas confitadas' }).isVisible()).toBe(true);
  }, 90_000);

  it('reorders categories and dishes by keyboard; guests see the new order', async () => {
    // Dishes: a second one in Temporada, then move it above the first.
    const created = await t.api('POST', '/api/admin/menu-items', t.tokens.admin, {
      categoryId: (await categoryIds()).find((c) => c.name === 'Temporada')!.id,
      name: 'Setas al ajillo',
      price: 9.5,
      sortOrder: 1000,
    });
    expect(created.status).toBe(201);
    await row(page, 'Setas al ajillo').waitFor(); // live: the page re-read the menu
    const temporada = page.locator('section.category', { has: page.getByRole('heading', { name: 'Temporada' }) });
    expect(await temporada.locator('.dish-name').allTextContents()).toEqual(['Alcachofas confitadas', 'Setas al ajillo']);
    await page.getByRole('button', { name: 'Subir Setas al ajillo' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => temporada.locator('.dish-name').allTextContents()).toEqual(['Setas al ajillo', 'Alcachofas confitadas']);
    await expect.poll(() => page.locator('#status').textContent()).toBe('Setas al ajillo: posición 1 de 2.');
    // At the top, "up" is disabled: the focus went to "down" of the same dish.
    await expect.poll(() => focusedLabel(page)).toBe('Bajar Setas al ajillo');
    await expect
      .poll(async () => (await guestMenu()).categories.find((c) => c.name === 'Temporada')?.items.map((i) => i.name), { timeout: 5_000 })
      .toEqual(['Setas al ajillo', 'Alcachofas confitadas']);

    // Categories: Temporada (last) up one.
    const names = () => page.locator('section.category h2').allTextContents();
    const start = await names();
    expect(start.at(-1)).toBe('Temporada');
    await page.getByRole('button', { name: 'Subir Temporada' }).click();
    const expected = [...start.slice(0, -2), 'Temporada', start.at(-2)!];
    await expect.poll(names).toEqual(expected);
    await expect.poll(() => focusedLabel(page)).toBe('Subir Temporada');
    await expect
      .poll(async () => (await guestMenu()).categories.map((c) => c.name).filter((n) => expected.includes(n)), { timeout: 5_000 })
      .toEqual(expected.filter((n) => start.includes(n)));
  }, 90_000);

  it("two admins see each other's changes live", async () => {
    const { page: other } = await t.signedIn(t.logins.admin, { viewport: { width: 1024, height: 768 } });
    await other.goto(`${t.base}/admin/menu`);
    await expect.poll(() => other.locator('#live').textContent(), { timeout: 10_000 }).toBe('En directo');
    await row(other, 'Setas al ajillo').waitFor();
    await row(page, 'Setas al ajillo').locator('button.toggle').click();
    await expect
      .poll(() => row(other, 'Setas al ajillo').locator('button.toggle').getAttribute('aria-pressed'), { timeout: 3_000 })
      .toBe('false');
    await row(other, 'Setas al ajillo').locator('button.toggle').click();
    await expect
      .poll(() => row(page, 'Setas al ajillo').locator('button.toggle').getAttribute('aria-pressed'), { timeout: 3_000 })
      .toBe('true');
    await other.close();
  }, 90_000);

  it('a dish named like markup is shown as text, in the list and in its forms', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    await row(page, 'Setas al ajillo').getByRole('button', { name: 'Editar Setas al ajillo' }).click();
    const dialog = page.locator('#item-dialog');
    await dialog.getByLabel('Nombre').fill(evil);
    await dialog.getByRole('button', { name: 'Guardar' }).click();
    await row(page, evil).waitFor();
    expect(await row(page, evil).locator('.dish-name').textContent()).toBe(evil);
    expect(await page.locator('#menu img').count()).toBe(0);
    await row(page, evil).getByRole('button', { name: `Existencias: 0, ${evil}` }).click();
    expect(await page.locator('#stock-title').textContent()).toBe(`Existencias de ${evil}`);
    await page.keyboard.press('Escape');
    // A fresh load renders it the same way.
    await page.reload();
    await row(page, evil).waitFor();
    expect(await page.locator('main img').count()).toBe(0);
    expect(dialogs).toEqual([]);
  }, 90_000);

  it('in English, and at phone size', async () => {
    const { page: phonePage } = await t.signedIn(t.logins.admin, { viewport: { width: 390, height: 844 }, locale: 'en-GB' });
    await phonePage.goto(`${t.base}/admin/menu?lang=en`);
    await phonePage.getByRole('heading', { name: 'Starters', level: 2 }).or(phonePage.getByRole('heading', { name: 'Entrantes', level: 2 })).first().waitFor();
    expect(await phonePage.getByRole('button', { name: 'New category' }).isVisible()).toBe(true);
    expect(await phonePage.locator('h1').textContent()).toBe('Menu');
    // No horizontal scrolling at phone width.
    expect(await phonePage.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    // The reorder arrows stay 44 px targets on a phone.
    const arrows = await phonePage.evaluate<number[]>(
      `[...document.querySelectorAll('.move button')].map((b) => { const r = b.getBoundingClientRect(); return Math.min(r.width, r.height); })`,
    );
    expect(arrows.length).toBeGreaterThan(0);
    expect(Math.min(...arrows)).toBeGreaterThanOrEqual(44);
    await expectAccessible(phonePage, 'staff-menu-06-phone');
    await phonePage.getByRole('button', { name: /^Add a dish to / }).first().click();
    await expectAccessible(phonePage, 'staff-menu-07-phone-form');
  }, 90_000);

  it('waiter and kitchen accounts get the 403 page, and the API refuses them', async () => {
    for (const role of ['waiter', 'kitchen'] as const) {
      const { page: p } = await t.signedIn(t.logins[role]);
      const res = await p.goto(`${t.base}/admin/menu`);
      expect(res?.status()).toBe(403);
      expect(await p.locator('h1').textContent()).toBe('Esta sección no es para tu puesto');
      expect(await p.locator('#new-category').count()).toBe(0);
      expect(await p.getByRole('link', { name: 'Carta' }).count()).toBe(0);
      const api = await t.api('POST', '/api/admin/categories', t.tokens[role], { name: 'X' });
      expect(api.status).toBe(403);
    }
    expect(t.cspErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
