// The schema's CHECK constraints (0002: amounts, party sizes, stock, quantities, prices, e-mail
// addresses) and the restaurant time-zone check, on INSERT and UPDATE, in real SQL.
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { DEMO_RESTAURANT_ID as DEMO, seedDemo } from '../../src/core/seed.js';
import { useTestDatabase } from '../helpers/db.js';
import { stockOf } from '../helpers/fixtures.js';
import { expectRejected, only, unique, schemaRows } from '../helpers/schema.js';

// The file's own migrated database, with the demo restaurant seeded.
const { db } = await useTestDatabase();
const { newOrder, addLine, newItem, newReservations } = schemaRows(db);

beforeAll(async () => {
  await seedDemo(db);
});

describe('the CHECK constraints (0002)', () => {
  it('exist as validated CHECK constraints on the intended tables', async () => {
    const { rows } = await db.query<{ name: string; table: string; validated: boolean }>(
      `SELECT c.conname AS name, r.relname AS table, c.convalidated AS validated
         FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
        WHERE c.contype = 'c' AND r.relnamespace = 'restaurante'::regnamespace AND c.conname LIKE 'check\\_%'
          AND c.conname <> 'check_order_source'
        ORDER BY c.conname`,
    );
    expect(rows).toEqual([
      { name: 'check_email_format', table: 'orders', validated: true },
      { name: 'check_price_positive', table: 'menu_items', validated: true },
      { name: 'check_quantity_positive', table: 'order_items', validated: true },
      { name: 'check_realistic_party_size', table: 'reservations', validated: true },
      { name: 'check_stock_non_negative', table: 'menu_items', validated: true },
      { name: 'check_total_amount_positive', table: 'orders', validated: true },
    ]);
  });

  it('check_total_amount_positive: 0 and 9999.99 pass; negative, 10000 and values rounding to 10000 fail', async () => {
    for (const amount of ['0', '9999.99']) {
      const id = await newOrder({ totalAmount: amount });
      const { rows } = await db.query<{ total: string }>('SELECT "totalAmount"::text AS total FROM restaurante.orders WHERE id = $1', [id]);
      expect(Number(only(rows).total)).toBe(Number(amount));
    }
    for (const amount of ['-0.01', '10000', '9999.995', '-1000']) {
      await expectRejected(newOrder({ totalAmount: amount }), '23514', 'check_total_amount_positive');
    }
    const id = await newOrder({ totalAmount: '12.50' });
    await expectRejected(
      db.query('UPDATE restaurante.orders SET "totalAmount" = -5 WHERE id = $1', [id]),
      '23514',
      'check_total_amount_positive',
    );
    await expectRejected(
      db.query('UPDATE restaurante.orders SET "totalAmount" = 10000 WHERE id = $1', [id]),
      '23514',
      'check_total_amount_positive',
    );
    const { rows } = await db.query<{ total: string }>('SELECT "totalAmount"::text AS total FROM restaurante.orders WHERE id = $1', [id]);
    expect(only(rows).total).toBe('12.50');
  });

  it('check_realistic_party_size: 1 and 50 pass; 0, 51 and -3 fail, on INSERT and UPDATE', async () => {
    const [one] = await newReservations(1, 1);
    const [fifty] = await newReservations(1, 50);
    expect(one).toBeDefined();
    expect(fifty).toBeDefined();
    for (const size of [0, 51, -3]) {
      await expectRejected(newReservations(1, size), '23514', 'check_realistic_party_size');
    }
    await expectRejected(
      db.query('UPDATE restaurante.reservations SET "partySize" = 51 WHERE id = $1', [one]),
      '23514',
      'check_realistic_party_size',
    );
    await expectRejected(
      db.query('UPDATE restaurante.reservations SET "partySize" = 0 WHERE id = $1', [fifty]),
      '23514',
      'check_realistic_party_size',
    );
    const { rows } = await db.query<{ size: number }>(
      'SELECT "partySize" AS size FROM restaurante.reservations WHERE id = ANY($1) ORDER BY "partySize"',
      [[one, fifty]],
    );
    expect(rows.map((r) => r.size)).toEqual([1, 50]);
  });

  it('check_stock_non_negative: stock 0 passes; -1 fails on INSERT and UPDATE', async () => {
    const zero = await newItem({ stock: 0 });
    expect(await stockOf(db, zero)).toBe(0);
    await expectRejected(newItem({ stock: -1 }), '23514', 'check_stock_non_negative');
    await expectRejected(
      db.query("UPDATE restaurante.menu_items SET stock = -1 WHERE id = 'item_tarta_queso'"),
      '23514',
      'check_stock_non_negative',
    );
    // The usual decrement that overshoots is refused too, and changes nothing.
    await expectRejected(
      db.query("UPDATE restaurante.menu_items SET stock = stock - 4 WHERE id = 'item_tarta_queso'"),
      '23514',
      'check_stock_non_negative',
    );
    expect(await stockOf(db, 'item_tarta_queso')).toBe(3);
  });

  it('check_quantity_positive: quantity 1 and 100 pass; 0, 101 and -1 fail on INSERT and UPDATE', async () => {
    const order = await newOrder();
    const first = await addLine(order, 'item_patatas_bravas', 1);
    await addLine(order, 'item_patatas_bravas', 100);
    for (const quantity of [0, 101, -1]) {
      await expectRejected(addLine(order, 'item_patatas_bravas', quantity), '23514', 'check_quantity_positive');
    }
    await expectRejected(
      db.query('UPDATE restaurante.order_items SET quantity = 0, "totalPrice" = 0 WHERE id = $1', [first]),
      '23514',
      'check_quantity_positive',
    );
    await expectRejected(
      db.query('UPDATE restaurante.order_items SET quantity = 101, "totalPrice" = 656.50 WHERE id = $1', [first]),
      '23514',
      'check_quantity_positive',
    );
    const { rows } = await db.query<{ quantity: number }>(
      'SELECT quantity FROM restaurante.order_items WHERE "orderId" = $1 ORDER BY quantity',
      [order],
    );
    expect(rows.map((r) => r.quantity)).toEqual([1, 100]);
  });

  it('check_price_positive: 0.01 and 999.99 pass; 0, -1 and 1000 fail on INSERT and UPDATE', async () => {
    for (const price of ['0.01', '999.99']) {
      const id = await newItem({ price });
      const { rows } = await db.query<{ price: string }>('SELECT price::text AS price FROM restaurante.menu_items WHERE id = $1', [id]);
      expect(only(rows).price).toBe(price);
    }
    for (const price of ['0', '-1', '1000', '0.001']) {
      await expectRejected(newItem({ price }), '23514', 'check_price_positive');
    }
    await expectRejected(
      db.query("UPDATE restaurante.menu_items SET price = 0 WHERE id = 'item_patatas_bravas'"),
      '23514',
      'check_price_positive',
    );
    await expectRejected(
      db.query("UPDATE restaurante.menu_items SET price = 1000 WHERE id = 'item_patatas_bravas'"),
      '23514',
      'check_price_positive',
    );
    const { rows } = await db.query<{ price: string }>(
      "SELECT price::text AS price FROM restaurante.menu_items WHERE id = 'item_patatas_bravas'",
    );
    expect(only(rows).price).toBe('6.50');
  });

  it('check_email_format: a normal address and NULL pass; malformed addresses fail on INSERT and UPDATE', async () => {
    const ok = await newOrder({ customerEmail: 'Ana.Garcia+mesa3@restaurante-enigma.es' });
    await newOrder({ customerEmail: null });
    for (const email of ['not-an-email', 'ana@example', 'ana@example.c', '@example.com', 'ana garcia@example.com', '']) {
      await expectRejected(newOrder({ customerEmail: email }), '23514', 'check_email_format');
    }
    await expectRejected(
      db.query("UPDATE restaurante.orders SET customer_email = 'ana@@example.com' WHERE id = $1", [ok]),
      '23514',
      'check_email_format',
    );
    const { rows } = await db.query<{ email: string }>('SELECT customer_email AS email FROM restaurante.orders WHERE id = $1', [ok]);
    expect(only(rows).email).toBe('Ana.Garcia+mesa3@restaurante-enigma.es');
  });

  it('a violation surfaces from Database as CONSTRAINT_VIOLATION naming the constraint', async () => {
    const err = await newOrder({ totalAmount: '-1' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'CONSTRAINT_VIOLATION', status: 422, extra: { constraint: 'check_total_amount_positive' } });
  });
});

