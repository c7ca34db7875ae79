// Reservations: availability, booking (the database picks the smallest free table or combination
// and its exclusion constraint makes double bookings impossible), the lifecycle, guest links.
import type { StaffPrincipal } from '../auth/staff-tokens.js';
import { actorOf } from '../auth/principal.js';
import type { Database, Tx } from '../db/database.js';
import { AppError } from '../errors.js';
import { assertCan, seesContactDetails } from '../auth/roles.js';
import { queueEmail } from '../email/outbox.js';
import { idempotently } from '../idempotency.js';
import { assignChosenTables, tableAlternatives } from './day.js';
import { issueReservationToken, lookUpReservationToken, markTokenUsed } from './tokens.js';

export const reservationStatuses = ['PENDING', 'CONFIRMED', 'SEATED', 'COMPLETED', 'CANCELLED', 'NO_SHOW'] as const;
export type ReservationStatus = (typeof reservationStatuses)[number];

export interface ReservationSettings {
  secret: string;
  tokenTtlDays: number;
  idempotencyTtlHours: number;
}

export interface Reservation {
  id: string;
  restaurantId: string;
  status: ReservationStatus;
  /** Local ISO 8601 time with offset, in the restaurant's zone. */
  time: string;
  date: string;
  partySize: number;
  /** How long the party has the table (the turn for its size; the buffer comes after). */
  durationMinutes: number;
  tableIds: string[];
  customerName: string;
  customerEmail: string | null;
  customerPhone: string | null;
  language: string | null;
  notes: string | null;
  /** A guest's booking not yet confirmed from the e-mail is released at this instant. */
  holdExpiresAt: Date | null;
  items: Array<{ menuItemId: string; quantity: number }>;
}

const RESERVATION_JSON = `
  SELECT r.id, r."restaurantId", r.status, restaurante.local_iso(r.time, rest.timezone) AS time, to_char(r.date, 'YYYY-MM-DD') AS date,
         r."partySize", r."durationMinutes", r.table_ids AS "tableIds", r."customerName", r."customerEmail", r."customerPhone", r.language, r.notes,
         CASE WHEN r.status = 'PENDING' THEN r.hold_expires_at END AS "holdExpiresAt",
         coalesce((SELECT jsonb_agg(jsonb_build_object('menuItemId', ri."menuItemId", 'quantity', ri.quantity) ORDER BY ri."createdAt", ri.id)
                     FROM restaurante.reservation_items ri WHERE ri."reservationId" = r.id), '[]'::jsonb) AS items
    FROM restaurante.reservations r JOIN restaurante.restaurants rest ON rest.id = r."restaurantId"`;

async function reservationById(tx: Tx, id: string, restaurantId?: string): Promise<Reservation> {
  const { rows } = await tx.query<Reservation>(
    `${RESERVATION_JSON} WHERE r.id = $1 AND ($2::text IS NULL OR r."restaurantId" = $2)`,
    [id, restaurantId ?? null],
  );
  if (!rows[0]) throw new AppError('NOT_FOUND', 'No such reservation.');
  return rows[0];
}

/** Bookable start times of a local date, as local ISO times with offset. */
export async function availability(db: Database, restaurantId: string, date: string, partySize: number): Promise<string[]> {
  const { rows } = await db.query<{ slot: string | null; known: boolean }>(
    `SELECT restaurante.local_iso(s.slot, r.timezone) AS slot, true AS known
       FROM restaurante.restaurants r
       LEFT JOIN LATERAL restaurante.available_slots(r.id, $2::date, $3) s ON true
      WHERE r.id = $1`,
    [restaurantId, date, partySize],
    { readOnly: true },
  );
  if (rows.length === 0) throw new AppError('NOT_FOUND', `No restaurant ${restaurantId}.`);
  return rows.flatMap((r) => (r.slot ? [r.slot] : []));
}

export interface BookingInput {
  restaurantId: string;
  partySize: number;
  /** ISO 8601 with offset (or Z). */
  time: string;
  customerName: string;
  /** Required of guests; staff booking a phone call may leave it out (then no e-mail is sent). */
  customerEmail?: string;
  customerPhone?: string;
  language?: 'es' | 'en';
  notes?: string;
  items?: Array<{ menuItemId: string; quantity: number }>;
  /** The guest's answer to "send me news and offers"; recorded as a consent either way. */
  marketingConsent?: boolean;
  /**
   * Staff only: put the booking on these tables (one that seats the party, or an active
   * combination) instead of the smallest free option; taken → TABLE_ALREADY_RESERVED.
   */
  tableIds?: string[];
}

