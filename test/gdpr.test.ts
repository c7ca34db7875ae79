// GDPR on real data: export gathers a customer's personal data from every table; erasure leaves
// no personal value of theirs in any column of the schema while keeping financial records; the
// retention job; the audit log; the admin routes.
import { describe, expect, it } from 'vitest';
import { applyDataRetention, eraseCustomer, exportCustomer } from '../src/core/customers/gdpr.js';
import { createStaffToken } from '../src/core/auth/staff-tokens.js';
import { placeOrder } from '../src/core/ordering/orders.js';
import { qrCodeOf, tableOf } from '../src/core/ordering/table-sessions.js';
import { book } from '../src/core/reservations/reservations.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { TEST_SECRET, useTestApp } from './helpers/app.js';
import { runCli } from './helpers/cli.js';
import { futureTuesday } from './helpers/dates.js';

const t = await useTestApp();
const { db, app } = t;


/** Every value of every text-like column of the restaurante schema that contains `needle`. */
async function whereFound(needle: string): Promise<string[]> {
  const { rows: columns } = await db.query<{ table: string; column: string }>(
    `SELECT table_name AS table, column_name AS column FROM information_schema.columns
      WHERE table_schema = 'restaurante' AND data_type IN ('text', 'character varying', 'character', 'jsonb', 'json', 'inet', 'ARRAY')`,
  );
  const hits: string[] = [];
  for (const { table, column } of columns) {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM restaurante.${JSON.stringify(table)} WHERE ${JSON.stringify(column)}::text ILIKE '%' || $1 || '%'`,
      [needle],
    );
    if (rows[0]!.n > 0) hits.push(`${table}.${column}`);
  }
  return hits;
}

interface Person {
  name: string;
  email: string;
  phone: string;
  ip: string;
  userAgent: string;
}

/** A guest with a booking, a QR order and a phone order, each leaving personal data behind. */
async function guestWithHistory(person: Person, weeksAhead: number, tableId: string) {
  const booked = await book(
    db,
    {
      restaurantId: DEMO_RESTAURANT_ID,
      partySize: 2,
      time: futureTuesday(weeksAhead),
      customerName: person.name,
      customerEmail: person.email,
      customerPhone: person.phone,
      notes: `Cumpleaños de ${person.name}`,
      marketingConsent: false,
    },
    { secret: TEST_SECRET, tokenTtlDays: 7, idempotencyTtlHours: 24 },
    `booking-${person.email}`,
  );
  const { rows } = await db.query<{ id: string }>('SELECT "customerId" AS id FROM restaurante.reservations WHERE id = $1', [booked.reservation.id]);
  const customerId = rows[0]!.id;
  await db.query(
    `INSERT INTO restaurante.customer_consents ("restaurantId", "customerId", purpose, granted, method, details)
     VALUES ($1, $2, 'reservation_emails', true, 'web_form', $3)`,
    [DEMO_RESTAURANT_ID, customerId, JSON.stringify({ ip: person.ip })],
  );
  // A QR order from the table (the scan logs IP and user agent), with the guest's e-mail.
  const scan = await app.inject({
    method: 'POST',
    url: '/api/qr/scan',
    payload: { code: qrCodeOf(TEST_SECRET, await tableOf(db, DEMO_RESTAURANT_ID, tableId)) },
    remoteAddress: person.ip,
    headers: { 'user-agent': person.userAgent },
  });
  const session = scan.json<{ sessionToken: string }>().sessionToken;
  const qrOrder = await app.inject({
    method: 'POST',
    url: '/api/orders',
    headers: { ...t.auth(session), 'idempotency-key': `order-${person.email}` },
    payload: { customerEmail: person.email, notes: `Para ${person.name}`, items: [{ menuItemId: 'item_patatas_bravas', quantity: 2 }] },
  });
  expect(qrOrder.statusCode).toBe(201);
  const { info } = await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'waiter' });
  await placeOrder(
    db,
    { kind: 'staff', tokenId: info.id, restaurantId: DEMO_RESTAURANT_ID, role: 'waiter' },
    { source: 'telefono', customerEmail: person.email.toUpperCase(), items: [{ menuItemId: 'item_croquetas_jamon', quantity: 1 }] },
    { idempotencyTtlHours: 24 },
  );
  return { customerId, reservationId: booked.reservation.id };
}

const ana: Person = { name: 'Anabel Quintanilla', email: 'anabel.q@example.com', phone: '+34 600 111 222', ip: '203.0.113.77', userAgent: 'AnabelPhone/1.0' };
const other: Person = { name: 'Bernardo Ortiz', email: 'bernardo.o@example.com', phone: '+34 600 333 444', ip: '203.0.113.88', userAgent: 'BernardoPad/2.0' };

describe('GDPR', () => {
  it('exports everything held about a customer, and audits it', async () => {
    const { customerId } = await guestWithHistory(ana, 1, 'table_03');
    await guestWithHistory(other, 2, 'table_04');
    const data = await exportCustomer(db, DEMO_RESTAURANT_ID, customerId, 'staff:admin:test');
    const text = JSON.stringify(data);
    for (const value of [ana.name, ana.email, ana.phone, ana.ip, ana.userAgent]) expect(text).toContain(value);
    expect(text).not.toContain(other.email);
    expect(data).toMatchObject({ customer: { id: customerId } });
    expect((data.reservations as unknown[]).length).toBe(1);
    expect((data.orders as unknown[]).length).toBe(2); // the QR order and the phone order (by e-mail, any case)
    expect((data.qrScans as unknown[]).length).toBe(1);
    // Booking e-mails (given with the booking), marketing (answered no), and the one added above.
    expect(data.consents).toMatchObject([
      { purpose: 'reservation_emails', granted: true, method: 'web_form' },
      { purpose: 'marketing', granted: false, method: 'web_form' },
      { purpose: 'reservation_emails', granted: true, method: 'web_form' },
    ]);
    expect((data.emails as unknown[]).length).toBeGreaterThanOrEqual(3); // confirmation + two receipts
    const { rows } = await db.query('SELECT actor FROM restaurante.audit_log WHERE action = $1 AND "subjectId" = $2', ['customer.export', customerId]);
    expect(rows).toEqual([{ actor: 'staff:admin:test' }]);
  });

  it('erases them so that no column of the schema holds their personal data, keeping the money', async () => {
    const { rows: customers } = await db.query<{ id: string }>('SELECT id FROM restaurante.customers WHERE email = $1', [ana.email]);
    const customerId = customers[0]!.id;
    for (const value of [ana.name, ana.email, ana.phone, ana.ip, ana.userAgent]) expect(await whereFound(value)).not.toEqual([]);
    const totals = async () =>
      (await db.query<{ total: string; lines: string }>(`SELECT sum("totalAmount")::text AS total, (SELECT count(*) FROM restaurante.order_items)::text AS lines FROM restaurante.orders`)).rows[0];
    const before = await totals();

    const counts = await eraseCustomer(db, DEMO_RESTAURANT_ID, customerId, 'staff:admin:test');
    expect(counts).toMatchObject({ reservations: 1, orders: 2, qrScans: 1 });
    for (const value of [ana.name, ana.email, ana.phone, ana.ip, ana.userAgent, 'Anabel', 'anabel.q']) {
      expect(await whereFound(value), value).toEqual([]);
    }
    // The other guest is untouched, and the money is the same.
    for (const value of [other.name, other.email, other.ip]) expect(await whereFound(value)).not.toEqual([]);
    expect(await totals()).toEqual(before);
    const { rows } = await db.query<{ action: string; details: Record<string, number> }>(
      'SELECT action, details FROM restaurante.audit_log WHERE "subjectId" = $1 ORDER BY "createdAt"',
      [customerId],
    );
    expect(rows.map((r) => r.action)).toEqual(['customer.export', 'customer.erase']);
    // Erasing again is harmless (and audited again).
    expect(await eraseCustomer(db, DEMO_RESTAURANT_ID, customerId, 'cli')).toMatchObject({ orders: 0, qrScans: 0 });
    expect(await whereFound(ana.email)).toEqual([]);
  });

  it('the retention job anonymises inactive customers and clears old scan IPs', async () => {
    const old: Person = { name: 'Cayetana Viejo', email: 'cayetana.v@example.com', phone: '+34 600 555 666', ip: '198.51.100.9', userAgent: 'OldPhone/0.1' };
    await db.query(
      `INSERT INTO restaurante.customers ("restaurantId", name, email, phone, "createdAt") VALUES ($1, $2, $3, $4, now() - interval '900 days')`,
      [DEMO_RESTAURANT_ID, old.name, old.email, old.phone],
    );
    await db.query(
      `INSERT INTO restaurante.qr_scans ("restaurantId", table_id, client_ip, user_agent, scanned_at) VALUES ($1, 'table_09', $2, $3, now() - interval '800 days')`,
      [DEMO_RESTAURANT_ID, old.ip, old.userAgent],
    );
    const result = await applyDataRetention(db, 730);
    expect(result.customers).toBe(1);
    expect(result.qrScans).toBeGreaterThanOrEqual(1);
    for (const value of [old.name, old.email, old.ip, old.userAgent]) expect(await whereFound(value)).toEqual([]);
    // Recent guests stay.
    expect(await whereFound(other.email)).not.toEqual([]);
    const { rows } = await db.query(`SELECT 1 FROM restaurante.audit_log WHERE action = 'retention.anonymize'`);
    expect(rows).toHaveLength(1);
  });

  it('`comanda retention` refuses fewer days than the service allows, and changes nothing', async () => {
    await db.query(
      `INSERT INTO restaurante.customers ("restaurantId", name, email, "createdAt") VALUES ($1, 'Recent Reyes', 'recent.r@example.com', now() - interval '5 days')`,
      [DEMO_RESTAURANT_ID],
    );
    const result = await runCli(['retention', '--days', '1'], { DATABASE_URL: t.url });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/--days: "1" is not a whole number from 30 to 36500 days/);
    expect(await whereFound('recent.r@example.com')).not.toEqual([]);
  });

  it('admin routes: find, export and erase; other roles are refused', async () => {
    const found = await app.inject({ url: `/api/admin/customers?email=${encodeURIComponent(other.email)}`, headers: t.auth(t.staff.admin) });
    expect(found.statusCode).toBe(200);
    const [customer] = found.json<{ customers: Array<{ id: string }> }>().customers;
    expect(customer).toBeDefined();
    expect((await app.inject({ url: `/api/admin/customers/${customer!.id}/export`, headers: t.auth(t.staff.waiter) })).statusCode).toBe(403);
    const exported = await app.inject({ url: `/api/admin/customers/${customer!.id}/export`, headers: t.auth(t.staff.admin) });
    expect(exported.statusCode).toBe(200);
    expect(exported.body).toContain(other.email);
    const erased = await app.inject({ method: 'POST', url: `/api/admin/customers/${customer!.id}/erase`, headers: t.auth(t.staff.admin) });
    expect(erased.statusCode).toBe(200);
    expect(await whereFound(other.email)).toEqual([]);
    expect((await app.inject({ method: 'POST', url: '/api/admin/customers/nope/erase', headers: t.auth(t.staff.admin) })).statusCode).toBe(404);
  });
});
