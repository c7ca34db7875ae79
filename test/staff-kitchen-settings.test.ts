// The kitchen settings page in Chromium (/kitchen/settings, admins only): the amber and red
// thresholds with the API's validation shown at the field, stations added, renamed and deleted
// (after a confirmation), a category put at a station; the kitchen page then offers the station
// selector; a kitchen session gets the 403 page; axe-core and screenshots at 1024×768 and at
// 390 px (test-artifacts/kitchen-settings-*.png).
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { expectAccessible, useStaffBrowserApp, type StaffBrowserApp } from './helpers/staff-browser.js';
import { describeWith } from './helpers/tools.js';
import { chromiumTool, screenshot } from './helpers/browser.js';

interface Settings {
  amberMinutes: number;
  redMinutes: number;
  stations: Array<{ id: string; name: string }>;
  categories: Array<{ id: string; name: string; stationId: string | null }>;
}

describeWith([chromiumTool], 'the kitchen settings page in Chromium', () => {
  let x: StaffBrowserApp;
  let admin: Page;

  beforeAll(async () => {
    x = await useStaffBrowserApp();
  }, 120_000);

  const settings = async () => (await x.api('GET', '/api/kitchen/settings', x.tokens.admin)).body as unknown as Settings;
  const loaded = (page: Page) => page.locator('html[data-loaded]').waitFor({ state: 'attached' });

  it('an admin opens it from the kitchen page; the thresholds are saved, and a wrong one is shown at its field', async () => {
    ({ page: admin } = await x.signedIn(x.logins.admin));
    await admin.goto(`${x.base}/kitchen`);
    await loaded(admin);
    // No stations yet: the kitchen page hides its selector.
    expect(await admin.locator('#station-field').isHidden()).toBe(true);
    await Promise.all([admin.waitForURL(`${x.base}/kitchen/settings`), admin.getByRole('link', { name: 'Ajustes de cocina' }).click()]);
    await loaded(admin);
    expect(await admin.getByLabel('Ámbar a partir de').inputValue()).toBe('10');
    expect(await admin.getByLabel('Rojo a partir de').inputValue()).toBe('20');
    // The settings page is not in the navigation bar.
    expect(await admin.locator('.staff-nav a').allTextContents()).not.toContain('Ajustes de cocina');

    // Amber not below red: the API's VALIDATION_FAILED, at the amber field, in Spanish.
    await admin.getByLabel('Ámbar a partir de').fill('30');
    await admin.getByRole('button', { name: 'Guardar los tiempos' }).click();
    const amberError = admin.locator('#amber-error');
    await amberError.waitFor();
    expect(await amberError.textContent()).toBe('Escribe un número entero de 1 a 240, menor que el del rojo.');
    expect(await admin.getByLabel('Ámbar a partir de').getAttribute('aria-invalid')).toBe('true');
    expect(await admin.evaluate<string>('document.activeElement?.id ?? ""')).toBe('amber');
    await expectAccessible(admin, 'kitchen-settings-01-error-1024');
    // Out of range (and empty): at the red field.
    await admin.getByLabel('Ámbar a partir de').fill('8');
    await admin.getByLabel('Rojo a partir de').fill('900');
    await admin.getByRole('button', { name: 'Guardar los tiempos' }).click();
    await admin.locator('#red-error').waitFor();
    expect(await admin.locator('#amber-error').isHidden()).toBe(true);
    expect((await settings()).redMinutes).toBe(20);

    await admin.getByLabel('Rojo a partir de').fill('15');
    await admin.getByRole('button', { name: 'Guardar los tiempos' }).click();
    await expect.poll(() => admin.locator('#status').textContent()).toBe('Tiempos guardados: ámbar a los 8 min, rojo a los 15 min.');
    expect(await admin.locator('#red-error').isHidden()).toBe(true);
    expect(await admin.getByLabel('Rojo a partir de').getAttribute('aria-invalid')).toBeNull();
    const saved = await settings();
    expect([saved.amberMinutes, saved.redMinutes]).toEqual([8, 15]);
  });

  it('stations: added by name (a taken name is shown at the field), a category put at one, renamed, deleted after a confirmation', async () => {
    const name = admin.getByLabel('Nombre del puesto');
    for (const station of ['Plancha', 'Pastelería', 'Fríos']) {
      await name.fill(station);
      await admin.getByRole('button', { name: 'Añadir', exact: true }).click();
      await expect.poll(() => admin.locator('#status').textContent()).toBe(`Puesto «${station}» añadido.`);
    }
    expect((await admin.locator('#stations .name').allTextContents()).sort()).toEqual(['Fríos', 'Pastelería', 'Plancha']);
    expect((await settings()).stations.map((s) => s.name).sort()).toEqual(['Fríos', 'Pastelería', 'Plancha']);
    // The same name again (another case): 409, at the field.
    await name.fill('plancha');
    await admin.getByRole('button', { name: 'Añadir', exact: true }).click();
    await admin.locator('#station-name-error').waitFor();
    expect(await admin.locator('#station-name-error').textContent()).toBe('Ya hay un puesto con ese nombre.');
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    await name.fill('');
    expect(await admin.locator('#station-name-error').isHidden()).toBe(true); // changed: the error goes

    // The desserts go to the pastry station; the drinks to Fríos.
    await admin.getByLabel('Postres', { exact: true }).selectOption({ label: 'Pastelería' });
    await expect.poll(() => admin.locator('#status').textContent()).toBe('Postres: Pastelería.');
    await admin.getByLabel('Bebidas', { exact: true }).selectOption({ label: 'Fríos' });
    await expect.poll(() => admin.locator('#status').textContent()).toBe('Bebidas: Fríos.');
    const byId = (s: Settings) => Object.fromEntries(s.categories.map((c) => [c.id, s.stations.find((st) => st.id === c.stationId)?.name ?? null]));
    expect(byId(await settings())).toMatchObject({ cat_postres: 'Pastelería', cat_bebidas: 'Fríos', cat_tapas: null });

    // Rename Plancha → Parrilla (the categories' selects follow).
    await admin.getByRole('button', { name: 'Renombrar el puesto Plancha' }).click();
    await admin.getByLabel('Nuevo nombre de Plancha').fill('Parrilla');
    await expectAccessible(admin, 'kitchen-settings-02-rename-1024');
    await admin.locator('[data-station] form:not([hidden])').getByRole('button', { name: 'Guardar' }).click();
    await expect.poll(() => admin.locator('#status').textContent()).toBe('Puesto «Plancha» renombrado a «Parrilla».');
    expect(await admin.getByLabel('Tapas', { exact: true }).locator('option').allTextContents()).toContain('Parrilla');
    // Renaming to a taken name: at the field.
    await admin.getByRole('button', { name: 'Renombrar el puesto Parrilla' }).click();
    await admin.getByLabel('Nuevo nombre de Parrilla').fill('Fríos');
    await admin.locator('[data-station] form:not([hidden])').getByRole('button', { name: 'Guardar' }).click();
    await expect.poll(() => admin.locator('[data-station] form:not([hidden]) .field-error').textContent()).toBe('Ya hay un puesto con ese nombre.');
    await admin.locator('[data-station] form:not([hidden])').getByRole('button', { name: 'Cancelar' }).click();

    // Delete Fríos: the dialog asks; No keeps it, Yes deletes it and leaves Bebidas without a station.
    await admin.getByRole('button', { name: 'Eliminar el puesto Fríos' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Eliminar un puesto' });
    await dialog.waitFor();
    expect(await dialog.locator('#confirm-text').textContent()).toContain('¿Eliminar el puesto «Fríos»? Sus categorías (1)');
    await expectAccessible(admin, 'kitchen-settings-03-confirm-1024');
    await dialog.getByRole('button', { name: 'No, mantenerlo' }).click();
    expect(await admin.locator('#stations .name').allTextContents()).toContain('Fríos');
    await admin.getByRole('button', { name: 'Eliminar el puesto Fríos' }).click();
    await dialog.getByRole('button', { name: 'Sí, eliminar' }).click();
    await expect.poll(() => admin.locator('#status').textContent()).toBe('Puesto «Fríos» eliminado.');
    expect(await admin.locator('#stations .name').allTextContents()).toEqual(['Parrilla', 'Pastelería']);
    expect(await admin.getByLabel('Bebidas', { exact: true }).inputValue()).toBe('');
    expect(byId(await settings())).toMatchObject({ cat_postres: 'Pastelería', cat_bebidas: null });
    await expectAccessible(admin, 'kitchen-settings-04-done-1024');
    // The whole page from its top (docs/img/staff-kitchen-settings.png).
    await admin.evaluate('window.scrollTo(0, 0)');
    await screenshot(admin, 'kitchen-settings-00-page-1024');
  });

  it('the kitchen page then offers the station selector with the stations', async () => {
    await admin.goto(`${x.base}/kitchen`);
    await loaded(admin);
    await expect.poll(() => admin.locator('#station-field').isVisible()).toBe(true);
    expect(await admin.getByLabel('Puesto').locator('option').allTextContents()).toEqual(['Todos los puestos', 'Parrilla', 'Pastelería']);
    await expectAccessible(admin, 'kitchen-settings-09-kitchen-stations-1024');
  });

  it('a kitchen session gets the 403 page, and no link to it', async () => {
    const { page } = await x.signedIn(x.logins.kitchen);
    await loaded(page);
    expect(await page.getByRole('link', { name: 'Ajustes de cocina' }).count()).toBe(0);
    const res = await page.goto(`${x.base}/kitchen/settings`);
    expect(res?.status()).toBe(403);
    expect(await page.locator('main').textContent()).toContain('Cocina');
    await expectAccessible(page, 'kitchen-settings-05-forbidden-kitchen');
    // And the API refuses it too.
    expect((await x.api('PUT', '/api/kitchen/settings', x.tokens.kitchen, { amberMinutes: 5, redMinutes: 9 })).status).toBe(403);
  });

  it('on a 390 px phone, in English: usable and axe-clean', async () => {
    const { page } = await x.signedIn(x.logins.admin, { viewport: { width: 390, height: 844 }, locale: 'en-GB' });
    await page.goto(`${x.base}/kitchen/settings`);
    await loaded(page);
    expect(await page.getByLabel('Amber after').inputValue()).toBe('8');
    expect(await page.getByLabel('Desserts', { exact: true }).count()).toBe(0); // dish names are never translated
    expect(await page.getByLabel('Postres', { exact: true }).inputValue()).not.toBe('');
    // Nothing wider than the screen.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await page.getByLabel('Red after').fill('5');
    await page.getByRole('button', { name: 'Save the times' }).click();
    await expect.poll(() => page.locator('#amber-error').textContent()).toBe('Enter a whole number from 1 to 240, less than the red one.');
    await expectAccessible(page, 'kitchen-settings-06-phone-390');
    await page.getByRole('button', { name: 'Rename the station Parrilla' }).click();
    await page.getByRole('button', { name: 'Delete the station Parrilla' }).scrollIntoViewIfNeeded();
    await expectAccessible(page, 'kitchen-settings-07-phone-rename-390');
    await page.getByRole('button', { name: 'Delete the station Parrilla' }).click();
    await page.getByRole('dialog', { name: 'Delete a station' }).waitFor();
    expect(await page.locator('#confirm-text').textContent()).toBe('Delete the station "Parrilla"? No category goes to it.');
    await expectAccessible(page, 'kitchen-settings-08-phone-confirm-390');
    await page.getByRole('button', { name: 'No, keep it' }).click();
    expect(x.cspErrors).toEqual([]);
  });
});