/**
 * How a booking is made. A guest's (anonymous) booking is a hold: PENDING until confirmed from the
 * e-mail, released after `hold.minutes`, with at most `maxPerEmail` / `maxPerIp` open holds; it
 * never changes an existing customer's data or consents. A staff booking is CONFIRMED at once.
 */
export type BookingMode =
  | { kind: 'guest'; hold: { minutes: number; client: string; maxPerEmail: number; maxPerIp: number } }
  | { kind: 'staff'; actor: string };

/**
 * Books a table: the reservation (`replayed` when a retry with the same idempotency key booked it
 * before), or TABLE_ALREADY_RESERVED with alternatives.
 */
export async function book(
  db: Database,
  input: BookingInput,
  settings: ReservationSettings,
  idempotencyKey?: string,
  mode?: BookingMode,
): Promise<{ reservation: Reservation; replayed: boolean }> {
  // Holds that ran out free their tables before anyone looks for one.
  if (mode?.kind === 'guest') await releaseExpiredHolds(db, input.restaurantId);
  const work = async (tx: Tx): Promise<{ reservation: Reservation }> => {
    const { rows: restaurant } = await tx.query('SELECT 1 FROM restaurante.restaurants WHERE id = $1', [input.restaurantId]);
    if (restaurant.length === 0) throw new AppError('NOT_FOUND', `No restaurant ${input.restaurantId}.`);
    const email = input.customerEmail;
    if (email === undefined && mode?.kind !== 'staff') {
      throw new AppError('VALIDATION_FAILED', "body must have required property 'customerEmail'", {
        extra: { errors: [{ path: '/', message: "must have required property 'customerEmail'" }] },
      });
    }
    if (input.tableIds !== undefined && mode?.kind !== 'staff') {
      throw new AppError('FORBIDDEN', 'Only staff of the restaurant choose the tables of a booking.', { extra: { field: 'tableIds' } });
    }
    const hold = mode?.kind === 'guest' ? mode.hold : undefined;
    if (hold) await checkOpenHolds(tx, input, hold);
    // The customer record: created for a new address, never changed from a booking (an
    // unverified request): what the guest typed stays on the booking, and is merged into the
    // customer only when the owner of the address confirms it (actByToken).
    const { rows: customer } = email === undefined ? { rows: [] } : await tx.query<{ id: string }>(
      `WITH created AS (
         INSERT INTO restaurante.customers ("restaurantId", name, email, phone, language) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT ("restaurantId", lower(email)) WHERE email IS NOT NULL DO NOTHING
         RETURNING id)
       SELECT id FROM created
       UNION ALL
       SELECT id FROM restaurante.customers WHERE "restaurantId" = $1 AND lower(email) = lower($3)
       LIMIT 1`,
      [input.restaurantId, input.customerName, email, input.customerPhone ?? null, input.language ?? null],
    );
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO restaurante.reservations
         ("restaurantId", "customerId", "customerName", "customerEmail", "customerPhone", "partySize", date, time, language, notes,
          status, hold_expires_at, hold_client, marketing_consent)
       VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz::date, $7::timestamptz, $8, $9,
               $10::text::restaurante."ReservationStatus", now() + make_interval(mins => $11), $12, $13) RETURNING id`,
      [
        input.restaurantId,
        customer[0]?.id ?? null,
        input.customerName,
        email ?? null,
        input.customerPhone ?? null,
        input.partySize,
        input.time,
        input.language ?? null,
        input.notes ?? null,
        mode?.kind === 'staff' ? 'CONFIRMED' : 'PENDING',
        hold?.minutes ?? null,
        hold?.client ?? null,
        input.marketingConsent ?? null,
      ],
    );
    const reservation = { id: rows[0]!.id, restaurantId: input.restaurantId };
    if (mode === undefined && customer[0]) {
      // A caller inside the service that vouches for the guest (no mode: imports, tests) records
      // their answers at once; the API never does (see confirmedByOwner).
      await tx.query(
        `INSERT INTO restaurante.customer_consents ("restaurantId", "customerId", purpose, granted, method, details)
         SELECT $1, $2, p.purpose, p.granted, 'web_form', jsonb_build_object('reservationId', $3::text)
           FROM (VALUES ('reservation_emails', true), ('marketing', $4::boolean)) AS p(purpose, granted)
          WHERE p.granted IS NOT NULL`,
        [input.restaurantId, customer[0].id, reservation.id, input.marketingConsent ?? null],
      );
    }
    if (input.tableIds !== undefined) {
      // The staff's choice: those tables or nowhere; the exclusion constraint decides if they are free.
      await assignChosenTables(tx, input.restaurantId, reservation.id, input.time, input.partySize, input.tableIds);
    } else {
      await tx.query('SELECT restaurante.assign_tables($1, $2, $3::timestamptz, $4)', [input.restaurantId, reservation.id, input.time, input.partySize]);
    }
    // Pre-orders: only dishes a guest could order now (available, in an active category).
    if (input.items?.length) await checkPreOrderItems(tx, input.restaurantId, input.items);
    for (const item of input.items ?? []) {
      await tx.query(
        `INSERT INTO restaurante.reservation_items ("restaurantId", "reservationId", "menuItemId", quantity) VALUES ($1, $2, $3, $4)`,
        [input.restaurantId, reservation.id, item.menuItemId, item.quantity],
      );
    }
    if (email !== undefined) {
      const { tokenId } = await issueReservationToken(tx, settings.secret, reservation, settings.tokenTtlDays);
      // The e-mail carries the link; the worker rebuilds the token from its id and the secret.
      await queueEmail(tx, {
        restaurantId: reservation.restaurantId,
        type: 'reservation_confirmation',
        recipient: email,
        language: input.language,
        payload: { tokenId },
        reservationId: reservation.id,
      });
    }
    return { reservation: await reservationById(tx, reservation.id) };
  };
  try {
    return await db.transaction(
      async (tx) => {
        const { reservation, replayed } = await idempotently<{ reservation: Reservation }>(
          tx,
          {
            restaurantId: input.restaurantId,
            scope: 'public:reservations',
            key: idempotencyKey,
            operation: 'book_reservation',
            input,
            ttlHours: settings.idempotencyTtlHours,
          },
          async (finish) => finish.value(await work(tx)),
        );
        return { reservation, replayed };
      },
      { settings: { 'comanda.actor': mode?.kind === 'staff' ? mode.actor : 'guest:booking' } },
    );
  } catch (err) {
    // Chosen tables taken: the nearest times those tables are free, and the options free then
    // (read after the failed transaction; hints only, the constraint decides again).
    if (input.tableIds !== undefined && err instanceof AppError && err.code === 'TABLE_ALREADY_RESERVED') {
      const offered = await tableAlternatives(db, input.restaurantId, null, input.time, input.partySize, input.tableIds);
      throw new AppError('TABLE_ALREADY_RESERVED', 'Those tables are taken at that time; see the alternatives.', {
        extra: { ...err.extra, ...offered },
        cause: err,
      });
    }
    throw err;
  }
}

/**
 * Open holds per e-mail address and per client, counted under transaction locks on both, so
 * simultaneous requests cannot each see room for one more.
 */
async function checkOpenHolds(tx: Tx, input: BookingInput, hold: { client: string; maxPerEmail: number; maxPerIp: number }): Promise<void> {
  await tx.query(
    `SELECT pg_advisory_xact_lock(hashtextextended('comanda:hold:' || $1 || ':' || lower($2), 0)),
            pg_advisory_xact_lock(hashtextextended('comanda:hold:' || $1 || ':' || $3, 0))`,
    [input.restaurantId, input.customerEmail, hold.client],
  );
  const { rows } = await tx.query<{ email: number; client: number }>(
    `SELECT count(*) FILTER (WHERE lower("customerEmail") = lower($2))::int AS email, count(*) FILTER (WHERE hold_client = $3)::int AS client
       FROM restaurante.reservations
      WHERE "restaurantId" = $1 AND status = 'PENDING' AND hold_expires_at > now()`,
    [input.restaurantId, input.customerEmail, hold.client],
  );
  const open = rows[0]!;
  if (open.email >= hold.maxPerEmail || open.client >= hold.maxPerIp) {
    throw new AppError(
      'TOO_MANY_HOLDS',
      open.email >= hold.maxPerEmail
        ? 'This e-mail address already has bookings waiting to be confirmed: confirm one from its e-mail, or wait until it lapses.'
        : 'Too many unconfirmed bookings from here: confirm one from its e-mail, or wait until it lapses.',
      { retryAfter: 60 },
    );
  }
}

/** Pre-ordered dishes must be orderable now: on the menu, available, in an active category. */
async function checkPreOrderItems(tx: Tx, restaurantId: string, items: Array<{ menuItemId: string }>): Promise<void> {
  const ids = [...new Set(items.map((i) => i.menuItemId))];
  const { rows } = await tx.query<{ id: string; orderable: boolean }>(
    `SELECT i.id, (i."isAvailable" AND c."isActive") AS orderable
       FROM restaurante.menu_items i JOIN restaurante.menu_categories c ON c.id = i."categoryId" AND c."restaurantId" = i."restaurantId"
      WHERE i."restaurantId" = $1 AND i.id = ANY($2::text[])`,
    [restaurantId, ids],
  );
  const known = new Map(rows.map((r) => [r.id, r.orderable]));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new AppError('REFERENCE_NOT_FOUND', "A pre-ordered dish is not on this restaurant's menu.", {
      extra: { field: 'items', items: unknown.map((menuItemId) => ({ menuItemId })) },
    });
  }
  const unavailable = ids.filter((id) => known.get(id) === false);
  if (unavailable.length > 0) {
    throw new AppError('ITEM_UNAVAILABLE', undefined, { extra: { items: unavailable.map((menuItemId) => ({ menuItemId })) } });
  }
}

/**
 * Releases the holds that ran out unconfirmed (CANCELLED, so their tables are free again), of one
 * restaurant or of all; returns how many. Run every minute by the service and before a booking.
 */
export async function releaseExpiredHolds(db: Database, restaurantId?: string): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE restaurante.reservations SET status = 'CANCELLED'
      WHERE status = 'PENDING' AND hold_expires_at <= now() AND ($1::text IS NULL OR "restaurantId" = $1)`,
    [restaurantId ?? null],
    { settings: { 'comanda.actor': 'system:hold-expired' } },
  );
  return rowCount ?? 0;
}

