// The kitchen display's API: tickets (one read per screen and nudge, from a snapshot shared by
// the screens of a restaurant), bumps and their undo, and the admins' settings: thresholds,
// stations, and which station each dish category belongs to. docs/kitchen.md.
import type { FastifyInstance } from 'fastify';
import { permissions } from '../../core/auth/roles.js';
import type { Database } from '../../core/db/database.js';
import type { LiveHub } from '../../core/live.js';
import {
  bump,
  createStation,
  deleteStation,
  forStation,
  readKitchenSettings,
  setCategoryStation,
  setThresholds,
  undoBump,
  updateStation,
  UNDO_WINDOW_SECONDS,
} from '../../core/ordering/kitchen.js';
import { orderStatuses } from '../../core/ordering/orders.js';
import type { KitchenSnapshot } from '../../core/ordering/kitchen.js';
import { KitchenSnapshots } from '../../core/ordering/kitchen-snapshots.js';
import { requireStaff, staffOf } from '../auth.js';
import { authProblems } from '../openapi.js';

export interface KitchenRoutesOptions {
  live: LiveHub;
  /** Share one snapshot per restaurant between screens (default true; the benchmark compares). */
  sharedSnapshots?: boolean;
}

const id = { type: 'string', minLength: 1, maxLength: 100 } as const;
const status = { type: 'string', enum: orderStatuses } as const;
const minutes = (max: number) => ({ type: 'integer', minimum: 1, maximum: max }) as const;
const stationName = { type: 'string', minLength: 1, maxLength: 60, pattern: '\\S' } as const;
const sortOrder = { type: 'integer', minimum: -1_000_000, maximum: 1_000_000 } as const;

const stationSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, name: { type: 'string' }, sortOrder: { type: 'integer' }, categoryIds: { type: 'array', items: { type: 'string' } } },
} as const;
const settingsSchema = {
  $id: 'KitchenSettings',
  type: 'object',
  properties: {
    amberMinutes: { type: 'integer', description: 'A ticket older than this turns amber' },
    redMinutes: { type: 'integer', description: 'A ticket older than this turns red' },
    stations: { type: 'array', items: stationSchema },
    categories: {
      type: 'array',
      items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, stationId: { type: ['string', 'null'] } } },
    },
  },
} as const;
const ticketSchema = {
  type: 'object',
  properties: {
    orderId: { type: 'string' },
    orderNumber: { type: 'string' },
    tableNumber: { type: ['integer', 'null'] },
    status,
    notes: { type: ['string', 'null'] },
    orderedAt: { type: 'string' },
    updatedAt: { type: 'string' },
    lines: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          itemId: { type: 'string' },
          menuItemId: { type: 'string' },
          name: { type: 'string' },
          quantity: { type: 'integer' },
          notes: { type: ['string', 'null'] },
          allergens: { type: 'array', items: { type: 'string' } },
          status,
          stationId: { type: ['string', 'null'] },
        },
      },
    },
  },
} as const;
const orderResponse = { type: 'object', properties: { order: { $ref: 'Order#' } } } as const;
const stationParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id } } as const;
const notFound = { 404: { description: 'NOT_FOUND', $ref: 'Problem#' } } as const;

