// The guest's view of their table (also for a phone still waiting to be let in), letting phones
// in, the live event stream, and "call a waiter" / "ask for the bill" with the staff's side.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf } from '../../core/auth/principal.js';
import { hashToken } from '../../core/auth/tokens.js';
import type { Database } from '../../core/db/database.js';
import { AppError } from '../../core/errors.js';
import type { LiveHub } from '../../core/live.js';
import { tableSessionView } from '../../core/ordering/table-view.js';
import {
  decidePhone,
  guestSessionOf,
  openSessionOf,
  authenticateGuest,
  type GuestSessionRef,
} from '../../core/ordering/table-sessions.js';
import {
  listTableRequests,
  requestFromTable,
  resolveTableRequest,
  tableRequestKinds,
  tableRequestStatuses,
  type TableRequestKind,
  type TableRequestStatus,
} from '../../core/ordering/table-requests.js';
import { bearerToken, optionalPrincipal, requireStaff, staffOf } from '../auth.js';
import { authProblems } from '../openapi.js';
import type { RateLimiter } from '../../core/rate-limits.js';
import { limitBy, MINUTE } from '../rate-limits.js';
import type { Lifecycle } from '../lifecycle.js';
import { EventStreams } from '../sse.js';

export interface TableSessionRoutesOptions {
  live: LiveHub;
  limiter: RateLimiter;
  /** On shutdown the streams are closed with a retry hint, so phones reconnect to another instance. */
  lifecycle?: Lifecycle;
  tableRequestsPerMinute: number;
}

const id = { type: 'string', minLength: 1, maxLength: 100 } as const;
const phoneSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    phone: { type: 'integer' },
    state: { type: 'string', enum: ['admitted', 'pending', 'denied'] },
    joinedAt: { type: 'string' },
    decidedBy: { type: ['string', 'null'] },
  },
} as const;
const tableRequestSchema = {
  $id: 'TableRequest',
  type: 'object',
  properties: {
    id: { type: 'string' },
    tableId: { type: 'string' },
    tableNumber: { type: 'integer' },
    kind: { type: 'string', enum: tableRequestKinds },
    status: { type: 'string', enum: tableRequestStatuses },
    phone: { type: ['integer', 'null'] },
    createdAt: { type: 'string' },
    resolvedAt: { type: ['string', 'null'] },
    resolvedBy: { type: ['string', 'null'] },
  },
} as const;

/** The caller's own session, whatever its state (pending phones read their state here). */
async function guestRef(db: Database, request: FastifyRequest): Promise<GuestSessionRef> {
  const token = bearerToken(request);
  const ref = token ? await guestSessionOf(db, token) : undefined;
  if (!ref) throw new AppError('UNAUTHENTICATED', 'Send the table session token you got from the scan.');
  return ref;
}

