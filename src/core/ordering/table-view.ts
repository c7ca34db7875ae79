// What a guest's phone shows of its table: the restaurant and table, its own state (let in,
// waiting, turned away), the table's phones, every order of the session with the phone that sent
// it and each line's kitchen status, and the table's requests to the staff. Never an e-mail
// address: the table shares orders, not the personal data given with them.
import { createHash } from 'node:crypto';
import type { Queryable } from '../db/database.js';
import type { Order, OrderStatus } from './orders.js';
import { phonesOf, type GuestSessionRef, type PhoneState, type SessionPhone } from './table-sessions.js';

export interface TableOrderView {
  id: string;
  orderNumber: string;
  phone: number | null;
  status: OrderStatus;
  totalAmount: number;
  notes: string | null;
  orderedAt: string;
  items: Array<{ id: string; menuItemId: string; name: string; quantity: number; unitPrice: number; totalPrice: number; status: OrderStatus; notes: string | null }>;
}

export interface TableRequestView {
  id: string;
  kind: 'waiter' | 'bill';
  status: 'open' | 'resolved';
  createdAt: string;
  resolvedAt: string | null;
}

export interface TableSessionView {
  restaurant: { id: string; name: string; currency: string; language: string };
  table: { id: string; number: number };
  session: { id: string; open: boolean; expiresAt: string };
  me: { id: string; phone: number; state: PhoneState };
  /** Only for a phone that was let in. */
  phones: SessionPhone[];
  orders: TableOrderView[];
  requests: TableRequestView[];
  /** Changes whenever anything above does (the event stream's id, the poll's ETag). */
  version: string;
}

export async function tableSessionView(db: Queryable, ref: GuestSessionRef): Promise<TableSessionView> {
  const head = (
    await db.query<{ name: string; currency: string; language: string; number: number; expiresAt: Date }>(
      `SELECT r.name, r.currency, r."defaultLanguage" AS language, tb.number, s."expiresAt"
         FROM restaurante.table_sessions s
         JOIN restaurante.tables tb ON tb.id = s."tableId"
         JOIN restaurante.restaurants r ON r.id = s."restaurantId"
        WHERE s.id = $1`,
      [ref.sessionId],
    )
  ).rows[0]!;
  const admitted = ref.state === 'admitted' && ref.open;
  let phones: SessionPhone[] = [];
  let orders: TableOrderView[] = [];
  let requests: TableRequestView[] = [];
  if (admitted) {
    phones = await phonesOf(db, ref.sessionId);
    const { rows } = await db.query<{ order: Order; guestPhone: number | null }>(
      `SELECT restaurante.order_json(o.id) AS order, o."guestPhone" FROM restaurante.orders o
        WHERE o."sessionId" = $1 ORDER BY o."orderedAt" DESC, o.id LIMIT 100`,
      [ref.sessionId],
    );
    orders = rows.map(({ order, guestPhone }) => ({
      id: order.id,
      orderNumber: order.orderNumber,
      phone: guestPhone,
      status: order.status,
      totalAmount: Number(order.totalAmount),
      notes: order.notes,
      orderedAt: order.orderedAt,
      items: order.items.map((i) => ({
        id: i.id,
        menuItemId: i.menuItemId,
        name: i.name,
        quantity: i.quantity,
        unitPrice: Number(i.unitPrice),
        totalPrice: Number(i.totalPrice),
        status: i.status,
        notes: i.notes,
      })),
    }));
    requests = (
      await db.query<{ id: string; kind: 'waiter' | 'bill'; status: 'open' | 'resolved'; createdAt: Date; resolvedAt: Date | null }>(
        `SELECT id, kind, status, "createdAt", "resolvedAt" FROM restaurante.table_requests
          WHERE "sessionId" = $1 ORDER BY "createdAt" DESC LIMIT 20`,
        [ref.sessionId],
      )
    ).rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString(), resolvedAt: r.resolvedAt?.toISOString() ?? null }));
  }
  const view = {
    restaurant: { id: ref.restaurantId, name: head.name, currency: head.currency, language: head.language },
    table: { id: ref.tableId, number: head.number },
    session: { id: ref.sessionId, open: ref.open, expiresAt: head.expiresAt.toISOString() },
    me: { id: ref.tokenId, phone: ref.phone, state: ref.state },
    phones,
    orders,
    requests,
  };
  const version = createHash('sha1').update(JSON.stringify(view)).digest('base64url').slice(0, 16);
  return { ...view, version };
}
