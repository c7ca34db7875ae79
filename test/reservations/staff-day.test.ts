// What the bookings page needs of the API: a day's plan (service windows, tables, bookings with
// their tables; the kitchen without contact details), a staff booking for a phone call without an
// e-mail address, and a move onto tables the staff choose, refused by the exclusion constraint
// alone when they are taken (with the nearest free times of those tables and the free options);
// and a staff booking made on chosen tables, under the same rules.
import { describe, expect, it } from 'vitest';
import type { DayPlan } from '../../src/core/reservations/day.js';
import { useTestApp } from '../helpers/app.js';
import { expectProblem } from '../helpers/problems.js';
import { R, TUESDAY, booking, createRestaurant, freshDay, local, reservationRequests } from '../helpers/reservations.js';

const t = await useTestApp();
const { postBooking, bookOk, patch, patchOk, heldTables, emailsOf, counts } = reservationRequests(t);

const dayOf = async (token: string, date: string): Promise<DayPlan> => {
  const res = await t.app.inject({ method: 'GET', url: `/api/admin/reservation-day?date=${date}`, headers: t.auth(token) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<DayPlan>();
};

/** A staff booking (CONFIRMED at once). */
const staffBook = async (body: object) => {
  const res = await t.app.inject({ method: 'POST', url: '/api/reservations', headers: t.auth(t.staff.waiter), payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ reservation: DayPlan['reservations'][number] }>().reservation;
};

describe("a day's plan", () => {
  it('has the service windows, the tables and the bookings with their tables', async () => {
    const day = freshDay(TUESDAY);
    const booked = await bookOk(booking({ time: local(day, '21:00'), partySize: 4, customerPhone: '+34 600 000 001' }));
    const plan = await dayOf(t.staff.waiter, day);
    expect(plan).toMatchObject({ date: day, timezone: 'Europe/Madrid', slotMinutes: 15, bufferMinutes: 15 });
    expect(plan.windows).toEqual([
      { opens: local(day, '13:00'), closes: local(day, '16:00') },
      { opens: local(day, '20:00'), closes: local(day, '23:30') },
    ]);
    expect(plan.tables).toHaveLength(12);
    expect(plan.tables[0]).toEqual({ id: 'table_01', number: 1, capacity: 2, location: 'sala' });
    expect(plan.combinations).toContainEqual({ id: 'combo_01_02', name: 'Mesas 1 + 2', tableIds: ['table_01', 'table_02'] });
    expect(plan.reservations).toHaveLength(1);
    // A party of four has the table for its turn (105 minutes in the demo); the buffer comes after.
    expect(plan.reservations[0]!.durationMinutes).toBe(105);
    expect(plan.reservations[0]).toMatchObject({ id: booked.id, tableIds: booked.tableIds, customerPhone: '+34 600 000 001' });
    expect(booked.tableIds).toHaveLength(1);

    // The kitchen plans covers without the guests' contact details.
    const kitchen = await dayOf(t.staff.kitchen, day);
    expect(kitchen.reservations[0]).toMatchObject({ id: booked.id, customerEmail: null, customerPhone: null });
  });

  it('an exception closes the day (no windows) or changes its hours', async () => {
    const closed = freshDay(TUESDAY);
    const changed = freshDay(TUESDAY);
    await t.db.query(`INSERT INTO restaurante.opening_exceptions ("restaurantId", date, closed) VALUES ($1, $2, true)`, [R, closed]);
    await t.db.query(
      `INSERT INTO restaurante.opening_exceptions ("restaurantId", date, closed, opens_at, closes_at) VALUES ($1, $2, false, '19:00', '01:00')`,
      [R, changed],
    );
    expect((await dayOf(t.staff.admin, closed)).windows).toEqual([]);
    const next = new Date(`${changed}T12:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    expect((await dayOf(t.staff.admin, changed)).windows).toEqual([
      { opens: local(changed, '19:00'), closes: local(next.toISOString().slice(0, 10), '01:00') },
    ]);
  });

  it('needs a staff token, and a valid date', async () => {
    const anonymous = await t.app.inject({ method: 'GET', url: '/api/admin/reservation-day?date=2030-01-01' });
    expectProblem(anonymous, 401, 'UNAUTHENTICATED');
    const bad = await t.app.inject({ method: 'GET', url: '/api/admin/reservation-day?date=tomorrow', headers: t.auth(t.staff.admin) });
    expectProblem(bad, 400, 'VALIDATION_FAILED');
  });
});

describe('a booking for a phone call', () => {
  it('staff may leave the e-mail out: CONFIRMED, no customer record, no e-mail', async () => {
    const day = freshDay(TUESDAY);
    const before = await counts();
    const reservation = await staffBook({ restaurantId: R, partySize: 2, time: local(day, '20:30'), customerName: 'Llamada', customerPhone: '612 345 678' });
    expect(reservation).toMatchObject({ status: 'CONFIRMED', customerEmail: null, customerPhone: '612 345 678' });
    expect(await emailsOf(reservation.id)).toEqual([]);
    const after = await counts();
    expect(after.customers).toBe(before.customers);
    expect(after.tokens).toBe(before.tokens);
  });

  it('a guest still must give one (400, nothing written)', async () => {
    const day = freshDay(TUESDAY);
    const before = await counts();
    const res = await postBooking({ restaurantId: R, partySize: 2, time: local(day, '20:30'), customerName: 'Sin correo' });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(await counts()).toEqual(before);
  });
});

describe('a staff booking on chosen tables', () => {
  const staffPost = (body: object, token = t.staff.waiter, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/api/reservations', headers: { ...t.auth(token), ...headers }, payload: { restaurantId: R, ...body } });

  it('books the chosen table (or combination) instead of the smallest free one', async () => {
    const day = freshDay(TUESDAY);
    // The smallest free table for two at 20:00 is table 1; the staff choose table 9 (terraza).
    const chosen = await staffBook({ restaurantId: R, partySize: 2, time: local(day, '20:00'), customerName: 'En la terraza', tableIds: ['table_09'] });
    expect(chosen).toMatchObject({ status: 'CONFIRMED', tableIds: ['table_09'], time: local(day, '20:00'), durationMinutes: 90 });
    const held = await heldTables(chosen.id);
    expect(held.map((h) => h.tableId)).toEqual(['table_09']);
    // It holds the table for the turn and the buffer, like any booking (90 + 15 minutes for two).
    expect(held[0]!.until.getTime() - held[0]!.from.getTime()).toBe(105 * 60_000);
    const auto = await staffBook({ restaurantId: R, partySize: 2, time: local(day, '20:00'), customerName: 'La más pequeña' });
    expect(auto.tableIds).toEqual(['table_01']);
    // A combination, named in any order, for a party neither of its tables seats alone.
    const four = await staffBook({ restaurantId: R, partySize: 4, time: local(day, '13:30'), customerName: 'Juntas', tableIds: ['table_02', 'table_01'] });
    expect(four.tableIds).toEqual(['table_01', 'table_02']);
    const plan = await dayOf(t.staff.waiter, day);
    expect(plan.reservations.find((r) => r.id === chosen.id)?.tableIds).toEqual(['table_09']);
    // The day's plan says how long each party size holds its tables (the page marks taken tables with it).
    expect(plan.turnMinutes).toHaveLength(50);
    expect(plan.turnMinutes[1]).toBe(90);
    expect(plan.turnMinutes[3]).toBe(105);
  });

  it('a taken table is 409 TABLE_ALREADY_RESERVED with the times it is free and the free options; nothing is written', async () => {
    const day = freshDay(TUESDAY);
    const first = await staffBook({ restaurantId: R, partySize: 2, time: local(day, '20:00'), customerName: 'Primera', tableIds: ['table_12'] });
    const before = await counts();
    const refused = expectProblem(
      await staffPost({ partySize: 2, time: local(day, '20:30'), customerName: 'Segunda', tableIds: ['table_12'] }, t.staff.waiter, { 'idempotency-key': `taken-${day}` }),
      409,
      'TABLE_ALREADY_RESERVED',
    );
    expect(await counts()).toEqual(before);
    // Table 12 is held 20:00–21:45: the nearest times it is free again for two.
    expect(refused.alternatives![0]).toBe(local(day, '21:45'));
    const freeTables = (refused as unknown as { freeTables: string[][] }).freeTables;
    expect(freeTables[0]).toEqual(['table_01']);
    expect(freeTables).not.toContainEqual(['table_12']);
    // Picking one books it (another request, so another key).
    const picked = await staffBook({ restaurantId: R, partySize: 2, time: refused.alternatives![0], customerName: 'Segunda', tableIds: ['table_12'] });
    expect(picked).toMatchObject({ tableIds: ['table_12'], time: local(day, '21:45') });
    expect(first.tableIds).toEqual(['table_12']);
  });

  it('unknown, inactive, too small and off-hours choices are refused with catalogued problems', async () => {
    const day = freshDay(TUESDAY);
    const before = await counts();
    const unknown = expectProblem(await staffPost({ partySize: 2, time: local(day, '21:00'), customerName: 'X', tableIds: ['no_such_table'] }), 422, 'REFERENCE_NOT_FOUND');
    expect(unknown).toMatchObject({ field: 'tableIds', tableIds: ['no_such_table'] });
    expectProblem(await staffPost({ partySize: 4, time: local(day, '21:00'), customerName: 'X', tableIds: ['table_01'] }), 422, 'PARTY_TOO_LARGE');
    expectProblem(await staffPost({ partySize: 2, time: local(day, '17:00'), customerName: 'X', tableIds: ['table_01'] }), 422, 'SLOT_UNAVAILABLE');
    expectProblem(await staffPost({ partySize: 2, time: local(day, '21:00'), customerName: 'X', tableIds: [] }), 400, 'VALIDATION_FAILED');
    await t.db.query(`UPDATE restaurante.tables SET "isActive" = false WHERE id = 'table_08'`);
    try {
      expectProblem(await staffPost({ partySize: 2, time: local(day, '21:00'), customerName: 'X', tableIds: ['table_08'] }), 422, 'REFERENCE_NOT_FOUND');
    } finally {
      await t.db.query(`UPDATE restaurante.tables SET "isActive" = true WHERE id = 'table_08'`);
    }
    expect(await counts()).toEqual(before);
  });

  it("another restaurant's table is refused, and only the restaurant's staff may choose tables", async () => {
    const day = freshDay(TUESDAY);
    const [foreign] = (await createRestaurant(t.db, 'rest_chosen_tables_other', { tables: [4] })) as [string];
    const before = await counts();
    expectProblem(await staffPost({ partySize: 2, time: local(day, '21:00'), customerName: 'X', tableIds: [foreign] }), 422, 'REFERENCE_NOT_FOUND');
    // A guest on the web cannot choose: 403, nothing written (nor a hold).
    expectProblem(
      await postBooking({ ...booking({ time: local(day, '21:00') }), tableIds: ['table_09'] }),
      403,
      'FORBIDDEN',
    );
    expect(await counts()).toEqual(before);
  });

  it('two staff bookings on the same free table at once: one wins, the other gets the alternatives', async () => {
    const day = freshDay(TUESDAY);
    const [a, b] = await Promise.all(
      ['A', 'B'].map((name) => staffPost({ partySize: 2, time: local(day, '22:00'), customerName: name, tableIds: ['table_12'] })),
    );
    expect([a!.statusCode, b!.statusCode].sort()).toEqual([201, 409]);
    const loser = a!.statusCode === 409 ? a! : b!;
    expect(loser.json<{ code: string; freeTables: string[][] }>()).toMatchObject({ code: 'TABLE_ALREADY_RESERVED' });
    const { rows } = await t.db.query(`SELECT 1 FROM restaurante.reservation_tables WHERE "tableId" = 'table_12' AND active AND lower(occupied) = $1::timestamptz`, [
      local(day, '22:00'),
    ]);
    expect(rows).toHaveLength(1);
  });
});

describe('moving a booking onto chosen tables', () => {
  it('moves to a free table, and refuses a taken one with the alternatives', async () => {
    const day = freshDay(TUESDAY);
    const first = await staffBook({ restaurantId: R, partySize: 2, time: local(day, '20:00'), customerName: 'Primera' });
    const second = await staffBook({ restaurantId: R, partySize: 2, time: local(day, '20:00'), customerName: 'Segunda' });
    expect(first.tableIds).not.toEqual(second.tableIds);

    // To table 9 (terraza, 2 seats): free.
    const moved = await patchOk(t.staff.waiter, second.id, { tableIds: ['table_09'] });
    expect(moved.tableIds).toEqual(['table_09']);
    expect((await heldTables(second.id)).map((h) => h.tableId)).toEqual(['table_09']);

    // Onto the first one's table at the same time: the constraint refuses; nothing changes.
    const refused = expectProblem(await patch(t.staff.waiter, second.id, { tableIds: first.tableIds }), 409, 'TABLE_ALREADY_RESERVED');
    expect((await heldTables(second.id)).map((h) => h.tableId)).toEqual(['table_09']);
    const alternatives = refused.alternatives!;
    const freeTables = (refused as unknown as { freeTables: string[][] }).freeTables;
    // The nearest times that table is free: its booking holds 20:00–21:45 (90 + 15), so 21:45 and
    // 22:00 at dinner, then the lunch times nearest to 20:00.
    expect(alternatives[0]).toBe(local(day, '21:45'));
    expect(alternatives).toHaveLength(5);
    // Free at 20:00 for two: every 2-seat table but the first one's (the booking itself is left out).
    expect(freeTables).toContainEqual(['table_09']);
    expect(freeTables).not.toContainEqual(first.tableIds);

    // Picking an alternative books it.
    const picked = await patchOk(t.staff.waiter, second.id, { tableIds: first.tableIds, time: alternatives[0] });
    expect(picked).toMatchObject({ tableIds: first.tableIds, time: local(day, '21:45') });
  });

  it('a combination seats a party none of its tables seats alone; tables too small are 422', async () => {
    const day = freshDay(TUESDAY);
    const party = await staffBook({ restaurantId: R, partySize: 4, time: local(day, '13:30'), customerName: 'Cuatro' });
    const combined = await patchOk(t.staff.admin, party.id, { tableIds: ['table_02', 'table_01'] });
    expect(combined.tableIds).toEqual(['table_01', 'table_02']);
    expectProblem(await patch(t.staff.admin, party.id, { tableIds: ['table_12'] }), 422, 'PARTY_TOO_LARGE');
    expectProblem(await patch(t.staff.admin, party.id, { tableIds: ['table_01', 'table_12'] }), 422, 'PARTY_TOO_LARGE');
    expectProblem(await patch(t.staff.admin, party.id, { tableIds: ['no_such_table'] }), 422, 'REFERENCE_NOT_FOUND');
    expectProblem(await patch(t.staff.admin, party.id, { tableIds: ['table_03'], time: local(day, '17:00') }), 422, 'SLOT_UNAVAILABLE');
    expect((await heldTables(party.id)).map((h) => h.tableId)).toEqual(['table_01', 'table_02']);
  });

  it('a seated booking cannot move, and the kitchen cannot move anything', async () => {
    const day = freshDay(TUESDAY);
    const reservation = await staffBook({ restaurantId: R, partySize: 2, time: local(day, '21:00'), customerName: 'Sentada' });
    expectProblem(await patch(t.staff.kitchen, reservation.id, { tableIds: ['table_12'] }), 403, 'FORBIDDEN');
    await patchOk(t.staff.waiter, reservation.id, { status: 'SEATED' });
    expectProblem(await patch(t.staff.waiter, reservation.id, { tableIds: ['table_12'] }), 409, 'INVALID_TRANSITION');
  });

  it('two moves onto the same free table at once: one wins, the other gets the alternatives', async () => {
    const day = freshDay(TUESDAY);
    const a = await staffBook({ restaurantId: R, partySize: 2, time: local(day, '22:00'), customerName: 'A' });
    const b = await staffBook({ restaurantId: R, partySize: 2, time: local(day, '22:00'), customerName: 'B' });
    const [ra, rb] = await Promise.all([patch(t.staff.admin, a.id, { tableIds: ['table_12'] }), patch(t.staff.admin, b.id, { tableIds: ['table_12'] })]);
    expect([ra.statusCode, rb.statusCode].sort()).toEqual([200, 409]);
    const loser = ra.statusCode === 409 ? ra : rb;
    expect(loser.json<{ code: string }>().code).toBe('TABLE_ALREADY_RESERVED');
    const { rows } = await t.db.query(`SELECT 1 FROM restaurante.reservation_tables WHERE "tableId" = 'table_12' AND active AND lower(occupied) = $1::timestamptz`, [
      local(day, '22:00'),
    ]);
    expect(rows).toHaveLength(1);
  });
});
