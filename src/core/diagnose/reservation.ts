// `comanda diagnose reservation <id>` and `comanda diagnose reservation --table T --time ISO`:
// the spec's "Table already reserved". Its query looks at reservations.table_ids and
// "tableId" on the same date; what guards bookings here is the reservation_tables rows (the
// occupied interval, buffer included, under an exclusion constraint), so the diagnosis reads
// those, the service windows and turn times availability is computed from
// (restaurante.available_slots and friends, migrations/0005), the status history and the
// e-mails queued for the booking.
import type { Database, Tx } from '../db/database.js';
import type { CheckStatus } from '../checks/check.js';
import { diagnose, LookupError, parseTime, plural, resolveRestaurant, type Diagnosis, type Finding } from './diagnosis.js';

const LIVE = ['PENDING', 'CONFIRMED', 'SEATED'];

interface ReservationRow {
  id: string;
  restaurantId: string;
  timezone: string;
  status: string;
  time: string;
  date: string;
  partySize: number;
  durationMinutes: number;
  tableIds: string[];
  tableId: string | null;
  customerName: string;
  past: boolean;
  buffer: number;
  slotInterval: number;
  turn: number;
}

/** The exclusion constraint that makes double bookings impossible: present and validated? */
async function constraintFinding(tx: Tx): Promise<Finding> {
  const { rows } = await tx.query<{ validated: boolean }>(
    `SELECT c.convalidated AS validated FROM pg_constraint c
      WHERE c.conname = 'reservation_tables_no_overlap' AND c.conrelid = to_regclass('restaurante.reservation_tables')`,
  );
  const ok = rows[0]?.validated === true;
  return {
    name: 'constraint',
    status: ok ? 'ok' : 'critical',
    summary: ok
      ? 'reservation_tables_no_overlap (EXCLUDE USING gist) is in place: two live bookings can never hold a table at once'
      : rows[0]
        ? 'reservation_tables_no_overlap is NOT VALID: existing rows were never checked'
        : 'reservation_tables_no_overlap is missing: double bookings are possible',
    rows: [{ constraint: 'reservation_tables_no_overlap', present: rows.length > 0, validated: rows[0]?.validated ?? null }],
    advice: 'restore it from migrations/0001 (comanda migrate status shows drift); ALTER TABLE … VALIDATE CONSTRAINT … for a NOT VALID one',
  };
}

/** Service windows of a local date, turn time, buffer and slot grid, and whether `time` is a slot. */
async function serviceFinding(tx: Tx, restaurantId: string, timezone: string, date: string, timeSql: string, timeParam: string, party: number): Promise<Finding & { onGrid: boolean; past: boolean }> {
  const { rows: windows } = await tx.query<{ opens: string; closes: string }>(
    `SELECT restaurante.local_iso(opens, $3) AS opens, restaurante.local_iso(closes, $3) AS closes
       FROM restaurante.service_windows($1, $2::date)`,
    [restaurantId, date, timezone],
  );
  const { rows: info } = await tx.query<{ turn: number; buffer: number; slotInterval: number; onGrid: boolean; past: boolean; closed: boolean | null; reason: string | null }>(
    `SELECT restaurante.turn_minutes($1, $3) AS turn, r.buffer_minutes AS buffer, r.slot_interval_minutes AS "slotInterval",
            restaurante.is_slot($1, ${timeSql}, $3) AS "onGrid", ${timeSql} <= now() AS past,
            e.closed, e.reason
       FROM restaurante.restaurants r
       LEFT JOIN restaurante.opening_exceptions e ON e."restaurantId" = r.id AND e.date = $4::date
      WHERE r.id = $1`,
    [restaurantId, timeParam, party, date],
  );
  const i = info[0]!;
  const hours = windows.map((w) => `${w.opens.slice(11, 16)}–${w.closes.slice(11, 16)}`).join(', ');
  const exception = i.closed === null ? '' : i.closed ? ` (closed that day${i.reason ? `: ${i.reason}` : ''})` : ` (special hours${i.reason ? `: ${i.reason}` : ''})`;
  return {
    name: 'service',
    status: 'ok',
    summary: `${date}: ${windows.length ? `open ${hours}` : 'closed'}${exception}; a party of ${party} keeps its table ${i.turn} min + ${i.buffer} min buffer; slots every ${i.slotInterval} min; the time is ${i.past ? 'in the past' : i.onGrid ? 'on the slot grid' : 'NOT a bookable slot (outside the hours, off the grid, or the turn would end after closing)'}`,
    rows: [{ date, windows, turnMinutes: i.turn, bufferMinutes: i.buffer, slotIntervalMinutes: i.slotInterval, onGrid: i.onGrid, past: i.past, exception: i.closed === null ? null : { closed: i.closed, reason: i.reason } }],
    onGrid: i.onGrid,
    past: i.past,
  };
}