// ---------------------------------------------------------------------------------------------
// The lifecycle: PENDING → CONFIRMED → SEATED → COMPLETED; CANCELLED or NO_SHOW before seating.
// ---------------------------------------------------------------------------------------------
const NEXT: Record<ReservationStatus, ReservationStatus[]> = {
  PENDING: ['CONFIRMED', 'CANCELLED', 'NO_SHOW'],
  CONFIRMED: ['SEATED', 'CANCELLED', 'NO_SHOW'],
  SEATED: ['COMPLETED'],
  COMPLETED: [],
  CANCELLED: [],
  NO_SHOW: [],
};

export const canMove = (from: ReservationStatus, to: ReservationStatus): boolean => NEXT[from].includes(to);

async function transition(tx: Tx, id: string, restaurantId: string, to: ReservationStatus): Promise<ReservationStatus> {
  const { rows } = await tx.query<{ status: ReservationStatus; email: string | null; language: string | null }>(
    `SELECT status, "customerEmail" AS email, language FROM restaurante.reservations WHERE id = $1 AND "restaurantId" = $2 FOR UPDATE`,
    [id, restaurantId],
  );
  const from = rows[0]?.status;
  if (!from) throw new AppError('NOT_FOUND', 'No such reservation.');
  if (!canMove(from, to)) {
    throw new AppError('INVALID_TRANSITION', `A reservation cannot go from ${from} to ${to}.`, { extra: { from, to } });
  }
  await tx.query('UPDATE restaurante.reservations SET status = $2::text::restaurante."ReservationStatus" WHERE id = $1', [id, to]);
  const email = rows[0]!.email;
  if (to === 'CANCELLED' && email) {
    await queueEmail(tx, { restaurantId, type: 'reservation_cancellation', recipient: email, language: rows[0]!.language, reservationId: id });
  }
  return from;
}

