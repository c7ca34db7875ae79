// Reservations end to end, against the file's own PostgreSQL database: availability at the edges
// (service hours, turn times, closed days, exceptions, party sizes, combined tables, the buffer,
// a daylight-saving change, the past), booking (the smallest table, the local date, the e-mail
// outbox in the same transaction, pre-orders, bad input, Idempotency-Key), double bookings under
// real concurrency, the lifecycle and moves, and the guest's single-use link tokens (never
// stored in clear).
import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../src/core/auth/tokens.js';
import { createStaffToken } from '../src/core/auth/staff-tokens.js';
import type { Database } from '../src/core/db/database.js';
import { AppError } from '../src/core/errors.js';
import { book, type BookingInput, type Reservation, type ReservationSettings } from '../src/core/reservations/reservations.js';
import { reservationTokenFor } from '../src/core/reservations/tokens.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { expectProblem } from './helpers/problems.js';
import { TEST_SECRET, useTestApp } from './helpers/app.js';
import { useTestDatabase } from './helpers/db.js';

// ---------------------------------------------------------------------------------------------
// Response shapes
// ---------------------------------------------------------------------------------------------

interface Booked {
  reservation: Reservation;
}

interface IssuedToken {
  reservationId: string;
  token: string;
  expiresAt: string;
}

// ---------------------------------------------------------------------------------------------
// The file's app (its own database, the demo restaurant seeded) and a second database with a
// pool of 40 connections for the concurrency tests.
// ---------------------------------------------------------------------------------------------
const t = await useTestApp();
// The timeouts as in orders-concurrency.test.ts: the race is about correctness, and 200 bookings
// of one restaurant take turns on its booking lock, so on a small machine (or beside the other
// test files) the last ones may wait longer than the default 2 s lock / 5 s pool checkout.
const race = await useTestDatabase({ poolSize: 40, lockTimeoutMs: 10_000, statementTimeoutMs: 30_000, connectTimeoutMs: 30_000 });
const R = DEMO_RESTAURANT_ID;
const settings: ReservationSettings = { secret: TEST_SECRET, tokenTtlDays: 7, idempotencyTtlHours: 24 };

// ---------------------------------------------------------------------------------------------
// Dates: every booking is in the next calendar year, so the tests never go stale.
// ---------------------------------------------------------------------------------------------
const YEAR = new Date().getUTCFullYear() + 1;
const LAST_YEAR = new Date().getUTCFullYear() - 1;

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** ISO weekday: 1 = Monday … 7 = Sunday. */
function isoDow(date: string): number {
  const day = new Date(`${date}T12:00:00Z`).getUTCDay();
  return day === 0 ? 7 : day;
}

function onOrAfter(date: string, dow: number): string {
  let d = date;
  while (isoDow(d) !== dow) d = addDays(d, 1);
  return d;
}

/** The last Sunday of March: in Europe/Madrid 02:00 local jumps to 03:00. */
function springForward(year: number): string {
  let d = `${year}-03-31`;
  while (isoDow(d) !== 7) d = addDays(d, -1);
  return d;
}

// Each call returns a new date (after the spring change, so offsets are +02:00) with the weekday.
let lastAllocated = `${YEAR}-04-04`;
function freshDay(dow: number): string {
  lastAllocated = onOrAfter(addDays(lastAllocated, 1), dow);
  return lastAllocated;
}
const TUESDAY = 2;

const offsetFormat = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Madrid', timeZoneName: 'longOffset' });

function madridOffsetAt(ms: number): string {
  const name = offsetFormat.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? '';
  return name === 'GMT' ? '+00:00' : name.slice(3);
}