async function alternatives(tx: Tx, restaurantId: string, timezone: string, date: string, timeSql: string, timeParam: string, party: number, exclude: string | null): Promise<string[]> {
  const { rows } = await tx.query<{ slot: string }>(
    `SELECT restaurante.local_iso(slot, $5) AS slot
       FROM restaurante.available_slots($1, $3::date, $4, $6)
      ORDER BY abs(extract(epoch FROM slot - ${timeSql})), slot LIMIT 5`,
    [restaurantId, timeParam, date, party, timezone, exclude],
  );
  return rows.map((r) => r.slot);
}

export async function diagnoseReservation(db: Database, id: string): Promise<Diagnosis> {
  return diagnose(db, async (tx) => {
    const { rows } = await tx.query<ReservationRow>(
      `SELECT r.id, r."restaurantId", rest.timezone, r.status::text AS status, restaurante.local_iso(r.time, rest.timezone) AS time,
              to_char(r.date, 'YYYY-MM-DD') AS date, r."partySize", r."durationMinutes", r.table_ids AS "tableIds", r."tableId",
              r."customerName", r.time <= now() AS past, rest.buffer_minutes AS buffer, rest.slot_interval_minutes AS "slotInterval",
              restaurante.turn_minutes(r."restaurantId", r."partySize") AS turn
         FROM restaurante.reservations r JOIN restaurante.restaurants rest ON rest.id = r."restaurantId"
        WHERE r.id = $1`,
      [id],
    );
    const r = rows[0];
    if (!r) throw new LookupError(`no reservation "${id}"; the day's book is GET /api/admin/reservations?date=YYYY-MM-DD`);
    const live = LIVE.includes(r.status);
    const findings: Finding[] = [];

    findings.push({
      name: 'reservation',
      status: live && r.past && r.status !== 'SEATED' ? 'warning' : 'ok',
      summary: `${r.status}, party of ${r.partySize} at ${r.time} for ${r.durationMinutes} min, ${r.tableIds.length ? `tables ${r.tableIds.join(', ')}` : 'no table'}${live && r.past ? ' — its time has passed' : ''}`,
      rows: [{ id: r.id, restaurantId: r.restaurantId, status: r.status, time: r.time, date: r.date, partySize: r.partySize, durationMinutes: r.durationMinutes, tableIds: r.tableIds, tableId: r.tableId, customerName: r.customerName }],
      advice: `a past booking still ${r.status} keeps its tables in the book: mark it SEATED/COMPLETED or NO_SHOW (PATCH /api/admin/reservations/${r.id})`,
    });

    // The rows the exclusion constraint guards, and whether they agree with the reservation.
    const { rows: held } = await tx.query<{ tableId: string; number: number; capacity: number; tableActive: boolean; from: string; until: string; active: boolean }>(
      `SELECT rt."tableId", t.number, t.capacity, t."isActive" AS "tableActive",
              restaurante.local_iso(lower(rt.occupied), $2) AS "from", restaurante.local_iso(upper(rt.occupied), $2) AS until, rt.active
         FROM restaurante.reservation_tables rt JOIN restaurante.tables t ON t.id = rt."tableId"
        WHERE rt."reservationId" = $1 ORDER BY rt."tableId"`,
      [id, r.timezone],
    );
    const problems: string[] = [];
    if (live && held.length === 0) problems.push('it is live but holds no reservation_tables row, so the exclusion constraint does not protect its table (written by SQL that bypassed assign_tables?)');
    if (held.some((h) => h.active !== live)) problems.push(`its rows are ${live ? 'inactive' : 'still active'} while the booking is ${r.status}`);
    const heldIds = held.map((h) => h.tableId).sort();
    if (heldIds.join(',') !== [...r.tableIds].sort().join(',')) problems.push(`table_ids {${r.tableIds.join(',')}} differ from the held tables {${heldIds.join(',')}}`);
    const seats = held.reduce((n, h) => n + h.capacity, 0);
    const tooSmall = held.length > 0 && seats < r.partySize;
    findings.push({
      name: 'tables',
      status: problems.length ? 'critical' : tooSmall ? 'warning' : 'ok',
      summary: problems.length
        ? problems.join('; ')
        : held.length
          ? `holds ${held.map((h) => `${h.tableId} (${h.capacity} seats)`).join(' + ')} from ${held[0]!.from} until ${held[0]!.until} (buffer included), ${held[0]!.active ? 'active' : 'released'}${tooSmall ? `; only ${seats} seats for ${r.partySize}` : ''}`
          : 'holds no table (released)',
      rows: held,
      advice: problems.length
        ? 'move the booking through the service (PATCH /api/admin/reservations/{id} with its time) so assign_tables rewrites its rows; never edit reservation_tables by hand'
        : 'the party is bigger than its tables: move it (PATCH with partySize) to get a table or combination that seats it',
    });

    // Other bookings on the same tables whose time overlaps: through reservation_tables, and
    // legacy rows that only set "tableId"/table_ids (which the constraint cannot see).
    const { rows: overlaps } = await tx.query<{ reservationId: string; status: string; tableId: string; from: string; until: string; active: boolean; heldThrough: string }>(
      `WITH me AS (
         SELECT r.id, coalesce((SELECT occupied FROM restaurante.reservation_tables WHERE "reservationId" = r.id LIMIT 1),
                               tstzrange(r.time, r.time + make_interval(mins => r."durationMinutes" + rest.buffer_minutes))) AS span,
                ARRAY(SELECT DISTINCT t FROM unnest(r.table_ids || ARRAY[r."tableId"]
                                                    || ARRAY(SELECT "tableId" FROM restaurante.reservation_tables WHERE "reservationId" = r.id)) AS t
                       WHERE t IS NOT NULL) AS tables
           FROM restaurante.reservations r JOIN restaurante.restaurants rest ON rest.id = r."restaurantId" WHERE r.id = $1)
       SELECT o."reservationId", r2.status::text AS status, o."tableId", restaurante.local_iso(lower(o.occupied), $2) AS "from",
              restaurante.local_iso(upper(o.occupied), $2) AS until, o.active, 'reservation_tables' AS "heldThrough"
         FROM me JOIN restaurante.reservation_tables o ON o."tableId" = ANY(me.tables) AND o."reservationId" <> me.id AND o.occupied && me.span
         JOIN restaurante.reservations r2 ON r2.id = o."reservationId"
       UNION ALL
       SELECT r2.id, r2.status::text, t.t, restaurante.local_iso(r2.time, $2),
              restaurante.local_iso(r2.time + make_interval(mins => r2."durationMinutes" + rest.buffer_minutes), $2),
              r2.status::text = ANY($3), 'legacy tableId/table_ids only'
         FROM me JOIN restaurante.reservations r2 ON r2.id <> me.id
         JOIN restaurante.restaurants rest ON rest.id = r2."restaurantId"
         CROSS JOIN LATERAL (SELECT DISTINCT x AS t FROM unnest(r2.table_ids || ARRAY[r2."tableId"]) AS x WHERE x = ANY(me.tables)) t
        WHERE NOT EXISTS (SELECT 1 FROM restaurante.reservation_tables x WHERE x."reservationId" = r2.id)
          AND tstzrange(r2.time, r2.time + make_interval(mins => r2."durationMinutes" + rest.buffer_minutes)) && me.span
        ORDER BY 4, 1`,
      [id, r.timezone, LIVE],
    );
    const clashing = overlaps.filter((o) => o.active);
    const legacy = clashing.filter((o) => o.heldThrough !== 'reservation_tables');
    let overlapStatus: CheckStatus = 'ok';
    if (live && clashing.length) overlapStatus = 'critical';
    else if (legacy.length) overlapStatus = 'warning';
    findings.push({
      name: 'overlaps',
      status: overlapStatus,
      summary: clashing.length
        ? live
          ? `DOUBLE BOOKING: ${plural(clashing.length, 'live booking')} hold the same tables at an overlapping time (${clashing.map((c) => c.reservationId).join(', ')})`
          : `its tables are now taken at that time by ${clashing.map((c) => `${c.reservationId} (${c.status})`).join(', ')}: reviving this booking would fail with TABLE_ALREADY_RESERVED (23P01)`
        : overlaps.length
          ? `${plural(overlaps.length, 'released booking')} overlapped on these tables; none is live`
          : 'no other booking overlaps on these tables',
      rows: overlaps,
      advice: legacy.length
        ? 'rows written by old clients set only "tableId"/table_ids: book them again through the service so they hold reservation_tables rows the constraint guards'
        : 'a double booking needs the exclusion constraint gone or rows written around it: see the constraint finding; move one of the bookings',
    });

    findings.push(await constraintFinding(tx));

    const service = await serviceFinding(tx, r.restaurantId, r.timezone, r.date, '$2::timestamptz', r.time, r.partySize);
    const { onGrid, past, ...serviceOutcome } = service;
    findings.push({
      ...serviceOutcome,
      status: live && !past && !onGrid ? 'warning' : 'ok',
      advice: 'the opening hours, exceptions or turn times changed after it was booked: move it to a slot (alternatives in the slot finding) or keep it knowingly',
    });

    // Is its time still bookable for its party, setting this booking aside?
    const { rows: free } = await tx.query<{ tables: string[] | null }>(
      `SELECT restaurante.free_option($1, $2, $3::timestamptz, $4) AS tables`,
      [r.restaurantId, r.partySize, r.time, id],
    );
    const freeTables = free[0]?.tables ?? null;
    const alts = await alternatives(tx, r.restaurantId, r.timezone, r.date, '$2::timestamptz', r.time, r.partySize, id);
    findings.push({
      name: 'slot',
      status: 'ok',
      summary: past
        ? 'the time has passed: no slot is bookable any more'
        : !onGrid
          ? `${r.time} is not a bookable slot for ${r.partySize}; nearest bookable: ${alts.join(', ') || 'none that day'}`
          : freeTables
            ? `setting this booking aside, ${r.time} is bookable for ${r.partySize}: it would get ${freeTables.join(' + ')}`
            : `setting this booking aside, no table or combination for ${r.partySize} is free at ${r.time}; nearest bookable: ${alts.join(', ') || 'none that day'}`,
      rows: [{ time: r.time, partySize: r.partySize, freeTables, alternatives: alts }],
    });

    const { rows: history } = await tx.query<Record<string, unknown>>(
      `SELECT "changedAt", "fromStatus", "toStatus", "changedBy" FROM restaurante.reservation_status_history
        WHERE "reservationId" = $1 ORDER BY "changedAt", id`,
      [id],
    );
    findings.push({ name: 'history', status: 'ok', summary: `${plural(history.length, 'status change')}: ${history.map((h) => String(h.toStatus)).join(' → ') || 'none recorded'}`, rows: history });

    findings.push(await emailFinding(tx, id, live));
    return { subject: `reservation ${r.id}`, findings };
  });
}

