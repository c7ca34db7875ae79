// `comanda diagnose stock|reservation|token`, each condition created for real on
// the file's own database: stock changed behind the ledger, a dish unavailable or short, orders
// queueing on a lock, bookings that overlap (and one written around the constraint), a slot that
// is full, an expired or used link token and one made under another secret. The CLI runs as a
// child process for its exit codes and messages.
import { describe, expect, it } from 'vitest';
import { LookupError, type Diagnosis } from '../src/core/diagnose/diagnosis.js';
import { diagnoseReservation, diagnoseSlot } from '../src/core/diagnose/reservation.js';
import { diagnoseStock } from '../src/core/diagnose/stock.js';
import { diagnoseToken } from '../src/core/diagnose/token.js';
import { AppError } from '../src/core/errors.js';
import { book, regenerateToken, viewByToken, type ReservationSettings } from '../src/core/reservations/reservations.js';
import { reservationTokenFor } from '../src/core/reservations/tokens.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { TEST_SECRET } from './helpers/app.js';
import { futureTuesday } from './helpers/dates.js';
import { sleep, useClients } from './helpers/clients.js';
import { useTestDatabase } from './helpers/db.js';
import { runCli } from './helpers/cli.js';
import { changeStockBehindLedger } from './helpers/fixtures.js';

const { db, url } = await useTestDatabase();
await seedDemo(db);
const settings: ReservationSettings = { secret: TEST_SECRET, tokenTtlDays: 7, idempotencyTtlHours: 24 };

const client = useClients(url);
const finding = (d: Diagnosis, name: string) => {
  const f = d.findings.find((x) => x.name === name);
  if (!f) throw new Error(`no finding ${name} in ${d.findings.map((x) => x.name).join(', ')}`);
  return f;
};

const bypassLedger = async (itemId: string, delta: number) => changeStockBehindLedger(await client(), itemId, delta);

const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { DATABASE_URL: url, COMANDA_SECRET: '', ...env });

