// Idempotency keys stored before migration 0058 (fingerprinted by the HTTP method and path of the
// time, with the HTTP status beside the body) still replay after it, until they expire: written
// here exactly as the service wrote them then, in a database rolled back to 0057.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, MigrationRunner } from '../src/core/migrations/runner.js';
import { useTestApp } from './helpers/app.js';
import { orderingRequests, type Placed } from './helpers/ordering.js';
import { expectProblem } from './helpers/problems.js';
import { freshDay, local, R, TUESDAY } from './helpers/reservations.js';

const t = await useTestApp();
const { postOrder, counts } = orderingRequests(t);

/** The pre-0058 fingerprint: sha256 of [method, path, body], the body's keys written in sorted order. */
const oldFingerprint = (method: string, path: string, sortedBody: unknown): string =>
  createHash('sha256').update(JSON.stringify([method, path, sortedBody])).digest('hex');

describe('keys stored before migration 0058', () => {
  let guest: string;
  let tableId: string;
  let scope: string;
  let order: Placed['order'];
  let reservation: { id: string };
  const orderBody = { items: [{ menuItemId: 'item_gilda', quantity: 1 }] };
  const bookingBody = { restaurantId: R, partySize: 2, time: local(freshDay(TUESDAY), '13:30'), customerName: 'Lucía Antes', customerEmail: 'lucia.antes@example.com' };

  beforeAll(async () => {
    tableId = 'table_05';
    guest = await t.guest(tableId);
    const placed = await postOrder(guest, orderBody, { 'idempotency-key': 'written-since-0058' });
    expect(placed.statusCode, placed.body).toBe(201);
    order = placed.json<Placed>().order;
    const { rows } = await t.db.query<{ scope: string; operation: string }>(
      `SELECT scope, operation FROM restaurante.idempotency_keys WHERE key = 'written-since-0058'`,
    );
    expect(rows[0]!.operation).toBe('place_order');
    scope = rows[0]!.scope;
    const booked = await t.app.inject({ method: 'POST', url: '/api/reservations', headers: t.auth(t.staff.admin), payload: bookingBody });
    expect(booked.statusCode, booked.body).toBe(201);
    reservation = booked.json<{ reservation: { id: string } }>().reservation;

    // Back to before 0058 (whatever its number after a merge), the records of the old service, forward again.
    const migrations = await loadMigrations();
    const since = migrations.find((m) => m.name === 'idempotency_operations')!.version;
    const later = migrations.map((m) => m.version).filter((v) => v >= since);
    const runner = new MigrationRunner({ connectionString: t.url });
    expect(await runner.down(later.length)).toEqual([...later].reverse());
    const sortedOrder = { customerEmail: null, items: [{ menuItemId: 'item_gilda', notes: null, quantity: 1 }], notes: null, source: 'qr', tableId };
    const sortedBooking = {
      customerEmail: bookingBody.customerEmail,
      customerName: bookingBody.customerName,
      partySize: bookingBody.partySize,
      restaurantId: bookingBody.restaurantId,
      time: bookingBody.time,
    };
    await t.db.query(
      `INSERT INTO restaurante.idempotency_keys ("restaurantId", scope, key, fingerprint, "responseStatus", "responseBody", "expiresAt")
       VALUES ($1, $2, 'stored-before-0058', $3, 201, $4, now() + interval '24 hours'),
              ($1, 'public:reservations', 'stored-before-0058', $5, 201, $6, now() + interval '24 hours')`,
      [
        R,
        scope,
        oldFingerprint('POST', '/api/orders', sortedOrder),
        JSON.stringify({ order, duplicate: false }),
        oldFingerprint('POST', '/api/reservations', sortedBooking),
        JSON.stringify({ reservation }),
      ],
    );
    expect(await runner.up()).toEqual(later);
  });

  it('an order placed with a key stored the old way replays, and orders nothing', async () => {
    const before = await counts();
    const again = await postOrder(guest, orderBody, { 'idempotency-key': 'stored-before-0058' });
    expect(again.statusCode, again.body).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json<Placed>()).toMatchObject({ duplicate: true, order: { id: order.id, orderNumber: order.orderNumber } });
    expect(await counts()).toEqual(before);
  });

  it('the same old key with another body is still IDEMPOTENCY_KEY_REUSED', async () => {
    const before = await counts();
    const other = await postOrder(guest, { items: [{ menuItemId: 'item_gilda', quantity: 2 }] }, { 'idempotency-key': 'stored-before-0058' });
    expectProblem(other, 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await counts()).toEqual(before);
  });

  it('a booking made with a key stored the old way replays, and books nothing', async () => {
    const { rows: before } = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM restaurante.reservations');
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/reservations',
      headers: { 'idempotency-key': 'stored-before-0058' },
      payload: bookingBody,
    });
    expect(again.statusCode, again.body).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json<{ reservation: { id: string } }>().reservation.id).toBe(reservation.id);
    const { rows: after } = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM restaurante.reservations');
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('rolling 0058 back dropped the key written since (it names its operation); the old ones stay as they were', async () => {
    const { rows } = await t.db.query<{ key: string; operation: string | null; responseStatus: number | null }>(
      `SELECT key, operation, "responseStatus" FROM restaurante.idempotency_keys ORDER BY key, scope`,
    );
    expect(rows).toEqual([
      { key: 'stored-before-0058', operation: null, responseStatus: 201 },
      { key: 'stored-before-0058', operation: null, responseStatus: 201 },
    ]);
  });
});
