// Issue 11, item 7: erasure and retention reach every copy the service controls: the database,
// the e-mails it wrote as files, the guest's live links, the service's log. A guest who only
// ordered with an e-mail can be found (by a POST body, not a URL), exported and erased. The test
// erases two guests, dumps the database with pg_dump and greps every file the service wrote.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, expect, it } from 'vitest';
import { applyDataRetention } from '../src/core/customers/gdpr.js';
import { EmailWorker, fileTransport } from '../src/core/email/outbox.js';
import { reservationTokenFor } from '../src/core/reservations/tokens.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { TEST_SECRET, useTestApp } from './helpers/app.js';
import { futureTuesday } from './helpers/dates.js';
import { describeWith, tool } from './helpers/tools.js';

const pgDump = tool('pg_dump', 'postgresql-client-15');

describeWith([pgDump], 'erasure reaches every copy (item 7)', () => {
  const lines: string[] = [];
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));

  const setup = (async () => {
    const t = await useTestApp({ logStream });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'comanda-erasure-'));
    afterAll(() => rm(dir, { recursive: true, force: true }));
    const outbox = path.join(dir, 'outbox');
    const worker = new EmailWorker(t.db, fileTransport(outbox), { secret: TEST_SECRET, publicUrl: 'http://comanda.test', from: 'Comanda <no-reply@comanda.test>' });
    return { t, dir, outbox, worker };
  })();

  const booker = { name: 'Perpetua Villalobos', email: 'perpetua.v@example.com', phone: '+34 622 431 987' };
  const orderOnly = { email: 'solo.pedidos.zq@example.com', note: 'sin gluten para Zoraida' };
  const stays = { name: 'Casimiro Estable', email: 'casimiro.e@example.com' };

  it('two guests leave data behind: a booking with a QR order, and one who only ordered; the e-mails are written as files', async () => {
    const { t, outbox, worker } = await setup;
    for (const [person, weeks] of [[booker, 1], [stays, 2]] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/reservations',
        payload: { restaurantId: DEMO_RESTAURANT_ID, partySize: 2, time: futureTuesday(weeks), customerName: person.name, customerEmail: person.email, notes: `Mesa para ${person.name}`, ...('phone' in person ? { customerPhone: person.phone } : {}) },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    const guest = await t.guest('table_04');
    for (const [email, notes] of [[booker.email, `Para ${booker.name}`], [orderOnly.email, orderOnly.note]]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/orders',
        headers: t.auth(guest),
        payload: { customerEmail: email, notes, items: [{ menuItemId: 'item_patatas_bravas', quantity: 1 }] },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    while ((await worker.runOnce()).sent > 0);
    const files = await readdir(outbox);
    expect(files.length).toBe(4);
    const all = (await Promise.all(files.map((f) => readFile(path.join(outbox, f), 'utf8')))).join('\n');
    for (const value of [booker.email, booker.name, orderOnly.email]) expect(all).toContain(value);
  });

  it('the guest who only ordered is found by a POST body (never ?email= in a URL), exported and erased; ?email= in an old client\'s URL is redacted from the log', async () => {
    const { t } = await setup;
    const found = await t.app.inject({ method: 'POST', url: '/api/admin/customers/search', headers: t.auth(t.staff.admin), payload: { email: orderOnly.email.toUpperCase() } });
    expect(found.statusCode, found.body).toBe(200);
    const customers = found.json<{ customers: Array<{ id: string }> }>().customers;
    expect(customers).toHaveLength(1);
    const exported = await t.app.inject({ method: 'GET', url: `/api/admin/customers/${customers[0]!.id}/export`, headers: t.auth(t.staff.admin) });
    expect(exported.body).toContain(orderOnly.note);
    const erased = await t.app.inject({ method: 'POST', url: `/api/admin/customers/${customers[0]!.id}/erase`, headers: t.auth(t.staff.admin) });
    expect(erased.statusCode, erased.body).toBe(200);
    expect(erased.json<{ erased: Record<string, number> }>().erased).toMatchObject({ orders: 1, outboxFiles: 1 });
    const legacy = await t.app.inject({ method: 'GET', url: `/api/admin/customers?email=${encodeURIComponent(booker.email)}`, headers: t.auth(t.staff.admin) });
    expect(legacy.statusCode).toBe(200);
  });

  it("erasing the booker takes their outbox files and their links with them; then no file the service wrote and no table of the dump holds either guest", async () => {
    const { t, dir, outbox } = await setup;
    const { rows } = await t.db.query<{ id: string; reservationId: string; tokenId: string }>(
      `SELECT c.id, r.id AS "reservationId", (SELECT payload->>'tokenId' FROM restaurante.email_logs e WHERE e.reservation_id = r.id LIMIT 1) AS "tokenId"
         FROM restaurante.customers c JOIN restaurante.reservations r ON r."customerId" = c.id WHERE c.email = $1`,
      [booker.email],
    );
    const link = reservationTokenFor(TEST_SECRET, rows[0]!.tokenId);
    const before = await t.app.inject({ method: 'GET', url: '/api/reservations/by-token', headers: t.auth(link) });
    expect(before.statusCode).toBe(200);
    const erased = await t.app.inject({ method: 'POST', url: `/api/admin/customers/${rows[0]!.id}/erase`, headers: t.auth(t.staff.admin) });
    expect(erased.statusCode, erased.body).toBe(200);
    expect(erased.json<{ erased: Record<string, number> }>().erased).toMatchObject({ links: 1, outboxFiles: 2 });
    // The link in a copy of the old e-mail no longer opens the booking.
    const after = await t.app.inject({ method: 'GET', url: '/api/reservations/by-token', headers: t.auth(link) });
    expect(after.statusCode).toBe(410);

    const dump = path.join(dir, 'database.sql');
    const run = spawnSync(pgDump.path!, ['--no-owner', '--file', dump, t.url], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const written = [dump, ...(await readdir(outbox)).map((f) => path.join(outbox, f))];
    const texts = await Promise.all(written.map(async (file) => ({ file, text: await readFile(file, 'utf8') })));
    texts.push({ file: 'service log', text: lines.join('') });
    for (const value of [booker.name, booker.email, booker.phone, orderOnly.email, orderOnly.note, 'Perpetua', 'Zoraida']) {
      for (const { file, text } of texts) expect(text.includes(value), `${value} in ${file}`).toBe(false);
    }
    // The guest who was not erased is all still there.
    expect(texts.find((x) => x.file === dump)!.text).toContain(stays.email);
    expect((await readdir(outbox)).length).toBe(1);
  });

  it('retention forgets old order e-mails and e-mail copies even without a customer record', async () => {
    const { t, outbox } = await setup;
    await t.db.query(`UPDATE restaurante.email_logs SET created_at = now() - interval '800 days'`);
    await t.db.query(`UPDATE restaurante.orders SET customer_email = 'ghost@example.com', "customerId" = NULL, "orderedAt" = now() - interval '800 days'`);
    const result = await applyDataRetention(t.db, 730);
    expect(result.orders).toBeGreaterThan(0);
    expect(await readdir(outbox)).toEqual([]);
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM restaurante.orders WHERE customer_email IS NOT NULL`);
    expect(rows[0]!.n).toBe(0);
  });
});
