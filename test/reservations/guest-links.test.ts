// The guest's link tokens: shown and confirmed or cancelled once, issued again by staff, expired,
// forged or missing (refused), and never stored in clear.
import { beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/core/auth/tokens.js';
import { reservationTokenFor } from '../../src/core/reservations/tokens.js';
import { TEST_SECRET, useTestApp } from '../helpers/app.js';
import { expectProblem } from '../helpers/problems.js';
import {
  BUFFER_ID,
  TUESDAY,
  booking,
  createTestRestaurants,
  freshDay,
  local,
  reservationRequests,
  tokenIdOf,
  type Booked,
} from '../helpers/reservations.js';

// The file's own app over its own database (the demo restaurant seeded).
const t = await useTestApp();
const { bookOk, storedReservation, heldTables, historyOf, emailsOf, linkTokenOf, byToken, issueToken } = reservationRequests(t);

// Restaurants of the file's own, created once.
let bufferTable: string;
let bufferStaff: string;
beforeAll(async () => {
  ({ bufferTable, bufferStaff } = await createTestRestaurants(t));
});

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