describe('diagnose stock', () => {
  it('finds a dish by id or name, and refuses an unknown or ambiguous one saying what to do', async () => {
    const byName = await diagnoseStock(db, 'tarta de queso');
    expect(byName.subject).toContain('item_tarta_queso');
    expect(byName.status).toBe('ok');
    expect(finding(byName, 'ledger').rows).toEqual([{ stock: 3, ledger: 3, movements: 1 }]);
    await expect(diagnoseStock(db, 'tarta')).rejects.toThrow(/matches several dishes.*item_tarta_queso.*give the id|matches several dishes.*item_tarta_santiago/);
    await expect(diagnoseStock(db, 'no such dish')).rejects.toBeInstanceOf(LookupError);
    // A second restaurant makes a bare name ambiguous; an id is still enough.
    await db.query(`INSERT INTO restaurante.restaurants (id, name) VALUES ('rest_diag_other', 'Otro')`);
    try {
      await expect(diagnoseStock(db, 'tarta de queso')).rejects.toThrow(/several restaurants .*--restaurant/);
      expect((await diagnoseStock(db, 'tarta de queso', { restaurantId: DEMO_RESTAURANT_ID })).subject).toContain('item_tarta_queso');
      expect((await diagnoseStock(db, 'item_tarta_queso')).status).toBe('ok');
      await expect(diagnoseStock(db, 'item_tarta_queso', { restaurantId: 'rest_diag_other' })).rejects.toThrow(/no dish/);
    } finally {
      await db.query(`DELETE FROM restaurante.restaurants WHERE id = 'rest_diag_other'`);
    }
  });

  it('flags stock changed behind the ledger, says where, and clears once it reconciles', async () => {
    await bypassLedger('item_croquetas_jamon', 7);
    let d = await diagnoseStock(db, 'item_croquetas_jamon');
    expect(d.status).toBe('critical');
    expect(finding(d, 'ledger').summary).toMatch(/difference 7/);
    expect(finding(d, 'ledger').rows).toEqual([expect.objectContaining({ where: 'after the last movement', change: 7 })]);
    expect(finding(d, 'orderable').status).toBe('critical');
    // A recorded movement after the bypass: the gap now sits before that movement.
    await db.query(`SELECT restaurante.decrease_menu_item_stock('item_croquetas_jamon', 1)`);
    d = await diagnoseStock(db, 'item_croquetas_jamon');
    const [gap] = finding(d, 'ledger').rows;
    expect(gap).toMatchObject({ change: 7, where: expect.stringMatching(/^before movement /) as unknown });
    expect(finding(d, 'movements').rows[0]).toMatchObject({ delta: -1, reason: 'order' });
    // Undoing the bypass reconciles the sums; the two unrecorded changes are still reported.
    await bypassLedger('item_croquetas_jamon', -7);
    d = await diagnoseStock(db, 'item_croquetas_jamon');
    expect(finding(d, 'ledger').status).toBe('warning');
    expect(finding(d, 'ledger').summary).toMatch(/gaps that cancel out/);

    // On a dish with no later movement, undoing the change clears it completely.
    await bypassLedger('item_salmorejo', 4);
    expect((await diagnoseStock(db, 'item_salmorejo')).status).toBe('critical');
    await bypassLedger('item_salmorejo', -4);
    const clear = await diagnoseStock(db, 'item_salmorejo');
    expect(finding(clear, 'ledger').status).toBe('ok');
  });

  it('says why a guest is refused: unavailable, short of stock, or queueing on a lock', async () => {
    const unavailable = await diagnoseStock(db, 'item_torrija');
    expect(unavailable.status).toBe('warning');
    expect(finding(unavailable, 'orderable').rows).toContainEqual(expect.objectContaining({ reason: 'the dish is marked unavailable', guestSees: expect.stringContaining('ITEM_UNAVAILABLE') as unknown }));

    const short = await diagnoseStock(db, 'item_tarta_queso', { quantity: 4 });
    expect(finding(short, 'orderable')).toMatchObject({ status: 'warning', summary: expect.stringContaining('stock 3 is less than the 4 ordered') as unknown });
    expect(finding(short, 'orderable').advice).toContain('"reason": "restock"');
    expect((await diagnoseStock(db, 'item_tarta_queso', { quantity: 3 })).status).toBe('ok');

    // Open orders hold stock; an old one is flagged.
    await db.query(`SELECT restaurante.place_order($1, '{"source": "presencial"}', '[{"menuItemId": "item_pan_tomate", "quantity": 2}]')`, [DEMO_RESTAURANT_ID]);
    const open = finding(await diagnoseStock(db, 'item_pan_tomate'), 'open-orders');
    expect(open).toMatchObject({ status: 'ok', summary: expect.stringContaining('hold 2') as unknown });
    expect(finding(await diagnoseStock(db, 'item_pan_tomate', { staleOrderMinutes: 0 }), 'open-orders').status).toBe('warning');

    // An order for the dish waiting on a row lock somebody holds.
    const holder = await client();
    const waiter = await client();
    const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM restaurante.menu_items WHERE id = 'item_pan_tomate' FOR UPDATE`);
    const waiting = waiter.query(`SELECT restaurante.decrease_menu_item_stock('item_pan_tomate', 1)`);
    await sleep(800);
    const locked = finding(await diagnoseStock(db, 'item_pan_tomate'), 'orderable');
    expect(locked.status).toBe('warning');
    expect(locked.summary).toContain(`blocked by ${holderPid}`);
    expect(locked.advice).toContain('comanda terminate');
    await holder.query('ROLLBACK');
    await waiting;
    expect(finding(await diagnoseStock(db, 'item_pan_tomate'), 'orderable').status).toBe('ok');
  });
});

describe('diagnose reservation', () => {
  const time = futureTuesday(3);
  const input = (partySize: number, name: string) => ({ restaurantId: DEMO_RESTAURANT_ID, partySize, time, customerName: name, customerEmail: `${name.toLowerCase()}@example.com` });

  it('shows a booking, its tables under the constraint, the service and that its slot holds', async () => {
    const body = await book(db, input(4, 'Ana'), settings);
    const d = await diagnoseReservation(db, body.reservation.id);
    expect(d.status).toBe('ok');
    expect(finding(d, 'tables').rows).toEqual([expect.objectContaining({ tableId: body.reservation.tableIds[0], active: true })]);
    expect(finding(d, 'service').summary).toMatch(/open 13:00–16:00, 20:00–23:30.*105 min \+ 15 min buffer.*on the slot grid/);
    expect(finding(d, 'slot').summary).toMatch(/setting this booking aside, .* is bookable for 4/);
    expect(finding(d, 'constraint').status).toBe('ok');
    expect(finding(d, 'history').rows).toEqual([expect.objectContaining({ fromStatus: null, toStatus: 'PENDING' })]);
    expect(finding(d, 'emails').rows).toEqual([expect.objectContaining({ type: 'reservation_confirmation', status: 'pending' })]);

    // The e-mail fails: flagged, with what to do.
    await db.query(`UPDATE restaurante.email_logs SET status = 'failed', error_message = 'smtp: 550 mailbox unavailable' WHERE reservation_id = $1`, [body.reservation.id]);
    const failed = finding(await diagnoseReservation(db, body.reservation.id), 'emails');
    expect(failed).toMatchObject({ status: 'warning', advice: expect.stringContaining('comanda email retry') as unknown });
    await expect(diagnoseReservation(db, 'no-such-reservation')).rejects.toBeInstanceOf(LookupError);
  });

  it('explains a full slot, a cancelled booking whose table was taken, and a double booking written around the constraint', async () => {
    // Party of 12: only the 6 + 7 and 8 + 9 + 12 combinations seat it; two such bookings fill the slot.
    const big = (await book(db, input(12, 'Bea'), settings)).reservation;
    expect(big.tableIds).toEqual(['table_06', 'table_07']);
    expect((await book(db, input(12, 'Bruno'), settings)).reservation.tableIds).toEqual(['table_08', 'table_09', 'table_12']);
    const full = await diagnoseSlot(db, { table: '6', time, party: 12 });
    expect(finding(full, 'bookings').summary).toContain(big.id);
    expect(finding(full, 'slot')).toMatchObject({ status: 'warning', summary: expect.stringContaining('TABLE_ALREADY_RESERVED (CM004)') as unknown });
    expect((finding(full, 'slot').rows[0] as { alternatives: string[] }).alternatives.length).toBeGreaterThan(0);
    // The same table for a couple at a time with no booking: bookable.
    const free = await diagnoseSlot(db, { table: 'table_08', time: time.replace('T20:00', 'T13:00'), party: 2 });
    expect(free.status).toBe('ok');
    expect(finding(free, 'slot').summary).toMatch(/is bookable for 2/);
    // Off the grid and on a closed day.
    expect(finding(await diagnoseSlot(db, { table: '8', time: time.replace('T20:00', 'T20:07'), party: 2 }), 'slot').summary).toContain('CM005');
    await expect(diagnoseSlot(db, { table: '8', time: 'tomorrow evening' })).rejects.toThrow(/not a time/);
    await expect(diagnoseSlot(db, { table: '99', time })).rejects.toThrow(/no table "99"/);

    // Cancel it; a new party takes the combination; the cancelled one could not come back.
    await db.query(`UPDATE restaurante.reservations SET status = 'CANCELLED' WHERE id = $1`, [big.id]);
    const taker = (await book(db, input(12, 'Carla'), settings)).reservation;
    const cancelled = await diagnoseReservation(db, big.id);
    expect(finding(cancelled, 'tables')).toMatchObject({ status: 'ok', summary: expect.stringMatching(/^holds table_06 .* \(buffer included\), released$/) as unknown });
    expect(finding(cancelled, 'overlaps').summary).toMatch(new RegExp(`taken at that time by ${taker.id}.*TABLE_ALREADY_RESERVED`));
    expect(finding(cancelled, 'history').rows.map((r) => r.toStatus)).toEqual(['PENDING', 'CANCELLED']);

    // An old client writes a booking with only "tableId": the constraint cannot see it.
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO restaurante.reservations ("restaurantId", "customerName", "partySize", date, time, status, "tableId")
       VALUES ($1, 'Legacy', 2, $2::timestamptz::date, $2::timestamptz, 'CONFIRMED', 'table_06') RETURNING id`,
      [DEMO_RESTAURANT_ID, time],
    );
    const legacyId = rows[0]!.id;
    const clash = await diagnoseReservation(db, taker.id);
    expect(clash.status).toBe('critical');
    expect(finding(clash, 'overlaps').summary).toMatch(new RegExp(`DOUBLE BOOKING.*${legacyId}`));
    const legacy = await diagnoseReservation(db, legacyId);
    expect(finding(legacy, 'tables')).toMatchObject({ status: 'critical', summary: expect.stringContaining('holds no reservation_tables row') as unknown });
    await db.query(`DELETE FROM restaurante.reservations WHERE id = $1`, [legacyId]);
    expect(finding(await diagnoseReservation(db, taker.id), 'overlaps').status).toBe('ok');
  });

  it('flags the no-overlap constraint when it is missing, and clears once it is back', async () => {
    const raw = await client();
    await raw.query('ALTER TABLE restaurante.reservation_tables DROP CONSTRAINT reservation_tables_no_overlap');
    try {
      const d = await diagnoseSlot(db, { table: '3', time });
      expect(finding(d, 'constraint')).toMatchObject({ status: 'critical', summary: expect.stringContaining('double bookings are possible') as unknown });
    } finally {
      await raw.query(`ALTER TABLE restaurante.reservation_tables ADD CONSTRAINT reservation_tables_no_overlap
                         EXCLUDE USING gist ("restaurantId" WITH =, "tableId" WITH =, occupied WITH &&) WHERE (active)`);
    }
    expect(finding(await diagnoseSlot(db, { table: '3', time }), 'constraint').status).toBe('ok');
  });
});