/**
 * The owner of the address confirmed the booking from its e-mail: the hold ends, and what they
 * gave with it is merged into their customer record (name, phone, language) with their consents.
 */
async function confirmedByOwner(tx: Tx, restaurantId: string, reservationId: string): Promise<void> {
  const { rows } = await tx.query<{ customerId: string | null; marketing: boolean | null }>(
    `UPDATE restaurante.reservations SET hold_expires_at = NULL WHERE id = $1 AND "restaurantId" = $2
     RETURNING "customerId", marketing_consent AS marketing`,
    [reservationId, restaurantId],
  );
  const customerId = rows[0]?.customerId;
  if (!customerId) return;
  await tx.query(
    `UPDATE restaurante.customers c
        SET name = r."customerName", phone = coalesce(r."customerPhone", c.phone), language = coalesce(r.language, c.language)
       FROM restaurante.reservations r
      WHERE r.id = $1 AND c.id = $2 AND c."restaurantId" = $3`,
    [reservationId, customerId, restaurantId],
  );
  await tx.query(
    `INSERT INTO restaurante.customer_consents ("restaurantId", "customerId", purpose, granted, method, details)
     SELECT $1, $2, p.purpose, p.granted, 'email_link', jsonb_build_object('reservationId', $3::text)
       FROM (VALUES ('reservation_emails', true), ('marketing', $4::boolean)) AS p(purpose, granted)
      WHERE p.granted IS NOT NULL`,
    [restaurantId, customerId, reservationId, rows[0]!.marketing],
  );
}

