// The staff's day of bookings: the restaurant's service windows of a local date (opening hours,
// or that date's exception), its tables, and the day's reservations with the tables they hold; and
// a move onto tables the staff choose, where the exclusion constraint alone decides whether they
// are free (no check before it could be out of date by the time of the insert).
import type { StaffPrincipal } from '../auth/staff-tokens.js';
import { assertCan } from '../auth/roles.js';
import type { Database, Tx } from '../db/database.js';
import { AppError } from '../errors.js';
import { listForDay, type Reservation } from './reservations.js';

export interface DayTable {
  id: string;
  number: number;
  capacity: number;
  location: string | null;
}

export interface DayPlan {
  date: string;
  timezone: string;
  /** Start-time grid and the gap kept after each booking, in minutes. */
  slotMinutes: number;
  bufferMinutes: number;
  /** The service windows of the date (local ISO times with offset); empty when closed. */
  windows: Array<{ opens: string; closes: string }>;
  /** Active tables, by number. */
  tables: DayTable[];
  /** Active combinations of active tables (pushed together for bigger parties). */
  combinations: Array<{ id: string; name: string; tableIds: string[] }>;
  /** The turn of a party of n at index n - 1 (n = 1…50), in minutes: how long it holds its tables before the buffer. */
  turnMinutes: number[];
  reservations: Reservation[];
}

/** Everything the bookings page draws for one local date (contact details as the role may see). */
export async function dayPlan(db: Database, staff: StaffPrincipal, date: string): Promise<DayPlan> {
  assertCan(staff.role, 'reservations.read', "The day's book");
  const { rows } = await db.query<Omit<DayPlan, 'reservations' | 'date'>>(
    `SELECT r.timezone, r.slot_interval_minutes AS "slotMinutes", r.buffer_minutes AS "bufferMinutes",
            coalesce((SELECT jsonb_agg(jsonb_build_object('opens', restaurante.local_iso(w.opens, r.timezone),
                                                          'closes', restaurante.local_iso(w.closes, r.timezone)) ORDER BY w.opens)
                        FROM restaurante.service_windows(r.id, $2::date) w), '[]'::jsonb) AS windows,
            coalesce((SELECT jsonb_agg(jsonb_build_object('id', t.id, 'number', t.number, 'capacity', t.capacity, 'location', t.location)
                                       ORDER BY t.number, t.id)
                        FROM restaurante.tables t WHERE t."restaurantId" = r.id AND t."isActive"), '[]'::jsonb) AS tables,
            coalesce((SELECT jsonb_agg(jsonb_build_object('id', c.id, 'name', c.name, 'tableIds', c.table_ids) ORDER BY c.name, c.id)
                        FROM restaurante.table_combinations c
                       WHERE c."restaurantId" = r.id AND c."isActive"
                         AND NOT EXISTS (SELECT 1 FROM restaurante.tables t WHERE t.id = ANY(c.table_ids) AND NOT t."isActive")), '[]'::jsonb) AS combinations,
            (SELECT jsonb_agg(restaurante.turn_minutes(r.id, n) ORDER BY n) FROM generate_series(1, 50) n) AS "turnMinutes"
       FROM restaurante.restaurants r WHERE r.id = $1`,
    [staff.restaurantId, date],
    { readOnly: true },
  );
  const restaurant = rows[0];
  if (!restaurant) throw new AppError('NOT_FOUND', 'No such restaurant.');
  return { date, ...restaurant, reservations: await listForDay(db, staff, date) };
}

/**
 * Puts a reservation on the tables the staff chose, at `start` for `party` guests. The tables must
 * be one of the restaurant's options for the party (a table that seats it, or an active
 * combination); whether they are free is the exclusion constraint's answer (23P01 →
 * TABLE_ALREADY_RESERVED, whose alternatives `tableAlternatives` fills in afterwards).
 */