describe('diagnose token', () => {
  it("tells why a guest's link fails — expired, used, another secret — without printing a token, hash or secret", async () => {
    const body = await book(db, { restaurantId: DEMO_RESTAURANT_ID, partySize: 2, time: futureTuesday(5), customerName: 'Dani', customerEmail: 'dani@example.com' }, settings);
    const id = body.reservation.id;
    const { rows: tokenRows } = await db.query<{ id: string; token_hash: string }>('SELECT id, token_hash FROM restaurante.reservation_tokens WHERE "reservationId" = $1', [id]);
    const tokenId = tokenRows[0]!.id;
    const token = reservationTokenFor(TEST_SECRET, tokenId);

    const ok = await diagnoseToken(db, id, { secret: TEST_SECRET });
    expect(ok.status).toBe('ok');
    expect(finding(ok, 'tokens').rows).toEqual([expect.objectContaining({ tokenId, state: 'live', secretMatches: true, sentIn: ['reservation_confirmation:pending'] })]);
    const printed = JSON.stringify(ok);
    expect(printed).not.toContain(token);
    expect(printed).not.toContain(tokenRows[0]!.token_hash);
    expect(printed).not.toContain(TEST_SECRET);

    // Links made under another secret than the service's now: every use is TOKEN_INVALID.
    const other = await diagnoseToken(db, id, { secret: 'another-secret-0123456789abcdef0123456789' });
    expect(finding(other, 'tokens')).toMatchObject({ status: 'critical', advice: expect.stringContaining('COMANDA_SECRET') as unknown });

    // Expired: the service answers TOKEN_EXPIRED, and the diagnosis says so.
    await db.query(`UPDATE restaurante.reservation_tokens SET "createdAt" = now() - interval '9 days', "expiresAt" = now() - interval '2 days' WHERE id = $1`, [tokenId]);
    await expect(viewByToken(db, TEST_SECRET, token)).rejects.toSatisfy((e: unknown) => e instanceof AppError && e.code === 'TOKEN_EXPIRED');
    const expired = await diagnoseToken(db, id, { secret: TEST_SECRET });
    expect(expired.status).toBe('warning');
    expect(finding(expired, 'tokens').summary).toMatch(/none of its 1 token works \(expired\)/);
    expect(finding(expired, 'tokens').advice).toContain(`comanda reservation token ${id}`);

    // A new link fixes it; using it (confirm) leaves it viewable but used.
    const fresh = await regenerateToken(db, undefined, id, settings, 'test');
    expect((await diagnoseToken(db, id, { secret: TEST_SECRET })).status).toBe('ok');
    await db.query(`UPDATE restaurante.reservation_tokens SET "isUsed" = true, "usedAt" = now() WHERE id = $1`, [fresh.tokenId]);
    const used = finding(await diagnoseToken(db, id), 'tokens').rows.find((r) => r.tokenId === fresh.tokenId)!;
    expect(used).toMatchObject({ state: 'used', secretMatches: null, works: { view: true, confirmOrCancel: false } });
    await expect(diagnoseToken(db, 'nope')).rejects.toBeInstanceOf(LookupError);
  });
});