export async function viewByToken(db: Database, secret: string, token: string): Promise<Reservation> {
  return db.transaction(async (tx) => {
    const row = await lookUpReservationToken(tx, secret, token);
    return reservationById(tx, row.reservationId);
  }, { readOnly: true });
}

/**
 * The guest's confirm / cancel link: each token acts once. Confirming answers with a fresh link
 * token (`token`), so a confirmed guest can still view and cancel (the reminder e-mail carries
 * another one); cancelling ends the booking, so nothing is issued.
 */
export async function actByToken(
  db: Database,
  secret: string,
  token: string,
  to: 'CONFIRMED' | 'CANCELLED',
  tokenTtlDays = 7,
): Promise<Reservation & { token?: string }> {
  return db.transaction(
    async (tx) => {
      const row = await lookUpReservationToken(tx, secret, token, { forUpdate: true, unused: true });
      await transition(tx, row.reservationId, row.restaurantId, to);
      await markTokenUsed(tx, row.id);
      if (to === 'CANCELLED') return reservationById(tx, row.reservationId);
      await confirmedByOwner(tx, row.restaurantId, row.reservationId);
      const fresh = await issueReservationToken(tx, secret, { id: row.reservationId, restaurantId: row.restaurantId }, tokenTtlDays);
      return { ...(await reservationById(tx, row.reservationId)), token: fresh.token };
    },
    { settings: { 'comanda.actor': 'guest:link' } },
  );
}

export async function listForDay(db: Database, staff: StaffPrincipal, date: string): Promise<Reservation[]> {
  assertCan(staff.role, 'reservations.read', "The day's book");
  const { rows } = await db.query<Reservation>(`${RESERVATION_JSON} WHERE r."restaurantId" = $1 AND r.date = $2::date ORDER BY r.time, r.id`, [
    staff.restaurantId,
    date,
  ], { readOnly: true });
  // Least privilege: the kitchen plans covers and pre-orders without the guests' contact details.
  return seesContactDetails(staff.role) ? rows : rows.map((r) => ({ ...r, customerEmail: null, customerPhone: null }));
}

/**
 * Staff changes: a status, and/or a move to another time, party size or chosen tables (guarded by
 * the constraint). Without `tableIds` the database picks the smallest free option; with them,
 * those tables or TABLE_ALREADY_RESERVED with the nearest times they are free
 * (`alternatives`) and the options free at the asked time (`freeTables`).
 */