export async function assignChosenTables(
  tx: Tx,
  restaurantId: string,
  reservationId: string,
  start: string,
  party: number,
  tableIds: string[],
): Promise<void> {
  const { rows: known } = await tx.query<{ id: string }>(
    `SELECT id FROM restaurante.tables WHERE "restaurantId" = $1 AND id = ANY($2::text[]) AND "isActive"`,
    [restaurantId, tableIds],
  );
  const missing = tableIds.filter((id) => !known.some((k) => k.id === id));
  if (missing.length > 0) {
    throw new AppError('REFERENCE_NOT_FOUND', 'No such active table in this restaurant.', { extra: { field: 'tableIds', tableIds: missing } });
  }
  const { rows: fits } = await tx.query<{ fits: boolean; slot: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM restaurante.table_options($1, $3) o WHERE o.table_ids @> $2::text[] AND o.table_ids <@ $2::text[]) AS fits,
            ($4::timestamptz > now() AND restaurante.is_slot($1, $4::timestamptz, $3)) AS slot`,
    [restaurantId, tableIds, party, start],
  );
  if (!fits[0]!.slot) throw new AppError('SLOT_UNAVAILABLE');
  if (!fits[0]!.fits) {
    throw new AppError('PARTY_TOO_LARGE', `Those tables do not seat ${party}: choose a table that does, or one of the restaurant's combinations.`, {
      extra: { field: 'tableIds' },
    });
  }
  // Take turns with assign_tables (the same lock), so a booking that lets the database pick never
  // loses its table to this insert between its choice and its own insert; the constraint still decides.
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('comanda:booking:' || $1, 0))`, [restaurantId]);
  await tx.query(`DELETE FROM restaurante.reservation_tables WHERE "reservationId" = $1 AND "restaurantId" = $2`, [reservationId, restaurantId]);
  await tx.query(
    `INSERT INTO restaurante.reservation_tables ("restaurantId", "reservationId", "tableId", occupied)
     SELECT $1, $2, t, tstzrange($3::timestamptz, $3::timestamptz + make_interval(mins => restaurante.turn_minutes($1, $4)
                                                   + (SELECT buffer_minutes FROM restaurante.restaurants WHERE id = $1)))
       FROM unnest($5::text[]) AS t`,
    [restaurantId, reservationId, start, party, tableIds],
  );
  await tx.query(
    `UPDATE restaurante.reservations SET time = $3::timestamptz, "partySize" = $4, "durationMinutes" = restaurante.turn_minutes($1, $4), "tableId" = $5
      WHERE id = $2 AND "restaurantId" = $1`,
    [restaurantId, reservationId, start, party, [...tableIds].sort()[0]],
  );
}

/**
 * What to offer when the chosen tables are taken at `start`: the nearest five start times of that
 * local date at which those same tables are free for the party (`alternatives`), and the table
 * options free at `start` itself (`freeTables`, smallest first). Both leave the reservation itself
 * out, and both are hints: the constraint decides again when one is picked.
 */
export async function tableAlternatives(
  db: Database,
  restaurantId: string,
  /** The booking being moved (its own tables do not count as taken); null for a new booking. */
  reservationId: string | null,
  start: string,
  party: number,
  tableIds: string[],
): Promise<{ alternatives: string[]; freeTables: string[][] }> {
  const { rows } = await db.query<{ alternatives: string[]; freeTables: string[][] }>(
    `WITH r AS (SELECT id, timezone, buffer_minutes, slot_interval_minutes, restaurante.turn_minutes(id, $4) AS turn
                  FROM restaurante.restaurants WHERE id = $1),
     free_at AS (
       SELECT s.slot
         FROM r, restaurante.service_windows(r.id, ($3::timestamptz AT TIME ZONE r.timezone)::date) w,
              LATERAL generate_series(w.opens, w.closes - make_interval(mins => r.turn), make_interval(mins => r.slot_interval_minutes)) AS s(slot)
        WHERE s.slot > now()
          AND NOT EXISTS (SELECT 1 FROM restaurante.reservation_tables rt
                           WHERE rt."restaurantId" = r.id AND rt.active AND rt."tableId" = ANY($5::text[]) AND rt."reservationId" IS DISTINCT FROM $2::text
                             AND rt.occupied && tstzrange(s.slot, s.slot + make_interval(mins => r.turn + r.buffer_minutes))))
     SELECT coalesce((SELECT jsonb_agg(restaurante.local_iso(a.slot, r.timezone) ORDER BY abs(extract(epoch FROM a.slot - $3::timestamptz)), a.slot)
                        FROM (SELECT slot FROM free_at ORDER BY abs(extract(epoch FROM slot - $3::timestamptz)), slot LIMIT 5) a), '[]'::jsonb) AS alternatives,
            coalesce((SELECT jsonb_agg(o.table_ids ORDER BY o.seats, cardinality(o.table_ids), o.table_ids)
                        FROM restaurante.table_options(r.id, $4) o
                       WHERE NOT EXISTS (SELECT 1 FROM restaurante.reservation_tables rt
                                          WHERE rt."restaurantId" = r.id AND rt.active AND rt."tableId" = ANY(o.table_ids) AND rt."reservationId" IS DISTINCT FROM $2::text
                                            AND rt.occupied && tstzrange($3::timestamptz, $3::timestamptz + make_interval(mins => r.turn + r.buffer_minutes)))),
                     '[]'::jsonb) AS "freeTables"
       FROM r`,
    [restaurantId, reservationId, start, party, tableIds],
    { readOnly: true },
  );
  return rows[0] ?? { alternatives: [], freeTables: [] };
}