/** A Europe/Madrid wall-clock time as the API writes it: 2027-02-02T20:00:00+01:00. */
function local(date: string, hhmm: string): string {
  for (const offset of ['+01:00', '+02:00']) {
    const candidate = `${date}T${hhmm}:00${offset}`;
    if (madridOffsetAt(Date.parse(candidate)) === offset) return candidate;
  }
  throw new Error(`${date} ${hhmm} does not exist in Europe/Madrid`);
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const hhmmOf = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** Local times from `from` to `to` inclusive, every `step` minutes (of a day without a clock change). */
function grid(date: string, from: string, to: string, step = 15): string[] {
  const out: string[] = [];
  for (let m = minutesOf(from); m <= minutesOf(to); m += step) out.push(local(date, hhmmOf(m)));
  return out;
}

/** What assign_tables offers: the day's available slots nearest to `requested` first, at most five. */
function nearest(slots: string[], requested: string, n = 5): string[] {
  const at = Date.parse(requested);
  return [...slots]
    .sort((a, b) => Math.abs(Date.parse(a) - at) - Math.abs(Date.parse(b) - at) || Date.parse(a) - Date.parse(b))
    .slice(0, n);
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------
const ALL_WEEK = [1, 2, 3, 4, 5, 6, 7];

/** A restaurant of the test's own in Europe/Madrid, with its tables (ids `<id>_t1`, …). */
async function createRestaurant(
  db: Database,
  id: string,
  options: {
    tables: number[];
    slot?: number;
    buffer?: number;
    hours?: Array<[number, string, string]>;
    turns?: Array<[number, number, number]>;
  },
): Promise<string[]> {
  await db.query(
    `INSERT INTO restaurante.restaurants (id, name, timezone, slot_interval_minutes, buffer_minutes)
     VALUES ($1, $1, 'Europe/Madrid', $2, $3)`,
    [id, options.slot ?? 15, options.buffer ?? 15],
  );
  const tableIds: string[] = [];
  for (const [i, capacity] of options.tables.entries()) {
    const tableId = `${id}_t${i + 1}`;
    await db.query(`INSERT INTO restaurante.tables (id, "restaurantId", number, capacity) VALUES ($1, $2, $3, $4)`, [tableId, id, i + 1, capacity]);
    tableIds.push(tableId);
  }
  for (const [weekday, opens, closes] of options.hours ?? ALL_WEEK.map((d): [number, string, string] => [d, '18:00', '23:30'])) {
    await db.query(`INSERT INTO restaurante.opening_hours ("restaurantId", weekday, opens_at, closes_at) VALUES ($1, $2, $3, $4)`, [
      id,
      weekday,
      opens,
      closes,
    ]);
  }
  for (const [min, max, minutes] of options.turns ?? []) {
    await db.query(`INSERT INTO restaurante.turn_times ("restaurantId", min_party, max_party, minutes) VALUES ($1, $2, $3, $4)`, [
      id,
      min,
      max,
      minutes,
    ]);
  }
  return tableIds;
}

async function staffTokenOf(restaurantId: string): Promise<{ token: string; id: string }> {
  const { token, info } = await createStaffToken(t.db, { restaurantId, role: 'admin' });
  return { token, id: info.id };
}

async function staffTokenIdOf(token: string): Promise<string> {
  const { rows } = await t.db.query<{ id: string }>('SELECT id FROM restaurante.staff_tokens WHERE token_hash = $1', [hashToken(token)]);
  return rows[0]!.id;
}

function availabilityRequest(restaurantId: string, date: string, partySize: number | string): Promise<LightMyRequestResponse> {
  const query = new URLSearchParams({ restaurantId, date, partySize: String(partySize) });
  return t.app.inject({ method: 'GET', url: `/api/availability?${query.toString()}` });
}

async function slotsOf(restaurantId: string, date: string, partySize: number): Promise<string[]> {
  const res = await availabilityRequest(restaurantId, date, partySize);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ slots: string[] }>().slots;
}

let guestCount = 0;
/** A valid booking body (a new guest e-mail each time). */
function booking(over: Partial<BookingInput> & { time: string }): BookingInput {
  guestCount += 1;
  return { restaurantId: R, partySize: 2, customerName: `Guest ${guestCount}`, customerEmail: `guest${guestCount}@example.com`, ...over };
}

function postBooking(payload: object, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'POST', url: '/api/reservations', payload, headers });
}

async function bookOk(payload: object): Promise<Reservation> {
  const res = await postBooking(payload);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Booked>().reservation;
}


function patch(token: string | undefined, id: string, body: object): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'PATCH',
    url: `/api/admin/reservations/${id}`,
    headers: token === undefined ? {} : t.auth(token),
    payload: body,
  });
}

