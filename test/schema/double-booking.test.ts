// Double bookings are impossible in the schema: the exclusion constraint on reservation_tables,
// also under real concurrency on 20 connections; cancelled and finished bookings free the table,
// and reservations.table_ids follows the rows.
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_RESTAURANT_ID as DEMO, seedDemo } from '../../src/core/seed.js';
import { useTestDatabase } from '../helpers/db.js';
import { BOOK_SQL, expectRejected, only, schemaRows } from '../helpers/schema.js';

// The file's own migrated database, with the demo restaurant seeded.
const { url, db } = await useTestDatabase();
const { newReservations, book } = schemaRows(db);

beforeAll(async () => {
  await seedDemo(db);
});

describe('double booking', () => {
  const overlappingPairs = async (tableId: string, activeOnly = true): Promise<number> => {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n
         FROM restaurante.reservation_tables a
         JOIN restaurante.reservation_tables b
           ON a."restaurantId" = b."restaurantId" AND a."tableId" = b."tableId"
          AND a."reservationId" < b."reservationId" AND a.occupied && b.occupied
        WHERE a."tableId" = $1 AND ($2::boolean IS FALSE OR (a.active AND b.active))`,
      [tableId, activeOnly],
    );
    return only(rows).n;
  };

  interface Attempt {
    index: number;
    committed: boolean;
    code?: string;
    constraint?: string;
  }

  interface Race {
    reservations: string[];
    ranges: string[];
    results: Attempt[];
    /** The most transactions seen at once waiting for another one (row or transaction locks in pg_locks). */
    mostWaiting: number;
  }

  /**
   * 20 transactions, each on its own connection, book `table` for 20 pairwise overlapping
   * intervals on `day` (June 2031). They start together: each opens its transaction and waits at
   * an advisory lock held by a control connection, which lets go once all 20 are waiting. Each
   * keeps its booking uncommitted for 0.3 s, so the others meet it in progress.
   */
  async function raceBookings(table: string, day: number, options: { lockTableFirst: boolean }): Promise<Race> {
    const reservations = await newReservations(20);
    // Attempt i holds the table from 20:00 (+02) + 5·i min for 105 min: every pair overlaps.
    const ranges = reservations.map((_, i) => {
      const start = new Date(Date.UTC(2031, 5, day, 18, 5 * i));
      const end = new Date(start.getTime() + 105 * 60_000);
      return `[${start.toISOString()}, ${end.toISOString()})`;
    });
    const pool = new pg.Pool({ connectionString: url, max: 20, statement_timeout: 45_000, lock_timeout: 45_000 });
    const control = new pg.Client({ connectionString: url });
    await control.connect();
    const clients: pg.PoolClient[] = [];
    const gate = 740_500 + day;
    try {
      for (let i = 0; i < 20; i++) clients.push(await pool.connect());
      const pids = await Promise.all(
        clients.map(async (client) => only((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows).pid),
      );
      expect(new Set(pids).size).toBe(20);
      await control.query('SELECT pg_advisory_lock($1)', [gate]);

      const attempt = async (client: pg.PoolClient, index: number): Promise<Attempt> => {
        await client.query('BEGIN');
        try {
          await client.query('SELECT pg_advisory_xact_lock_shared($1)', [gate]); // the starting line
          if (options.lockTableFirst) {
            await client.query('SELECT 1 FROM restaurante.tables WHERE id = $1 FOR UPDATE', [table]);
          }
          await client.query(BOOK_SQL, [DEMO, reservations[index], table, ranges[index]]);
          await client.query('SELECT pg_sleep(0.3)');
          await client.query('COMMIT');
          return { index, committed: true };
        } catch (err) {
          await client.query('ROLLBACK');
          if (!(err instanceof pg.DatabaseError)) throw err;
          return { index, committed: false, code: err.code, constraint: err.constraint };
        }
      };
      let settled = false;
      const finished = Promise.all(clients.map((client, index) => attempt(client, index))).finally(() => {
        settled = true;
      });

      // Let go only when all 20 transactions are open and waiting at the starting line.
      const deadline = Date.now() + 15_000;
      for (;;) {
        const { rows } = await control.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks
            WHERE locktype = 'advisory' AND NOT granted AND objid::bigint = $1 AND pid = ANY($2)`,
          [gate, pids],
        );
        if (only(rows).n === 20) break;
        if (Date.now() > deadline) throw new Error('the 20 transactions never reached the starting line');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await control.query('SELECT pg_advisory_unlock($1)', [gate]);

      let mostWaiting = 0;
      while (!settled) {
        const { rows } = await control.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype IN ('transactionid', 'tuple') AND NOT granted AND pid = ANY($1)`,
          [pids],
        );
        mostWaiting = Math.max(mostWaiting, only(rows).n);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return { reservations, ranges, results: await finished, mostWaiting };
    } finally {
      for (const client of clients) client.release();
      await pool.end();
      await control.end();
    }
  }

  /** After a race: the winner's booking is the only one for the table, and table_ids agrees. */
  async function expectOnlyWinnerBooked(table: string, race: Race, winner: Attempt): Promise<void> {
    const { rows } = await db.query<{ reservationId: string; active: boolean }>(
      `SELECT "reservationId", active FROM restaurante.reservation_tables WHERE "reservationId" = ANY($1)`,
      [race.reservations],
    );
    expect(rows).toEqual([{ reservationId: race.reservations[winner.index], active: true }]);
    expect(await overlappingPairs(table)).toBe(0);
    const { rows: ids } = await db.query<{ id: string; table_ids: string[] }>(
      'SELECT id, table_ids FROM restaurante.reservations WHERE id = ANY($1)',
      [race.reservations],
    );
    expect(ids.filter((r) => r.table_ids.length > 0)).toEqual([{ id: race.reservations[winner.index], table_ids: [table] }]);
  }

  it(
    'is impossible under real concurrency: of 20 overlapping bookings on separate connections exactly one commits, the rest get 23P01',
    async () => {
      const table = 'table_05';
      const race = await raceBookings(table, 10, { lockTableFirst: false });
      // Real contention: several transactions were blocked at once on another's uncommitted row.
      expect(race.mostWaiting).toBeGreaterThanOrEqual(2);
      const winner = only(race.results.filter((r) => r.committed));
      const losers = race.results.filter((r) => !r.committed);
      expect(losers).toHaveLength(19);
      // PostgreSQL documents (execIndexing.c) that inserters into an exclusion constraint can
      // find each other's uncommitted rows and wait for each other; the deadlock detector then
      // aborts all but one of them with 40P01, one per deadlock_timeout. Such a victim is
      // retried, as the application retries DATABASE_BUSY, and meets the committed winner: 23P01.
      for (const loser of losers) {
        expect(['23P01', '40P01']).toContain(loser.code);
        if (loser.code === '40P01') {
          const err = await expectRejected(
            db.query(BOOK_SQL, [DEMO, race.reservations[loser.index], table, race.ranges[loser.index]]),
            '23P01',
            'reservation_tables_no_overlap',
          );
          loser.code = err.code;
          loser.constraint = err.constraint;
        }
      }
      expect(losers.map((l) => [l.code, l.constraint])).toEqual(losers.map(() => ['23P01', 'reservation_tables_no_overlap']));
      await expectOnlyWinnerBooked(table, race, winner);
    },
    90_000,
  );

  it(
    'answers every concurrent loser with 23P01 at once when each first locks the table row',
    async () => {
      const table = 'table_05';
      const race = await raceBookings(table, 16, { lockTableFirst: true });
      expect(race.mostWaiting).toBeGreaterThanOrEqual(2);
      const winner = only(race.results.filter((r) => r.committed));
      const losers = race.results.filter((r) => !r.committed);
      expect(losers.map((l) => [l.code, l.constraint])).toEqual(
        Array.from({ length: 19 }, () => ['23P01', 'reservation_tables_no_overlap']),
      );
      await expectOnlyWinnerBooked(table, race, winner);
    },
    60_000,
  );

  it("accepts adjacent bookings '[a,b)' and '[b,c)', refuses one that overlaps by a minute", async () => {
    const [first, second, third] = await newReservations(3);
    if (first === undefined || second === undefined || third === undefined) throw new Error('no reservations');
    await book(first, 'table_06', '[2031-06-10 13:00+02, 2031-06-10 14:45+02)');
    await book(second, 'table_06', '[2031-06-10 14:45+02, 2031-06-10 16:30+02)');
    await expectRejected(
      book(third, 'table_06', '[2031-06-10 14:44+02, 2031-06-10 15:00+02)'),
      '23P01',
      'reservation_tables_no_overlap',
    );
    // The conflict reaches API callers as TABLE_ALREADY_RESERVED (409).
    await expect(book(third, 'table_06', '[2031-06-10 14:00+02, 2031-06-10 15:00+02)')).rejects.toMatchObject({
      code: 'TABLE_ALREADY_RESERVED',
      status: 409,
      extra: { constraint: 'reservation_tables_no_overlap' },
    });
    // The same time on another table is fine.
    await book(third, 'table_04', '[2031-06-10 14:00+02, 2031-06-10 15:00+02)');
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM restaurante.reservation_tables WHERE "tableId" = 'table_06' AND active`,
    );
    expect(only(rows).n).toBe(2);
    expect(await overlappingPairs('table_06')).toBe(0);
  });

  it('frees the table when a booking is cancelled, and refuses to revive it over a newer booking', async () => {
    const [cancelled, replacement] = await newReservations(2);
    if (cancelled === undefined || replacement === undefined) throw new Error('no reservations');
    const slot = '[2031-06-12 21:00+02, 2031-06-12 22:45+02)';
    await book(cancelled, 'table_07', slot);
    await expectRejected(book(replacement, 'table_07', slot), '23P01', 'reservation_tables_no_overlap');

    const activeOf = async (reservationId: string): Promise<boolean> =>
      only(
        (
          await db.query<{ active: boolean }>('SELECT active FROM restaurante.reservation_tables WHERE "reservationId" = $1', [
            reservationId,
          ])
        ).rows,
      ).active;

    await db.query(`UPDATE restaurante.reservations SET status = 'CANCELLED' WHERE id = $1`, [cancelled]);
    expect(await activeOf(cancelled)).toBe(false);
    await book(replacement, 'table_07', '[2031-06-12 21:30+02, 2031-06-12 23:15+02)');
    expect(await activeOf(replacement)).toBe(true);

    await expectRejected(
      db.query(`UPDATE restaurante.reservations SET status = 'CONFIRMED' WHERE id = $1`, [cancelled]),
      '23P01',
      'reservation_tables_no_overlap',
    );
    const { rows } = await db.query<{ status: string }>('SELECT status::text FROM restaurante.reservations WHERE id = $1', [cancelled]);
    expect(only(rows).status).toBe('CANCELLED');
    expect(await activeOf(cancelled)).toBe(false);
    // The two rows do overlap (the query sees them), but never two active ones.
    expect(await overlappingPairs('table_07', false)).toBe(1);
    expect(await overlappingPairs('table_07')).toBe(0);
  });

  it('never lets a row added to an already cancelled or finished booking hold the table', async () => {
    const [cancelled] = await newReservations(1, 2, 'CANCELLED');
    const [live] = await newReservations(1, 2, 'CONFIRMED');
    const slot = '[2031-06-11 13:00+02, 2031-06-11 14:45+02)';
    await book(cancelled!, 'table_06', slot);
    const { rows } = await db.query<{ active: boolean }>(
      'SELECT active FROM restaurante.reservation_tables WHERE "reservationId" = $1',
      [cancelled],
    );
    expect(only(rows).active).toBe(false);
    // Forcing it active is overridden by the booking's status, and the live booking gets the table.
    await db.query('UPDATE restaurante.reservation_tables SET active = true WHERE "reservationId" = $1', [cancelled]);
    await book(live!, 'table_06', slot);
  });

  it('keeps the table held while PENDING → CONFIRMED → SEATED, and frees it at COMPLETED and NO_SHOW', async () => {
    const [reservation, other] = await newReservations(2, 2, 'PENDING');
    if (reservation === undefined || other === undefined) throw new Error('no reservations');
    await book(reservation, 'table_08', '[2031-06-13 13:00+02, 2031-06-13 14:45+02)');
    const active = async (): Promise<boolean> =>
      only(
        (await db.query<{ active: boolean }>('SELECT active FROM restaurante.reservation_tables WHERE "reservationId" = $1', [reservation]))
          .rows,
      ).active;
    for (const status of ['CONFIRMED', 'SEATED']) {
      await db.query('UPDATE restaurante.reservations SET status = $2::restaurante."ReservationStatus" WHERE id = $1', [reservation, status]);
      expect(await active()).toBe(true);
    }
    await db.query(`UPDATE restaurante.reservations SET status = 'COMPLETED' WHERE id = $1`, [reservation]);
    expect(await active()).toBe(false);
    await db.query(`UPDATE restaurante.reservations SET status = 'NO_SHOW' WHERE id = $1`, [reservation]);
    expect(await active()).toBe(false);
    await book(other, 'table_08', '[2031-06-13 14:00+02, 2031-06-13 15:00+02)');
  });

  it('keeps reservations.table_ids equal to the sorted join rows', async () => {
    const [reservation] = await newReservations(1, 8);
    if (reservation === undefined) throw new Error('no reservation');
    const slot = '[2031-06-14 20:00+02, 2031-06-14 21:45+02)';
    const tableIds = async (): Promise<{ column: string[]; joined: string[] }> => {
      const { rows } = await db.query<{ column: string[]; joined: string[] }>(
        `SELECT r.table_ids AS column,
                coalesce((SELECT array_agg(rt."tableId" ORDER BY rt."tableId")
                            FROM restaurante.reservation_tables rt WHERE rt."reservationId" = r.id), '{}') AS joined
           FROM restaurante.reservations r WHERE r.id = $1`,
        [reservation],
      );
      return only(rows);
    };
    expect(await tableIds()).toEqual({ column: [], joined: [] });
    await book(reservation, 'table_10', slot);
    await book(reservation, 'table_03', slot);
    await db.transaction(async (tx) => {
      await tx.query(BOOK_SQL, [DEMO, reservation, 'table_11', slot]);
      await tx.query(BOOK_SQL, [DEMO, reservation, 'table_09', slot]);
    });
    expect(await tableIds()).toEqual({
      column: ['table_03', 'table_09', 'table_10', 'table_11'],
      joined: ['table_03', 'table_09', 'table_10', 'table_11'],
    });
    await db.query(`DELETE FROM restaurante.reservation_tables WHERE "reservationId" = $1 AND "tableId" = 'table_09'`, [reservation]);
    expect(await tableIds()).toEqual({ column: ['table_03', 'table_10', 'table_11'], joined: ['table_03', 'table_10', 'table_11'] });
    // Moving a row to another table.
    await db.query(
      `UPDATE restaurante.reservation_tables SET "tableId" = 'table_02' WHERE "reservationId" = $1 AND "tableId" = 'table_11'`,
      [reservation],
    );
    expect(await tableIds()).toEqual({ column: ['table_02', 'table_03', 'table_10'], joined: ['table_02', 'table_03', 'table_10'] });
    // A refused booking leaves table_ids as it was.
    const [rival] = await newReservations(1);
    if (rival === undefined) throw new Error('no reservation');
    await expectRejected(book(rival, 'table_03', slot), '23P01', 'reservation_tables_no_overlap');
    const { rows: rivalIds } = await db.query<{ table_ids: string[] }>('SELECT table_ids FROM restaurante.reservations WHERE id = $1', [rival]);
    expect(only(rivalIds).table_ids).toEqual([]);
    await db.query('DELETE FROM restaurante.reservation_tables WHERE "reservationId" = $1', [reservation]);
    expect(await tableIds()).toEqual({ column: [], joined: [] });
  });
});
