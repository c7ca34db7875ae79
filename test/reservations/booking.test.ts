// Booking over HTTP: the smallest fitting table, the local date, the confirmation e-mail queued in
// the same transaction, pre-ordered items, bad input (refused, nothing written) and Idempotency-Key.
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { expectProblem } from '../helpers/problems.js';
import {
  BUFFER_ID,
  R,
  TUESDAY,
  booking,
  createTestRestaurants,
  freshDay,
  local,
  reservationRequests,
  type Booked,
} from '../helpers/reservations.js';

// The file's own app over its own database (the demo restaurant seeded).
const t = await useTestApp();
const { postBooking, bookOk, counts, storedReservation, heldTables, historyOf, emailsOf, linkTokenOf, byToken } = reservationRequests(t);

// Restaurants of the file's own, created once (the one-table BUFFER_ID, and another restaurant
// whose dish the demo restaurant must not accept).
beforeAll(async () => {
  await createTestRestaurants(t);
});

describe('booking', () => {
  it('201 with the reservation: PENDING, the smallest table, the local date, the held interval and the history', async () => {
    const day = freshDay(TUESDAY);
    const before = await counts();
    const body = booking({ time: local(day, '20:00'), language: 'en', notes: 'Ventana, por favor', customerPhone: '+34 600 000 000' });
    const res = await postBooking(body);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    const reservation = res.json<Booked>().reservation;
    expect(reservation).toMatchObject({
      restaurantId: R,
      status: 'PENDING',
      time: local(day, '20:00'),
      date: day,
      partySize: 2,
      tableIds: ['table_01'],
      customerName: body.customerName,
      customerEmail: body.customerEmail,
      customerPhone: '+34 600 000 000',
      language: 'en',
      notes: 'Ventana, por favor',
      items: [],
    });
    expect(reservation.id).toEqual(expect.any(String));

    const stored = await storedReservation(reservation.id);
    expect(stored).toMatchObject({ status: 'PENDING', date: day, table_ids: ['table_01'], partySize: 2, durationMinutes: 90 });
    expect(stored.time.getTime()).toBe(Date.parse(local(day, '20:00')));
    const held = await heldTables(reservation.id);
    expect(held).toEqual([
      { tableId: 'table_01', from: new Date(local(day, '20:00')), until: new Date(local(day, '21:45')), active: true },
    ]);
    expect(await historyOf(reservation.id)).toEqual([{ fromStatus: null, toStatus: 'PENDING', changedBy: 'guest:booking' }]);

    const after = await counts();
    expect(after).toMatchObject({
      reservations: before.reservations + 1,
      reservationTables: before.reservationTables + 1,
      tokens: before.tokens + 1,
      emails: before.emails + 1,
      customers: before.customers + 1,
    });
  });

  it('the smallest fitting table: 2 → a 2-seat table (the next 2-seater when taken), 3 and 4 → a 4-seat table, not the 1+2 combination', async () => {
    const day = freshDay(TUESDAY);
    const a = await bookOk(booking({ time: local(day, '13:00') }));
    const b = await bookOk(booking({ time: local(day, '13:00') }));
    const c = await bookOk(booking({ partySize: 3, time: local(day, '13:00') }));
    const d = await bookOk(booking({ partySize: 4, time: local(day, '20:00') }));
    expect(a.tableIds).toEqual(['table_01']);
    expect(b.tableIds).toEqual(['table_02']);
    expect(c.tableIds).toEqual(['table_03']);
    expect(d.tableIds).toEqual(['table_03']);
    const { rows } = await t.db.query<{ id: string; capacity: number }>(
      `SELECT id, capacity FROM restaurante.tables WHERE id = ANY($1::text[]) ORDER BY id`,
      [[...a.tableIds, ...b.tableIds, ...c.tableIds]],
    );
    expect(rows).toEqual([
      { id: 'table_01', capacity: 2 },
      { id: 'table_02', capacity: 2 },
      { id: 'table_03', capacity: 4 },
    ]);
    // The 105-minute turn of the party of 3/4 (plus the buffer) is what is held.
    const held = await heldTables(d.id);
    expect(held[0]!.until.getTime() - held[0]!.from.getTime()).toBe((105 + 15) * 60_000);
    expect((await storedReservation(d.id)).durationMinutes).toBe(105);
  });

  it('queues the confirmation e-mail in the outbox with the reservation and a token id (no token)', async () => {
    const day = freshDay(TUESDAY);
    const reservation = await bookOk(booking({ time: local(day, '14:00') }));
    const emails = await emailsOf(reservation.id);
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ email_type: 'reservation_confirmation', status: 'pending', recipient_email: reservation.customerEmail });
    const tokenId = emails[0]!.payload.tokenId;
    expect(tokenId).toEqual(expect.any(String));
    const { rows } = await t.db.query<{ reservationId: string; isUsed: boolean }>(
      `SELECT "reservationId", "isUsed" FROM restaurante.reservation_tokens WHERE id = $1`,
      [tokenId],
    );
    expect(rows).toEqual([{ reservationId: reservation.id, isUsed: false }]);
    // Rows of the outbox carry the restaurant's default language when the guest gave none.
    const { rows: lang } = await t.db.query<{ language: string; restaurantId: string }>(
      `SELECT language, "restaurantId" FROM restaurante.email_logs WHERE reservation_id = $1`,
      [reservation.id],
    );
    expect(lang).toEqual([{ language: 'es', restaurantId: R }]);
  });

  it('stores pre-ordered items', async () => {
    const day = freshDay(TUESDAY);
    const before = await counts();
    const reservation = await bookOk(
      booking({
        partySize: 4,
        time: local(day, '20:00'),
        items: [
          { menuItemId: 'item_paella_marisco', quantity: 4 },
          { menuItemId: 'item_sangria', quantity: 1 },
        ],
      }),
    );
    expect([...reservation.items].sort((a, b) => a.menuItemId.localeCompare(b.menuItemId))).toEqual([
      { menuItemId: 'item_paella_marisco', quantity: 4 },
      { menuItemId: 'item_sangria', quantity: 1 },
    ]);
    const { rows } = await t.db.query<{ menuItemId: string; quantity: number; restaurantId: string }>(
      `SELECT "menuItemId", quantity, "restaurantId" FROM restaurante.reservation_items WHERE "reservationId" = $1 ORDER BY "menuItemId"`,
      [reservation.id],
    );
    expect(rows).toEqual([
      { menuItemId: 'item_paella_marisco', quantity: 4, restaurantId: R },
      { menuItemId: 'item_sangria', quantity: 1, restaurantId: R },
    ]);
    expect((await counts()).reservationItems).toBe(before.reservationItems + 2);
  });

  it('pre-ordered items come back in the order the guest gave them (also through the guest link)', async () => {
    const day = freshDay(TUESDAY);
    const items = [
      { menuItemId: 'item_sangria', quantity: 1 },
      { menuItemId: 'item_paella_marisco', quantity: 4 },
      { menuItemId: 'item_croquetas_jamon', quantity: 2 },
      { menuItemId: 'item_agua_mineral', quantity: 3 },
      { menuItemId: 'item_pan_tomate', quantity: 2 },
      { menuItemId: 'item_crema_catalana', quantity: 4 },
    ];
    const reservation = await bookOk(booking({ partySize: 4, time: local(day, '20:00'), items }));
    expect(reservation.items).toEqual(items);
    const view = await byToken('view', await linkTokenOf(reservation.id));
    expect(view.json<Booked>().reservation.items).toEqual(items);
  });

  it("an item of another restaurant, or an unknown one, is REFERENCE_NOT_FOUND and nothing is written", async () => {
    const day = freshDay(TUESDAY);
    const before = await counts();
    for (const menuItemId of ['item_other_paella', 'item_does_not_exist']) {
      const res = await postBooking(
        booking({ time: local(day, '20:00'), items: [{ menuItemId: 'item_sangria', quantity: 1 }, { menuItemId, quantity: 1 }] }),
      );
      expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expectProblem(res, 422, 'REFERENCE_NOT_FOUND');
    }
    expect(await counts()).toEqual(before);
    // The table was not held either: the first party of 2 at that time still gets table_01.
    expect((await bookOk(booking({ time: local(day, '20:00') }))).tableIds).toEqual(['table_01']);
  });

  it('off the grid (20:07), outside the hours (17:00) or running past closing (22:15 for 2) → 422 SLOT_UNAVAILABLE, nothing written', async () => {
    const day = freshDay(TUESDAY);
    const before = await counts();
    for (const hhmm of ['20:07', '17:00', '22:15', '12:45', '23:30']) {
      expectProblem(await postBooking(booking({ time: local(day, hhmm) })), 422, 'SLOT_UNAVAILABLE');
    }
    // Seconds off the grid too.
    expectProblem(await postBooking(booking({ time: `${local(day, '20:00').slice(0, 17)}30${local(day, '20:00').slice(19)}` })), 422, 'SLOT_UNAVAILABLE');
    expect(await counts()).toEqual(before);
    // The edges themselves are bookable.
    expect((await bookOk(booking({ time: local(day, '22:00') }))).time).toBe(local(day, '22:00'));
    expect((await bookOk(booking({ time: local(day, '14:30') }))).time).toBe(local(day, '14:30'));
  });

  it('bad input → 400 VALIDATION_FAILED with nothing written', async () => {
    const day = freshDay(TUESDAY);
    const valid = { restaurantId: R, partySize: 2, time: local(day, '20:00'), customerName: 'Ana García', customerEmail: 'ana@example.com' };
    const { customerEmail: _omitted, ...withoutEmail } = valid;
    const cases: Array<[string, object]> = [
      ['missing customerEmail', withoutEmail],
      ['bad email', { ...valid, customerEmail: 'not-an-email' }],
      ['partySize 0', { ...valid, partySize: 0 }],
      ['partySize 51', { ...valid, partySize: 51 }],
      ["partySize '2'", { ...valid, partySize: '2' }],
      ['partySize 2.5', { ...valid, partySize: 2.5 }],
      ['time without offset', { ...valid, time: `${day}T20:00:00` }],
      ['time as a date', { ...valid, time: day }],
      ['unknown field', { ...valid, tableId: 'table_08' }],
      ['unknown field in an item', { ...valid, items: [{ menuItemId: 'item_sangria', quantity: 1, price: 0.01 }] }],
      ['quantity 0', { ...valid, items: [{ menuItemId: 'item_sangria', quantity: 0 }] }],
      ['empty name', { ...valid, customerName: '' }],
      ['unknown language', { ...valid, language: 'fr' }],
    ];
    const before = await counts();
    for (const [name, payload] of cases) {
      const problem = expectProblem(await postBooking(payload), 400, 'VALIDATION_FAILED');
      expect(problem.errors, name).toEqual(expect.any(Array));
    }
    expect(await counts()).toEqual(before);
    // The valid body itself books.
    expect((await bookOk(valid)).tableIds).toEqual(['table_01']);
  });

  it('a failed booking (no table free) writes neither a reservation nor an e-mail nor a customer', async () => {
    const day = freshDay(TUESDAY);
    await bookOk(booking({ restaurantId: BUFFER_ID, time: local(day, '20:00') }));
    const before = await counts();
    expectProblem(
      await postBooking(booking({ restaurantId: BUFFER_ID, time: local(day, '20:15'), customerEmail: 'new.customer@example.com' })),
      409,
      'TABLE_ALREADY_RESERVED',
    );
    expect(await counts()).toEqual(before);
    const { rows } = await t.db.query(`SELECT 1 FROM restaurante.customers WHERE email = 'new.customer@example.com'`);
    expect(rows).toHaveLength(0);
  });

  it('Idempotency-Key: the same key and body replay the booking; another body with the key → 422', async () => {
    const day = freshDay(TUESDAY);
    const body = booking({ time: local(day, '20:00') });
    const before = await counts();
    const first = await postBooking(body, { 'idempotency-key': 'booking-key-1' });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await postBooking(body, { 'idempotency-key': 'booking-key-1' });
    expect(again.statusCode, again.body).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json<Booked>().reservation.id).toBe(first.json<Booked>().reservation.id);
    expect(again.json<Booked>()).toEqual(first.json<Booked>());
    const afterReplay = await counts();
    expect(afterReplay).toMatchObject({ reservations: before.reservations + 1, emails: before.emails + 1, tokens: before.tokens + 1 });

    expectProblem(await postBooking({ ...body, partySize: 3 }, { 'idempotency-key': 'booking-key-1' }), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await counts()).toEqual(afterReplay);
    // Without the key the same body is a second booking (another table).
    expect((await bookOk(body)).tableIds).toEqual(['table_02']);
  });
});