export async function updateReservation(
  db: Database,
  staff: StaffPrincipal,
  id: string,
  change: { status?: ReservationStatus; time?: string; partySize?: number; tableIds?: string[] },
): Promise<Reservation> {
  assertCan(staff.role, 'reservations.edit', 'Changing a reservation');
  const chosen: { move?: { start: string; party: number; tableIds: string[] } } = {};
  try {
    return await db.transaction(
      async (tx) => {
        const current = await reservationById(tx, id, staff.restaurantId);
        if (change.time !== undefined || change.partySize !== undefined || change.tableIds !== undefined) {
          if (!['PENDING', 'CONFIRMED'].includes(current.status)) {
            throw new AppError('INVALID_TRANSITION', `A ${current.status} reservation cannot be moved.`, { extra: { from: current.status } });
          }
          const start = change.time ?? current.time;
          const party = change.partySize ?? current.partySize;
          if (change.tableIds !== undefined) {
            chosen.move = { start, party, tableIds: change.tableIds };
            await assignChosenTables(tx, staff.restaurantId, id, start, party, change.tableIds);
          } else {
            await tx.query('SELECT restaurante.assign_tables($1, $2, $3::timestamptz, $4)', [staff.restaurantId, id, start, party]);
          }
        }
        if (change.status !== undefined && change.status !== current.status) await transition(tx, id, staff.restaurantId, change.status);
        return reservationById(tx, id);
      },
      { settings: { 'comanda.actor': actorOf(staff) } },
    );
  } catch (err) {
    const move = chosen.move;
    if (move && err instanceof AppError && err.code === 'TABLE_ALREADY_RESERVED') {
      const offered = await tableAlternatives(db, staff.restaurantId, id, move.start, move.party, move.tableIds);
      throw new AppError('TABLE_ALREADY_RESERVED', 'Those tables are taken at that time; see the alternatives.', {
        extra: { ...err.extra, ...offered },
        cause: err,
      });
    }
    throw err;
  }
}

/** The spec's "Failed to create reservation token": staff issue a fresh link token. */
export async function regenerateToken(
  db: Database,
  restaurantId: string | undefined,
  id: string,
  settings: Pick<ReservationSettings, 'secret' | 'tokenTtlDays'>,
  actor: string,
): Promise<{ reservationId: string; tokenId: string; token: string; expiresAt: Date }> {
  return db.transaction(
    async (tx) => {
      const reservation = await reservationById(tx, id, restaurantId);
      const issued = await issueReservationToken(tx, settings.secret, reservation, settings.tokenTtlDays);
      return { reservationId: reservation.id, ...issued };
    },
    { settings: { 'comanda.actor': actor } },
  );
}

/**
 * Queues the reminder e-mail (with a fresh link token) of every confirmed reservation that starts
 * within `hoursBefore` and has none yet; returns how many. Run periodically by the service.
 */
export async function queueReminders(db: Database, settings: Pick<ReservationSettings, 'secret' | 'tokenTtlDays'>, hoursBefore: number): Promise<number> {
  const { rows } = await db.query<{ id: string; restaurantId: string; email: string; language: string | null }>(
    `SELECT r.id, r."restaurantId", r."customerEmail" AS email, r.language FROM restaurante.reservations r
      WHERE r.status = 'CONFIRMED' AND r."customerEmail" IS NOT NULL
        AND r.time > now() AND r.time <= now() + make_interval(hours => $1)
        AND NOT EXISTS (SELECT 1 FROM restaurante.email_logs e WHERE e.reservation_id = r.id AND e.email_type = 'reservation_reminder')
      ORDER BY r.time LIMIT 500`,
    [hoursBefore],
  );
  let queued = 0;
  for (const row of rows) {
    try {
      await db.transaction(
        async (tx) => {
          const { tokenId } = await issueReservationToken(tx, settings.secret, row, settings.tokenTtlDays);
          await queueEmail(tx, {
            restaurantId: row.restaurantId,
            type: 'reservation_reminder',
            recipient: row.email,
            language: row.language,
            payload: { tokenId },
            reservationId: row.id,
          });
        },
        { settings: { 'comanda.actor': 'reminders' } },
      );
      queued++;
    } catch (err) {
      // Another instance queued it meanwhile (the unique index allows one reminder).
      if (!(err instanceof AppError && err.code === 'CONFLICT')) throw err;
    }
  }
  return queued;
}
