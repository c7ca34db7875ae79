// Issue 11, items 1 and 2: anonymous bookings are short holds until confirmed from the e-mail,
// limited per client IP and per e-mail address (requests and open holds), released when they lapse;
// staff bookings are not limited; an unverified booking never rewrites an existing customer.
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { EmailWorker } from '../src/core/email/outbox.js';
import { releaseExpiredHolds } from '../src/core/reservations/reservations.js';
import { reservationTokenFor } from '../src/core/reservations/tokens.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { TEST_SECRET, useTestApp } from './helpers/app.js';
import { futureTuesday } from './helpers/dates.js';
import { expectProblem } from './helpers/problems.js';

const t = await useTestApp({
  ordering: { bookings: { holdMinutes: 20, perIpPerHour: 10, perEmailPerHour: 3, maxHoldsPerEmail: 2, maxHoldsPerIp: 4 } },
});

interface Booked {
  reservation: { id: string; status: string; time: string; holdExpiresAt: string | null; customerName: string; customerPhone: string | null };
}

const dayOf = (weeks: number) => futureTuesday(weeks).slice(0, 10);

async function slotsOf(day: string): Promise<string[]> {
  const res = await t.app.inject({ method: 'GET', url: `/api/availability?restaurantId=${DEMO_RESTAURANT_ID}&date=${day}&partySize=2` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ slots: string[] }>().slots;
}

function bookAs(
  ip: string,
  body: { time: string; customerEmail: string; customerName?: string; customerPhone?: string; language?: 'es' | 'en'; marketingConsent?: boolean },
  token?: string,
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: '/api/reservations',
    remoteAddress: ip,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    payload: { restaurantId: DEMO_RESTAURANT_ID, partySize: 2, customerName: 'Invitado', ...body },
  });
}

async function linkTokenOf(reservationId: string): Promise<string> {
  const { rows } = await t.db.query<{ tokenId: string }>(
    `SELECT payload->>'tokenId' AS "tokenId" FROM restaurante.email_logs WHERE reservation_id = $1 AND email_type = 'reservation_confirmation'`,
    [reservationId],
  );
  return reservationTokenFor(TEST_SECRET, rows[0]!.tokenId);
}

const confirm = async (reservationId: string) => {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/reservations/by-token/confirm',
    headers: { authorization: `Bearer ${await linkTokenOf(reservationId)}` },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Booked>().reservation;
};

