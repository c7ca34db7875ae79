// Reservations: availability and booking (anyone), the guest's link (view / confirm / cancel),
// and the day's book for staff.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf } from '../../core/auth/principal.js';
import type { Database } from '../../core/db/database.js';
import { AppError } from '../../core/errors.js';
import {
  actByToken,
  availability,
  book,
  listForDay,
  regenerateToken,
  reservationStatuses,
  updateReservation,
  viewByToken,
  type BookingInput,
  type BookingMode,
  type ReservationSettings,
  type ReservationStatus,
} from '../../core/reservations/reservations.js';
import { dayPlan } from '../../core/reservations/day.js';
import { bearerToken, optionalPrincipal, requireStaff, staffOf } from '../auth.js';
import type { BookingLimits } from '../../config.js';
import { can, permissions } from '../../core/auth/roles.js';
import type { RateLimiter } from '../../core/rate-limits.js';
import { clientIp, HOUR } from '../rate-limits.js';
import { authProblems } from '../openapi.js';

const id = { type: 'string', minLength: 1, maxLength: 100 } as const;
/** A booking's tables, chosen by staff: one table that seats the party, or an active combination. */
const tableIds = (description: string) => ({ type: 'array', minItems: 1, maxItems: 12, uniqueItems: true, items: id, description }) as const;
const date = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD, local to the restaurant' } as const;
/** ISO 8601 with seconds optional and an offset or Z: the instant is unambiguous. */
const instant = {
  type: 'string',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})$',
  description: 'ISO 8601 with an offset, e.g. 2026-12-24T21:00:00+01:00',
} as const;

export const reservationSchema = {
  $id: 'Reservation',
  type: 'object',
  properties: {
    id: { type: 'string' },
    restaurantId: { type: 'string' },
    status: { type: 'string', enum: reservationStatuses },
    time: { type: 'string' },
    date: { type: 'string' },
    partySize: { type: 'integer' },
    durationMinutes: { type: 'integer', description: 'How long the party has the table (the buffer comes after)' },
    tableIds: { type: 'array', items: { type: 'string' } },
    customerName: { type: 'string' },
    customerEmail: { type: ['string', 'null'] },
    customerPhone: { type: ['string', 'null'] },
    language: { type: ['string', 'null'] },
    notes: { type: ['string', 'null'] },
    holdExpiresAt: {
      type: ['string', 'null'],
      format: 'date-time',
      description: 'A booking made without a staff token is released at this time unless the guest confirms it from the e-mail',
    },
    items: { type: 'array', items: { type: 'object', properties: { menuItemId: { type: 'string' }, quantity: { type: 'integer' } } } },
  },
} as const;
const reservationResponse = { type: 'object', properties: { reservation: { $ref: 'Reservation#' } } } as const;

/**
 * The guest's token: `Authorization: Bearer`, or `{"token": …}` in a JSON body; `?token=` (as the
 * e-mailed links carry it) is still read, and logs redact it, but API clients should not put it in
 * a URL (URLs end up in histories, proxies' logs and Referer headers).
 */
function linkToken(request: FastifyRequest<{ Querystring: { token?: string }; Body?: { token?: string } | null }>): string {
  const body = request.body;
  const token = bearerToken(request) ?? (body && typeof body === 'object' ? body.token : undefined) ?? request.query.token;
  if (!token) throw new AppError('TOKEN_INVALID', 'Send the link token as Authorization: Bearer <token> or {"token": "…"} in the body.');
  return token;
}

export interface ReservationRoutesOptions extends ReservationSettings {
  limiter: RateLimiter;
  bookings: BookingLimits;
}