describe('restaurant time zones', () => {
  it("rejects 'Mars/Olympus' (23514) on INSERT and UPDATE, accepts 'Europe/Madrid'", async () => {
    const insert = (id: string, timezone: string) =>
      db.query('INSERT INTO restaurante.restaurants (id, name, timezone) VALUES ($1, $2, $3)', [id, 'Prueba', timezone]);
    const err = await expectRejected(insert(unique('rest_mars'), 'Mars/Olympus'), '23514', 'restaurants_timezone_check');
    expect(err.message).toContain('Mars/Olympus');

    const id = unique('rest_madrid');
    await insert(id, 'Europe/Madrid');
    await expectRejected(
      db.query(`UPDATE restaurante.restaurants SET timezone = 'Mars/Olympus' WHERE id = $1`, [id]),
      '23514',
      'restaurants_timezone_check',
    );
    await db.query(`UPDATE restaurante.restaurants SET timezone = 'America/Argentina/Buenos_Aires' WHERE id = $1`, [id]);
    const { rows } = await db.query<{ timezone: string }>('SELECT timezone FROM restaurante.restaurants WHERE id = $1', [id]);
    expect(only(rows).timezone).toBe('America/Argentina/Buenos_Aires');
    const { rows: seeded } = await db.query<{ timezone: string }>('SELECT timezone FROM restaurante.restaurants WHERE id = $1', [DEMO]);
    expect(only(seeded).timezone).toBe('Europe/Madrid');
  });
});
