// Orders (guests and staff) and the kitchen's queue.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../../core/db/database.js';
import { AppError } from '../../core/errors.js';
import { rateLimited } from '../../core/rate-limits.js';
import {
  getOrder,
  kitchenQueue,
  listOrders,
  orderStatuses,
  placeOrder,
  setItemStatus,
  setOrderStatus,
  staffOrderSources,
  type OrderInput,
  type OrderStatus,
} from '../../core/ordering/orders.js';
import { bearerToken, principalOfRequest, requireGuestOrStaff, requireStaff, staffOf } from '../auth.js';
import { hashToken } from '../../core/auth/tokens.js';
import { authProblems } from '../openapi.js';
import { permissions } from '../../core/auth/roles.js';
import type { RateLimiter } from '../../core/rate-limits.js';
import { clientIp, MINUTE } from '../rate-limits.js';

export interface OrderRoutesOptions {
  idempotencyTtlHours: number;
  ordersPerMinute: number;
  ordersPerIpPerMinute: number;
  limiter: RateLimiter;
}

/** The shape of a Comanda bearer token (staff or guest); anything else is junk at once. */
/** restaurante.orders' check_email_format (migration 0002), as the API checks it first. */
export const ORDER_EMAIL = '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$';

const TOKEN_SHAPE = /^cmd_(staff|guest)_[A-Za-z0-9_-]{43}$/;

const id = { type: 'string', minLength: 1, maxLength: 100 } as const;
const money = { type: 'number' } as const;
/** Fields the spec's clients send; accepted and ignored: prices and numbers come from the database. */
const ignored = { description: 'Accepted and ignored: the database sets prices, totals and order numbers.' };

const orderLineSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    menuItemId: { type: 'string' },
    name: { type: 'string' },
    quantity: { type: 'integer' },
    unitPrice: money,
    totalPrice: money,
    status: { type: 'string', enum: orderStatuses },
    notes: { type: ['string', 'null'] },
  },
} as const;

export const orderSchema = {
  $id: 'Order',
  type: 'object',
  properties: {
    id: { type: 'string' },
    orderNumber: { type: 'string' },
    restaurantId: { type: 'string' },
    tableId: { type: ['string', 'null'] },
    source: { type: 'string' },
    status: { type: 'string', enum: orderStatuses },
    totalAmount: money,
    customerEmail: { type: ['string', 'null'] },
    notes: { type: ['string', 'null'] },
    orderedAt: { type: 'string' },
    updatedAt: { type: 'string' },
    items: { type: 'array', items: orderLineSchema },
  },
} as const;

const orderParams = { type: 'object', required: ['id'], properties: { id } } as const;
const statusBody = {
  type: 'object',
  required: ['status'],
  additionalProperties: false,
  properties: { status: { type: 'string', enum: orderStatuses } },
} as const;
const orderResponse = { type: 'object', properties: { order: { $ref: 'Order#' } } } as const;

type OrderBody = OrderInput & { unitPrice?: number; totalPrice?: number; totalAmount?: number; orderNumber?: string };

