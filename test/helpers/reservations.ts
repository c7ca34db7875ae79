// Reservations in tests: the API's response shapes, a calendar of Europe/Madrid dates in the next
// year, restaurants of a test's own, and requests (availability, booking, staff changes, the guest's
// link) and readers of the stored state against one test app.
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { createStaffToken } from '../../src/core/auth/staff-tokens.js';
import { hashToken } from '../../src/core/auth/tokens.js';
import type { Database } from '../../src/core/db/database.js';
import type { BookingInput, Reservation, ReservationSettings } from '../../src/core/reservations/reservations.js';
import { reservationTokenFor } from '../../src/core/reservations/tokens.js';
import { DEMO_RESTAURANT_ID } from '../../src/core/seed.js';
import { TEST_SECRET, type TestApp } from './app.js';
import { rowCounts } from './fixtures.js';

// ---------------------------------------------------------------------------------------------
// Response shapes
// ---------------------------------------------------------------------------------------------
export interface Booked {
  reservation: Reservation;
}

export interface IssuedToken {
  reservationId: string;
  token: string;
  expiresAt: string;
}

export const R = DEMO_RESTAURANT_ID;
export const settings: ReservationSettings = { secret: TEST_SECRET, tokenTtlDays: 7, idempotencyTtlHours: 24 };

// ---------------------------------------------------------------------------------------------
// Dates: every booking is in the next calendar year, so the tests never go stale.
// ---------------------------------------------------------------------------------------------
export const YEAR = new Date().getUTCFullYear() + 1;
export const LAST_YEAR = new Date().getUTCFullYear() - 1;

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export function isoDow(date: string): number {
  const day = new Date(`${date}T12:00:00Z`).getUTCDay();
  return day === 0 ? 7 : day;
}

export function onOrAfter(date: string, dow: number): string {
  let d = date;
  while (isoDow(d) !== dow) d = addDays(d, 1);
  return d;
}

/** The last Sunday of March: in Europe/Madrid 02:00 local jumps to 03:00. */
export function springForward(year: number): string {
  let d = `${year}-03-31`;
  while (isoDow(d) !== 7) d = addDays(d, -1);
  return d;
}

// Each call returns a new date (after the spring change, so offsets are +02:00) with the weekday.
let lastAllocated = `${YEAR}-04-04`;
export function freshDay(dow: number): string {
  lastAllocated = onOrAfter(addDays(lastAllocated, 1), dow);
  return lastAllocated;
}
export const TUESDAY = 2;

const offsetFormat = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Madrid', timeZoneName: 'longOffset' });

function madridOffsetAt(ms: number): string {
  const name = offsetFormat.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? '';
  return name === 'GMT' ? '+00:00' : name.slice(3);
}

/** A Europe/Madrid wall-clock time as the API writes it: 2027-02-02T20:00:00+01:00. */
export function local(date: string, hhmm: string): string {
  for (const offset of ['+01:00', '+02:00']) {
    const candidate = `${date}T${hhmm}:00${offset}`;
    if (madridOffsetAt(Date.parse(candidate)) === offset) return candidate;
  }
  throw new Error(`${date} ${hhmm} does not exist in Europe/Madrid`);
}

export const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
export const hhmmOf = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** Local times from `from` to `to` inclusive, every `step` minutes (of a day without a clock change). */
export function grid(date: string, from: string, to: string, step = 15): string[] {
  const out: string[] = [];
  for (let m = minutesOf(from); m <= minutesOf(to); m += step) out.push(local(date, hhmmOf(m)));
  return out;
}

/** What assign_tables offers: the day's available slots nearest to `requested` first, at most five. */
export function nearest(slots: string[], requested: string, n = 5): string[] {
  const at = Date.parse(requested);
  return [...slots]
    .sort((a, b) => Math.abs(Date.parse(a) - at) - Math.abs(Date.parse(b) - at) || Date.parse(a) - Date.parse(b))
    .slice(0, n);
}

// ---------------------------------------------------------------------------------------------
// Restaurants of a test's own
// ---------------------------------------------------------------------------------------------
const ALL_WEEK = [1, 2, 3, 4, 5, 6, 7];