/** E-mails queued or sent for a reservation (the outbox), and what is wrong with them. */
export async function emailFinding(tx: Tx, reservationId: string, live: boolean): Promise<Finding> {
  const { rows } = await tx.query<{ id: string; type: string; status: string; retries: number; createdAt: Date; sentAt: Date | null; nextAttemptAt: Date; overdue: boolean; tokenId: string | null; error: string | null }>(
    `SELECT id, email_type AS type, status, retry_count AS retries, created_at AS "createdAt", sent_at AS "sentAt",
            next_attempt_at AS "nextAttemptAt", status = 'pending' AND next_attempt_at < now() - interval '15 minutes' AS overdue,
            payload->>'tokenId' AS "tokenId", left(error_message, 200) AS error
       FROM restaurante.email_logs WHERE reservation_id = $1 ORDER BY created_at, id`,
    [reservationId],
  );
  const failed = rows.filter((e) => e.status === 'failed');
  const overdue = rows.filter((e) => e.overdue);
  const noConfirmation = live && !rows.some((e) => e.type === 'reservation_confirmation');
  const problems = [
    failed.length ? `${plural(failed.length, 'e-mail')} failed (${failed.map((f) => f.type).join(', ')})` : '',
    overdue.length ? `${plural(overdue.length, 'e-mail')} pending for more than 15 min past due: is an e-mail worker running?` : '',
    noConfirmation ? 'no confirmation e-mail was ever queued' : '',
  ].filter(Boolean);
  return {
    name: 'emails',
    status: problems.length ? 'warning' : 'ok',
    summary: problems.length ? problems.join('; ') : rows.length ? `${rows.map((e) => `${e.type} ${e.status}`).join(', ')}` : 'no e-mail for this booking',
    rows,
    advice: 'comanda email status shows the queue and errors; comanda email retry --id ID re-queues a failed one (check SMTP_URL, EMAIL_WORKER)',
  };
}

