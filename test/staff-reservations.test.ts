// The bookings page (/admin/reservations) in Chromium: a phone booking shows on the timeline; a
// booking on a table chosen in the form lands on that table's row; a time taken meanwhile in
// another context brings the API's alternatives and picking one books it; a move onto a table
// taken meanwhile likewise; seat → complete, cancel and no-show (asked first), only the
// transitions the API allows; today's arrivals, upcoming first; the kitchen gets the 403 page;
// keyboard; axe-core, and screenshots at 1280×800 and phone size.
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { chromiumTool } from './helpers/browser.js';
import { local } from './helpers/reservations.js';
import { expectAccessible, useStaffBrowserApp, type StaffBrowserApp } from './helpers/staff-browser.js';
import { describeWith } from './helpers/tools.js';

interface Booking {
  id: string;
  status: string;
  time: string;
  date: string;
  tableIds: string[];
  customerName: string;
  customerEmail: string | null;
}

/** What the tests read of an element in the page (the test code has no DOM types). */
interface Scrollable {
  scrollWidth: number;
  clientWidth: number;
  scrollTo(options: { left: number }): void;
  scrollLeft: number;
}

/** The restaurant's (Europe/Madrid) date and wall-clock minutes now. */
function madridNow(): { date: string; minutes: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Madrid', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date())
      .map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
function addDays(date: string, n: number): string {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

describeWith([chromiumTool], 'the bookings page in Chromium', () => {
  let s: StaffBrowserApp;
  /** A later day the demo restaurant opens with its own hours (lunch 13:00–16:00, dinner 20:00–23:30). */
  let day: string;
  let today: string;

  beforeAll(async () => {
    s = await useStaffBrowserApp();
    today = madridNow().date;
    day = addDays(today, 2);
    if (new Date(`${day}T12:00:00Z`).getUTCDay() === 1) day = addDays(day, 1); // Monday: closed
  }, 120_000);

  const book = async (body: Record<string, unknown>, token = s.tokens.waiter): Promise<Booking> => {
    const res = await s.api('POST', '/api/reservations', token, { restaurantId: DEMO_RESTAURANT_ID, ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return (res.body as unknown as { reservation: Booking }).reservation;
  };
  const dayOf = async (date: string): Promise<Booking[]> =>
    ((await s.api('GET', `/api/admin/reservation-day?date=${date}`, s.tokens.admin)).body as unknown as { reservations: Booking[] }).reservations;
  const byName = async (date: string, name: string): Promise<Booking> => {
    const found = (await dayOf(date)).find((r) => r.customerName === name);
    if (!found) throw new Error(`no booking for ${name}`);
    return found;
  };
  const timelineBooking = (page: Page, text: string) => page.locator('#timeline .tl-booking', { hasText: text });
  const openPage = async (date: string, viewport = { width: 1280, height: 800 }, login = s.logins.admin) => {
    const { page } = await s.signedIn(login, { viewport });
    await page.goto(`${s.base}/admin/reservations?date=${date}`);
    await expect.poll(() => page.locator('#day-summary').textContent()).not.toMatch(/Cargando/);
    await expect.poll(() => page.locator('#live').textContent()).toMatch(/\S/);
    return page;
  };

  it('a phone booking (no e-mail) is CONFIRMED and shows on the timeline', async () => {
    const page = await openPage(day);
    await page.getByRole('button', { name: 'Nueva reserva' }).click();
    const dialog = page.getByRole('dialog', { name: /Nueva reserva/ });
    await dialog.getByLabel('Nombre').fill('Lucía Llamada');
    await dialog.getByLabel('Teléfono').fill('612 345 678');
    await dialog.getByLabel('Personas').fill('3');
    await dialog.getByLabel('Personas').dispatchEvent('change');
    await expect.poll(() => dialog.getByLabel('Hora').locator('option').count()).toBeGreaterThan(10);
    await dialog.getByLabel('Hora').selectOption({ label: '21:00' });
    await dialog.getByRole('button', { name: 'Reservar', exact: true }).click();
    await expect.poll(() => page.locator('#res-status').textContent()).toMatch(/Lucía Llamada a las 21:00, Mesa 3/);
    await expect.poll(() => timelineBooking(page, 'Lucía Llamada').locator('span').allTextContents()).toEqual(['21:00 · 3 pers.', 'Lucía Llamada', 'Confirmada']);
    const stored = await byName(day, 'Lucía Llamada');
    expect(stored).toMatchObject({ status: 'CONFIRMED', customerEmail: null, tableIds: ['table_03'], time: local(day, '21:00') });
  }, 90_000);

  it('a table chosen in the form: only the free ones are offered, and the booking is on that table', async () => {
    const page = await openPage(day);
    await page.getByRole('button', { name: 'Nueva reserva' }).click();
    const dialog = page.getByRole('dialog', { name: /Nueva reserva/ });
    await dialog.getByLabel('Nombre').fill('Pablo Terraza');
    await expect.poll(() => dialog.getByLabel('Hora').locator('option', { hasText: '21:00' }).count()).toBe(1);
    await dialog.getByLabel('Hora').selectOption({ label: '21:00' });
    const table = dialog.getByLabel('Mesa', { exact: true });
    // The default is the smallest free one; Lucía's table 3 is taken at 21:00, so it is not offered.
    expect(await table.inputValue()).toBe('');
    await expect.poll(() => table.locator('option').allTextContents()).toContain('Mesa 9 (2 pl.)');
    const offered = await table.locator('option').allTextContents();
    expect(offered[0]).toBe('La más pequeña libre');
    expect(offered.some((o) => o.startsWith('Mesa 3 '))).toBe(false);
    expect(offered).toContain('Mesa 1 + Mesa 2 (4 pl.)');
    await table.selectOption({ label: 'Mesa 9 (2 pl.)' });
    await expectAccessible(page, 'staff-reservations-new-table');
    await dialog.getByRole('button', { name: 'Reservar', exact: true }).click();
    await expect.poll(() => page.locator('#res-status').textContent()).toMatch(/Pablo Terraza a las 21:00, Mesa 9/);
    const row = page.locator('#timeline .tl-row', { has: page.locator('.tl-table', { hasText: /^Mesa 9$/ }) });
    await expect.poll(() => row.locator('.tl-booking', { hasText: 'Pablo Terraza' }).count()).toBe(1);
    expect(await timelineBooking(page, 'Pablo Terraza').count()).toBe(1);
    expect(await byName(day, 'Pablo Terraza')).toMatchObject({ status: 'CONFIRMED', tableIds: ['table_09'], time: local(day, '21:00') });

    // Opened again for the same time, table 9 is no longer offered; on a phone the form fits.
    const phone = await openPage(day, { width: 390, height: 844 });
    await phone.getByRole('button', { name: 'Nueva reserva' }).click();
    const form = phone.getByRole('dialog', { name: /Nueva reserva/ });
    await expect.poll(() => form.getByLabel('Hora').locator('option', { hasText: '21:00' }).count()).toBe(1);
    await form.getByLabel('Hora').selectOption({ label: '21:00' });
    await expect.poll(() => form.getByLabel('Mesa', { exact: true }).locator('option').count()).toBeGreaterThan(3);
    expect(await form.getByLabel('Mesa', { exact: true }).locator('option').allTextContents()).not.toContain('Mesa 9 (2 pl.)');
    await expectAccessible(phone, 'staff-reservations-new-table-phone');
    expect(await phone.locator('html').evaluate((e: Scrollable) => e.scrollWidth)).toBeLessThanOrEqual(390);
  }, 90_000);

  it('a chosen table taken meanwhile: the times it is free and the free tables are offered; picking one books it', async () => {
    const page = await openPage(day);
    await page.getByRole('button', { name: 'Nueva reserva' }).click();
    const dialog = page.getByRole('dialog', { name: /Nueva reserva/ });
    await dialog.getByLabel('Nombre').fill('Irene Barra');
    await expect.poll(() => dialog.getByLabel('Hora').locator('option', { hasText: '21:00' }).count()).toBe(1);
    await dialog.getByLabel('Hora').selectOption({ label: '21:00' });
    const table = dialog.getByLabel('Mesa', { exact: true });
    await expect.poll(() => table.locator('option').allTextContents()).toContain('Mesa 12 (2 pl.)');
    await table.selectOption({ label: 'Mesa 12 (2 pl.)' });
    // Meanwhile another screen books table 12 at 21:00 through the API: the form keeps the choice, marked.
    expect((await book({ partySize: 2, time: local(day, '21:00'), customerName: 'Se Sentó Antes', tableIds: ['table_12'] })).tableIds).toEqual(['table_12']);
    await expect.poll(() => table.locator('option:checked').textContent()).toBe('Mesa 12 (2 pl.) (ocupada a esa hora)');
    await dialog.getByRole('button', { name: 'Reservar', exact: true }).click();
    await expect.poll(() => dialog.locator('#alternatives-title').textContent()).toBe('Esa mesa está ocupada a esa hora. Elige otra opción:');
    const options = await dialog.locator('#alternatives-list button').allTextContents();
    expect(options.some((o) => /^\d\d:\d\d, Mesa 12$/.test(o))).toBe(true);
    expect(options).toContain('21:00, Mesa 1');
    await dialog.getByRole('button', { name: '21:00, Mesa 1', exact: true }).click();
    await expect.poll(() => page.locator('#res-status').textContent()).toMatch(/Irene Barra a las 21:00, Mesa 1/);
    expect(await byName(day, 'Irene Barra')).toMatchObject({ status: 'CONFIRMED', tableIds: ['table_01'], time: local(day, '21:00') });
  }, 90_000);

  it('a time taken meanwhile in another context: the alternatives are offered, and picking one books it', async () => {
    const page = await openPage(day);
    await page.getByRole('button', { name: 'Nueva reserva' }).click();
    const dialog = page.getByRole('dialog', { name: /Nueva reserva/ });
    await dialog.getByLabel('Nombre').fill('Grupo Ocho');
    await dialog.getByLabel('Personas').fill('8');
    await dialog.getByLabel('Personas').dispatchEvent('change');
    await expect.poll(() => dialog.getByLabel('Hora').locator('option', { hasText: '21:00' }).count()).toBe(1);
    await dialog.getByLabel('Hora').selectOption({ label: '21:00' });

    // Meanwhile a waiter on another screen books a party of eight at 21:00 (table 8), and two more
    // come through the API (tables 10 + 11, then 6 + 7): nothing else seats eight then. The first
    // screen sees them live.
    const other = await openPage(day, { width: 1024, height: 768 }, s.logins.waiter);
    for (const name of ['Otra Mesa']) {
      await other.getByRole('button', { name: 'Nueva reserva' }).click();
      const form = other.getByRole('dialog', { name: /Nueva reserva/ });
      await form.getByLabel('Nombre').fill(name);
      await form.getByLabel('Personas').fill('8');
      await form.getByLabel('Personas').dispatchEvent('change');
      await expect.poll(() => form.getByLabel('Hora').locator('option', { hasText: '21:00' }).count()).toBe(1);
      await form.getByLabel('Hora').selectOption({ label: '21:00' });
      await form.getByRole('button', { name: 'Reservar', exact: true }).click();
      await expect.poll(() => other.locator('#res-status').textContent()).toMatch(new RegExp(`${name} a las 21:00`));
    }
    expect((await book({ partySize: 8, time: local(day, '21:00'), customerName: 'Terraza Llena' })).tableIds).toEqual(['table_10', 'table_11']);
    expect((await book({ partySize: 8, time: local(day, '21:00'), customerName: 'Otra Más' })).tableIds).toEqual(['table_06', 'table_07']);
    await expect.poll(() => timelineBooking(page, 'Otra Más').count(), { timeout: 5_000 }).toBe(2);
    await expect.poll(() => timelineBooking(page, 'Otra Mesa').count()).toBe(1);

    await dialog.getByRole('button', { name: 'Reservar', exact: true }).click();
    await page.waitForTimeout(2000);
    await expect.poll(() => dialog.locator('#alternatives-title').textContent()).toBe('Esa hora ya no está libre. Elige otra:');
    const offered = dialog.locator('#alternatives-list button');
    expect(await offered.count()).toBeGreaterThan(0);
    const first = (await offered.first().textContent())!;
    expect(first).toMatch(/^Reservar a las \d\d:\d\d$/);
    await expectAccessible(page, 'staff-reservations-alternatives');
    await offered.first().click();
    const time = first.slice(-5);
    await expect.poll(() => page.locator('#res-status').textContent()).toMatch(new RegExp(`Grupo Ocho a las ${time}`));
    expect(await byName(day, 'Grupo Ocho')).toMatchObject({ status: 'CONFIRMED', time: local(day, time) });
    await expect.poll(() => timelineBooking(page, 'Grupo Ocho').count()).toBeGreaterThan(0);
  }, 90_000);

  it('a move onto a table taken meanwhile offers the free tables and times; picking one moves it', async () => {
    const page = await openPage(day);
    await timelineBooking(page, 'Lucía Llamada').click();
    const details = page.getByRole('dialog', { name: 'Reserva de Lucía Llamada' });
    await expect.poll(() => details.locator('dd').allTextContents()).toContain('612 345 678');
    await details.getByRole('button', { name: 'Cambiar hora o mesa' }).click();
    const form = page.getByRole('dialog', { name: 'Cambiar la reserva de Lucía Llamada' });
    await expect.poll(() => form.getByLabel('Mesa').locator('option').count()).toBeGreaterThan(3);
    await form.getByLabel('Mesa').selectOption('table_04');
    // Meanwhile another party of four takes table 4 at 21:00 (table 3 is Lucía's).
    const meanwhile = await book({ partySize: 4, time: local(day, '21:00'), customerName: 'Se Adelantó' });
    expect(meanwhile.tableIds).toEqual(['table_04']);
    await form.getByRole('button', { name: 'Cambiar', exact: true }).click();
    await expect.poll(() => form.locator('#alternatives-title').textContent()).toBe('Esa mesa está ocupada a esa hora. Elige otra opción:');
    const options = await form.locator('#alternatives-list button').allTextContents();
    expect(options).toContain('21:00, Mesa 5');
    expect(options.some((o) => /^\d\d:\d\d, Mesa 4$/.test(o))).toBe(true);
    await form.getByRole('button', { name: '21:00, Mesa 5' }).click();
    await expect.poll(() => page.locator('#res-status').textContent()).toMatch(/Lucía Llamada cambiada a las 21:00, Mesa 5/);
    expect((await byName(day, 'Lucía Llamada')).tableIds).toEqual(['table_05']);
  }, 90_000);

  it("today's arrivals, upcoming first; seat → complete; cancel and no-show are asked first; only allowed transitions", async () => {
    const current = madridNow();
    // Written directly (the API books no past time): a booking of today at `minutes`.
    const insertToday = async (name: string, minutes: number, status: 'CONFIRMED' | 'PENDING', table: string) =>
      s.db.query(
        `WITH r AS (INSERT INTO restaurante.reservations ("restaurantId", "customerName", "partySize", date, time, status)
                    VALUES ($1, $2, 2, $3::timestamptz::date, $3::timestamptz, $4::text::restaurante."ReservationStatus") RETURNING id)
         INSERT INTO restaurante.reservation_tables ("restaurantId", "reservationId", "tableId", occupied)
         SELECT $1, r.id, $5, tstzrange($3::timestamptz, $3::timestamptz + interval '105 minutes') FROM r`,
        [DEMO_RESTAURANT_ID, name, local(today, hhmm(minutes)), status, table],
      );
    const first = Math.ceil((current.minutes + 30) / 15) * 15;
    let lateAt: number | undefined;
    if (first + 60 + 90 <= 23 * 60 + 59) {
      // Later today, through the API as a waiter (CONFIRMED) and as a guest on the web (PENDING).
      await book({ partySize: 2, time: local(today, hhmm(first + 30)), customerName: 'Berta Segunda' });
      await book({ partySize: 2, time: local(today, hhmm(first)), customerName: 'Ana Primera' });
      await book({ partySize: 2, time: local(today, hhmm(first + 45)), customerName: 'Carlos Tercero' });
      const guest = await fetch(`${s.base}/api/reservations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ restaurantId: DEMO_RESTAURANT_ID, partySize: 2, time: local(today, hhmm(first + 60)), customerName: 'Diana Web', customerEmail: 'diana@example.com' }),
      });
      expect(guest.status).toBe(201);
      // Someone who should have come 15 minutes ago.
      if (current.minutes >= 30) await insertToday('Eva Tarde', (lateAt = current.minutes - 15), 'CONFIRMED', 'table_12');
    } else {
      // Too late in the day for bookings ahead: everyone is late, in the same order.
      await insertToday('Ana Primera', current.minutes - 75, 'CONFIRMED', 'table_01');
      await insertToday('Berta Segunda', current.minutes - 60, 'CONFIRMED', 'table_02');
      await insertToday('Carlos Tercero', current.minutes - 45, 'CONFIRMED', 'table_09');
      await insertToday('Diana Web', current.minutes - 30, 'PENDING', 'table_03');
      await insertToday('Eva Tarde', (lateAt = current.minutes - 15), 'CONFIRMED', 'table_12');
    }

    const page = await openPage(today);
    const arrivals = page.locator('#arrivals li');
    const expected = ['Ana Primera', 'Berta Segunda', 'Carlos Tercero', 'Diana Web', ...(lateAt === undefined ? [] : ['Eva Tarde'])];
    await expect.poll(() => arrivals.locator('.arr-name').allTextContents()).toEqual(expected);
    if (lateAt !== undefined) await expect.poll(() => arrivals.last().locator('.badge').textContent()).toBe('Con retraso · Confirmada');
    // The guest's pending booking can be confirmed, not seated.
    await expect.poll(() => arrivals.nth(3).getByRole('button').allTextContents()).toEqual(['Confirmar', 'Ver']);

    // Seat Ana from the arrivals list, then complete her from the timeline.
    await page.getByRole('button', { name: /^Sentar: Ana Primera/ }).click();
    await expect.poll(() => arrivals.locator('.arr-name').allTextContents()).not.toContain('Ana Primera');
    await expect.poll(() => page.locator('#seated-count').textContent()).toBe('1 mesas sentadas ahora');
    await expect.poll(() => timelineBooking(page, 'Ana Primera').locator('.tl-state').textContent()).toBe('Sentada');
    await timelineBooking(page, 'Ana Primera').click();
    const ana = page.getByRole('dialog', { name: 'Reserva de Ana Primera' });
    await expect.poll(() => ana.locator('#details-actions button').allTextContents()).toEqual(['Terminar']);
    await ana.getByRole('button', { name: 'Terminar' }).click();
    await expect.poll(() => page.locator('.others li', { hasText: 'Ana Primera' }).locator('.badge').textContent()).toBe('Terminada');
    expect((await byName(today, 'Ana Primera')).status).toBe('COMPLETED');

    // Cancel Berta: asked first; "No" changes nothing, "Sí" cancels.
    await page.getByRole('button', { name: /^Ver la reserva de Berta Segunda/ }).click();
    const berta = page.getByRole('dialog', { name: 'Reserva de Berta Segunda' });
    await expect.poll(() => berta.locator('#details-actions button').allTextContents()).toEqual(['Sentar', 'Cancelar la reserva', 'No se presentó', 'Cambiar hora o mesa']);
    await berta.getByRole('button', { name: 'Cancelar la reserva' }).click();
    const confirm = page.locator('#confirm');
    await expect.poll(() => confirm.locator('#confirm-text').textContent()).toMatch(/^¿Cancelar la reserva de Berta Segunda a las/);
    await confirm.getByRole('button', { name: 'No' }).click();
    expect((await byName(today, 'Berta Segunda')).status).toBe('CONFIRMED');
    await berta.getByRole('button', { name: 'Cancelar la reserva' }).click();
    await confirm.getByRole('button', { name: 'Sí' }).click();
    await expect.poll(() => page.locator('.others li', { hasText: 'Berta Segunda' }).locator('.badge').textContent()).toBe('Cancelada');
    expect((await byName(today, 'Berta Segunda')).status).toBe('CANCELLED');

    // No-show for Carlos, by keyboard: Tab to his "Ver" button in the arrivals, Enter, and so on.
    const carlosOpen = page.getByRole('button', { name: /^Ver la reserva de Carlos Tercero/ });
    await carlosOpen.focus();
    await page.keyboard.press('Enter');
    const carlos = page.getByRole('dialog', { name: 'Reserva de Carlos Tercero' });
    await carlos.getByRole('button', { name: 'No se presentó' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#confirm-text').textContent()).toMatch(/^¿Marcar que Carlos Tercero no se presentó/);
    // "No" has the focus (the safe answer); Shift+Tab reaches "Sí".
    expect(await page.locator('#confirm-no').evaluate((e: { ownerDocument: { activeElement: unknown } }) => e === e.ownerDocument.activeElement)).toBe(true);
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.others li', { hasText: 'Carlos Tercero' }).locator('.badge').textContent()).toBe('No vino');
    expect((await byName(today, 'Carlos Tercero')).status).toBe('NO_SHOW');
    await expect.poll(() => arrivals.locator('.arr-name').allTextContents()).toEqual(['Diana Web', ...(lateAt === undefined ? [] : ['Eva Tarde'])]);
    await expectAccessible(page, 'staff-reservations-today');
  }, 90_000);

  it('the kitchen gets the 403 page', async () => {
    const { page } = await s.signedIn(s.logins.kitchen);
    const res = await page.goto(`${s.base}/admin/reservations`);
    expect(res?.status()).toBe(403);
    expect(await page.locator('main').textContent()).not.toMatch(/612 345 678/);
    expect(await page.locator('#timeline').count()).toBe(0);
  }, 90_000);

  it('is accessible and readable at 1280×800 and on a phone, where the timeline scrolls sideways', async () => {
    await book({ partySize: 2, time: local(day, '13:30'), customerName: 'Marta Ruiz' });
    await book({ partySize: 5, time: local(day, '14:00'), customerName: 'Familia Ortega' });
    await book({ partySize: 2, time: local(day, '20:30'), customerName: 'Jon Etxeberria' });
    const guest = await fetch(`${s.base}/api/reservations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ restaurantId: DEMO_RESTAURANT_ID, partySize: 4, time: local(day, '21:30'), customerName: 'Sara Web', customerEmail: 'sara@example.com' }),
    });
    expect(guest.status).toBe(201);
    const desktop = await openPage(day);
    await expect.poll(() => timelineBooking(desktop, 'Sara Web').count()).toBe(1);
    await expectAccessible(desktop, 'staff-reservations');

    const phone = await openPage(day, { width: 390, height: 844 });
    await expect.poll(() => timelineBooking(phone, 'Sara Web').count()).toBe(1);
    const box = await phone.locator('#timeline').evaluate((e: Scrollable) => ({ scroll: e.scrollWidth, client: e.clientWidth }));
    expect(box.scroll).toBeGreaterThan(box.client);
    // Scrolled to the dinner service, the table names stay in sight.
    // (A live update may redraw the timeline meanwhile: scroll and measure again until both hold.)
    const labelX = async () => {
      const scrolled = await phone.locator('#timeline').evaluate((e: Scrollable) => (e.scrollTo({ left: e.scrollWidth }), e.scrollLeft));
      const label = await phone.locator('.tl-rows .tl-label').first().boundingBox();
      return scrolled > 0 && label ? label.x : -1;
    };
    await expect.poll(labelX).toBeGreaterThanOrEqual(0);
    expect(await labelX()).toBeLessThan(40);
    await expectAccessible(phone, 'staff-reservations-phone');
    // The page's own document has no page horizontal scroll: only the timeline scrolls.
    expect(await phone.locator('html').evaluate((e: Scrollable) => e.scrollWidth)).toBeLessThanOrEqual(390);

    // In English: the shell and the script's strings.
    await desktop.goto(`${s.base}/admin/reservations?date=${day}&lang=en`);
    await expect.poll(() => timelineBooking(desktop, 'Sara Web').locator('.tl-state').textContent()).toBe('Pending');
    expect(await desktop.getByRole('heading', { level: 1 }).textContent()).toBe('Bookings');
    expect(await desktop.locator('#arrivals-title').textContent()).toBe("Today's arrivals");
    await desktop.getByRole('button', { name: 'New booking' }).click();
    expect(await desktop.getByRole('dialog', { name: 'New booking (phone call)' }).getByLabel('Guests').inputValue()).toBe('2');
    expect(s.cspErrors).toEqual([]);
  }, 90_000);
});