describe('the diagnose CLI', () => {
  it('exits 0 ok, 1 warning, 2 critical, 3 when it cannot tell, with --json in the checks shape', async () => {
    const ok = await cli(['diagnose', 'stock', 'item_tarta_queso', '--json']);
    expect(ok.status).toBe(0);
    const report = JSON.parse(ok.stdout) as { status: string; checks: Array<{ name: string; status: string }> };
    expect(report.status).toBe('ok');
    expect(report.checks.map((c) => c.name)).toEqual(['item', 'ledger', 'movements', 'open-orders', 'orderable']);

    const warned = await cli(['diagnose', 'stock', 'Torrija']);
    expect(warned.status).toBe(1);
    expect(warned.stdout).toMatch(/^WARNING\s+orderable\s+a guest ordering 1 gets refused: the dish is marked unavailable/m);

    await bypassLedger('item_gilda', 2);
    const critical = await cli(['diagnose', 'stock', 'item_gilda']);
    expect(critical.status).toBe(2);
    expect(critical.stdout).toMatch(/^CRITICAL\s+ledger/m);
    await bypassLedger('item_gilda', -2);

    const ambiguous = await cli(['diagnose', 'stock', 'tarta']);
    expect(ambiguous.status).toBe(3);
    expect(ambiguous.stderr).toMatch(/matches several dishes .*give the id/);
    expect((await cli(['diagnose', 'stock', 'item_tarta_queso', '--quantity', 'lots'])).stderr).toContain('--quantity must be a whole number');
    // The open order for pan con tomate placed above is minutes old: stale only past a short limit.
    expect((await cli(['diagnose', 'stock', 'item_pan_tomate'])).stdout).toMatch(/^OK\s+open-orders/m);
    const stale = await cli(['diagnose', 'stock', 'item_pan_tomate', '--stale-after', '1ms']);
    expect(stale.status).toBe(1);
    expect(stale.stdout).toMatch(/^WARNING\s+open-orders\s+.*open for more than/m);
    const badStale = await cli(['diagnose', 'stock', 'item_pan_tomate', '--stale-after', 'soon']);
    expect(badStale.status).toBe(3);
    expect(badStale.stderr).toContain('--stale-after: "soon" is not a duration');
    const usage = await cli(['diagnose', 'reservation']);
    expect(usage.status).toBe(3);
    expect(usage.stderr).toContain('comanda diagnose reservation ID, or');

    const slot = await cli(['diagnose', 'reservation', '--table', '3', '--time', futureTuesday(8).slice(0, 16), '--party', '4', '--json']);
    expect(slot.status).toBe(0);
    expect((JSON.parse(slot.stdout) as { subject: string }).subject).toMatch(/^table 3 \(table_03\) at .*T20:00:00\+0[12]:00 for 4$/);

    // The token check uses the service's secret from the environment, and never prints it.
    const body = await book(db, { restaurantId: DEMO_RESTAURANT_ID, partySize: 2, time: futureTuesday(9), customerName: 'Eva', customerEmail: 'eva@example.com' }, settings);
    const tokenCli = await cli(['diagnose', 'token', body.reservation.id], { COMANDA_SECRET: TEST_SECRET });
    expect(tokenCli.status).toBe(0);
    expect(tokenCli.stdout).toContain('matches the server secret');
    expect(tokenCli.stdout + tokenCli.stderr).not.toContain(TEST_SECRET);
  }, 60_000);
});
