// Menu management for admins: categories, dishes, prices, availability and stock (through the
// ledger). A thin shell over src/core/ordering/menu-admin.ts.
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../core/db/database.js';
import {
  adjustStock,
  adminStockReasons,
  allergenNames,
  createCategory,
  createMenuItem,
  listCategories,
  listMenuItems,
  listStockMovements,
  setCategoryOrder,
  setMenuItemAvailability,
  setMenuItemOrder,
  STOCK_LIMIT,
  STOCK_MOVEMENTS_LIMIT,
  STOCK_NOTE_MAX_LENGTH,
  updateCategory,
  updateMenuItem,
  type CategoryInput,
  type CategoryPatch,
  type MenuItemInput,
  type MenuItemPatch,
  type StockChange,
} from '../../core/ordering/menu-admin.js';
import { requireStaff, staffOf } from '../auth.js';
import { permissions } from '../../core/auth/roles.js';
import { authProblems } from '../openapi.js';

const id = { type: 'string', minLength: 1, maxLength: 100 } as const;
const timestamp = { type: 'string', format: 'date-time' } as const;
const sortOrder = { type: 'integer', minimum: -1_000_000, maximum: 1_000_000 } as const;
const price = {
  type: 'number',
  exclusiveMinimum: 0,
  exclusiveMaximum: 1000,
  description: 'In the restaurant currency: > 0 and < 1000, at most two decimals (a JSON number, not a string)',
} as const;
const allergens = {
  type: 'array',
  maxItems: allergenNames.length,
  uniqueItems: true,
  items: { type: 'string', enum: allergenNames },
  description: 'The 14 allergens of EU Regulation 1169/2011, Annex II',
} as const;
const categoryName = { type: 'string', minLength: 1, maxLength: 120, pattern: '\\S' } as const;
const itemName = { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' } as const;
const description = { type: ['string', 'null'], maxLength: 2000 } as const;

export const adminCategorySchema = {
  $id: 'AdminCategory',
  type: 'object',
  properties: {
    id: { type: 'string' },
    restaurantId: { type: 'string' },
    name: { type: 'string' },
    description: { type: ['string', 'null'] },
    sortOrder: { type: 'integer' },
    isActive: { type: 'boolean', description: 'Inactive categories and their dishes are not on the menu guests see' },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;

export const adminMenuItemSchema = {
  $id: 'AdminMenuItem',
  type: 'object',
  properties: {
    id: { type: 'string' },
    restaurantId: { type: 'string' },
    categoryId: { type: 'string' },
    name: { type: 'string' },
    description: { type: ['string', 'null'] },
    price: { type: 'number' },
    stock: { type: 'integer', description: 'The exact count (guests only see a stock state)' },
    isAvailable: { type: 'boolean' },
    allergens: { type: 'array', items: { type: 'string' } },
    sortOrder: { type: 'integer' },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;

export const stockMovementSchema = {
  $id: 'StockMovement',
  type: 'object',
  description: 'One row of the stock ledger: stock = sum(delta) over the dish\'s rows',
  properties: {
    id: { type: 'string' },
    menuItemId: { type: 'string' },
    delta: { type: 'integer' },
    stockAfter: { type: 'integer' },
    reason: { type: 'string', enum: ['initial', 'order', 'order_cancelled', 'restock', 'correction', 'manual'] },
    orderId: { type: ['string', 'null'] },
    actor: { type: ['string', 'null'] },
    note: { type: ['string', 'null'] },
    createdAt: timestamp,
  },
} as const;

const idParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id } } as const;
const categoryResponse = { type: 'object', properties: { category: { $ref: 'AdminCategory#' } } } as const;
const itemResponse = { type: 'object', properties: { item: { $ref: 'AdminMenuItem#' } } } as const;
const badRequest = {
  description: 'VALIDATION_FAILED (unknown field, bad price or allergen, …): `field` names the field, `errors[]` has `{path, field, message}` per problem',
  $ref: 'Problem#',
} as const;
const notFound = { description: 'NOT_FOUND (not in this restaurant)', $ref: 'Problem#' } as const;
const unprocessable = {
  description: 'CONSTRAINT_VIOLATION (with `constraint`) or REFERENCE_NOT_FOUND (categoryId not in this restaurant)',
  $ref: 'Problem#',
} as const;
const tags = ['admin'];
const security = [{ bearer: [] }];

export function adminMenuRoutes(app: FastifyInstance, db: Database): void {
  // Create and change take the same fields (a change needs at least one; stock changes go
  // through the ledger route).
  const categoryFields = { name: categoryName, description, sortOrder, isActive: { type: 'boolean' } } as const;
  const itemFields = { categoryId: id, name: itemName, description, price, isAvailable: { type: 'boolean' }, allergens, sortOrder } as const;

  app.addSchema(adminCategorySchema);
  app.addSchema(adminMenuItemSchema);
  app.addSchema(stockMovementSchema);
  const admin = requireStaff(db, ...permissions['menu.manage']);

  // -------------------------------------------------------------------------------------------
  // Categories
  // -------------------------------------------------------------------------------------------
  app.get(
    '/api/admin/categories',
    {
      preHandler: admin,
      schema: {
        summary: "The restaurant's menu categories, inactive ones included",
        tags,
        security,
        response: {
          200: { type: 'object', properties: { categories: { type: 'array', items: { $ref: 'AdminCategory#' } } } },
          ...authProblems,
        },
      },
    },
    async (request) => ({ categories: await listCategories(db, staffOf(request)) }),
  );

  app.post<{ Body: CategoryInput }>(
    '/api/admin/categories',
    {
      preHandler: admin,
      schema: {
        summary: 'Create a menu category',
        tags,
        security,
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: categoryFields,
        },
        response: { 201: categoryResponse, 400: badRequest, ...authProblems, 422: unprocessable },
      },
    },
    async (request, reply) => reply.code(201).send({ category: await createCategory(db, staffOf(request), request.body) }),
  );

  app.patch<{ Params: { id: string }; Body: CategoryPatch }>(
    '/api/admin/categories/:id',
    {
      preHandler: admin,
      schema: {
        summary: 'Change a menu category (name, description, order, active)',
        tags,
        security,
        params: idParams,
        body: {
          type: 'object',
          minProperties: 1,
          additionalProperties: false,
          properties: categoryFields,
        },
        response: { 200: categoryResponse, 400: badRequest, ...authProblems, 404: notFound, 422: unprocessable },
      },
    },
    async (request) => ({ category: await updateCategory(db, staffOf(request), request.params.id, request.body) }),
  );

  // The order: the whole list at once, so a move is one request and one transaction.
  const orderBody = {
    type: 'object',
    required: ['ids'],
    additionalProperties: false,
    properties: { ids: { type: 'array', maxItems: 1000, uniqueItems: true, items: id } },
  } as const;
  const conflict = {
    description: 'CONFLICT: `ids` is not exactly the current set (someone added or removed one meanwhile); reload',
    $ref: 'Problem#',
  } as const;

  app.put<{ Body: { ids: string[] } }>(
    '/api/admin/category-order',
    {
      preHandler: admin,
      schema: {
        summary: 'Put the menu categories in this order',
        description: `\`ids\` names every category of the restaurant once, in the new order; each gets sortOrder = position × 10.`,
        tags,
        security,
        body: orderBody,
        response: {
          200: { type: 'object', properties: { categories: { type: 'array', items: { $ref: 'AdminCategory#' } } } },
          400: badRequest,
          ...authProblems,
          409: conflict,
        },
      },
    },
    async (request) => ({ categories: await setCategoryOrder(db, staffOf(request), request.body.ids) }),
  );

  app.put<{ Params: { id: string }; Body: { ids: string[] } }>(
    '/api/admin/categories/:id/menu-items/order',
    {
      preHandler: admin,
      schema: {
        summary: "Put a category's dishes in this order",
        description: `\`ids\` names every dish of the category once, in the new order; each gets sortOrder = position × 10.`,
        tags,
        security,
        params: idParams,
        body: orderBody,
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: { $ref: 'AdminMenuItem#' } } } },
          400: badRequest,
          ...authProblems,
          404: notFound,
          409: conflict,
        },
      },
    },
    async (request) => ({ items: await setMenuItemOrder(db, staffOf(request), request.params.id, request.body.ids) }),
  );

  // -------------------------------------------------------------------------------------------
  // Dishes
  // -------------------------------------------------------------------------------------------
  app.get(
    '/api/admin/menu-items',
    {
      preHandler: admin,
      schema: {
        summary: "Every dish of the restaurant, unavailable ones included, with its exact stock",
        tags,
        security,
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: { $ref: 'AdminMenuItem#' } } } },
          ...authProblems,
        },
      },
    },
    async (request) => ({ items: await listMenuItems(db, staffOf(request)) }),
  );

  app.post<{ Body: MenuItemInput }>(
    '/api/admin/menu-items',
    {
      preHandler: admin,
      schema: {
        summary: 'Create a dish',
        description: "The initial stock (default 0) is recorded in the stock ledger as an 'initial' movement.",
        tags,
        security,
        body: {
          type: 'object',
          required: ['categoryId', 'name', 'price'],
          additionalProperties: false,
          properties: { ...itemFields, stock: { type: 'integer', minimum: 0, maximum: STOCK_LIMIT } },
        },
        response: { 201: itemResponse, 400: badRequest, ...authProblems, 422: unprocessable },
      },
    },
    async (request, reply) => reply.code(201).send({ item: await createMenuItem(db, staffOf(request), request.body) }),
  );

  app.patch<{ Params: { id: string }; Body: MenuItemPatch }>(
    '/api/admin/menu-items/:id',
    {
      preHandler: admin,
      schema: {
        summary: 'Change a dish (not its stock: see POST /api/admin/menu-items/{id}/stock)',
        tags,
        security,
        params: idParams,
        body: {
          type: 'object',
          minProperties: 1,
          additionalProperties: false,
          properties: itemFields,
        },
        response: { 200: itemResponse, 400: badRequest, ...authProblems, 404: notFound, 422: unprocessable },
      },
    },
    async (request) => ({ item: await updateMenuItem(db, staffOf(request), request.params.id, request.body) }),
  );

  app.post<{ Params: { id: string }; Body: { isAvailable: boolean } }>(
    '/api/admin/menu-items/:id/availability',
    {
      preHandler: admin,
      schema: {
        summary: 'Take a dish off the menu, or put it back (its stock is kept)',
        tags,
        security,
        params: idParams,
        body: {
          type: 'object',
          required: ['isAvailable'],
          additionalProperties: false,
          properties: { isAvailable: { type: 'boolean' } },
        },
        response: { 200: itemResponse, 400: badRequest, ...authProblems, 404: notFound },
      },
    },
    async (request) => ({ item: await setMenuItemAvailability(db, staffOf(request), request.params.id, request.body.isAvailable) }),
  );

  // -------------------------------------------------------------------------------------------
  // Stock, through the ledger
  // -------------------------------------------------------------------------------------------
  app.post<{ Params: { id: string }; Body: StockChange }>(
    '/api/admin/menu-items/:id/stock',
    {
      preHandler: admin,
      schema: {
        summary: "Change a dish's stock: a delivery (restock) or a count (correction), recorded in the ledger",
        description:
          'Give exactly one of `delta` (add, or remove with a negative number) and `set` (the counted stock). The change is one ' +
          'stock-ledger row with the reason, the note and who made it. A result below zero is 422 CONSTRAINT_VIOLATION ' +
          '(`constraint: check_stock_non_negative`) and changes nothing; a change of nothing is 400 VALIDATION_FAILED.',
        tags,
        security,
        params: idParams,
        body: {
          type: 'object',
          required: ['reason'],
          additionalProperties: false,
          properties: {
            delta: { type: 'integer', minimum: -STOCK_LIMIT, maximum: STOCK_LIMIT },
            set: { type: 'integer', minimum: -STOCK_LIMIT, maximum: STOCK_LIMIT },
            reason: { type: 'string', enum: adminStockReasons },
            note: { type: 'string', maxLength: STOCK_NOTE_MAX_LENGTH },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { item: { $ref: 'AdminMenuItem#' }, movement: { $ref: 'StockMovement#' } },
          },
          400: badRequest,
          ...authProblems,
          404: notFound,
          422: { description: 'CONSTRAINT_VIOLATION: the stock would go below zero (check_stock_non_negative; `field` is delta or set)', $ref: 'Problem#' },
          503: { description: 'DATABASE_BUSY: the dish is locked by orders; retry', $ref: 'Problem#' },
        },
      },
    },
    async (request) => {
      const { delta, set, reason, note } = request.body;
      return adjustStock(db, staffOf(request), request.params.id, { delta, set, reason, note });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/admin/menu-items/:id/stock-movements',
    {
      preHandler: admin,
      schema: {
        summary: `A dish's stock ledger, newest first (the last ${STOCK_MOVEMENTS_LIMIT})`,
        tags,
        security,
        params: idParams,
        response: {
          200: { type: 'object', properties: { movements: { type: 'array', items: { $ref: 'StockMovement#' } } } },
          ...authProblems,
          404: notFound,
        },
      },
    },
    async (request) => ({ movements: await listStockMovements(db, staffOf(request), request.params.id) }),
  );
}
