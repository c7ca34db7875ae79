// The `restaurante` schema in tests: asserting the SQLSTATE a statement fails with, and rows
// written straight into one test database (orders and their lines, menu items, reservations and
// the tables they hold), with the stock ledger and the role they are read back by.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { expect } from 'vitest';
import type { Database, TransactionOptions } from '../../src/core/db/database.js';
import { AppError } from '../../src/core/errors.js';
import { DEMO_RESTAURANT_ID as DEMO } from '../../src/core/seed.js';

/**
 * The PostgreSQL error a statement failed with. `Database` wraps driver errors in an AppError
 * whose cause is the original error; raw pg clients throw it directly.
 */
export async function pgError(work: Promise<unknown>): Promise<pg.DatabaseError> {
  try {
    await work;
  } catch (err) {
    const cause = err instanceof AppError ? err.cause : err;
    if (cause instanceof pg.DatabaseError) return cause;
    throw err;
  }
  throw new Error('expected the statement to fail, but it succeeded');
}

/** Asserts that `work` fails with this SQLSTATE (and constraint, when given). */
export async function expectRejected(work: Promise<unknown>, code: string, constraint?: string): Promise<pg.DatabaseError> {
  const err = await pgError(work);
  expect({ code: err.code, constraint: constraint === undefined ? undefined : err.constraint }).toEqual({ code, constraint });
  return err;
}

/** The one row; expects exactly one. */
export function only<T>(rows: T[]): T {
  expect(rows).toHaveLength(1);
  const [row] = rows;
  if (row === undefined) throw new Error('no row');
  return row;
}

export const unique = (prefix: string): string => `${prefix}_${randomUUID().slice(0, 8)}`;

export interface OrderFields {
  restaurantId?: string;
  tableId?: string | null;
  totalAmount?: string;
  customerEmail?: string | null;
  status?: string;
}

export const BOOK_SQL = `INSERT INTO restaurante.reservation_tables ("restaurantId", "reservationId", "tableId", occupied)
                  VALUES ($1, $2, $3, $4::tstzrange)`;

export interface Movement {
  delta: number;
  stockAfter: number;
  reason: string;
  orderId: string | null;
  actor: string | null;
  note: string | null;
}

export interface SchemaRows {
  newOrder: (fields?: OrderFields, options?: TransactionOptions) => Promise<string>;
  /** Inserts an order line (totalPrice consistent with unitPrice × quantity). */
  addLine: (orderId: string, menuItemId: string, quantity?: number, restaurantId?: string, options?: TransactionOptions) => Promise<string>;
  newItem: (fields?: { stock?: number; price?: string; restaurantId?: string; categoryId?: string }, options?: TransactionOptions) => Promise<string>;
  /** `count` reservations of the demo restaurant on 2031-06-10. */
  newReservations: (count: number, partySize?: number, status?: string) => Promise<string[]>;
  /** Holds the table for the reservation over `occupied` (a tstzrange literal). */
  book: (reservationId: string, tableId: string, occupied: string, restaurantId?: string) => Promise<void>;
  /** The item's stock ledger, oldest first (ties by stockAfter). */
  movementsOf: (itemId: string) => Promise<Movement[]>;
  currentUser: () => Promise<string>;
}

/** Writers and readers of rows in `db`. */
export function schemaRows(db: Database): SchemaRows {
  return {
    async newOrder(fields = {}, options = {}) {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO restaurante.orders ("restaurantId", "orderNumber", "tableId", "totalAmount", customer_email, status)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [
          fields.restaurantId ?? DEMO,
          unique('ORD'),
          fields.tableId ?? null,
          fields.totalAmount ?? '0',
          fields.customerEmail ?? null,
          fields.status ?? 'PENDING',
        ],
        options,
      );
      return only(rows).id;
    },
    async addLine(orderId, menuItemId, quantity = 1, restaurantId = DEMO, options = {}) {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO restaurante.order_items ("restaurantId", "orderId", "menuItemId", quantity, "unitPrice", "totalPrice")
         VALUES ($1, $2, $3, $4::int, 6.50, 6.50 * $4::int) RETURNING id`,
        [restaurantId, orderId, menuItemId, quantity],
        options,
      );
      return only(rows).id;
    },
    async newItem(fields = {}, options = {}) {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO restaurante.menu_items (id, "restaurantId", "categoryId", name, price, stock)
         VALUES ($1, $2, $3, 'Plato de prueba', $4, $5) RETURNING id`,
        [unique('item_test'), fields.restaurantId ?? DEMO, fields.categoryId ?? 'cat_tapas', fields.price ?? '5.00', fields.stock ?? 10],
        options,
      );
      return only(rows).id;
    },
    async newReservations(count, partySize = 2, status = 'CONFIRMED') {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO restaurante.reservations ("restaurantId", "customerName", "partySize", date, time, status)
         SELECT $1, 'Cliente ' || g, $3, DATE '2031-06-10', TIMESTAMPTZ '2031-06-10 20:00+02', $4::restaurante."ReservationStatus"
           FROM generate_series(1, $2::int) AS g
         RETURNING id`,
        [DEMO, count, partySize, status],
      );
      expect(rows).toHaveLength(count);
      return rows.map((r) => r.id);
    },
    async book(reservationId, tableId, occupied, restaurantId = DEMO) {
      await db.query(BOOK_SQL, [restaurantId, reservationId, tableId, occupied]);
    },
    async movementsOf(itemId) {
      const { rows } = await db.query<Movement>(
        `SELECT delta, "stockAfter", reason, "orderId", actor, note
           FROM restaurante.stock_movements WHERE "menuItemId" = $1 ORDER BY "createdAt", "stockAfter"`,
        [itemId],
      );
      return rows;
    },
    async currentUser() {
      return only((await db.query<{ u: string }>('SELECT current_user::text AS u')).rows).u;
    },
  };
}