export function kitchenRoutes(app: FastifyInstance, db: Database, options: KitchenRoutesOptions): void {
  app.addSchema(settingsSchema);
  const snapshots = new KitchenSnapshots(db, options.live, options.sharedSnapshots === false ? 0 : undefined);
  const serialised = new WeakMap<KitchenSnapshot, Map<string, string>>();
  const readers = requireStaff(db, ...permissions['kitchen.queue']);
  const movers = requireStaff(db, ...permissions['order-lines.move']);
  const admins = requireStaff(db, ...permissions['menu.manage']);

  app.get<{ Querystring: { station?: string } }>(
    '/api/kitchen/tickets',
    {
      preHandler: readers,
      schema: {
        summary: 'The kitchen display: open tickets oldest first, the recall list, thresholds and stations',
        description:
          'Tickets are open orders (some line PENDING, CONFIRMED, IN_PROGRESS or READY), oldest first, with their open lines: ' +
          'quantity, dish, notes, allergens, status and station. `recall` lists the last tickets served or cancelled (12 at most, ' +
          'the last 12 hours), newest first. With `station`, only that station\'s lines (tickets without any are left out). ' +
          '`now` is the server\'s clock, for the time since ordered. Screens re-read this on each `orders` or `menu` nudge of ' +
          '/api/staff/events; the screens of a restaurant share one snapshot per change.',
        tags: ['kitchen'],
        security: [{ bearer: [] }, { staffSession: [] }],
        querystring: { type: 'object', additionalProperties: false, properties: { station: id } },
        response: {
          200: {
            type: 'object',
            properties: {
              now: { type: 'string' },
              station: { type: ['string', 'null'] },
              settings: { $ref: 'KitchenSettings#' },
              tickets: { type: 'array', items: ticketSchema },
              recall: { type: 'array', items: ticketSchema },
            },
          },
          ...authProblems,
          ...notFound,
        },
      },
    },
    async (request, reply) => {
      const station = request.query.station;
      const snapshot = await snapshots.get(staffOf(request).restaurantId);
      // The screens of a restaurant (and station) get the same bytes: serialised once per snapshot.
      let views = serialised.get(snapshot);
      if (!views) serialised.set(snapshot, (views = new Map<string, string>()));
      let body = views.get(station ?? '');
      if (body === undefined) {
        body = JSON.stringify({ station: station ?? null, ...forStation(snapshot, station) });
        views.set(station ?? '', body);
      }
      return reply.type('application/json; charset=utf-8').send(`{"now":${JSON.stringify(new Date().toISOString())},${body.slice(1)}`);
    },
  );

  app.post<{ Body: { orderId: string; itemId?: string; stationId?: string } }>(
    '/api/kitchen/bump',
    {
      preHandler: movers,
      schema: {
        summary: 'Bump a line, or a ticket, one step forward; undoable for 10 s',
        description:
          'With `itemId`: that line moves one step (PENDING → CONFIRMED → IN_PROGRESS → READY → SERVED). Without it: the ticket\'s ' +
          'open lines at its slowest status move one step (with `stationId`, only that station\'s lines). The order follows its ' +
          `slowest line. The answer's \`bump.id\` undoes it through POST /api/kitchen/bumps/{id}/undo, for ${UNDO_WINDOW_SECONDS} s, ` +
          'by the same session or token only. 409 INVALID_TRANSITION when there is nothing to bump.',
        tags: ['kitchen'],
        security: [{ bearer: [] }, { staffSession: [] }],
        body: { type: 'object', required: ['orderId'], additionalProperties: false, properties: { orderId: id, itemId: id, stationId: id } },
        response: {
          200: {
            type: 'object',
            properties: {
              bump: {
                type: 'object',
                properties: {
                  id: { type: 'string' },
                  orderId: { type: 'string' },
                  undoUntil: { type: 'string' },
                  lines: { type: 'array', items: { type: 'object', properties: { itemId: { type: 'string' }, from: status, to: status } } },
                },
              },
              order: { $ref: 'Order#' },
            },
          },
          ...authProblems,
          ...notFound,
          409: { description: 'INVALID_TRANSITION', $ref: 'Problem#' },
        },
      },
    },
    async (request) => bump(db, staffOf(request), request.body),
  );

  app.post<{ Params: { id: string } }>(
    '/api/kitchen/bumps/:id/undo',
    {
      preHandler: movers,
      schema: {
        summary: 'Undo a bump of this session or token (10 s, once, if nothing changed since)',
        description:
          `Puts the bump's lines back to where they were. Only the session (or bearer token) that bumped, within ${UNDO_WINDOW_SECONDS} s, ` +
          'once, and only while every line is still as the bump left it; otherwise 409 UNDO_UNAVAILABLE and nothing changes. ' +
          "Another session's bump is 404. Bumps never touch stock, and neither does their undo.",
        tags: ['kitchen'],
        security: [{ bearer: [] }, { staffSession: [] }],
        params: stationParams,
        response: { 200: orderResponse, ...authProblems, ...notFound, 409: { description: 'UNDO_UNAVAILABLE', $ref: 'Problem#' } },
      },
    },
    async (request) => undoBump(db, staffOf(request), request.params.id),
  );

  app.get(
    '/api/kitchen/settings',
    {
      preHandler: readers,
      schema: {
        summary: "The kitchen's thresholds, stations and which station each category belongs to",
        tags: ['kitchen'],
        security: [{ bearer: [] }, { staffSession: [] }],
        response: { 200: { $ref: 'KitchenSettings#' }, ...authProblems },
      },
    },
    async (request) => readKitchenSettings(db, staffOf(request).restaurantId),
  );

  app.put<{ Body: { amberMinutes: number; redMinutes: number } }>(
    '/api/kitchen/settings',
    {
      preHandler: admins,
      schema: {
        summary: 'Set the minutes after which tickets turn amber and red (admin)',
        description: 'Defaults 10 and 20. amberMinutes must be less than redMinutes (else 400 VALIDATION_FAILED).',
        tags: ['kitchen'],
        security: [{ bearer: [] }, { staffSession: [] }],
        body: {
          type: 'object',
          required: ['amberMinutes', 'redMinutes'],
          additionalProperties: false,
          properties: { amberMinutes: minutes(240), redMinutes: minutes(480) },
        },
        response: { 200: { $ref: 'KitchenSettings#' }, ...authProblems },
      },
    },
    async (request) => setThresholds(db, staffOf(request), request.body),
  );

  app.post<{ Body: { name: string; sortOrder?: number } }>(
    '/api/kitchen/stations',
    {
      preHandler: admins,
      schema: {
        summary: 'Create a kitchen station (admin)',
        description: 'A station groups dish categories (PUT /api/kitchen/categories/{id}/station); its screen shows their lines only.',
        tags: ['kitchen'],
        security: [{ bearer: [] }, { staffSession: [] }],
        body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: stationName, sortOrder } },
        response: { 201: stationSchema, ...authProblems, 409: { description: 'CONFLICT (the name exists)', $ref: 'Problem#' } },
      },
    },
    async (request, reply) => reply.code(201).send(await createStation(db, staffOf(request), request.body)),
  );

  app.patch<{ Params: { id: string }; Body: { name?: string; sortOrder?: number } }>(
    '/api/kitchen/stations/:id',
    {
      preHandler: admins,
      schema: {
        summary: 'Rename or reorder a kitchen station (admin)',
        tags: ['kitchen'],
        security: [{ bearer: [] }, { staffSession: [] }],
        params: stationParams,
        body: { type: 'object', minProperties: 1, additionalProperties: false, properties: { name: stationName, sortOrder } },
        response: { 200: stationSchema, ...authProblems, ...notFound, 409: { description: 'CONFLICT (the name exists)', $ref: 'Problem#' } },
      },
    },
    async (request) => updateStation(db, staffOf(request), request.params.id, request.body),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/kitchen/stations/:id',
    {
      preHandler: admins,
      schema: {
        summary: 'Delete a kitchen station (admin); its categories are left without one',
        tags: ['kitchen'],
        security: [{ bearer: [] }, { staffSession: [] }],
        params: stationParams,
        response: { 204: { type: 'null', description: 'Deleted' }, ...authProblems, ...notFound },
      },
    },
    async (request, reply) => {
      await deleteStation(db, staffOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.put<{ Params: { id: string }; Body: { stationId: string | null } }>(
    '/api/kitchen/categories/:id/station',
    {
      preHandler: admins,
      schema: {
        summary: "Set a dish category's kitchen station (admin); null: none (every screen shows it)",
        tags: ['kitchen'],
        security: [{ bearer: [] }, { staffSession: [] }],
        params: stationParams,
        body: { type: 'object', required: ['stationId'], additionalProperties: false, properties: { stationId: { anyOf: [id, { type: 'null' }] } } },
        response: { 200: { $ref: 'KitchenSettings#' }, ...authProblems, ...notFound },
      },
    },
    async (request) => setCategoryStation(db, staffOf(request), request.params.id, request.body.stationId),
  );
}
