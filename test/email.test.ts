// The e-mail outbox against a real local SMTP server: delivery, retries and their limit, the
// retry queue, at-least-once after a crash (same Message-ID), two workers never sending one
// e-mail twice, reminders, receipts, and the file transport.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createStaffToken, type StaffPrincipal } from '../src/core/auth/staff-tokens.js';
import { EmailWorker, fileTransport, retryFailedEmails, smtpTransport } from '../src/core/email/outbox.js';
import { placeOrder } from '../src/core/ordering/orders.js';
import { book, queueReminders, viewByToken } from '../src/core/reservations/reservations.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { freePort } from '../src/embedded/postgres.js';
import { futureTuesday } from './helpers/dates.js';
import { useTestDatabase } from './helpers/db.js';

const SECRET = 'email-test-secret-0123456789abcdefghijklmnop';
const { db } = await useTestDatabase({ poolSize: 20 });

interface Received {
  to: string[];
  raw: string;
  messageId: string;
  subject: string;
  body: string;
}
const received: Received[] = [];
let refuse = 0;
let port: number;
let server: SMTPServer;

/** Undoes quoted-printable so long lines (links) can be searched. */
const unQp = (text: string) => text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));

beforeAll(async () => {
  await seedDemo(db);
  port = await freePort();
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (refuse > 0) {
        refuse--;
        const err = Object.assign(new Error('4.2.1 Mailbox busy, try later'), { responseCode: 451 });
        return callback(err);
      }
      callback();
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      stream.on('end', () => {
        const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
        received.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          messageId: /^Message-ID:\s*(.+)$/im.exec(head)?.[1]?.trim() ?? '',
          subject: /^Subject:\s*(.+)$/im.exec(head)?.[1]?.trim() ?? '',
          body: unQp(rest.join('\n\n')),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(async () => {
  received.length = 0;
  refuse = 0;
  // Each test looks at its own e-mails.
  await db.query(`UPDATE restaurante.email_logs SET status = 'sent' WHERE status <> 'sent'`);
});

const worker = (options: { backoffSeconds?: number; leaseSeconds?: number } = {}) =>
  new EmailWorker(db, smtpTransport(`smtp://127.0.0.1:${port}`), {
    secret: SECRET,
    publicUrl: 'https://comanda.example',
    from: 'Enigma <reservas@enigma.example>',
    maxAttempts: 3,
    ...options,
  });


const settings = { secret: SECRET, tokenTtlDays: 7, idempotencyTtlHours: 24 };
const booking = (weeksAhead: number, extra: Partial<Parameters<typeof book>[1]> = {}) =>
  book(
    db,
    { restaurantId: DEMO_RESTAURANT_ID, partySize: 2, time: futureTuesday(weeksAhead), customerName: 'Lucía Pérez', customerEmail: 'lucia@example.com', ...extra },
    settings,
  );

const emailRow = async (reservationId: string, type = 'reservation_confirmation') =>
  (
    await db.query<{ status: string; retry_count: number; message_id: string; provider_message_id: string | null; sent_at: Date | null; error_message: string | null }>(
      'SELECT status, retry_count, message_id, provider_message_id, sent_at, error_message FROM restaurante.email_logs WHERE reservation_id = $1 AND email_type = $2',
      [reservationId, type],
    )
  ).rows[0]!;

describe('the e-mail outbox', () => {
  it('delivers a booking confirmation with a working link and a stable Message-ID', async () => {
    const body = await booking(1);
    const w = worker();
    expect(await w.runOnce()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(received).toHaveLength(1);
    const mail = received[0]!;
    const row = await emailRow(body.reservation.id);
    expect(row).toMatchObject({ status: 'sent', retry_count: 0, error_message: null });
    expect(row.provider_message_id).toMatch(/^250/);
    expect(row.sent_at).toBeInstanceOf(Date);
    expect(mail.to).toEqual(['lucia@example.com']);
    expect(mail.messageId).toBe(row.message_id);
    expect(mail.subject).toContain('Tu reserva en Enigma');
    const token = /\/reservations\/([A-Za-z0-9_.%-]+)/.exec(mail.body)?.[1];
    expect(token).toBeDefined();
    const viewed = await viewByToken(db, SECRET, decodeURIComponent(token!));
    expect(viewed.id).toBe(body.reservation.id);
    await w.stop();
  });

  it('writes English for an English-speaking guest', async () => {
    await booking(2, { language: 'en', customerEmail: 'tom@example.com' });
    const w = worker();
    await w.runOnce();
    expect(received[0]!.subject).toContain('Your booking at Enigma');
    expect(received[0]!.body).toContain('We have your booking for 2 people');
    await w.stop();
  });

  it('retries when the server refuses, stops at the limit, and the retry queue sends it later', async () => {
    const body = await booking(3);
    refuse = 100;
    const w = worker({ backoffSeconds: 60 });
    expect(await w.runOnce()).toEqual({ sent: 0, retrying: 1, failed: 0 });
    let row = await emailRow(body.reservation.id);
    expect(row).toMatchObject({ status: 'pending', retry_count: 1 });
    expect(row.error_message).toContain('Mailbox busy');
    // Not due yet: backoff.
    expect(await w.runOnce()).toEqual({ sent: 0, retrying: 0, failed: 0 });
    for (const expected of [{ retrying: 1, failed: 0 }, { retrying: 0, failed: 1 }]) {
      await db.query(`UPDATE restaurante.email_logs SET next_attempt_at = now() WHERE reservation_id = $1`, [body.reservation.id]);
      expect(await w.runOnce()).toEqual({ sent: 0, ...expected });
    }
    row = await emailRow(body.reservation.id);
    expect(row).toMatchObject({ status: 'failed', retry_count: 3 });
    await db.query(`UPDATE restaurante.email_logs SET next_attempt_at = now() WHERE reservation_id = $1`, [body.reservation.id]);
    expect(await w.runOnce()).toEqual({ sent: 0, retrying: 0, failed: 0 }); // failed ones stay put
    expect(received).toHaveLength(0);

    refuse = 0;
    expect(await retryFailedEmails(db)).toBeGreaterThanOrEqual(1);
    expect(await w.runOnce()).toMatchObject({ sent: 1 });
    expect(received).toHaveLength(1);
    expect((await emailRow(body.reservation.id)).status).toBe('sent');
    await w.stop();
  });

  it('is at least once across a crash between sending and recording, with the same Message-ID', async () => {
    const body = await booking(4);
    const crashed = worker({ leaseSeconds: 120 });
    const [claimed] = await crashed.claim();
    await crashed.deliver(claimed!); // sent… and the process "dies" before recording it
    await crashed.stop();
    expect((await emailRow(body.reservation.id)).status).toBe('pending');
    const other = worker();
    // While the lease runs, nobody sends it again.
    expect(await other.runOnce()).toEqual({ sent: 0, retrying: 0, failed: 0 });
    await db.query(`UPDATE restaurante.email_logs SET next_attempt_at = now() WHERE reservation_id = $1`, [body.reservation.id]);
    expect(await other.runOnce()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(received).toHaveLength(2);
    expect(received[0]!.messageId).toBe(received[1]!.messageId);
    expect((await emailRow(body.reservation.id)).status).toBe('sent');
    await other.stop();
  });

  it('two workers at once never send one e-mail twice', async () => {
    for (let i = 0; i < 24; i++) await booking(10 + i, { customerEmail: `guest${i}@example.com` });
    const a = worker();
    const b = worker();
    const results = await Promise.all([a.runOnce(), b.runOnce(), a.runOnce(), b.runOnce()]);
    const sent = results.reduce((n, r) => n + r.sent, 0);
    expect(sent).toBe(24);
    expect(received).toHaveLength(24);
    expect(new Set(received.map((m) => m.messageId)).size).toBe(24);
    expect(new Set(received.flatMap((m) => m.to)).size).toBe(24);
    await a.stop();
    await b.stop();
  });

  it('queues one reminder per confirmed reservation within the window, with a working link', async () => {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO restaurante.reservations ("restaurantId", "customerName", "customerEmail", "partySize", date, time, status)
       VALUES ($1, 'Marta', 'marta@example.com', 3, current_date, now() + interval '3 hours', 'CONFIRMED'),
              ($1, 'Pablo', 'pablo@example.com', 2, current_date, now() + interval '3 days', 'CONFIRMED'),
              ($1, 'Irene', 'irene@example.com', 2, current_date, now() + interval '2 hours', 'CANCELLED')
       RETURNING id`,
      [DEMO_RESTAURANT_ID],
    );
    expect(await queueReminders(db, settings, 24)).toBe(1);
    expect(await queueReminders(db, settings, 24)).toBe(0);
    const w = worker();
    await w.runOnce();
    expect(received).toHaveLength(1);
    expect(received[0]!.to).toEqual(['marta@example.com']);
    expect(received[0]!.subject).toContain('Recordatorio');
    const token = decodeURIComponent(/\/reservations\/([A-Za-z0-9_.%-]+)/.exec(received[0]!.body)![1]!);
    expect((await viewByToken(db, SECRET, token)).id).toBe(rows[0]!.id);
    await w.stop();
  });

  it('sends an order receipt when the order has a customer e-mail, with its lines and total', async () => {
    const { info } = await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'waiter' });
    const staff: StaffPrincipal = { kind: 'staff', tokenId: info.id, restaurantId: DEMO_RESTAURANT_ID, role: 'waiter' };
    const placed = await placeOrder(
      db,
      staff,
      { source: 'telefono', customerEmail: 'rosa@example.com', items: [{ menuItemId: 'item_patatas_bravas', quantity: 2 }] },
      { idempotencyTtlHours: 24 },
    );
    const w = worker();
    await w.runOnce();
    expect(received).toHaveLength(1);
    expect(received[0]!.subject).toContain(placed.order.orderNumber);
    expect(received[0]!.body).toContain('Patatas bravas');
    await w.stop();
  });

  it('writes .eml files when there is no SMTP server', async () => {
    await booking(40);
    const dir = await mkdtemp(path.join(tmpdir(), 'comanda-outbox-'));
    const w = new EmailWorker(db, fileTransport(dir), { secret: SECRET, publicUrl: 'http://localhost:3000', from: 'Enigma <r@enigma.example>' });
    expect(await w.runOnce()).toMatchObject({ sent: 1 });
    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    const eml = await readFile(path.join(dir, files[0]!), 'utf8');
    expect(eml).toMatch(/^Message-ID: <[0-9a-f-]+@comanda>$/m);
    expect(eml).toContain('Subject: Tu reserva en Enigma');
    await w.stop();
    await rm(dir, { recursive: true, force: true });
  });
});
