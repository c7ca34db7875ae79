// Double bookings under real concurrency: hundreds of bookings on parallel connections, through
// book() and over HTTP, and never two overlapping holds of one table.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { book } from '../../src/core/reservations/reservations.js';
import { useTestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';
import { expectProblem } from '../helpers/problems.js';
import {
  booking,
  createRestaurant,
  freshDay,
  hhmmOf,
  local,
  minutesOf,
  nearest,
  reservationRequests,
  settings,
} from '../helpers/reservations.js';

// The file's own app over its own database (the demo restaurant seeded).
const t = await useTestApp();
// A second database with a pool of 40 connections for the races. The timeouts as in
// orders-concurrency.test.ts: the race is about correctness, and 200 bookings of one restaurant
// take turns on its booking lock, so on a small machine (or beside the other test files) the last
// ones may wait longer than the default 2 s lock / 5 s pool checkout.
const race = await useTestDatabase({ poolSize: 40, lockTimeoutMs: 10_000, statementTimeoutMs: 30_000, connectTimeoutMs: 30_000 });
const { postBooking } = reservationRequests(t);

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
      expect(w.replayed).toBe(false);
      expect(w.reservation.status).toBe('PENDING');
    }
    expect(new Set(winners.map((w) => w.reservation.tableIds[0]))).toEqual(new Set([`${id}_t1`, `${id}_t2`]));

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
