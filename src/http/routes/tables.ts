// QR scans (guests) and table management (staff): closing sessions, printing and rotating codes.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { actorOf } from '../../core/auth/principal.js';
import type { Database } from '../../core/db/database.js';
import {
  closeTableSession,
  qrCodeOf,
  qrUrlOf,
  rotateQrCode,
  scanQrCode,
  tableOf,
  type TableRef,
} from '../../core/ordering/table-sessions.js';
import { requireStaff, staffOf } from '../auth.js';
import { permissions } from '../../core/auth/roles.js';
import { authProblems } from '../openapi.js';
import type { RateLimiter } from '../../core/rate-limits.js';
import { clientIp, limitBy, MINUTE } from '../rate-limits.js';

export interface TableRoutesOptions {
  secret: string;
  publicUrl: string | undefined;
  sessionTtlMinutes: number;
  qrScansPerMinute: number;
  limiter: RateLimiter;
}

const tableParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 100 } } } as const;

export function tableRoutes(app: FastifyInstance, db: Database, options: TableRoutesOptions): void {
  const baseUrl = (request: FastifyRequest) => options.publicUrl ?? `${request.protocol}://${request.host}`;
  const printable = (request: FastifyRequest, table: TableRef & { number: number }) => ({
    tableId: table.id,
    number: table.number,
    qrVersion: table.qrVersion,
    code: qrCodeOf(options.secret, table),
    url: qrUrlOf(baseUrl(request), options.secret, table),
  });

  app.post<{ Body: { code: string } }>(
    '/api/qr/scan',
    {
      preHandler: limitBy(options.limiter, { name: 'qr-scan:ip', max: options.qrScansPerMinute, windowMs: MINUTE }, clientIp, 'scans'),
      schema: {
        summary: "Scan a table's QR code: opens the table's session, or asks to join the open one",
        description:
          'Returns a session token for `Authorization: Bearer`. The first phone of a session is let in at once; a later one is ' +
          '`pending` until a phone at the table or staff lets it in. Rate-limited per client IP, across all instances (429 + Retry-After).',
        tags: ['guests'],
        body: {
          type: 'object',
          required: ['code'],
          additionalProperties: false,
          properties: { code: { type: 'string', minLength: 3, maxLength: 200 } },
        },
        response: {
          201: {
            type: 'object',
            required: ['sessionToken', 'expiresAt', 'tableId', 'restaurantId'],
            properties: {
              sessionToken: { type: 'string' },
              expiresAt: { type: 'string', format: 'date-time' },
              tableId: { type: 'string' },
              restaurantId: { type: 'string' },
              joined: { type: 'boolean', description: 'true when the table already had an open session' },
              phone: { type: 'integer', description: "This phone's number within the session (1 opened it)" },
              pending: {
                type: 'boolean',
                description:
                  'true when the session was already open: this phone must be let in by a phone already at the table, or by staff ' +
                  '(POST /api/table-session/phones/{id}/approve), before its token can order; meanwhile GET /api/table-session shows its state',
              },
            },
          },
          404: { description: 'INVALID_QR_CODE', $ref: 'Problem#' },
          429: { description: 'RATE_LIMITED', $ref: 'Problem#' },
        },
      },
    },
    async (request, reply) => {
      const result = await scanQrCode(db, options.secret, request.body.code, {
        clientIp: request.ip || null,
        userAgent: request.headers['user-agent'] ?? null,
        sessionTtlMinutes: options.sessionTtlMinutes,
      });
      return reply.code(201).send({
        sessionToken: result.sessionToken,
        expiresAt: result.expiresAt.toISOString(),
        tableId: result.tableId,
        restaurantId: result.restaurantId,
        joined: result.joined,
        phone: result.phone,
        pending: result.pending,
      });
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/tables/:id/close',
    {
      preHandler: requireStaff(db, ...permissions['tables.close']),
      schema: {
        summary: "End the table's session: its guests' tokens stop working and the next party starts fresh",
        tags: ['tables'],
        security: [{ bearer: [] }],
        params: tableParams,
        response: {
          200: { type: 'object', properties: { tableId: { type: 'string' }, closedSessionId: { type: ['string', 'null'] } } },
          ...authProblems,
        },
      },
    },
    async (request) => {
      const staff = staffOf(request);
      return closeTableSession(db, staff.restaurantId, request.params.id, actorOf(staff));
    },
  );

  const printableSchema = {
    type: 'object',
    properties: {
      tableId: { type: 'string' },
      number: { type: 'integer' },
      qrVersion: { type: 'integer' },
      code: { type: 'string' },
      url: { type: 'string' },
    },
  } as const;

  app.get<{ Params: { id: string } }>(
    '/api/tables/:id/qr',
    {
      preHandler: requireStaff(db, ...permissions['tables.qr']),
      schema: {
        summary: "The table's QR code as data: its code and the URL it encodes",
        tags: ['tables'],
        security: [{ bearer: [] }],
        params: tableParams,
        response: { 200: printableSchema, ...authProblems },
      },
    },
    async (request) => printable(request, await tableOf(db, staffOf(request).restaurantId, request.params.id)),
  );

  for (const format of ['svg', 'png'] as const) {
    app.get<{ Params: { id: string } }>(
      `/api/tables/:id/qr.${format}`,
      {
        preHandler: requireStaff(db, ...permissions['tables.qr']),
        schema: {
          summary: `The table's printable QR code (${format.toUpperCase()})`,
          tags: ['tables'],
          security: [{ bearer: [] }],
          params: tableParams,
          produces: [format === 'svg' ? 'image/svg+xml' : 'image/png'],
        },
      },
      async (request, reply) => {
        const table = await tableOf(db, staffOf(request).restaurantId, request.params.id);
        const { url } = printable(request, table);
        void reply.header('cache-control', 'no-store').header('content-disposition', `inline; filename="mesa-${table.number}.${format}"`);
        if (format === 'svg') {
          return reply.type('image/svg+xml').send(await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }));
        }
        return reply.type('image/png').send(await QRCode.toBuffer(url, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 512 }));
      },
    );
  }

  app.post<{ Params: { id: string } }>(
    '/api/tables/:id/qr/rotate',
    {
      preHandler: requireStaff(db, ...permissions['tables.qr']),
      schema: {
        summary: "Invalidate the table's printed QR code (and end its session); returns the new one",
        tags: ['tables'],
        security: [{ bearer: [] }],
        params: tableParams,
        response: { 200: printableSchema, ...authProblems },
      },
    },
    async (request) => {
      const staff = staffOf(request);
      return printable(request, await rotateQrCode(db, staff.restaurantId, request.params.id, actorOf(staff)));
    },
  );
}
