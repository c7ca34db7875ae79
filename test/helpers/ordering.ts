// The ordering HTTP API in tests: its response shapes, scanning a table's QR code, and requests
// (place an order, read, move a status) against one test app, plus the counts and ledger rows
// the tests assert on.
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { Order, QueueItem } from '../../src/core/ordering/orders.js';
import { qrCodeOf, tableOf } from '../../src/core/ordering/table-sessions.js';
import { DEMO_RESTAURANT_ID } from '../../src/core/seed.js';
import { TEST_SECRET, type TestApp } from './app.js';
import { rowCounts } from './fixtures.js';

// ---------------------------------------------------------------------------------------------
// Response shapes
// ---------------------------------------------------------------------------------------------
export interface Placed {
  order: Order;
  duplicate: boolean;
}

export interface Scan {
  sessionToken: string;
  expiresAt: string;
  tableId: string;
  restaurantId: string;
  joined: boolean;
}

export interface MenuItem {
  id: string;
  name: string;
  description: string | null;
  price: number;
  allergens: string[];
  stockState: 'in_stock' | 'low' | 'sold_out';
}

export interface Menu {
  restaurantId: string;
  name: string;
  currency: string;
  version: number;
  categories: { id: string; name: string; description: string | null; items: MenuItem[] }[];
}

export type Queue = Record<'PENDING' | 'CONFIRMED' | 'IN_PROGRESS' | 'READY', QueueItem[]>;

export interface Printable {
  tableId: string;
  number: number;
  qrVersion: number;
  code: string;
  url: string;
}

export interface Counts {
  orders: number;
  orderItems: number;
  stockMovements: number;
}

// ---------------------------------------------------------------------------------------------
// Helpers that name their app
// ---------------------------------------------------------------------------------------------
export const cents = (amount: number | string): number => Math.round(Number(amount) * 100);

/** The menu item of that id, wherever its category. */
export function itemOf(menu: Menu, id: string): MenuItem | undefined {
  return menu.categories.flatMap((c) => c.items).find((i) => i.id === id);
}

/** The demo table's current QR code. */
export async function codeOf(app: TestApp, tableId: string): Promise<string> {
  return qrCodeOf(TEST_SECRET, await tableOf(app.db, DEMO_RESTAURANT_ID, tableId));
}

export function scanCode(app: TestApp, code: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.app.inject({ method: 'POST', url: '/api/qr/scan', headers, payload: { code } });
}

/** Scans the demo table's QR code; expects 201. */
export async function scan(app: TestApp, tableId: string): Promise<Scan> {
  const res = await scanCode(app, await codeOf(app, tableId));
  expect(res.statusCode).toBe(201);
  return res.json<Scan>();
}

/** Rows in orders, order_items and stock_movements. */
export async function orderCounts(app: TestApp): Promise<Counts> {
  const c = await rowCounts(app.db, ['orders', 'order_items', 'stock_movements']);
  return { orders: c.orders, orderItems: c.order_items, stockMovements: c.stock_movements };
}

// ---------------------------------------------------------------------------------------------
// Requests against one app (a test file's main app); each takes another app where it may differ
// ---------------------------------------------------------------------------------------------
export interface OrderingRequests {
  postOrder: (token: string | undefined, payload: object | string, headers?: Record<string, string>, app?: TestApp) => Promise<LightMyRequestResponse>;
  /** Places the order; expects 201. */
  placeOk: (token: string, payload: object, app?: TestApp) => Promise<Order>;
  get: (token: string | undefined, url: string, app?: TestApp) => Promise<LightMyRequestResponse>;
  patchStatus: (token: string, url: string, status: string) => Promise<LightMyRequestResponse>;
  counts: (app?: TestApp) => Promise<Counts>;
  /** The order's stock ledger rows of that reason, oldest first. */
  movementsOf: (orderId: string, reason: string) => Promise<{ menuItemId: string; delta: number; stockAfter: number }[]>;
}

export function orderingRequests(t: TestApp): OrderingRequests {
  const postOrder: OrderingRequests['postOrder'] = (token, payload, headers = {}, app = t) =>
    app.app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: { ...(token === undefined ? {} : app.auth(token)), ...headers },
      payload,
    });
  return {
    postOrder,
    async placeOk(token, payload, app = t) {
      const res = await postOrder(token, payload, {}, app);
      expect(res.statusCode, res.body).toBe(201);
      return res.json<Placed>().order;
    },
    get(token, url, app = t) {
      return app.app.inject({ method: 'GET', url, headers: token === undefined ? {} : app.auth(token) });
    },
    patchStatus(token, url, status) {
      return t.app.inject({ method: 'PATCH', url, headers: t.auth(token), payload: { status } });
    },
    counts(app = t) {
      return orderCounts(app);
    },
    async movementsOf(orderId, reason) {
      const { rows } = await t.db.query<{ menuItemId: string; delta: number; stockAfter: number }>(
        `SELECT "menuItemId", delta, "stockAfter" FROM restaurante.stock_movements
          WHERE "orderId" = $1 AND reason = $2 ORDER BY "createdAt", id`,
        [orderId, reason],
      );
      return rows;
    },
  };
}
