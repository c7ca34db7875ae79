// The staff screens' live updates: one Server-Sent Events stream per screen, for the restaurant
// of its session (or bearer token). Each event is a nudge naming what changed — `orders`, `floor`,
// `requests`, `reservations`, `menu` — and the screen re-reads that part through the API, so the
// stream carries no data a role could not read anyway. The changes come from the database
// (LISTEN/NOTIFY, migration 0021), so a change made through any instance reaches every screen.
// Safety nets: `refresh` every 30 s (every 2 s when this instance has no LISTEN connection), and
// after the listener reconnects, tells screens to re-read everything; a revoked session, disabled
// account or revoked token ends the stream at the next check (every 15 s) with `event: signed-out`.
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../core/db/database.js';
import type { LiveChannel, LiveHub } from '../../core/live.js';
import { currentStaff, requireStaff, staffOf } from '../auth.js';
import type { Lifecycle } from '../lifecycle.js';
import { authProblems } from '../openapi.js';
import { EventStreams } from '../sse.js';

export const staffTopics = {
  orders: 'comanda_orders',
  floor: 'comanda_floor',
  requests: 'comanda_table_requests',
  reservations: 'comanda_reservations',
  menu: 'comanda_menu',
} as const satisfies Record<string, LiveChannel>;
export type StaffTopic = keyof typeof staffTopics;
const topicNames = Object.keys(staffTopics) as StaffTopic[];

export interface StaffEventsOptions {
  live: LiveHub;
  lifecycle?: Lifecycle;
  /** How often a stream re-checks its session and sends a `refresh` (tests shorten them). */
  recheckMs?: number;
  refreshMs?: number;
}

export function staffEventRoutes(app: FastifyInstance, db: Database, options: StaffEventsOptions): void {
  const events = new EventStreams(app, options.lifecycle);
  const recheckMs = options.recheckMs ?? 15_000;
  const refreshMs = options.refreshMs ?? 30_000;

  app.get<{ Querystring: { topics?: string } }>(
    '/api/staff/events',
    {
      preHandler: requireStaff(db),
      schema: {
        summary: "Server-Sent Events for staff screens: what changed in the restaurant, as nudges to re-read",
        description:
          'Query `topics`: a comma-separated subset of ' +
          topicNames.join(', ') +
          ' (all by default). Each change sends `event: <topic>` with an increasing id; `event: refresh` (periodically, ' +
          'and after the database connection came back) means re-read everything; `event: signed-out` ends the stream ' +
          'when the session or token stopped being valid. Changes come from the database, so they reach every instance.',
        tags: ['staff'],
        security: [{ bearer: [] }, { staffSession: [] }],
        produces: ['text/event-stream'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { topics: { type: 'string', maxLength: 100, pattern: `^(${topicNames.join('|')})(,(${topicNames.join('|')}))*$` } },
        },
        response: { 400: { $ref: 'Problem#' }, 401: authProblems[401], 403: authProblems[403] },
      },
    },
    (request, reply) => {
      const staff = staffOf(request);
      const topics = request.query.topics ? [...new Set(request.query.topics.split(',') as StaffTopic[])] : topicNames;
      const stream = events.open(request, reply);
      let sequence = Date.now();
      const send = (event: string) => stream.send(event, {}, String(++sequence));
      send('ready');
      const unsubscribe = topics.map((topic) => options.live.subscribe(staffTopics[topic], staff.restaurantId, () => send(topic)));
      let lastRefresh = Date.now();
      let lastWrite = Date.now();
      const tick = setInterval(() => {
        const now = Date.now();
        if (now - lastRefresh >= (options.live.live ? refreshMs : 2_000)) {
          lastRefresh = lastWrite = now;
          send('refresh');
        } else if (now - lastWrite >= 15_000) {
          lastWrite = now;
          stream.ping();
        }
      }, Math.min(2_000, refreshMs));
      const recheck = setInterval(() => {
        void currentStaff(db, request).then(
          (now) => {
            if (now && now.restaurantId === staff.restaurantId && now.role === staff.role) return;
            send('signed-out');
            reply.raw.end();
          },
          (err: unknown) => request.log.warn({ err }, 'staff events: re-checking the session failed'),
        );
      }, recheckMs);
      stream.onClose(() => {
        clearInterval(tick);
        clearInterval(recheck);
        for (const off of unsubscribe) off();
      });
    },
  );
}