describe('anonymous bookings (item 1)', () => {
  let held: string[] = [];

  it("12 anonymous requests at once from one address for a day's slots: 4 holds (the open-hold limit), 4 e-mails, the rest 429", async () => {
    const day = dayOf(1);
    const slots = await slotsOf(day);
    expect(slots.length).toBeGreaterThan(4);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => bookAs('198.51.100.7', { time: slots[i % slots.length]!, customerEmail: `flood${i}@example.com` })),
    );
    const ok = answers.filter((a) => a.statusCode === 201);
    expect(ok).toHaveLength(4);
    for (const refused of answers.filter((a) => a.statusCode !== 201)) {
      expect(refused.statusCode, refused.body).toBe(429);
      expect(['TOO_MANY_HOLDS', 'RATE_LIMITED']).toContain(refused.json<{ code: string }>().code);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    held = ok.map((a) => a.json<Booked>().reservation.id);
    for (const a of ok) {
      const r = a.json<Booked>().reservation;
      expect(r.status).toBe('PENDING');
      const minutes = (Date.parse(r.holdExpiresAt!) - Date.now()) / 60_000;
      expect(minutes).toBeGreaterThan(19);
      expect(minutes).toBeLessThanOrEqual(20);
    }
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM restaurante.email_logs WHERE reservation_id = ANY($1)`, [held]);
    expect(rows[0]!.n).toBe(4);
    const { rows: all } = await t.db.query(`SELECT count(*)::int AS n FROM restaurante.reservations WHERE date = $1`, [day]);
    expect(all[0]!.n).toBe(4);
    // The e-mail tells the guest when the hold lapses.
    const sent: string[] = [];
    const transport = {
      send: (e: { text: string }) => {
        sent.push(e.text);
        return Promise.resolve('test');
      },
      close: () => undefined,
    };
    const worker = new EmailWorker(t.db, transport, {
      secret: TEST_SECRET,
      publicUrl: 'http://comanda.test',
      from: 'Comanda <no-reply@comanda.test>',
    });
    await worker.runOnce();
    expect(sent).toHaveLength(4);
    for (const text of sent) expect(text).toMatch(/Si no la confirmas antes de las \d{2}:\d{2}, la mesa quedará libre de nuevo\./);
  });

  it('per e-mail address: 2 open holds, then TOO_MANY_HOLDS; the 4th request in the hour is RATE_LIMITED, whatever the address it comes from', async () => {
    const day = dayOf(2);
    const [a, b, c, d] = await slotsOf(day);
    const email = 'victim@example.com';
    expect((await bookAs('192.0.2.1', { time: a!, customerEmail: email })).statusCode).toBe(201);
    expect((await bookAs('192.0.2.2', { time: b!, customerEmail: email.toUpperCase() })).statusCode).toBe(201);
    expectProblem(await bookAs('192.0.2.3', { time: c!, customerEmail: email }), 429, 'TOO_MANY_HOLDS');
    expectProblem(await bookAs('192.0.2.4', { time: d!, customerEmail: email }), 429, 'RATE_LIMITED');
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM restaurante.email_logs WHERE lower(recipient_email) = $1`, [email]);
    expect(rows[0]!.n).toBe(2);
  });

  it('per address per hour: confirmed holds free the hold count, but the 11th booking in the hour is RATE_LIMITED', async () => {
    const day = dayOf(3);
    const slots = await slotsOf(day);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await bookAs('198.51.100.99', { time: slots[i % slots.length]!, customerEmail: `regular${i}@example.com` });
      statuses.push(res.statusCode);
      if (res.statusCode === 201) await confirm(res.json<Booked>().reservation.id);
      else expectProblem(res, 429, 'RATE_LIMITED');
    }
    expect(statuses).toEqual([...Array.from({ length: 10 }, () => 201), 429]);
  });

  it("staff of the restaurant are not limited, and their bookings are CONFIRMED at once (no hold)", async () => {
    const day = dayOf(4);
    const slots = await slotsOf(day);
    for (let i = 0; i < 6; i++) {
      const res = await bookAs('198.51.100.7', { time: slots[i]!, customerEmail: 'phone.guest@example.com' }, t.staff.waiter);
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json<Booked>().reservation).toMatchObject({ status: 'CONFIRMED', holdExpiresAt: null });
    }
  });

  it('a lapsed hold is released: CANCELLED by the system, its table free again; a confirmed booking is kept', async () => {
    expect(held).toHaveLength(4);
    const kept = await confirm(held[0]!);
    expect(kept.holdExpiresAt).toBeNull();
    await t.db.query(`UPDATE restaurante.reservations SET hold_expires_at = now() - interval '1 second' WHERE id = ANY($1) AND status = 'PENDING'`, [held]);
    expect(await releaseExpiredHolds(t.db)).toBe(3);
    const { rows } = await t.db.query<{ id: string; status: string; active: boolean[]; by: string }>(
      `SELECT r.id, r.status, array_agg(rt.active) AS active,
              (SELECT "changedBy" FROM restaurante.reservation_status_history h WHERE h."reservationId" = r.id ORDER BY "changedAt" DESC, id DESC LIMIT 1) AS by
         FROM restaurante.reservations r JOIN restaurante.reservation_tables rt ON rt."reservationId" = r.id
        WHERE r.id = ANY($1) GROUP BY r.id, r.status`,
      [held],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(held[0]!)).toMatchObject({ status: 'CONFIRMED', active: [true] });
    for (const id of held.slice(1)) expect(byId.get(id)).toMatchObject({ status: 'CANCELLED', active: [false], by: 'system:hold-expired' });
    // The address may hold again (its holds lapsed), and the freed slot is bookable.
    const { rows: times } = await t.db.query<{ time: Date }>('SELECT time FROM restaurante.reservations WHERE id = $1', [held[1]]);
    const again = await bookAs('198.51.100.70', { time: times[0]!.time.toISOString(), customerEmail: 'flood1@example.com' });
    expect(again.statusCode, again.body).toBe(201);
  });
});

describe('an unverified booking never rewrites a customer (item 2)', () => {
  it("booking with an existing customer's address changes neither their details nor their consents; confirming from the e-mail merges them", async () => {
    const { rows: made } = await t.db.query<{ id: string }>(
      `INSERT INTO restaurante.customers ("restaurantId", name, email, phone, language) VALUES ($1, 'Ana Real', 'ana@example.com', '+34 611 111 111', 'es') RETURNING id`,
      [DEMO_RESTAURANT_ID],
    );
    const customerId = made[0]!.id;
    const snapshot = async () =>
      (
        await t.db.query(
          `SELECT c.name, c.email, c.phone, c.language,
                  (SELECT coalesce(jsonb_agg(jsonb_build_object('purpose', purpose, 'granted', granted, 'method', method) ORDER BY purpose), '[]')
                     FROM restaurante.customer_consents WHERE "customerId" = c.id) AS consents
             FROM restaurante.customers c WHERE c.id = $1`,
          [customerId],
        )
      ).rows[0];
    const before = await snapshot();
    const day = dayOf(5);
    const [slot] = await slotsOf(day);
    const res = await bookAs('203.0.113.66', {
      time: slot!,
      customerEmail: 'ANA@example.com',
      customerName: 'Mallory',
      customerPhone: '+34 699 999 999',
      language: 'en',
      marketingConsent: true,
    });
    expect(res.statusCode, res.body).toBe(201);
    const booked = res.json<Booked>().reservation;
    expect(booked).toMatchObject({ customerName: 'Mallory', customerPhone: '+34 699 999 999' });
    expect(await snapshot()).toEqual(before);
    expect(before).toMatchObject({ name: 'Ana Real', phone: '+34 611 111 111', language: 'es', consents: [] });

    // The owner of the address confirms from the e-mail: now what the booking carried is theirs.
    await confirm(booked.id);
    expect(await snapshot()).toEqual({
      name: 'Mallory',
      email: 'ana@example.com',
      phone: '+34 699 999 999',
      language: 'en',
      consents: [
        { purpose: 'marketing', granted: true, method: 'email_link' },
        { purpose: 'reservation_emails', granted: true, method: 'email_link' },
      ],
    });
  });
});
