// The floor for waiters and admins: every table's state, its open session and phones, open
// requests, and the latest handled ones with who handled them (src/core/ordering/floor.ts).
// Acting on it goes through the existing routes: close a table, let a phone in, resolve a request.
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../core/db/database.js';
import { floorOf, floorStates } from '../../core/ordering/floor.js';
import { tableRequestKinds, tableRequestStatuses } from '../../core/ordering/table-requests.js';
import { requireStaff, staffOf } from '../auth.js';
import { authProblems } from '../openapi.js';

const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;

const floorRequestSchema = {
  $id: 'FloorRequest',
  type: 'object',
  required: ['id', 'tableId', 'tableNumber', 'kind', 'status', 'createdAt'],
  properties: {
    id: { type: 'string' },
    tableId: { type: 'string' },
    tableNumber: { type: 'integer' },
    kind: { type: 'string', enum: tableRequestKinds },
    status: { type: 'string', enum: tableRequestStatuses },
    phone: { type: ['integer', 'null'] },
    createdAt: timestamp,
    resolvedAt: nullableTimestamp,
    resolvedBy: { type: ['string', 'null'], description: "Who resolved it: the staff account's name, the device's or token's label" },
  },
} as const;

const floorSchema = {
  type: 'object',
  required: ['tables', 'open', 'resolved'],
  properties: {
    tables: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'number', 'capacity', 'state', 'session', 'orders', 'requests'],
        properties: {
          id: { type: 'string' },
          number: { type: 'integer' },
          capacity: { type: 'integer' },
          location: { type: ['string', 'null'] },
          state: {
            type: 'string',
            enum: floorStates,
            description:
              'free: no open session; bill: an open "bill" request; waiting: lines in the kitchen or ready, not served; ' +
              'ordering: lines sent, not yet accepted by the kitchen; seated: an open session with nothing outstanding',
          },
          session: {
            type: ['object', 'null'],
            properties: {
              id: { type: 'string' },
              openedAt: timestamp,
              expiresAt: timestamp,
              phones: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string', description: 'For POST /api/table-session/phones/{id}/approve|deny' },
                    phone: { type: 'integer' },
                    state: { type: 'string', enum: ['admitted', 'pending', 'denied'] },
                    joinedAt: timestamp,
                    decidedBy: { type: ['string', 'null'] },
                  },
                },
              },
            },
          },
          orders: {
            type: 'object',
            description: "The open session's orders (none when free): line quantities by kitchen status, cancelled ones left out",
            properties: {
              count: { type: 'integer' },
              pending: { type: 'integer' },
              inKitchen: { type: 'integer' },
              ready: { type: 'integer' },
              served: { type: 'integer' },
              totalAmount: { type: 'number' },
            },
          },
          requests: { type: 'array', items: { $ref: 'FloorRequest#' }, description: "Open requests of the table's open session" },
        },
      },
    },
    open: { type: 'array', items: { $ref: 'FloorRequest#' }, description: 'Every open request, oldest first' },
    resolved: { type: 'array', items: { $ref: 'FloorRequest#' }, description: 'The latest 20 handled requests, newest first' },
  },
} as const;

export function floorRoutes(app: FastifyInstance, db: Database): void {
  app.addSchema(floorRequestSchema);
  app.get(
    '/api/floor',
    {
      preHandler: requireStaff(db, 'waiter', 'admin'),
      schema: {
        summary: "The floor: every active table's state, open session and phones, and the guests' requests",
        description:
          'A snapshot for the waiters\' screen; re-read it when /api/staff/events sends `floor`, `orders` or `requests`. ' +
          'No guest contact details. Act through POST /api/tables/{id}/close, /api/table-session/phones/{id}/approve|deny ' +
          'and /api/table-requests/{id}/resolve.',
        tags: ['tables'],
        security: [{ bearer: [] }, { staffSession: [] }],
        response: { 200: floorSchema, ...authProblems },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      return floorOf(db, staffOf(request).restaurantId);
    },
  );
}