export interface SlotDiagnoseOptions {
  /** Table id, or its number within the restaurant. */
  table: string;
  /** ISO 8601; without an offset, the restaurant's local time. */
  time: string;
  party?: number;
  restaurantId?: string;
}

/** Why a table is or is not bookable at a time (the other half of "Table already reserved"). */
export async function diagnoseSlot(db: Database, options: SlotDiagnoseOptions): Promise<Diagnosis> {
  const time = parseTime(options.time);
  if (options.party !== undefined && (!Number.isInteger(options.party) || options.party < 1 || options.party > 50)) {
    throw new LookupError('the party size must be a whole number from 1 to 50');
  }
  return diagnose(db, async (tx) => {
    let table = (
      await tx.query<{ id: string; restaurantId: string; number: number; capacity: number; location: string | null; isActive: boolean }>(
        `SELECT id, "restaurantId", number, capacity, location, "isActive" FROM restaurante.tables WHERE id = $1 AND ($2::text IS NULL OR "restaurantId" = $2)`,
        [options.table, options.restaurantId ?? null],
      )
    ).rows[0];
    if (!table) {
      const restaurant = await resolveRestaurant(tx, options.restaurantId);
      if (/^\d{1,6}$/.test(options.table)) {
        table = (
          await tx.query<{ id: string; restaurantId: string; number: number; capacity: number; location: string | null; isActive: boolean }>(
            `SELECT id, "restaurantId", number, capacity, location, "isActive" FROM restaurante.tables WHERE "restaurantId" = $1 AND number = $2`,
            [restaurant.id, Number(options.table)],
          )
        ).rows[0];
      }
      if (!table) throw new LookupError(`no table "${options.table}" (by id, or by number in ${restaurant.id})`);
    }
    const { rows: rest } = await tx.query<{ timezone: string; instant: string; local: string; date: string }>(
      `SELECT r.timezone, t.at::text AS instant, restaurante.local_iso(t.at, r.timezone) AS local, to_char((t.at AT TIME ZONE r.timezone)::date, 'YYYY-MM-DD') AS date
         FROM restaurante.restaurants r,
              LATERAL (SELECT CASE WHEN $3 THEN ($2::timestamp AT TIME ZONE r.timezone) ELSE $2::timestamptz END AS at) t
        WHERE r.id = $1`,
      [table.restaurantId, time.text, time.local],
    );
    const { timezone, instant, local, date } = rest[0]!;
    const party = options.party ?? Math.min(2, table.capacity);
    const findings: Finding[] = [];

    const { rows: combos } = await tx.query<{ id: string; name: string; tableIds: string[]; isActive: boolean }>(
      `SELECT id, name, table_ids AS "tableIds", "isActive" FROM restaurante.table_combinations WHERE $1 = ANY(table_ids) ORDER BY id`,
      [table.id],
    );
    findings.push({
      name: 'table',
      status: table.isActive ? 'ok' : 'warning',
      summary: `table ${table.number} (${table.id}) of ${table.restaurantId}: ${table.capacity} seats${table.location ? `, ${table.location}` : ''}${table.isActive ? '' : ', INACTIVE (never offered)'}${combos.length ? `; in combinations ${combos.map((c) => c.id).join(', ')}` : ''}`,
      rows: [{ ...table, combinations: combos }],
      advice: 'an inactive table is never booked (and takes its combinations out too): reactivate it if it is back in service',
    });

    const service = await serviceFinding(tx, table.restaurantId, timezone, date, '$2::timestamptz', instant, party);
    const { onGrid, past, ...serviceOutcome } = service;
    findings.push(serviceOutcome);

    const { rows: bookings } = await tx.query<{ reservationId: string; status: string; partySize: number; from: string; until: string; active: boolean; heldThrough: string }>(
      `WITH want AS (
         SELECT tstzrange($2::timestamptz, $2::timestamptz + make_interval(mins => restaurante.turn_minutes($3, $4) + r.buffer_minutes)) AS span
           FROM restaurante.restaurants r WHERE r.id = $3)
       SELECT rt."reservationId", r.status::text AS status, r."partySize", restaurante.local_iso(lower(rt.occupied), $5) AS "from",
              restaurante.local_iso(upper(rt.occupied), $5) AS until, rt.active, 'reservation_tables' AS "heldThrough"
         FROM want JOIN restaurante.reservation_tables rt ON rt."tableId" = $1 AND rt.occupied && want.span
         JOIN restaurante.reservations r ON r.id = rt."reservationId"
       UNION ALL
       SELECT r.id, r.status::text, r."partySize", restaurante.local_iso(r.time, $5),
              restaurante.local_iso(r.time + make_interval(mins => r."durationMinutes" + rest.buffer_minutes), $5),
              r.status::text = ANY($6), 'legacy tableId/table_ids only'
         FROM want JOIN restaurante.reservations r ON ($1 = ANY(r.table_ids) OR r."tableId" = $1)
         JOIN restaurante.restaurants rest ON rest.id = r."restaurantId"
        WHERE NOT EXISTS (SELECT 1 FROM restaurante.reservation_tables x WHERE x."reservationId" = r.id)
          AND tstzrange(r.time, r.time + make_interval(mins => r."durationMinutes" + rest.buffer_minutes)) && want.span
        ORDER BY 4, 1`,
      [table.id, instant, table.restaurantId, party, timezone, LIVE],
    );
    const taken = bookings.filter((b) => b.active);
    findings.push({
      name: 'bookings',
      status: taken.some((b) => b.heldThrough !== 'reservation_tables') ? 'warning' : 'ok',
      summary: taken.length
        ? `table ${table.number} is held from ${taken.map((b) => `${b.from.slice(11, 16)} to ${b.until.slice(11, 16)} by ${b.reservationId} (${b.status})`).join(', ')}`
        : bookings.length
          ? `only released bookings (${bookings.map((b) => `${b.reservationId} ${b.status}`).join(', ')}) overlap; the table is free for the turn`
          : `no booking holds table ${table.number} during the turn (turn + buffer from ${local})`,
      rows: bookings,
      advice: 'a booking written by an old client holds the table only through "tableId"/table_ids, which the exclusion constraint cannot see: rebook it through the service',
    });

    const { rows: verdict } = await tx.query<{ options: number; free: string[] | null; bookable: boolean }>(
      `SELECT (SELECT count(*) FROM restaurante.table_options($1, $2))::int AS options,
              restaurante.free_option($1, $2, $3::timestamptz) AS free,
              $3::timestamptz IN (SELECT slot FROM restaurante.available_slots($1, $4::date, $2)) AS bookable`,
      [table.restaurantId, party, instant, date],
    );
    const v = verdict[0]!;
    const alts = v.bookable ? [] : await alternatives(tx, table.restaurantId, timezone, date, '$2::timestamptz', instant, party, null);
    const reasons: string[] = [];
    if (past) reasons.push('the time is in the past');
    else if (!onGrid) reasons.push('the time is not a bookable slot (closed, outside the hours, off the slot grid, or the turn would end after closing): CM005');
    if (v.options === 0) reasons.push(`no table or combination seats ${party}: CM006`);
    else if (!past && onGrid && !v.free) reasons.push(`every table and combination that seats ${party} is taken for the turn: TABLE_ALREADY_RESERVED (CM004)`);
    const tableNote = !table.isActive
      ? `table ${table.number} is inactive`
      : table.capacity < party
        ? `table ${table.number} alone seats only ${table.capacity}${combos.length ? '; its combinations may' : ''}`
        : taken.length
          ? `table ${table.number} itself is taken`
          : `table ${table.number} itself is free`;
    findings.push({
      name: 'slot',
      status: reasons.length ? 'warning' : 'ok',
      summary: reasons.length
        ? `${local} is NOT bookable for ${party}: ${reasons.join('; ')}; ${tableNote}${alts.length ? `; nearest bookable: ${alts.join(', ')}` : ''}`
        : `${local} is bookable for ${party}: the booking would get ${(v.free ?? []).join(' + ')} (smallest that seats the party); ${tableNote}`,
      rows: [{ time: local, partySize: party, bookable: v.bookable, wouldGet: v.free, seatingOptions: v.options, alternatives: alts }],
      advice: alts.length ? `offer ${alts[0]} instead, or free a table (cancel a stale booking)` : 'no other time is free that day for this party',
    });

    findings.push(await constraintFinding(tx));
    return { subject: `table ${table.number} (${table.id}) at ${local} for ${party}`, findings };
  });
}