export function tableSessionRoutes(app: FastifyInstance, db: Database, options: TableSessionRoutesOptions): void {
  app.addSchema(tableRequestSchema);
  const tags = ['guests'];
  const events = new EventStreams(app, options.lifecycle);

  app.get(
    '/api/table-session',
    {
      schema: {
        summary: "The caller's table: restaurant, table, own phone state, phones, orders (with the phone that sent each), requests",
        description:
          'Open to a phone waiting to be let in (it sees only its own state) and after the session closed (session.open false). ' +
          'No e-mail address is ever included. Answers carry an ETag (the view\'s version) for If-None-Match polling.',
        tags,
        security: [{ bearer: [] }],
        response: { 200: { type: 'object', additionalProperties: true }, 304: { type: 'null' }, 401: authProblems[401] },
      },
    },
    async (request, reply) => {
      const view = await tableSessionView(db, await guestRef(db, request));
      const etag = `"s${view.version}"`;
      void reply.header('etag', etag).header('cache-control', 'no-store');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return view;
    },
  );

  app.get(
    '/api/table-session/events',
    {
      schema: {
        summary: "Server-Sent Events: the table's view whenever it changes, and menu changes",
        description:
          '`event: state` carries the same document as GET /api/table-session, with its version as the event id; send it back ' +
          'as Last-Event-ID when reconnecting and nothing is sent until something changed. `event: menu` carries `{version}` when ' +
          "the restaurant's menu changed (re-read GET /api/menu). Changes come from the database (LISTEN/NOTIFY), so they reach " +
          'every instance. Browsers cannot set Authorization on EventSource: read the stream with fetch().',
        tags,
        security: [{ bearer: [] }],
        produces: ['text/event-stream'],
        response: { 401: authProblems[401] },
      },
    },
    async (request, reply) => {
      const token = bearerToken(request);
      let ref = await guestRef(db, request);
      let last = typeof request.headers['last-event-id'] === 'string' ? request.headers['last-event-id'] : undefined;
      const stream = events.open(request, reply);
      let running = false;
      let again = false;
      const push = async (): Promise<void> => {
        if (stream.closed) return;
        if (running) {
          again = true;
          return;
        }
        running = true;
        try {
          // The phone's state may have changed (let in, turned away, session closed).
          ref = (token ? await guestSessionOf(db, token) : undefined) ?? ref;
          const view = await tableSessionView(db, ref);
          if (view.version !== last) {
            last = view.version;
            stream.send('state', view, view.version);
          }
        } catch (err) {
          request.log.warn({ err }, 'table session stream: reading the view failed');
        } finally {
          running = false;
          if (again) {
            again = false;
            void push();
          }
        }
      };
      let timer: NodeJS.Timeout | undefined;
      const nudge = () => {
        clearTimeout(timer);
        timer = setTimeout(() => void push(), 25);
      };
      const unsubscribe = [
        options.live.subscribe('comanda_session', ref.sessionId, nudge),
        options.live.subscribe('comanda_menu', ref.restaurantId, () => stream.send('menu', {})),
      ];
      // A safety net: without notifications (no direct connection) re-read every 2 s, else every 15 s.
      const poll = setInterval(() => {
        if (options.live.live) stream.ping();
        void push();
      }, options.live.live ? 15_000 : 2_000);
      stream.onClose(() => {
        clearInterval(poll);
        clearTimeout(timer);
        for (const off of unsubscribe) off();
      });
      await push();
    },
  );

  for (const decision of ['approve', 'deny'] as const) {
    app.post<{ Params: { id: string } }>(
      `/api/table-session/phones/:id/${decision}`,
      {
        preHandler: optionalPrincipal(db),
        schema: {
          summary: decision === 'approve' ? 'Let a waiting phone in to the table' : 'Turn a waiting phone away',
          description:
            'By a phone already let in at the same table, or by staff (waiter or admin) of the restaurant. A phone that scans a table ' +
            "whose session is open waits until then: a photo of the printed code is not a key to the table. Already decided: 409 CONFLICT.",
          tags,
          security: [{ bearer: [] }, { staffSession: [] }],
          params: { type: 'object', required: ['id'], properties: { id } },
          response: { 200: { type: 'object', properties: { phone: phoneSchema } }, ...authProblems, 404: { $ref: 'Problem#' }, 409: { $ref: 'Problem#' } },
        },
      },
      async (request) => {
        // A bearer token (a phone's or staff's) or a staff session cookie (the floor page; CSRF-checked).
        const caller = request.principal;
        if (!caller) throw new AppError('UNAUTHENTICATED', 'Only a phone already let in at the table, or staff, can do this.');
        if (caller.kind === 'staff' && caller.role === 'kitchen') throw new AppError('FORBIDDEN', 'This needs the role waiter or admin; the token has kitchen.');
        const by = caller.kind === 'staff' ? { kind: 'staff' as const, restaurantId: caller.restaurantId, actor: actorOf(caller) } : caller;
        return { phone: await decidePhone(db, by, request.params.id, decision) };
      },
    );
  }

  app.get<{ Params: { id: string } }>(
    '/api/tables/:id/session',
    {
      preHandler: requireStaff(db, 'waiter', 'admin'),
      schema: {
        summary: "The table's open session and every phone that joined it (let in, waiting, turned away)",
        tags: ['tables'],
        security: [{ bearer: [] }],
        params: { type: 'object', required: ['id'], properties: { id } },
        response: {
          200: {
            type: 'object',
            properties: {
              tableId: { type: 'string' },
              sessionId: { type: ['string', 'null'] },
              openedAt: { type: ['string', 'null'] },
              phones: { type: 'array', items: phoneSchema },
            },
          },
          ...authProblems,
        },
      },
    },
    async (request) => openSessionOf(db, staffOf(request).restaurantId, request.params.id),
  );

  const perToken = (request: FastifyRequest) => {
    const token = bearerToken(request);
    return token ? hashToken(token) : request.ip;
  };
  app.post<{ Body: { kind: TableRequestKind } }>(
    '/api/table-requests',
    {
      preHandler: limitBy(options.limiter, { name: 'table-requests:phone', max: options.tableRequestsPerMinute, windowMs: MINUTE }, perToken, 'requests to the staff'),
      schema: {
        summary: 'Call a waiter or ask for the bill (a guest let in at the table)',
        description: 'Asking again while a request of that kind is open returns it (200, created false). Rate-limited per phone.',
        tags,
        security: [{ bearer: [] }],
        body: { type: 'object', required: ['kind'], additionalProperties: false, properties: { kind: { type: 'string', enum: tableRequestKinds } } },
        response: {
          201: { type: 'object', properties: { request: { $ref: 'TableRequest#' }, created: { type: 'boolean' } } },
          200: { type: 'object', properties: { request: { $ref: 'TableRequest#' }, created: { type: 'boolean' } } },
          ...authProblems,
          429: { description: 'RATE_LIMITED', $ref: 'Problem#' },
        },
      },
    },
    async (request, reply) => {
      const token = bearerToken(request);
      const guest = token ? await authenticateGuest(db, token) : undefined;
      if (!guest) throw new AppError('UNAUTHENTICATED', 'Only a phone let in at the table can ask the staff from it.');
      const result = await requestFromTable(db, guest, request.body.kind);
      return reply.code(result.created ? 201 : 200).send(result);
    },
  );

  app.get<{ Querystring: { status?: TableRequestStatus } }>(
    '/api/table-requests',
    {
      preHandler: requireStaff(db, 'waiter', 'admin'),
      schema: {
        summary: "The restaurant's table requests: open ones oldest first (default), or the latest resolved",
        tags: ['tables'],
        security: [{ bearer: [] }],
        querystring: { type: 'object', additionalProperties: false, properties: { status: { type: 'string', enum: tableRequestStatuses } } },
        response: { 200: { type: 'object', properties: { requests: { type: 'array', items: { $ref: 'TableRequest#' } } } }, ...authProblems },
      },
    },
    async (request) => ({ requests: await listTableRequests(db, staffOf(request).restaurantId, request.query.status) }),
  );

  app.post<{ Params: { id: string } }>(
    '/api/table-requests/:id/resolve',
    {
      preHandler: requireStaff(db, 'waiter', 'admin'),
      schema: {
        summary: 'Mark a table request handled (who did it is recorded)',
        tags: ['tables'],
        security: [{ bearer: [] }],
        params: { type: 'object', required: ['id'], properties: { id } },
        response: { 200: { type: 'object', properties: { request: { $ref: 'TableRequest#' } } }, ...authProblems, 404: { $ref: 'Problem#' }, 409: { $ref: 'Problem#' } },
      },
    },
    async (request) => {
      const staff = staffOf(request);
      return { request: await resolveTableRequest(db, staff.restaurantId, request.params.id, actorOf(staff)) };
    },
  );
}