/** A restaurant of the test's own in Europe/Madrid, with its tables (ids `<id>_t1`, …). */
export async function createRestaurant(
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

// Restaurants of a test file's own, created by createTestRestaurants().
export const BUFFER_ID = 'rest_buffer_one_table';
export const DST_ID = 'rest_dst_night';
export const OTHER_ID = 'rest_other_menu';

export interface TestRestaurants {
  bufferTable: string;
  bufferStaff: string;
  dstStaff: string;
  otherStaff: string;
}

/** The three restaurants the booking tests use besides the demo one, each with an admin token. */
export async function createTestRestaurants(t: TestApp): Promise<TestRestaurants> {
  // One table, so every buffer and lifecycle effect is exact: open every day 18:00–23:30, slot 15,
  // buffer 15, no turn_times row (90 minutes for everyone).
  const [bufferTable] = (await createRestaurant(t.db, BUFFER_ID, { tables: [4] })) as [string];
  // Open 00:00–05:00 on Sundays, a 30-minute grid, 30-minute turns, no buffer.
  await createRestaurant(t.db, DST_ID, { tables: [4], slot: 30, buffer: 0, hours: [[7, '00:00', '05:00']], turns: [[1, 50, 30]] });
  // Another restaurant with a menu item of its own.
  await createRestaurant(t.db, OTHER_ID, { tables: [2] });
  await t.db.query(`INSERT INTO restaurante.menu_categories (id, "restaurantId", name) VALUES ('cat_other', $1, 'Otros')`, [OTHER_ID]);
  await t.db.query(
    `INSERT INTO restaurante.menu_items (id, "restaurantId", "categoryId", name, price, stock) VALUES ('item_other_paella', $1, 'cat_other', 'Paella', 15, 10)`,
    [OTHER_ID],
  );
  const staffToken = async (restaurantId: string): Promise<string> => (await createStaffToken(t.db, { restaurantId, role: 'admin' })).token;
  return { bufferTable, bufferStaff: await staffToken(BUFFER_ID), dstStaff: await staffToken(DST_ID), otherStaff: await staffToken(OTHER_ID) };
}

// ---------------------------------------------------------------------------------------------
// Bookings
// ---------------------------------------------------------------------------------------------
let guestCount = 0;
/** A valid booking body (a new guest e-mail each time). */
export function booking(over: Partial<BookingInput> & { time: string }): BookingInput {
  guestCount += 1;
  return { restaurantId: R, partySize: 2, customerName: `Guest ${guestCount}`, customerEmail: `guest${guestCount}@example.com`, ...over };
}

/** The id part of a guest link token. */
export const tokenIdOf = (token: string): string => token.slice('cmd_res_'.length, token.indexOf('.'));

export interface Counts {
  reservations: number;
  reservationTables: number;
  reservationItems: number;
  tokens: number;
  emails: number;
  customers: number;
  history: number;
  idempotencyKeys: number;
}

/** Rows in the tables a booking writes. */
export async function reservationCounts(db: Database): Promise<Counts> {
  const c = await rowCounts(db, [
    'reservations',
    'reservation_tables',
    'reservation_items',
    'reservation_tokens',
    'email_logs',
    'customers',
    'reservation_status_history',
    'idempotency_keys',
  ]);
  return {
    reservations: c.reservations,
    reservationTables: c.reservation_tables,
    reservationItems: c.reservation_items,
    tokens: c.reservation_tokens,
    emails: c.email_logs,
    customers: c.customers,
    history: c.reservation_status_history,
    idempotencyKeys: c.idempotency_keys,
  };
}

export interface StoredReservation {
  status: string;
  date: string;
  time: Date;
  table_ids: string[];
  partySize: number;
  durationMinutes: number;
}

export interface HeldTable {
  tableId: string;
  from: Date;
  until: Date;
  active: boolean;
}

export interface HistoryRow {
  fromStatus: string | null;
  toStatus: string;
  changedBy: string;
}

export interface EmailRow {
  email_type: string;
  status: string;
  recipient_email: string;
  payload: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Requests and readers against one app (a test file's)
// ---------------------------------------------------------------------------------------------
export interface ReservationRequests {
  staffTokenIdOf: (token: string) => Promise<string>;
  availabilityRequest: (restaurantId: string, date: string, partySize: number | string) => Promise<LightMyRequestResponse>;
  /** The available slots; expects 200. */
  slotsOf: (restaurantId: string, date: string, partySize: number) => Promise<string[]>;
  postBooking: (payload: object, headers?: Record<string, string>) => Promise<LightMyRequestResponse>;
  /** Books; expects 201. */
  bookOk: (payload: object) => Promise<Reservation>;
  /** PATCH /api/admin/reservations/:id. */
  patch: (token: string | undefined, id: string, body: object) => Promise<LightMyRequestResponse>;
  /** PATCH /api/admin/reservations/:id; expects 200. */
  patchOk: (token: string, id: string, body: object) => Promise<Reservation>;
  counts: () => Promise<Counts>;
  storedReservation: (id: string) => Promise<StoredReservation>;
  heldTables: (reservationId: string) => Promise<HeldTable[]>;
  historyOf: (reservationId: string) => Promise<HistoryRow[]>;
  emailsOf: (reservationId: string) => Promise<EmailRow[]>;
  /** The guest's link from the booking's confirmation e-mail, rebuilt as the e-mail worker does. */
  linkTokenOf: (reservationId: string) => Promise<string>;
  byToken: (action: 'view' | 'confirm' | 'cancel', token: string | undefined, how?: 'bearer' | 'query') => Promise<LightMyRequestResponse>;
  /** A link token issued by staff; expects 201 and a well-formed token. */
  issueToken: (staffToken: string, reservationId: string) => Promise<string>;
}

export function reservationRequests(t: TestApp): ReservationRequests {
  const postBooking: ReservationRequests['postBooking'] = (payload, headers = {}) =>
    t.app.inject({ method: 'POST', url: '/api/reservations', payload, headers });
  const patch: ReservationRequests['patch'] = (token, id, body) =>
    t.app.inject({
      method: 'PATCH',
      url: `/api/admin/reservations/${id}`,
      headers: token === undefined ? {} : t.auth(token),
      payload: body,
    });
  const availabilityRequest: ReservationRequests['availabilityRequest'] = (restaurantId, date, partySize) => {
    const query = new URLSearchParams({ restaurantId, date, partySize: String(partySize) });
    return t.app.inject({ method: 'GET', url: `/api/availability?${query.toString()}` });
  };
  return {
    async staffTokenIdOf(token) {
      const { rows } = await t.db.query<{ id: string }>('SELECT id FROM restaurante.staff_tokens WHERE token_hash = $1', [hashToken(token)]);
      return rows[0]!.id;
    },
    availabilityRequest,
    async slotsOf(restaurantId, date, partySize) {
      const res = await availabilityRequest(restaurantId, date, partySize);
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ slots: string[] }>().slots;
    },
    postBooking,
    async bookOk(payload) {
      const res = await postBooking(payload);
      expect(res.statusCode, res.body).toBe(201);
      return res.json<Booked>().reservation;
    },
    patch,
    async patchOk(token, id, body) {
      const res = await patch(token, id, body);
      expect(res.statusCode, res.body).toBe(200);
      return res.json<Booked>().reservation;
    },
    counts() {
      return reservationCounts(t.db);
    },
    async storedReservation(id) {
      const { rows } = await t.db.query<StoredReservation>(
        `SELECT status::text AS status, to_char(date, 'YYYY-MM-DD') AS date, time, table_ids, "partySize", "durationMinutes"
           FROM restaurante.reservations WHERE id = $1`,
        [id],
      );
      if (!rows[0]) throw new Error(`no reservation ${id}`);
      return rows[0];
    },
    async heldTables(reservationId) {
      const { rows } = await t.db.query<HeldTable>(
        `SELECT "tableId", lower(occupied) AS "from", upper(occupied) AS "until", active
           FROM restaurante.reservation_tables WHERE "reservationId" = $1 ORDER BY "tableId"`,
        [reservationId],
      );
      return rows;
    },
    async historyOf(reservationId) {
      const { rows } = await t.db.query<HistoryRow>(
        `SELECT "fromStatus", "toStatus", "changedBy" FROM restaurante.reservation_status_history
          WHERE "reservationId" = $1 ORDER BY "changedAt", id`,
        [reservationId],
      );
      return rows;
    },
    async emailsOf(reservationId) {
      const { rows } = await t.db.query<EmailRow>(
        `SELECT email_type, status, recipient_email, payload FROM restaurante.email_logs WHERE reservation_id = $1 ORDER BY created_at, id`,
        [reservationId],
      );
      return rows;
    },
    async linkTokenOf(reservationId) {
      const { rows } = await t.db.query<{ tokenId: string }>(
        `SELECT payload->>'tokenId' AS "tokenId" FROM restaurante.email_logs
          WHERE reservation_id = $1 AND email_type = 'reservation_confirmation'`,
        [reservationId],
      );
      expect(rows).toHaveLength(1);
      return reservationTokenFor(TEST_SECRET, rows[0]!.tokenId);
    },
    byToken(action, token, how = 'bearer') {
      const path = action === 'view' ? '/api/reservations/by-token' : `/api/reservations/by-token/${action}`;
      const url = how === 'query' && token !== undefined ? `${path}?token=${encodeURIComponent(token)}` : path;
      const headers = how === 'bearer' && token !== undefined ? t.auth(token) : {};
      return t.app.inject({ method: action === 'view' ? 'GET' : 'POST', url, headers });
    },
    async issueToken(staffToken, reservationId) {
      const res = await t.app.inject({ method: 'POST', url: `/api/admin/reservations/${reservationId}/token`, headers: t.auth(staffToken) });
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json<IssuedToken>();
      expect(body.reservationId).toBe(reservationId);
      expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
      expect(body.token).toMatch(/^cmd_res_[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
      return body.token;
    },
  };
}
