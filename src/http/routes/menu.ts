import type { FastifyInstance } from 'fastify';
import type { Database } from '../../core/db/database.js';
import { AppError } from '../../core/errors.js';
import type { MenuCache } from '../../core/ordering/menu.js';
import { bearerToken } from '../auth.js';
import { authenticateGuest } from '../../core/ordering/table-sessions.js';
import { authenticateStaff } from '../../core/auth/staff-tokens.js';

const price = { type: 'number', description: 'In the restaurant currency, two decimals' };
export const menuSchema = {
  $id: 'Menu',
  type: 'object',
  properties: {
    restaurantId: { type: 'string' },
    name: { type: 'string' },
    currency: { type: 'string' },
    version: { type: 'integer', description: 'Changes whenever what guests see changes' },
    categories: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          description: { type: ['string', 'null'] },
          items: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: { type: 'string' },
                name: { type: 'string' },
                description: { type: ['string', 'null'] },
                price,
                allergens: { type: 'array', items: { type: 'string' } },
                stockState: { type: 'string', enum: ['in_stock', 'low', 'sold_out'] },
              },
            },
          },
        },
      },
    },
  },
} as const;

export function menuRoutes(app: FastifyInstance, db: Database, menus: MenuCache): void {
  app.addSchema(menuSchema);
  app.get<{ Querystring: { restaurantId?: string } }>(
    '/api/menu',
    {
      schema: {
        summary: "The live menu: categories with available dishes, prices, allergens and stock state",
        description:
          'The restaurant comes from `?restaurantId=` or, without it, from the caller\'s table session (or staff) token. ' +
          'Answers carry an ETag; send it back in If-None-Match to get 304 when nothing changed.',
        tags: ['menu'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { restaurantId: { type: 'string', minLength: 1, maxLength: 100 } },
        },
        response: { 200: { $ref: 'Menu#' }, 304: { type: 'null', description: 'Not modified' } },
      },
    },
    async (request, reply) => {
      let restaurantId = request.query.restaurantId;
      if (restaurantId === undefined) {
        // Only without ?restaurantId= does the menu cost a token lookup.
        const token = bearerToken(request);
        const principal = token ? ((await authenticateGuest(db, token)) ?? (await authenticateStaff(db, token))) : undefined;
        if (!principal) throw new AppError('VALIDATION_FAILED', 'Give ?restaurantId= or a table session token.');
        restaurantId = principal.restaurantId;
      }
      const menu = await menus.get(restaurantId);
      void reply.header('etag', menu.etag).header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === menu.etag) return reply.code(304).send();
      // The document is serialised once per version; a string with its content type set is sent as is.
      return reply.type('application/json; charset=utf-8').send(menu.json);
    },
  );
}
