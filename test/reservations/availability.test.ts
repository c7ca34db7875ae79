// Availability at the edges, over HTTP: service hours, turn times, closed days and opening
// exceptions, party sizes and combined tables, the buffer between bookings, the spring clock
// change in Europe/Madrid, and the past.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Reservation } from '../../src/core/reservations/reservations.js';
import { useTestApp } from '../helpers/app.js';
import { expectProblem } from '../helpers/problems.js';
import {
  BUFFER_ID,
  DST_ID,
  LAST_YEAR,
  R,
  TUESDAY,
  YEAR,
  addDays,
  booking,
  createTestRestaurants,
  freshDay,
  grid,
  isoDow,
  local,
  onOrAfter,
  reservationRequests,
  springForward,
} from '../helpers/reservations.js';

// The file's own app over its own database (the demo restaurant seeded).
const t = await useTestApp();
const { availabilityRequest, slotsOf, postBooking, bookOk, counts, storedReservation, heldTables } = reservationRequests(t);

// Restaurants of the file's own, created once.
let bufferTable: string;
let dstStaff: string;
beforeAll(async () => {
  ({ bufferTable, dstStaff } = await createTestRestaurants(t));
});

describe('availability', () => {
  const winterTuesday = onOrAfter(`${YEAR}-02-01`, TUESDAY);
  const summerTuesday = onOrAfter(`${YEAR}-07-01`, TUESDAY);

  it('a winter Tuesday, party of 2: lunch 13:00…14:30 and dinner 20:00…22:00 (the 90-minute turn ends by closing), +01:00', async () => {
    const slots = await slotsOf(R, winterTuesday, 2);
    expect(slots).toEqual([...grid(winterTuesday, '13:00', '14:30'), ...grid(winterTuesday, '20:00', '22:00')]);
    expect(slots[0]).toBe(`${winterTuesday}T13:00:00+01:00`);
    expect(slots).toContain(`${winterTuesday}T14:30:00+01:00`);
    expect(slots).not.toContain(`${winterTuesday}T14:45:00+01:00`);
    expect(slots.at(-1)).toBe(`${winterTuesday}T22:00:00+01:00`);
    expect(slots).toHaveLength(7 + 9);
    for (const slot of slots) expect(slot).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\+01:00$/);
  });

  it('a summer Tuesday: the same local times with +02:00', async () => {
    const slots = await slotsOf(R, summerTuesday, 2);
    expect(slots[0]).toBe(`${summerTuesday}T13:00:00+02:00`);
    expect(slots.at(-1)).toBe(`${summerTuesday}T22:00:00+02:00`);
    expect(slots).toEqual([...grid(summerTuesday, '13:00', '14:30'), ...grid(summerTuesday, '20:00', '22:00')]);
    for (const slot of slots) expect(slot).toMatch(/\+02:00$/);
  });

  it('longer turns end earlier: 3–4 people (105 min), 5–8 (120 min), 9+ (150 min)', async () => {
    expect(await slotsOf(R, winterTuesday, 3)).toEqual([...grid(winterTuesday, '13:00', '14:15'), ...grid(winterTuesday, '20:00', '21:45')]);
    expect(await slotsOf(R, winterTuesday, 5)).toEqual([...grid(winterTuesday, '13:00', '14:00'), ...grid(winterTuesday, '20:00', '21:30')]);
    expect(await slotsOf(R, winterTuesday, 9)).toEqual([...grid(winterTuesday, '13:00', '13:30'), ...grid(winterTuesday, '20:00', '21:00')]);
  });

  it('Monday is closed: no slots, and booking it is SLOT_UNAVAILABLE', async () => {
    const monday = onOrAfter(`${YEAR}-02-01`, 1);
    expect(await slotsOf(R, monday, 2)).toEqual([]);
    expectProblem(await postBooking(booking({ time: local(monday, '20:00') })), 422, 'SLOT_UNAVAILABLE');
  });

  it('an opening exception with closed = true closes the day', async () => {
    const closedTuesday = onOrAfter(`${YEAR}-02-08`, TUESDAY);
    expect(await slotsOf(R, closedTuesday, 2)).toHaveLength(16);
    await t.db.query(`INSERT INTO restaurante.opening_exceptions ("restaurantId", date, closed, reason) VALUES ($1, $2, true, 'Inventario')`, [
      R,
      closedTuesday,
    ]);
    expect(await slotsOf(R, closedTuesday, 2)).toEqual([]);
    expectProblem(await postBooking(booking({ time: local(closedTuesday, '13:00') })), 422, 'SLOT_UNAVAILABLE');
  });

  it("special hours replace the weekday's hours", async () => {
    const specialTuesday = onOrAfter(`${YEAR}-02-15`, TUESDAY);
    await t.db.query(
      `INSERT INTO restaurante.opening_exceptions ("restaurantId", date, closed, opens_at, closes_at, reason)
       VALUES ($1, $2, false, '11:00', '13:30', 'Evento')`,
      [R, specialTuesday],
    );
    // 11:00 until 13:30 − 90 min = 12:00; neither the normal lunch nor the dinner.
    expect(await slotsOf(R, specialTuesday, 2)).toEqual(grid(specialTuesday, '11:00', '12:00'));
    expectProblem(await postBooking(booking({ time: local(specialTuesday, '20:00') })), 422, 'SLOT_UNAVAILABLE');
    expectProblem(await postBooking(booking({ time: local(specialTuesday, '13:00') })), 422, 'SLOT_UNAVAILABLE');
    const res = await bookOk(booking({ time: local(specialTuesday, '11:30') }));
    expect(res.time).toBe(local(specialTuesday, '11:30'));
  });

  it('a party of 13 fits no table or combination: no slots, and booking is 422 PARTY_TOO_LARGE with nothing written', async () => {
    expect(await slotsOf(R, winterTuesday, 12)).not.toEqual([]);
    expect(await slotsOf(R, winterTuesday, 13)).toEqual([]);
    const before = await counts();
    expectProblem(await postBooking(booking({ partySize: 13, time: local(winterTuesday, '20:00') })), 422, 'PARTY_TOO_LARGE');
    expect(await counts()).toEqual(before);
  });

  it('bad availability queries: partySize 0 or 51 → 400, an unknown restaurant → 404', async () => {
    expectProblem(await availabilityRequest(R, winterTuesday, 0), 400, 'VALIDATION_FAILED');
    expectProblem(await availabilityRequest(R, winterTuesday, 51), 400, 'VALIDATION_FAILED');
    expectProblem(await availabilityRequest(R, '2027-2-1', 2), 400, 'VALIDATION_FAILED');
    expectProblem(await availabilityRequest('rest_nowhere', winterTuesday, 2), 404, 'NOT_FOUND');
  });

  it('a party of 10 sits only at 6+7 or 8+9+12: two such parties get one each, the third gets 409 with the lunch slots', async () => {
    const day = freshDay(3);
    const first = await bookOk(booking({ partySize: 10, time: local(day, '20:00') }));
    expect(first.tableIds).toEqual(['table_06', 'table_07']);
    expect((await storedReservation(first.id)).table_ids).toEqual(first.tableIds);
    expect((await heldTables(first.id)).map((h) => h.tableId)).toEqual(['table_06', 'table_07']);

    const second = await bookOk(booking({ partySize: 10, time: local(day, '20:30') }));
    expect(second.tableIds).toEqual(['table_08', 'table_09', 'table_12']);
    expect((await storedReservation(second.id)).table_ids).toEqual(second.tableIds);
    for (const r of [first, second]) {
      expect(r.tableIds.length).toBeGreaterThanOrEqual(2);
      expect(r.tableIds.length).toBeLessThanOrEqual(3);
    }

    // Nothing is left for 10 at dinner; the 150-minute turn leaves lunch 13:00…13:30.
    expect(await slotsOf(R, day, 10)).toEqual(grid(day, '13:00', '13:30'));
    const before = await counts();
    const problem = expectProblem(await postBooking(booking({ partySize: 10, time: local(day, '20:15') })), 409, 'TABLE_ALREADY_RESERVED');
    expect(problem.alternatives).toEqual([local(day, '13:30'), local(day, '13:15'), local(day, '13:00')]);
    expect(await counts()).toEqual(before);
  });

  it('the buffer (one table, 90 + 15 min): a booking at 20:00 blocks starts 18:30…21:30; 18:15 and 21:45 stay free', async () => {
    const day = freshDay(5);
    expect(await slotsOf(BUFFER_ID, day, 2)).toEqual(grid(day, '18:00', '22:00'));
    const first = await bookOk(booking({ restaurantId: BUFFER_ID, time: local(day, '20:00') }));
    expect(first.tableIds).toEqual([bufferTable]);
    const held = await heldTables(first.id);
    expect(held).toHaveLength(1);
    expect(held[0]!.from.getTime()).toBe(Date.parse(local(day, '20:00')));
    expect(held[0]!.until.getTime()).toBe(Date.parse(local(day, '21:45')));

    expect(await slotsOf(BUFFER_ID, day, 2)).toEqual([local(day, '18:00'), local(day, '18:15'), local(day, '21:45'), local(day, '22:00')]);

    // A second booking at 20:30 is refused, with the free times nearest first.
    const problem = expectProblem(await postBooking(booking({ restaurantId: BUFFER_ID, time: local(day, '20:30') })), 409, 'TABLE_ALREADY_RESERVED');
    expect(problem.alternatives).toContain(local(day, '21:45'));
    expect(problem.alternatives).toEqual([local(day, '21:45'), local(day, '22:00'), local(day, '18:15'), local(day, '18:00')]);
    expectProblem(await postBooking(booking({ restaurantId: BUFFER_ID, time: local(day, '21:30') })), 409, 'TABLE_ALREADY_RESERVED');
    expectProblem(await postBooking(booking({ restaurantId: BUFFER_ID, time: local(day, '18:30') })), 409, 'TABLE_ALREADY_RESERVED');

    // Exactly at the ends of the buffered interval it works ([from, until) ranges touch, never overlap).
    const after = await bookOk(booking({ restaurantId: BUFFER_ID, time: local(day, '21:45') }));
    const before = await bookOk(booking({ restaurantId: BUFFER_ID, time: local(day, '18:15') }));
    expect(after.tableIds).toEqual([bufferTable]);
    expect(before.tableIds).toEqual([bufferTable]);
    expect(await slotsOf(BUFFER_ID, day, 2)).toEqual([]);
  });

  it('the spring clock change (02:00 → 03:00): slots are real instants 30 minutes apart, none at 02:xx', async () => {
    const sunday = springForward(YEAR);
    expect(isoDow(sunday)).toBe(7);
    const slots = await slotsOf(DST_ID, sunday, 2);
    expect(slots).toEqual([
      `${sunday}T00:00:00+01:00`,
      `${sunday}T00:30:00+01:00`,
      `${sunday}T01:00:00+01:00`,
      `${sunday}T01:30:00+01:00`,
      `${sunday}T03:00:00+02:00`,
      `${sunday}T03:30:00+02:00`,
      `${sunday}T04:00:00+02:00`,
      `${sunday}T04:30:00+02:00`,
    ]);
    for (const slot of slots) expect(slot).not.toMatch(/T02:/);
    const instants = slots.map((s) => Date.parse(s));
    for (let i = 1; i < instants.length; i++) expect(instants[i]! - instants[i - 1]!).toBe(30 * 60_000);
    // 00:00–05:00 local that night is four hours of real time.
    expect(Date.parse(`${sunday}T05:00:00+02:00`) - Date.parse(`${sunday}T00:00:00+01:00`)).toBe(4 * 3_600_000);

    // A Sunday without a change has ten slots, all +01:00.
    const before = addDays(sunday, -7);
    const normal = await slotsOf(DST_ID, before, 2);
    expect(normal).toEqual(grid(before, '00:00', '04:30', 30));
    expect(normal).toHaveLength(10);
  });

  it('the spring clock change: 02:30+01:00 is the instant 03:30+02:00, and a booking at 00:30 local is dated Sunday', async () => {
    const sunday = springForward(YEAR);
    const moved = await bookOk(booking({ restaurantId: DST_ID, time: `${sunday}T02:30:00+01:00` }));
    expect(moved.time).toBe(`${sunday}T03:30:00+02:00`);
    expect(moved.date).toBe(sunday);

    // 23:30 UTC on Saturday is 00:30 on Sunday in Madrid: the local date is Sunday.
    const early = await bookOk(booking({ restaurantId: DST_ID, time: `${addDays(sunday, -1)}T23:30:00Z` }));
    expect(early.time).toBe(`${sunday}T00:30:00+01:00`);
    expect(early.date).toBe(sunday);
    expect((await storedReservation(early.id)).date).toBe(sunday);

    expect(await slotsOf(DST_ID, sunday, 2)).toEqual([
      `${sunday}T00:00:00+01:00`,
      `${sunday}T01:00:00+01:00`,
      `${sunday}T01:30:00+01:00`,
      `${sunday}T03:00:00+02:00`,
      `${sunday}T04:00:00+02:00`,
      `${sunday}T04:30:00+02:00`,
    ]);
    // Staff see both on the Sunday's book.
    const list = await t.app.inject({ method: 'GET', url: `/api/admin/reservations?date=${sunday}`, headers: t.auth(dstStaff) });
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json<{ reservations: Reservation[] }>().reservations.map((r) => r.id)).toEqual([early.id, moved.id]);
  });

  it('past dates have no slots, and a past slot cannot be booked', async () => {
    const pastTuesday = onOrAfter(`${LAST_YEAR}-06-01`, TUESDAY);
    expect(await slotsOf(R, pastTuesday, 2)).toEqual([]);
    expect(await slotsOf(R, addDays(new Date().toISOString().slice(0, 10), -1), 2)).toEqual([]);
    const before = await counts();
    expectProblem(await postBooking(booking({ time: local(pastTuesday, '20:00') })), 422, 'SLOT_UNAVAILABLE');
    expect(await counts()).toEqual(before);
  });
});