export function orderRoutes(app: FastifyInstance, db: Database, options: OrderRoutesOptions): void {
  app.addSchema(orderSchema);
  // Orders authenticate inside their own transaction (see placeOrder). A caller with a token is
  // counted per token (a guest's table session, a staff token), in its own budget; requests with
  // no token or a token that turns out unknown are counted per client IP, so junk from an address
  // never eats the budget of a real guest or staff member behind the same address (a restaurant's
  // Wi-Fi is one IP). Both budgets are shared by every instance.
  const perCaller = { name: 'orders:caller', max: options.ordersPerMinute, windowMs: MINUTE };
  const junkPerIp = { name: 'orders:ip', max: options.ordersPerIpPerMinute, windowMs: MINUTE };
  const junk = async (request: FastifyRequest, error: AppError): Promise<never> => {
    const hit = await options.limiter.consume(junkPerIp, clientIp(request));
    if (!hit.allowed) throw rateLimited(hit, 'requests without a valid token');
    throw error;
  };
  const limitOrders = async (request: FastifyRequest): Promise<void> => {
    const token = bearerToken(request);
    if (!token || !TOKEN_SHAPE.test(token)) {
      await junk(request, new AppError('UNAUTHENTICATED', token ? 'The token is unknown, revoked or expired, or its table session was closed.' : undefined));
    }
    await options.limiter.enforce(perCaller, hashToken(token!), 'orders');
  };

  app.post<{ Body: OrderBody; Headers: { 'idempotency-key'?: string } }>(
    '/api/orders',
    {
      preHandler: limitOrders,
      schema: {
        summary: 'Place an order: stock goes down atomically, all or nothing',
        description:
          'Guests order for their session\'s table (source qr); staff name the table (optional) and a source. Prices and totals come ' +
          'from the database: `unitPrice`, `totalPrice`, `totalAmount` and `orderNumber` are accepted and ignored; any other unknown ' +
          'field is 400 VALIDATION_FAILED. With `Idempotency-Key`, a retry of the same request replays the first answer ' +
          '(header Idempotent-Replayed: true, `duplicate: true`) and never orders twice: retry requests that got 503, 429 or no answer ' +
          'with the same key. The same key with another body is 422 IDEMPOTENCY_KEY_REUSED; while the first is running, 409 REQUEST_IN_PROGRESS.',
        tags: ['orders'],
        security: [{ bearer: [] }],
        headers: {
          type: 'object',
          properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' } },
        },
        body: {
          type: 'object',
          required: ['items'],
          additionalProperties: false,
          properties: {
            tableId: id,
            source: { type: 'string', enum: staffOrderSources, description: 'Staff only (default presencial)' },
            // The orders table's check_email_format, so the API and the database agree.
            customerEmail: { type: 'string', pattern: ORDER_EMAIL, maxLength: 254 },
            notes: { type: 'string', maxLength: 1000 },
            items: {
              type: 'array',
              minItems: 1,
              maxItems: 50,
              items: {
                type: 'object',
                required: ['menuItemId', 'quantity'],
                additionalProperties: false,
                properties: {
                  menuItemId: id,
                  quantity: { type: 'integer', minimum: 1, maximum: 100 },
                  notes: { type: 'string', maxLength: 500 },
                  unitPrice: { type: 'number', ...ignored },
                  totalPrice: { type: 'number', ...ignored },
                },
              },
            },
            unitPrice: { type: 'number', ...ignored },
            totalPrice: { type: 'number', ...ignored },
            totalAmount: { type: 'number', ...ignored },
            orderNumber: { type: 'string', maxLength: 100, ...ignored },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: { order: { $ref: 'Order#' }, duplicate: { type: 'boolean' } },
          },
          ...authProblems,
          409: { description: 'OUT_OF_STOCK, ITEM_UNAVAILABLE or REQUEST_IN_PROGRESS', $ref: 'Problem#' },
          422: { description: 'UNKNOWN_MENU_ITEM, IDEMPOTENCY_KEY_REUSED or REFERENCE_NOT_FOUND (unknown table)', $ref: 'Problem#' },
          429: { description: 'RATE_LIMITED', $ref: 'Problem#' },
          503: { description: 'DATABASE_BUSY / DATABASE_UNAVAILABLE / DATABASE_TIMEOUT: retry with the same Idempotency-Key', $ref: 'Problem#' },
        },
      },
    },
    async (request, reply) => {
      const { tableId, source, customerEmail, notes, items } = request.body;
      const input: OrderInput = {
        tableId,
        source,
        customerEmail,
        notes,
        items: items.map((i) => ({ menuItemId: i.menuItemId, quantity: i.quantity, notes: i.notes })),
      };
      const result = await placeOrder(db, { token: bearerToken(request)! }, input, {
        idempotencyKey: request.headers['idempotency-key'],
        idempotencyTtlHours: options.idempotencyTtlHours,
      }).catch((err: unknown) => {
        // An unknown token is junk: counted against the address it came from.
        if (err instanceof AppError && err.code === 'UNAUTHENTICATED') return junk(request, err);
        throw err;
      });
      if (result.replayed) void reply.header('idempotent-replayed', 'true');
      return reply.code(201).send({ order: result.order, duplicate: result.replayed });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/orders/:id',
    {
      preHandler: requireGuestOrStaff(db),
      schema: {
        summary: "One order (guests: their own session's only; others are 404)",
        tags: ['orders'],
        security: [{ bearer: [] }],
        params: orderParams,
        response: { 200: orderResponse, ...authProblems },
      },
    },
    async (request) => ({ order: await getOrder(db, principalOfRequest(request), request.params.id) }),
  );

  app.get<{ Querystring: { status?: OrderStatus; tableId?: string; limit?: number } }>(
    '/api/orders',
    {
      preHandler: requireGuestOrStaff(db),
      schema: {
        summary: "Orders, newest first (guests: their own session's)",
        tags: ['orders'],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: orderStatuses },
            tableId: id,
            limit: { type: 'string', pattern: '^[0-9]{1,3}$', description: '1–200, default 50' },
          },
        },
        response: { 200: { type: 'object', properties: { orders: { type: 'array', items: { $ref: 'Order#' } } } }, ...authProblems },
      },
    },
    async (request) => {
      const limit = request.query.limit === undefined ? undefined : Number(request.query.limit);
      if (limit !== undefined && (limit < 1 || limit > 200)) throw new AppError('VALIDATION_FAILED', 'limit must be between 1 and 200');
      return { orders: await listOrders(db, principalOfRequest(request), { ...request.query, limit }) };
    },
  );

  const statusDescription =
    'PENDING → CONFIRMED → IN_PROGRESS → READY → SERVED, one step at a time; CANCELLED from PENDING or CONFIRMED (the stock comes back ' +
    'through the ledger). Anything else is 409 INVALID_TRANSITION. Each change is recorded with who made it.';

  app.patch<{ Params: { id: string }; Body: { status: OrderStatus } }>(
    '/api/orders/:id/status',
    {
      preHandler: requireStaff(db),
      schema: {
        summary: 'Move an order (and its lines that are behind) to a status',
        description: statusDescription,
        tags: ['kitchen'],
        security: [{ bearer: [] }],
        params: orderParams,
        body: statusBody,
        response: { 200: orderResponse, ...authProblems, 409: { description: 'INVALID_TRANSITION', $ref: 'Problem#' } },
      },
    },
    async (request) => ({ order: await setOrderStatus(db, staffOf(request), request.params.id, request.body.status) }),
  );

  app.patch<{ Params: { id: string; itemId: string }; Body: { status: OrderStatus } }>(
    '/api/orders/:id/items/:itemId/status',
    {
      preHandler: requireStaff(db),
      schema: {
        summary: 'Move one order line; the order follows its slowest line',
        description: statusDescription,
        tags: ['kitchen'],
        security: [{ bearer: [] }],
        params: { type: 'object', required: ['id', 'itemId'], properties: { id, itemId: id } },
        body: statusBody,
        response: { 200: orderResponse, ...authProblems, 409: { description: 'INVALID_TRANSITION', $ref: 'Problem#' } },
      },
    },
    async (request) => ({
      order: await setItemStatus(db, staffOf(request), request.params.id, request.params.itemId, request.body.status),
    }),
  );

  app.get(
    '/api/kitchen/queue',
    {
      preHandler: requireStaff(db, ...permissions['kitchen.queue']),
      schema: {
        summary: 'Open order lines by status, oldest first',
        tags: ['kitchen'],
        security: [{ bearer: [] }],
        response: { ...authProblems },
      },
    },
    async (request) => kitchenQueue(db, staffOf(request).restaurantId),
  );
}