async function patchOk(token: string, id: string, body: object): Promise<Reservation> {
  const res = await patch(token, id, body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Booked>().reservation;
}

interface Counts {
  reservations: number;
  reservationTables: number;
  reservationItems: number;
  tokens: number;
  emails: number;
  customers: number;
  history: number;
  idempotencyKeys: number;
}

async function counts(db: Database = t.db): Promise<Counts> {
  const { rows } = await db.query<Counts>(
    `SELECT (SELECT count(*) FROM restaurante.reservations)::int AS "reservations",
            (SELECT count(*) FROM restaurante.reservation_tables)::int AS "reservationTables",
            (SELECT count(*) FROM restaurante.reservation_items)::int AS "reservationItems",
            (SELECT count(*) FROM restaurante.reservation_tokens)::int AS "tokens",
            (SELECT count(*) FROM restaurante.email_logs)::int AS "emails",
            (SELECT count(*) FROM restaurante.customers)::int AS "customers",
            (SELECT count(*) FROM restaurante.reservation_status_history)::int AS "history",
            (SELECT count(*) FROM restaurante.idempotency_keys)::int AS "idempotencyKeys"`,
  );
  return rows[0]!;
}

interface StoredReservation {
  status: string;
  date: string;
  time: Date;
  table_ids: string[];
  partySize: number;
  durationMinutes: number;
}

async function storedReservation(id: string): Promise<StoredReservation> {
  const { rows } = await t.db.query<StoredReservation>(
    `SELECT status::text AS status, to_char(date, 'YYYY-MM-DD') AS date, time, table_ids, "partySize", "durationMinutes"
       FROM restaurante.reservations WHERE id = $1`,
    [id],
  );
  if (!rows[0]) throw new Error(`no reservation ${id}`);
  return rows[0];
}

interface HeldTable {
  tableId: string;
  from: Date;
  until: Date;
  active: boolean;
}

async function heldTables(reservationId: string): Promise<HeldTable[]> {
  const { rows } = await t.db.query<HeldTable>(
    `SELECT "tableId", lower(occupied) AS "from", upper(occupied) AS "until", active
       FROM restaurante.reservation_tables WHERE "reservationId" = $1 ORDER BY "tableId"`,
    [reservationId],
  );
  return rows;
}

async function historyOf(reservationId: string): Promise<{ fromStatus: string | null; toStatus: string; changedBy: string }[]> {
  const { rows } = await t.db.query<{ fromStatus: string | null; toStatus: string; changedBy: string }>(
    `SELECT "fromStatus", "toStatus", "changedBy" FROM restaurante.reservation_status_history
      WHERE "reservationId" = $1 ORDER BY "changedAt", id`,
    [reservationId],
  );
  return rows;
}

async function emailsOf(reservationId: string): Promise<{ email_type: string; status: string; recipient_email: string; payload: Record<string, unknown> }[]> {
  const { rows } = await t.db.query<{ email_type: string; status: string; recipient_email: string; payload: Record<string, unknown> }>(
    `SELECT email_type, status, recipient_email, payload FROM restaurante.email_logs WHERE reservation_id = $1 ORDER BY created_at, id`,
    [reservationId],
  );
  return rows;
}

/** The guest's link from the booking's confirmation e-mail, rebuilt as the e-mail worker does. */
async function linkTokenOf(reservationId: string): Promise<string> {
  const { rows } = await t.db.query<{ tokenId: string }>(
    `SELECT payload->>'tokenId' AS "tokenId" FROM restaurante.email_logs
      WHERE reservation_id = $1 AND email_type = 'reservation_confirmation'`,
    [reservationId],
  );
  expect(rows).toHaveLength(1);
  return reservationTokenFor(TEST_SECRET, rows[0]!.tokenId);
}

const tokenIdOf = (token: string): string => token.slice('cmd_res_'.length, token.indexOf('.'));

function byToken(action: 'view' | 'confirm' | 'cancel', token: string | undefined, how: 'bearer' | 'query' = 'bearer'): Promise<LightMyRequestResponse> {
  const path = action === 'view' ? '/api/reservations/by-token' : `/api/reservations/by-token/${action}`;
  const url = how === 'query' && token !== undefined ? `${path}?token=${encodeURIComponent(token)}` : path;
  const headers = how === 'bearer' && token !== undefined ? t.auth(token) : {};
  return t.app.inject({ method: action === 'view' ? 'GET' : 'POST', url, headers });
}

async function issueToken(staffToken: string, reservationId: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: `/api/admin/reservations/${reservationId}/token`, headers: t.auth(staffToken) });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json<IssuedToken>();
  expect(body.reservationId).toBe(reservationId);
  expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
  expect(body.token).toMatch(/^cmd_res_[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
  return body.token;
}

// Restaurants of the file's own, created once.
const BUFFER_ID = 'rest_buffer_one_table';
const DST_ID = 'rest_dst_night';
const OTHER_ID = 'rest_other_menu';
let bufferTable: string;
let bufferStaff: string;
let dstStaff: string;
let otherStaff: string;

beforeAll(async () => {
  // One table, so every buffer and lifecycle effect is exact: open every day 18:00–23:30, slot 15,
  // buffer 15, no turn_times row (90 minutes for everyone).
  [bufferTable] = (await createRestaurant(t.db, BUFFER_ID, { tables: [4] })) as [string];
  // Open 00:00–05:00 on Sundays, a 30-minute grid, 30-minute turns, no buffer.
  await createRestaurant(t.db, DST_ID, { tables: [4], slot: 30, buffer: 0, hours: [[7, '00:00', '05:00']], turns: [[1, 50, 30]] });
  // Another restaurant with a menu item of its own.
  await createRestaurant(t.db, OTHER_ID, { tables: [2] });
  await t.db.query(`INSERT INTO restaurante.menu_categories (id, "restaurantId", name) VALUES ('cat_other', $1, 'Otros')`, [OTHER_ID]);
  await t.db.query(
    `INSERT INTO restaurante.menu_items (id, "restaurantId", "categoryId", name, price, stock) VALUES ('item_other_paella', $1, 'cat_other', 'Paella', 15, 10)`,
    [OTHER_ID],
  );
  bufferStaff = (await staffTokenOf(BUFFER_ID)).token;
  dstStaff = (await staffTokenOf(DST_ID)).token;
  otherStaff = (await staffTokenOf(OTHER_ID)).token;
});

// ---------------------------------------------------------------------------------------------
// 1. Availability at the edges
// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
// 2. Booking
// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
// 3. Concurrency: real parallel connections, never a double booking
// ---------------------------------------------------------------------------------------------
const OVERLAP_SQL = `
  SELECT a."tableId", a."reservationId" AS a, b."reservationId" AS b
    FROM restaurante.reservation_tables a
    JOIN restaurante.reservation_tables b
      ON a."tableId" = b."tableId" AND a."reservationId" < b."reservationId" AND a.occupied && b.occupied
   WHERE a.active AND b.active AND a."restaurantId" = $1`;

describe('concurrency', () => {
  it('200 concurrent bookings through book() on 40 connections for 2 tables: exactly 2 win, 198 get TABLE_ALREADY_RESERVED', async () => {
    const id = 'rest_race_core';
    await createRestaurant(race.db, id, { tables: [2, 2] });
    const day = freshDay(5);
    // A running service has its connections open: open all 40 first, so that the race below is
    // about bookings (on this file's fresh database, opening 40 connections at once takes seconds
    // on a small machine and would count against the pool's 5 s checkout timeout).
    await Promise.all(Array.from({ length: 40 }, () => race.db.query('SELECT pg_sleep(0.2)')));
    expect(race.db.pool.totalCount).toBe(40);
    // 20:00, 20:15, … 21:00: every pair overlaps (each holds 105 minutes), so two tables seat two.
    const times = Array.from({ length: 200 }, (_, i) => local(day, hhmmOf(minutesOf('20:00') + 15 * (i % 5))));
    const started = performance.now();
    const results = await Promise.allSettled(
      times.map((time, i) =>
        book(race.db, { restaurantId: id, partySize: 2, time, customerName: `Racer ${i}`, customerEmail: `racer${i}@example.com` }, settings),
      ),
    );
    console.log(`200 concurrent bookings of one restaurant took ${Math.round(performance.now() - started)} ms`);
    const outcomes = results.map((r) => (r.status === 'fulfilled' ? 'ok' : r.reason instanceof AppError ? r.reason.code : String(r.reason)));
    const tally = outcomes.reduce<Record<string, number>>((acc, o) => ({ ...acc, [o]: (acc[o] ?? 0) + 1 }), {});
    expect(tally).toEqual({ ok: 2, TABLE_ALREADY_RESERVED: 198 });

    const winners = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    for (const w of winners) {
      expect(w.status).toBe(201);
      expect(w.body.reservation.status).toBe('PENDING');
    }
    expect(new Set(winners.map((w) => w.body.reservation.tableIds[0]))).toEqual(new Set([`${id}_t1`, `${id}_t2`]));

    // Every loser has the alternatives of the final state (the losers lost after both winners
    // committed), nearest to its own time first.
    const { rows: finalSlots } = await race.db.query<{ slot: string }>(
      `SELECT restaurante.local_iso(slot, 'Europe/Madrid') AS slot FROM restaurante.available_slots($1, $2::date, 2)`,
      [id, day],
    );
    const available = finalSlots.map((r) => r.slot);
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      const err = r.reason as AppError;
      expect(err.status).toBe(409);
      expect(Array.isArray(err.extra?.alternatives)).toBe(true);
      expect(err.extra?.alternatives).toEqual(nearest(available, times[i]!));
    });

    const { rows: overlaps } = await race.db.query(OVERLAP_SQL, [id]);
    expect(overlaps).toEqual([]);
    const { rows } = await race.db.query<{ reservations: number; held: number; emails: number; customers: number }>(
      `SELECT (SELECT count(*) FROM restaurante.reservations WHERE "restaurantId" = $1)::int AS reservations,
              (SELECT count(*) FROM restaurante.reservation_tables WHERE "restaurantId" = $1 AND active)::int AS held,
              (SELECT count(*) FROM restaurante.email_logs WHERE "restaurantId" = $1)::int AS emails,
              (SELECT count(*) FROM restaurante.customers WHERE "restaurantId" = $1)::int AS customers`,
      [id],
    );
    expect(rows[0]).toEqual({ reservations: 2, held: 2, emails: 2, customers: 2 });
  });

  it('200 concurrent bookings for parties of 2 and 4 at slots 15 minutes apart over 2 tables and a combination: no overlap', async () => {
    const id = 'rest_race_mixed';
    // Two 2-seaters that combine into a 4-seater: a party of 4 needs both.
    const tables = await createRestaurant(race.db, id, { tables: [2, 2] });
    await race.db.query(`INSERT INTO restaurante.table_combinations ("restaurantId", name, table_ids) VALUES ($1, '1+2', $2)`, [id, tables]);
    const day = freshDay(6);
    const times = Array.from({ length: 200 }, (_, i) => local(day, hhmmOf(minutesOf('18:00') + 15 * (i % 17))));
    const results = await Promise.allSettled(
      times.map((time, i) =>
        book(
          race.db,
          { restaurantId: id, partySize: i % 3 === 0 ? 4 : 2, time, customerName: `Mixed ${i}`, customerEmail: `mixed${i}@example.com` },
          settings,
        ),
      ),
    );
    const outcomes = results.map((r) => (r.status === 'fulfilled' ? 'ok' : r.reason instanceof AppError ? r.reason.code : String(r.reason)));
    expect(new Set(outcomes)).toEqual(new Set(['ok', 'TABLE_ALREADY_RESERVED']));
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as AppError).extra?.alternatives).toEqual(expect.any(Array));
    }
    const { rows: overlaps } = await race.db.query(OVERLAP_SQL, [id]);
    expect(overlaps).toEqual([]);
    const ok = outcomes.filter((o) => o === 'ok').length;
    const { rows } = await race.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM restaurante.reservations WHERE "restaurantId" = $1`, [id]);
    expect(rows[0]!.n).toBe(ok);
    expect(ok).toBeGreaterThanOrEqual(2);
  });

  it('60 concurrent POST /api/reservations for 2 tables: two 201s, the rest 409 TABLE_ALREADY_RESERVED with alternatives', async () => {
    const id = 'rest_race_http';
    await createRestaurant(t.db, id, { tables: [2, 2] });
    const day = freshDay(6);
    const responses = await Promise.all(
      Array.from({ length: 60 }, (_, i) => postBooking(booking({ restaurantId: id, time: local(day, i % 2 ? '20:00' : '20:15') }))),
    );
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 201)).toHaveLength(2);
    expect(statuses.filter((s) => s === 409)).toHaveLength(58);
    for (const res of responses.filter((r) => r.statusCode === 409)) {
      const problem = expectProblem(res, 409, 'TABLE_ALREADY_RESERVED');
      expect(problem.alternatives).toEqual(expect.any(Array));
      expect(problem.alternatives!.length).toBeGreaterThan(0);
    }
    const { rows: overlaps } = await t.db.query(OVERLAP_SQL, [id]);
    expect(overlaps).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// 4. The lifecycle, moves and the day's book
// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
// 5. The guest's link tokens
// ---------------------------------------------------------------------------------------------
describe('link tokens', () => {
  const issued: string[] = [];

  it('the e-mailed token shows the reservation (Bearer or ?token=) and confirms it once', async () => {
    const day = freshDay(TUESDAY);
    const reservation = await bookOk(booking({ time: local(day, '20:00') }));
    const token = await linkTokenOf(reservation.id);
    issued.push(token);

    for (const how of ['bearer', 'query'] as const) {
      const view = await byToken('view', token, how);
      expect(view.statusCode, view.body).toBe(200);
      expect(view.json<Booked>().reservation).toMatchObject({ id: reservation.id, status: 'PENDING', time: local(day, '20:00') });
    }
    const confirmed = await byToken('confirm', token);
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json<Booked>().reservation).toMatchObject({ id: reservation.id, status: 'CONFIRMED' });
    expect((await storedReservation(reservation.id)).status).toBe('CONFIRMED');
    expect((await historyOf(reservation.id)).at(-1)).toEqual({ fromStatus: 'PENDING', toStatus: 'CONFIRMED', changedBy: 'guest:link' });
    const { rows } = await t.db.query<{ isUsed: boolean; used: boolean }>(
      `SELECT "isUsed", "usedAt" IS NOT NULL AS used FROM restaurante.reservation_tokens WHERE id = $1`,
      [tokenIdOf(token)],
    );
    expect(rows).toEqual([{ isUsed: true, used: true }]);

    // The link works once.
    expectProblem(await byToken('confirm', token), 409, 'TOKEN_USED');
    expectProblem(await byToken('cancel', token), 409, 'TOKEN_USED');
    expectProblem(await byToken('cancel', token, 'query'), 409, 'TOKEN_USED');
    expect((await storedReservation(reservation.id)).status).toBe('CONFIRMED');
  });

  it('a token issued by staff works; cancelling by link frees the table, is recorded as guest:link and e-mails the guest', async () => {
    const day = freshDay(TUESDAY);
    const reservation = await bookOk(booking({ restaurantId: BUFFER_ID, time: local(day, '20:00') }));
    const fresh = await issueToken(bufferStaff, reservation.id);
    issued.push(fresh);
    expect(fresh).not.toBe(await linkTokenOf(reservation.id));
    const view = await byToken('view', fresh, 'query');
    expect(view.statusCode, view.body).toBe(200);
    expect(view.json<Booked>().reservation.id).toBe(reservation.id);

    const cancelled = await byToken('cancel', fresh, 'query');
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json<Booked>().reservation.status).toBe('CANCELLED');
    expect((await historyOf(reservation.id)).at(-1)).toEqual({ fromStatus: 'PENDING', toStatus: 'CANCELLED', changedBy: 'guest:link' });
    expect((await emailsOf(reservation.id)).map((e) => e.email_type)).toEqual(['reservation_confirmation', 'reservation_cancellation']);
    expect((await heldTables(reservation.id)).map((h) => h.active)).toEqual([false]);
    expect((await bookOk(booking({ restaurantId: BUFFER_ID, time: local(day, '20:00') }))).tableIds).toEqual([bufferTable]);

    // The e-mailed token is still unused, but a cancelled reservation cannot be confirmed.
    const original = await linkTokenOf(reservation.id);
    issued.push(original);
    expectProblem(await byToken('confirm', original), 409, 'INVALID_TRANSITION');
    const { rows } = await t.db.query<{ isUsed: boolean }>(`SELECT "isUsed" FROM restaurante.reservation_tokens WHERE id = $1`, [tokenIdOf(original)]);
    expect(rows).toEqual([{ isUsed: false }]);
  });

  it('an expired token → 410 TOKEN_EXPIRED', async () => {
    const day = freshDay(TUESDAY);
    const reservation = await bookOk(booking({ time: local(day, '20:00') }));
    const token = await issueToken(t.staff.admin, reservation.id);
    issued.push(token);
    expect((await byToken('view', token)).statusCode).toBe(200);
    await t.db.query(`UPDATE restaurante.reservation_tokens SET "expiresAt" = now() - interval '1 minute' WHERE id = $1`, [tokenIdOf(token)]);
    expectProblem(await byToken('view', token), 410, 'TOKEN_EXPIRED');
    expectProblem(await byToken('confirm', token), 410, 'TOKEN_EXPIRED');
    expectProblem(await byToken('cancel', token, 'query'), 410, 'TOKEN_EXPIRED');
    expect((await storedReservation(reservation.id)).status).toBe('PENDING');
    // The e-mailed token of the same reservation is unaffected.
    expect((await byToken('view', await linkTokenOf(reservation.id))).statusCode).toBe(200);
  });

  it('garbage, forged (one character changed), missing or secret-less tokens → 401 TOKEN_INVALID', async () => {
    const day = freshDay(TUESDAY);
    const reservation = await bookOk(booking({ time: local(day, '20:00') }));
    const token = await linkTokenOf(reservation.id);
    issued.push(token);
    const swap = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
    const dot = token.indexOf('.');
    const forgeries = [
      'garbage',
      'cmd_res_',
      swap(token, token.length - 1), // the MAC's last character
      swap(token, dot + 5), // inside the MAC
      swap(token, 'cmd_res_'.length + 3), // inside the id
      reservationTokenFor('another-secret-0123456789abcdef0123456789', tokenIdOf(token)),
      reservationTokenFor(TEST_SECRET, 'AAAAAAAAAAAAAAAA'), // well signed, but no such token
      `${token}x`,
    ];
    for (const forged of forgeries) {
      expect(forged).not.toBe(token);
      expectProblem(await byToken('view', forged), 401, 'TOKEN_INVALID');
      expectProblem(await byToken('confirm', forged, 'query'), 401, 'TOKEN_INVALID');
    }
    expectProblem(await byToken('view', undefined), 401, 'TOKEN_INVALID');
    expectProblem(await byToken('cancel', undefined), 401, 'TOKEN_INVALID');
    expect((await storedReservation(reservation.id)).status).toBe('PENDING');
    // The genuine token still works.
    expect((await byToken('confirm', token)).statusCode).toBe(200);
  });

  it('no token is stored in clear: no text, varchar or jsonb column of any table holds a token or its MAC', async () => {
    const day = freshDay(TUESDAY);
    const reservation = await bookOk(booking({ time: local(day, '13:00') }));
    issued.push(await linkTokenOf(reservation.id));
    for (let i = 0; i < 3; i++) issued.push(await issueToken(t.staff.admin, reservation.id));
    expect(issued.length).toBeGreaterThanOrEqual(9);

    const { rows: columns } = await t.db.query<{ table_name: string; column_name: string }>(
      `SELECT c.table_name, c.column_name
         FROM information_schema.columns c
         JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
        WHERE c.table_schema = 'restaurante' AND tb.table_type = 'BASE TABLE'
          AND (c.data_type IN ('text', 'character varying', 'character', 'jsonb', 'json') OR c.udt_name IN ('_text', '_varchar'))
        ORDER BY 1, 2`,
    );
    expect(columns.map((c) => `${c.table_name}.${c.column_name}`)).toEqual(
      expect.arrayContaining(['reservation_tokens.token', 'reservation_tokens.token_hash', 'email_logs.payload', 'idempotency_keys.responseBody']),
    );

    const where = async (needle: string): Promise<string[]> => {
      const found: string[] = [];
      for (const { table_name, column_name } of columns) {
        const { rows } = await t.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM restaurante.${JSON.stringify(table_name)} WHERE strpos(${JSON.stringify(column_name)}::text, $1) > 0`,
          [needle],
        );
        if (rows[0]!.n > 0) found.push(`${table_name}.${column_name}`);
      }
      return found;
    };

    // The search finds what is there: a token's id is stored (it is not a secret).
    expect(await where(tokenIdOf(issued[0]!))).toEqual(expect.arrayContaining(['reservation_tokens.id', 'email_logs.payload']));
    for (const token of issued) {
      const mac = token.slice(token.indexOf('.') + 1);
      expect(await where(token), token).toEqual([]);
      expect(await where(mac), mac).toEqual([]);
      expect(await where(hashToken(token).slice(0, 12))).toEqual(['reservation_tokens.token', 'reservation_tokens.token_hash']);
    }
  });
});