export function reservationRoutes(app: FastifyInstance, db: Database, settings: ReservationRoutesOptions): void {
  const { limiter, bookings } = settings;
  const perIp = { name: 'bookings:ip', max: bookings.perIpPerHour, windowMs: HOUR };
  const perEmail = { name: 'bookings:email', max: bookings.perEmailPerHour, windowMs: HOUR };
  /** Staff of the restaurant book without limits (and the booking is CONFIRMED); anyone else holds. */
  const bookingMode = async (request: FastifyRequest<{ Body: BookingInput }>): Promise<BookingMode> => {
    const principal = request.principal;
    if (principal?.kind === 'staff' && principal.restaurantId === request.body.restaurantId && can(principal.role, 'reservations.book')) {
      return { kind: 'staff', actor: actorOf(principal) };
    }
    const email = request.body.customerEmail;
    if (email === undefined) throw new AppError('VALIDATION_FAILED', "body must have required property 'customerEmail'", {
        extra: { errors: [{ path: '/', message: "must have required property 'customerEmail'" }] },
      });
    const ip = clientIp(request);
    await limiter.enforce(perIp, ip, 'bookings from this address');
    await limiter.enforce(perEmail, email.toLowerCase(), 'bookings for this e-mail address');
    return {
      kind: 'guest',
      hold: { minutes: bookings.holdMinutes, client: limiter.clientKey('bookings:hold', ip), maxPerEmail: bookings.maxHoldsPerEmail, maxPerIp: bookings.maxHoldsPerIp },
    };
  };
  app.addSchema(reservationSchema);
  const tags = ['reservations'];

  app.get<{ Querystring: { restaurantId: string; date: string; partySize: string } }>(
    '/api/availability',
    {
      schema: {
        summary: 'Bookable start times of a day for a party size',
        tags,
        querystring: {
          type: 'object',
          required: ['restaurantId', 'date', 'partySize'],
          additionalProperties: false,
          properties: { restaurantId: id, date, partySize: { type: 'string', pattern: '^[0-9]{1,2}$' } },
        },
        response: { 200: { type: 'object', properties: { slots: { type: 'array', items: { type: 'string' } } } } },
      },
    },
    async (request) => {
      const partySize = Number(request.query.partySize);
      if (partySize < 1 || partySize > 50) throw new AppError('VALIDATION_FAILED', 'partySize must be between 1 and 50');
      return { slots: await availability(db, request.query.restaurantId, request.query.date, partySize) };
    },
  );

  app.post<{ Body: BookingInput; Headers: { 'idempotency-key'?: string } }>(
    '/api/reservations',
    {
      preHandler: optionalPrincipal(db),
      schema: {
        summary: 'Book a table: the smallest free table or combination that seats the party (staff may choose the tables)',
        description:
          'A double booking is impossible: the database refuses overlapping table intervals (buffer included). No free table → 409 ' +
          'TABLE_ALREADY_RESERVED with `alternatives`. The confirmation e-mail carries the guest\'s link. Idempotency-Key as for orders. ' +
          'Without a staff token the booking is a hold: PENDING until the guest confirms it from the e-mail, released after ' +
          'RESERVATION_HOLD_MINUTES; limited per client IP and per e-mail address (429 RATE_LIMITED) and in open holds (429 ' +
          'TOO_MANY_HOLDS); it never changes an existing customer\'s data or consents (they are merged when the guest confirms). ' +
          'With a staff token of the restaurant: no limits, CONFIRMED at once, the e-mail address may be left out, and `tableIds` ' +
          'chooses the tables: those tables or nowhere (taken → 409 TABLE_ALREADY_RESERVED with `alternatives`, the nearest times ' +
          'those tables are free that day, and `freeTables`, the options free at the asked time).',
        tags,
        headers: {
          type: 'object',
          properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' } },
        },
        body: {
          type: 'object',
          required: ['restaurantId', 'partySize', 'time', 'customerName'],
          additionalProperties: false,
          properties: {
            restaurantId: id,
            partySize: { type: 'integer', minimum: 1, maximum: 50 },
            time: instant,
            customerName: { type: 'string', minLength: 1, maxLength: 200 },
            customerEmail: {
              type: 'string',
              format: 'email',
              maxLength: 254,
              description: 'Required, except for staff of the restaurant booking for a guest (a phone call): then no e-mail is sent',
            },
            customerPhone: { type: 'string', pattern: '^\\+?[0-9 ()-]{6,20}$' },
            language: { type: 'string', enum: ['es', 'en'] },
            notes: { type: 'string', maxLength: 1000 },
            marketingConsent: { type: 'boolean', description: 'The guest\'s answer to "send me news and offers" (recorded as a consent)' },
            tableIds: tableIds(
              'Staff of the restaurant only (anyone else: 403 FORBIDDEN): book these tables — active tables of the restaurant, one that ' +
                'seats the party or an active combination — instead of the smallest free option. Unknown or inactive → 422 ' +
                'REFERENCE_NOT_FOUND; too small → 422 PARTY_TOO_LARGE; taken → 409 TABLE_ALREADY_RESERVED with `alternatives` and `freeTables`',
            ),
            items: {
              type: 'array',
              maxItems: 30,
              items: {
                type: 'object',
                required: ['menuItemId', 'quantity'],
                additionalProperties: false,
                properties: { menuItemId: id, quantity: { type: 'integer', minimum: 1, maximum: 100 } },
              },
            },
          },
        },
        response: {
          201: reservationResponse,
          403: { description: 'FORBIDDEN: `tableIds` without a staff token of the restaurant', $ref: 'Problem#' },
          409: { description: 'TABLE_ALREADY_RESERVED (with `alternatives`; for chosen tables also `freeTables`)', $ref: 'Problem#' },
          422: {
            description: 'SLOT_UNAVAILABLE, PARTY_TOO_LARGE (also: the chosen tables do not seat the party), REFERENCE_NOT_FOUND (an item not on the menu, or no such active table)',
            $ref: 'Problem#',
          },
          429: { description: 'RATE_LIMITED or TOO_MANY_HOLDS', $ref: 'Problem#' },
        },
      },
    },
    async (request, reply) => {
      const mode = await bookingMode(request);
      const result = await book(db, request.body, settings, request.headers['idempotency-key'], mode);
      if (result.replayed) void reply.header('idempotent-replayed', 'true');
      return reply.code(201).send({ reservation: result.reservation });
    },
  );

  const tokenQuery = { type: 'object', additionalProperties: false, properties: { token: { type: 'string', maxLength: 200 } } } as const;
  const tokenProblems = {
    401: { description: 'TOKEN_INVALID', $ref: 'Problem#' },
    409: { description: 'TOKEN_USED or INVALID_TRANSITION', $ref: 'Problem#' },
    410: { description: 'TOKEN_EXPIRED', $ref: 'Problem#' },
  } as const;

  app.get<{ Querystring: { token?: string } }>(
    '/api/reservations/by-token',
    { schema: { summary: "The guest's view of their reservation", tags, querystring: tokenQuery, response: { 200: reservationResponse, ...tokenProblems } } },
    async (request) => ({ reservation: await viewByToken(db, settings.secret, linkToken(request)) }),
  );
  for (const [action, to] of [['confirm', 'CONFIRMED'], ['cancel', 'CANCELLED']] as const) {
    app.post<{ Querystring: { token?: string }; Body: { token?: string } | null }>(
      `/api/reservations/by-token/${action}`,
      {
        schema: {
          summary: `The guest ${action}s their reservation (each link token acts once)`,
          description:
            'The token in `Authorization: Bearer`, or as `{"token": "…"}` in a JSON body (or, from e-mailed links, `?token=`). ' +
            'Confirming answers with a fresh link token (`token`) with which the guest can still view and cancel the booking.',
          tags,
          querystring: tokenQuery,
          body: { type: ['object', 'null'], additionalProperties: false, properties: { token: { type: 'string', maxLength: 200 } } },
          response: {
            200: {
              type: 'object',
              properties: {
                reservation: { $ref: 'Reservation#' },
                token: { type: 'string', description: 'After confirming: a new link token (view, cancel)' },
              },
            },
            ...tokenProblems,
          },
        },
      },
      async (request) => {
        const { token, ...reservation } = await actByToken(db, settings.secret, linkToken(request), to, settings.tokenTtlDays);
        return token ? { reservation, token } : { reservation };
      },
    );
  }

  app.get<{ Querystring: { date: string } }>(
    '/api/admin/reservations',
    {
      preHandler: requireStaff(db),
      schema: {
        summary: "The day's book",
        tags,
        security: [{ bearer: [] }],
        querystring: { type: 'object', required: ['date'], additionalProperties: false, properties: { date } },
        response: { 200: { type: 'object', properties: { reservations: { type: 'array', items: { $ref: 'Reservation#' } } } }, ...authProblems },
      },
    },
    async (request) => ({ reservations: await listForDay(db, staffOf(request), request.query.date) }),
  );

  const localTime = { type: 'string', description: 'Local ISO 8601 time with offset' } as const;
  app.get<{ Querystring: { date: string } }>(
    '/api/admin/reservation-day',
    {
      preHandler: requireStaff(db),
      schema: {
        summary: "A day's plan: the service windows, the tables and the bookings with the tables they hold",
        description:
          'For the bookings page: `windows` are the opening hours of that local date (or its exception; empty when closed), `tables` ' +
          'the active tables by number, `combinations` the active table combinations, `reservations` as in the day\'s book (the kitchen gets no contact details).',
        tags,
        security: [{ bearer: [] }],
        querystring: { type: 'object', required: ['date'], additionalProperties: false, properties: { date } },
        response: {
          200: {
            type: 'object',
            properties: {
              date: { type: 'string' },
              timezone: { type: 'string' },
              slotMinutes: { type: 'integer' },
              bufferMinutes: { type: 'integer' },
              windows: { type: 'array', items: { type: 'object', properties: { opens: localTime, closes: localTime } } },
              tables: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { id: { type: 'string' }, number: { type: 'integer' }, capacity: { type: 'integer' }, location: { type: ['string', 'null'] } },
                },
              },
              combinations: {
                type: 'array',
                items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, tableIds: { type: 'array', items: { type: 'string' } } } },
              },
              turnMinutes: {
                type: 'array',
                items: { type: 'integer' },
                description: 'The turn of a party of n at index n − 1 (n = 1…50), in minutes: how long it holds its tables (the buffer comes after)',
              },
              reservations: { type: 'array', items: { $ref: 'Reservation#' } },
            },
          },
          ...authProblems,
        },
      },
    },
    async (request) => dayPlan(db, staffOf(request), request.query.date),
  );

  app.patch<{ Params: { id: string }; Body: { status?: ReservationStatus; time?: string; partySize?: number; tableIds?: string[] } }>(
    '/api/admin/reservations/:id',
    {
      preHandler: requireStaff(db, ...permissions['reservations.edit']),
      schema: {
        summary: 'Confirm, seat, complete, cancel, mark no-show, or move to another time, party size or tables',
        description:
          'PENDING → CONFIRMED → SEATED → COMPLETED; CANCELLED or NO_SHOW before seating; anything else 409 INVALID_TRANSITION. A move ' +
          're-assigns tables under the same constraint (409 TABLE_ALREADY_RESERVED with alternatives). With `tableIds` the booking goes ' +
          'on those tables or nowhere: taken → 409 TABLE_ALREADY_RESERVED with `alternatives` (the nearest times those tables are ' +
          'free that day) and `freeTables` (the options free at the asked time).',
        tags,
        security: [{ bearer: [] }],
        params: { type: 'object', required: ['id'], properties: { id } },
        body: {
          type: 'object',
          minProperties: 1,
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: reservationStatuses },
            time: instant,
            partySize: { type: 'integer', minimum: 1, maximum: 50 },
            tableIds: tableIds('Put the booking on these tables (one that seats the party, or an active combination) instead of the smallest free option'),
          },
        },
        response: {
          200: reservationResponse,
          409: { description: 'INVALID_TRANSITION, or TABLE_ALREADY_RESERVED with `alternatives` (and, for chosen tables, `freeTables`)', $ref: 'Problem#' },
          422: { description: 'SLOT_UNAVAILABLE, PARTY_TOO_LARGE (also: the chosen tables do not seat the party), REFERENCE_NOT_FOUND (no such table)', $ref: 'Problem#' },
          ...authProblems,
        },
      },
    },
    async (request) => ({ reservation: await updateReservation(db, staffOf(request), request.params.id, request.body) }),
  );

  app.post<{ Params: { id: string } }>(
    '/api/admin/reservations/:id/token',
    {
      preHandler: requireStaff(db, ...permissions['reservations.tokens']),
      schema: {
        summary: "Issue a new link token for the guest (the spec's \"Failed to create reservation token\")",
        tags,
        security: [{ bearer: [] }],
        params: { type: 'object', required: ['id'], properties: { id } },
        response: {
          201: { type: 'object', properties: { reservationId: { type: 'string' }, token: { type: 'string' }, expiresAt: { type: 'string' } } },
          ...authProblems,
        },
      },
    },
    async (request, reply) => {
      const staff = staffOf(request);
      const issued = await regenerateToken(db, staff.restaurantId, request.params.id, settings, actorOf(staff));
      return reply.code(201).send({ reservationId: issued.reservationId, token: issued.token, expiresAt: issued.expiresAt.toISOString() });
    },
  );
}
