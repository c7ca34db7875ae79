// A reservation's lifecycle over the staff API: status changes and who made them, cancellations
// and no-shows freeing the table, moves to another time or party size, the day's book, and who
// may do what.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Reservation } from '../../src/core/reservations/reservations.js';
import { useTestApp } from '../helpers/app.js';
import { expectProblem } from '../helpers/problems.js';
import {
  BUFFER_ID,
  TUESDAY,
  addDays,
  booking,
  createTestRestaurants,
  freshDay,
  local,
  reservationRequests,
} from '../helpers/reservations.js';

// The file's own app over its own database (the demo restaurant seeded).
const t = await useTestApp();
const { staffTokenIdOf, slotsOf, postBooking, bookOk, patch, patchOk, storedReservation, heldTables, historyOf, emailsOf } = reservationRequests(t);

// Restaurants of the file's own, created once.
let bufferTable: string;
let bufferStaff: string;
let otherStaff: string;
beforeAll(async () => {
  ({ bufferTable, bufferStaff, otherStaff } = await createTestRestaurants(t));
});

describe('lifecycle', () => {
  it('PENDING → CONFIRMED → SEATED → COMPLETED, each change in the history with who made it', async () => {
    const day = freshDay(TUESDAY);
    const reservation = await bookOk(booking({ time: local(day, '20:00') }));
    const adminId = await staffTokenIdOf(t.staff.admin);
    const waiterId = await staffTokenIdOf(t.staff.waiter);
    expect((await patchOk(t.staff.admin, reservation.id, { status: 'CONFIRMED' })).status).toBe('CONFIRMED');
    expect((await patchOk(t.staff.waiter, reservation.id, { status: 'SEATED' })).status).toBe('SEATED');
    expect((await heldTables(reservation.id))[0]!.active).toBe(true);
    expect((await patchOk(t.staff.waiter, reservation.id, { status: 'COMPLETED' })).status).toBe('COMPLETED');
    expect(await historyOf(reservation.id)).toEqual([
      { fromStatus: null, toStatus: 'PENDING', changedBy: 'guest:booking' },
      { fromStatus: 'PENDING', toStatus: 'CONFIRMED', changedBy: `staff:admin:${adminId}` },
      { fromStatus: 'CONFIRMED', toStatus: 'SEATED', changedBy: `staff:waiter:${waiterId}` },
      { fromStatus: 'SEATED', toStatus: 'COMPLETED', changedBy: `staff:waiter:${waiterId}` },
    ]);
    // A finished booking no longer holds its table.
    expect((await heldTables(reservation.id))[0]!.active).toBe(false);

    // COMPLETED → CONFIRMED is refused and changes nothing.
    const problem = expectProblem(await patch(t.staff.admin, reservation.id, { status: 'CONFIRMED' }), 409, 'INVALID_TRANSITION');
    expect(problem).toMatchObject({ from: 'COMPLETED', to: 'CONFIRMED' });
    expect((await storedReservation(reservation.id)).status).toBe('COMPLETED');
    expect(await historyOf(reservation.id)).toHaveLength(4);
  });

  it('SEATED → CANCELLED and PENDING → SEATED are 409 INVALID_TRANSITION', async () => {
    const day = freshDay(TUESDAY);
    const reservation = await bookOk(booking({ time: local(day, '20:00') }));
    const skip = expectProblem(await patch(t.staff.admin, reservation.id, { status: 'SEATED' }), 409, 'INVALID_TRANSITION');
    expect(skip).toMatchObject({ from: 'PENDING', to: 'SEATED' });
    await patchOk(t.staff.admin, reservation.id, { status: 'CONFIRMED' });
    await patchOk(t.staff.admin, reservation.id, { status: 'SEATED' });
    const emailsBefore = (await emailsOf(reservation.id)).length;
    const problem = expectProblem(await patch(t.staff.admin, reservation.id, { status: 'CANCELLED' }), 409, 'INVALID_TRANSITION');
    expect(problem).toMatchObject({ from: 'SEATED', to: 'CANCELLED' });
    expect((await storedReservation(reservation.id)).status).toBe('SEATED');
    expect((await heldTables(reservation.id))[0]!.active).toBe(true);
    expect(await emailsOf(reservation.id)).toHaveLength(emailsBefore);
    // A seated party cannot be moved either.
    expectProblem(await patch(t.staff.admin, reservation.id, { time: local(day, '20:15') }), 409, 'INVALID_TRANSITION');
  });

  it('CANCELLED frees the table (a new booking at that time gets it) and queues a cancellation e-mail', async () => {
    const day = freshDay(TUESDAY);
    const first = await bookOk(booking({ restaurantId: BUFFER_ID, time: local(day, '20:00') }));
    expectProblem(await postBooking(booking({ restaurantId: BUFFER_ID, time: local(day, '20:00') })), 409, 'TABLE_ALREADY_RESERVED');
    const staffId = await staffTokenIdOf(bufferStaff);
    const cancelled = await patchOk(bufferStaff, first.id, { status: 'CANCELLED' });
    expect(cancelled.status).toBe('CANCELLED');
    expect((await heldTables(first.id)).map((h) => h.active)).toEqual([false]);
    expect(await historyOf(first.id)).toEqual([
      { fromStatus: null, toStatus: 'PENDING', changedBy: 'guest:booking' },
      { fromStatus: 'PENDING', toStatus: 'CANCELLED', changedBy: `staff:admin:${staffId}` },
    ]);
    const emails = await emailsOf(first.id);
    expect(emails.map((e) => e.email_type)).toEqual(['reservation_confirmation', 'reservation_cancellation']);
    expect(emails[1]).toMatchObject({ status: 'pending', recipient_email: first.customerEmail });

    expect(await slotsOf(BUFFER_ID, day, 2)).toContain(local(day, '20:00'));
    const second = await bookOk(booking({ restaurantId: BUFFER_ID, time: local(day, '20:00') }));
    expect(second.tableIds).toEqual([bufferTable]);

    // Cancelled stays cancelled.
    expectProblem(await patch(bufferStaff, first.id, { status: 'CONFIRMED' }), 409, 'INVALID_TRANSITION');
    expectProblem(await patch(bufferStaff, first.id, { time: local(day, '22:00') }), 409, 'INVALID_TRANSITION');
  });

  it('NO_SHOW frees the table too', async () => {
    const day = freshDay(TUESDAY);
    const first = await bookOk(booking({ restaurantId: BUFFER_ID, time: local(day, '20:00') }));
    await patchOk(bufferStaff, first.id, { status: 'CONFIRMED' });
    expect((await patchOk(bufferStaff, first.id, { status: 'NO_SHOW' })).status).toBe('NO_SHOW');
    expect((await heldTables(first.id)).map((h) => h.active)).toEqual([false]);
    expect((await historyOf(first.id)).map((h) => h.toStatus)).toEqual(['PENDING', 'CONFIRMED', 'NO_SHOW']);
    expect((await bookOk(booking({ restaurantId: BUFFER_ID, time: local(day, '20:15') }))).tableIds).toEqual([bufferTable]);
    expectProblem(await patch(bufferStaff, first.id, { status: 'SEATED' }), 409, 'INVALID_TRANSITION');
  });

  it('moving to a free time re-assigns tables; the old time is freed', async () => {
    const day = freshDay(TUESDAY);
    const lunch = await bookOk(booking({ time: local(day, '13:00') }));
    const dinner = await bookOk(booking({ time: local(day, '20:00') }));
    expect(lunch.tableIds).toEqual(['table_01']);
    expect(dinner.tableIds).toEqual(['table_01']);
    // table_01 is busy at 13:00, so the moved booking gets the next 2-seater.
    const moved = await patchOk(t.staff.admin, dinner.id, { time: local(day, '13:00') });
    expect(moved).toMatchObject({ id: dinner.id, time: local(day, '13:00'), tableIds: ['table_02'], status: 'PENDING' });
    expect(await heldTables(dinner.id)).toEqual([
      { tableId: 'table_02', from: new Date(local(day, '13:00')), until: new Date(local(day, '14:45')), active: true },
    ]);
    expect((await storedReservation(dinner.id)).table_ids).toEqual(['table_02']);
    // 20:00 at table_01 is free again.
    expect((await bookOk(booking({ time: local(day, '20:00') }))).tableIds).toEqual(['table_01']);
    // A bigger party moves to a bigger table.
    const grown = await patchOk(t.staff.admin, lunch.id, { partySize: 4 });
    expect(grown).toMatchObject({ partySize: 4, tableIds: ['table_03'], time: local(day, '13:00') });
    expect((await storedReservation(lunch.id)).durationMinutes).toBe(105);
  });

  it('moving onto a taken time → 409 TABLE_ALREADY_RESERVED and the reservation is unchanged', async () => {
    const day = freshDay(TUESDAY);
    const a = await bookOk(booking({ restaurantId: BUFFER_ID, time: local(day, '20:00') }));
    const b = await bookOk(booking({ restaurantId: BUFFER_ID, time: local(day, '18:00') }));
    const storedBefore = await storedReservation(b.id);
    const heldBefore = await heldTables(b.id);
    const historyBefore = await historyOf(b.id);
    expectProblem(await patch(bufferStaff, b.id, { time: local(day, '20:30') }), 409, 'TABLE_ALREADY_RESERVED');
    expectProblem(await patch(bufferStaff, b.id, { time: local(day, '20:00'), status: 'CONFIRMED' }), 409, 'TABLE_ALREADY_RESERVED');
    expect(await storedReservation(b.id)).toEqual(storedBefore);
    expect(await heldTables(b.id)).toEqual(heldBefore);
    expect(await historyOf(b.id)).toEqual(historyBefore);

    // A move that overlaps only the reservation's own interval is fine.
    expect((await patchOk(bufferStaff, a.id, { time: local(day, '20:15') })).time).toBe(local(day, '20:15'));
    // …and so is a move to a free time, or to another day (its date follows).
    expect((await patchOk(bufferStaff, b.id, { time: local(day, '22:00') })).time).toBe(local(day, '22:00'));
    const nextDay = addDays(day, 1);
    const elsewhere = await patchOk(bufferStaff, a.id, { time: local(nextDay, '19:00') });
    expect(elsewhere).toMatchObject({ date: nextDay, time: local(nextDay, '19:00') });
    expect((await storedReservation(a.id)).date).toBe(nextDay);
    // Off-grid moves are refused like bookings.
    expectProblem(await patch(bufferStaff, b.id, { time: local(day, '22:05') }), 422, 'SLOT_UNAVAILABLE');
  });

  it("a refused move offers the times this reservation could move to (its own interval does not block them)", async () => {
    const day = freshDay(TUESDAY);
    await bookOk(booking({ restaurantId: BUFFER_ID, time: local(day, '20:00') }));
    const late = await bookOk(booking({ restaurantId: BUFFER_ID, time: local(day, '21:45') }));
    // `late` can move to 18:00, 18:15, 22:00 and back to 21:45: a move may overlap the
    // reservation's own interval (assign_tables excludes it), as these two show.
    expect((await patchOk(bufferStaff, late.id, { time: local(day, '22:00') })).time).toBe(local(day, '22:00'));
    expect((await patchOk(bufferStaff, late.id, { time: local(day, '21:45') })).time).toBe(local(day, '21:45'));
    // So a refused move must offer them; its own interval must not hide 21:45 and 22:00.
    const problem = expectProblem(await patch(bufferStaff, late.id, { time: local(day, '20:30') }), 409, 'TABLE_ALREADY_RESERVED');
    expect(problem.alternatives).toEqual([local(day, '21:45'), local(day, '22:00'), local(day, '18:15'), local(day, '18:00')]);
  });

  it("GET /api/admin/reservations?date= lists the day's book of the staff's restaurant only", async () => {
    const day = freshDay(TUESDAY);
    const later = await bookOk(booking({ time: local(day, '20:00') }));
    const earlier = await bookOk(booking({ partySize: 5, time: local(day, '13:15') }));
    await bookOk(booking({ time: local(addDays(day, 1), '13:00') }));
    await bookOk(booking({ restaurantId: BUFFER_ID, time: local(day, '19:00') }));
    for (const token of [t.staff.admin, t.staff.waiter, t.staff.kitchen]) {
      const res = await t.app.inject({ method: 'GET', url: `/api/admin/reservations?date=${day}`, headers: t.auth(token) });
      expect(res.statusCode, res.body).toBe(200);
      const list = res.json<{ reservations: Reservation[] }>().reservations;
      expect(list.map((r) => r.id)).toEqual([earlier.id, later.id]);
      expect(list[0]).toMatchObject({ partySize: 5, tableIds: ['table_06'], date: day, time: local(day, '13:15') });
    }
    const empty = await t.app.inject({ method: 'GET', url: `/api/admin/reservations?date=${day}`, headers: t.auth(otherStaff) });
    expect(empty.json<{ reservations: Reservation[] }>().reservations).toEqual([]);
  });

  it('guests and callers without a token are refused: 401 / 403, and staff of another restaurant get 404', async () => {
    const day = freshDay(TUESDAY);
    const reservation = await bookOk(booking({ time: local(day, '20:00') }));
    const guest = await t.guest('table_05');
    expectProblem(await t.app.inject({ method: 'GET', url: `/api/admin/reservations?date=${day}` }), 401, 'UNAUTHENTICATED');
    expectProblem(await t.app.inject({ method: 'GET', url: `/api/admin/reservations?date=${day}`, headers: t.auth(guest) }), 403, 'FORBIDDEN');
    expectProblem(
      await t.app.inject({ method: 'GET', url: `/api/admin/reservations?date=${day}`, headers: t.auth('cmd_staff_forged') }),
      401,
      'UNAUTHENTICATED',
    );
    expectProblem(await patch(undefined, reservation.id, { status: 'CONFIRMED' }), 401, 'UNAUTHENTICATED');
    expectProblem(await patch(guest, reservation.id, { status: 'CONFIRMED' }), 403, 'FORBIDDEN');
    expectProblem(await patch(otherStaff, reservation.id, { status: 'CONFIRMED' }), 404, 'NOT_FOUND');
    expectProblem(await t.app.inject({ method: 'POST', url: `/api/admin/reservations/${reservation.id}/token` }), 401, 'UNAUTHENTICATED');
    expectProblem(
      await t.app.inject({ method: 'POST', url: `/api/admin/reservations/${reservation.id}/token`, headers: t.auth(guest) }),
      403,
      'FORBIDDEN',
    );
    expectProblem(
      await t.app.inject({ method: 'POST', url: `/api/admin/reservations/${reservation.id}/token`, headers: t.auth(otherStaff) }),
      404,
      'NOT_FOUND',
    );
    expect((await storedReservation(reservation.id)).status).toBe('PENDING');
  });
});
