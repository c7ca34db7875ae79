// Menu management for a restaurant's admins: categories, dishes, prices, availability and stock.
//
// Every function works inside the caller's restaurant only (another restaurant's ids are
// NOT_FOUND, as if absent) and records who made the change (comanda.actor). Stock never changes
// here by a plain UPDATE of someone's say-so: adjustStock() locks the dish, says why through the
// transaction-local settings the ledger trigger reads (comanda.stock_reason, comanda.stock_note),
// and the trigger writes the stock_movements row, so stock = sum(ledger deltas) keeps holding.
// What guests see changes through the menu version triggers (0004), which menu caches check.
import { actorOf } from '../auth/principal.js';
import type { StaffPrincipal } from '../auth/staff-tokens.js';
import type { Database, Tx } from '../db/database.js';
import { AppError } from '../errors.js';

/** The 14 allergens of EU Regulation 1169/2011, Annex II: the list the menu_items CHECK allows. */
export const allergenNames = [
  'gluten',
  'crustaceans',
  'eggs',
  'fish',
  'peanuts',
  'soybeans',
  'milk',
  'nuts',
  'celery',
  'mustard',
  'sesame',
  'sulphites',
  'lupin',
  'molluscs',
] as const;
export type Allergen = (typeof allergenNames)[number];

/** Reasons an admin may give for a stock change (orders and cancellations write their own). */
export const adminStockReasons = ['restock', 'correction'] as const;
export type AdminStockReason = (typeof adminStockReasons)[number];

/** Prices are > 0 and < 1000 (check_price_positive) with at most two decimals (numeric(10, 2)). */
export const PRICE_MIN_EXCLUSIVE = 0;
export const PRICE_MAX_EXCLUSIVE = 1000;
/** Bounds on stock figures and changes, far from integer overflow. */
export const STOCK_LIMIT = 1_000_000;
export const STOCK_NOTE_MAX_LENGTH = 500;
export const STOCK_MOVEMENTS_LIMIT = 100;

export interface AdminCategory {
  id: string;
  restaurantId: string;
  name: string;
  description: string | null;
  sortOrder: number;
  isActive: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface AdminMenuItem {
  id: string;
  restaurantId: string;
  categoryId: string;
  name: string;
  description: string | null;
  price: number;
  /** The exact count (guests only see a stock state). */
  stock: number;
  isAvailable: boolean;
  allergens: Allergen[];
  sortOrder: number;
  createdAt: string;
  updatedAt: string;
}

export interface StockMovement {
  id: string;
  menuItemId: string;
  delta: number;
  stockAfter: number;
  reason: string;
  orderId: string | null;
  actor: string | null;
  note: string | null;
  createdAt: string;
}

export interface CategoryInput {
  name: string;
  description?: string | null;
  sortOrder?: number;
  isActive?: boolean;
}

export type CategoryPatch = Partial<CategoryInput>;

export interface MenuItemInput {
  categoryId: string;
  name: string;
  description?: string | null;
  price: number;
  stock?: number;
  isAvailable?: boolean;
  allergens?: Allergen[];
  sortOrder?: number;
}

/** Stock is not patchable: it changes through adjustStock() and the ledger. */
export type MenuItemPatch = Partial<Omit<MenuItemInput, 'stock'>>;

export interface StockChange {
  /** Add (or, negative, remove) this many; exactly one of `delta` and `set`. */
  delta?: number;
  /** Make the stock exactly this (a count). */
  set?: number;
  reason: AdminStockReason;
  note?: string;
}

export interface StockChangeResult {
  item: AdminMenuItem;
  movement: StockMovement;
}

const CATEGORY_COLUMNS = `id, "restaurantId", name, description, "sortOrder", "isActive", "createdAt", "updatedAt"`;
const itemColumns = (t = '') =>
  `${t}id, ${t}"restaurantId", ${t}"categoryId", ${t}name, ${t}description, ${t}price::float8 AS price, ${t}stock, ` +
  `${t}"isAvailable", ${t}allergens, ${t}"sortOrder", ${t}"createdAt", ${t}"updatedAt"`;
const ITEM_COLUMNS = itemColumns();
const MOVEMENT_COLUMNS = `id, "menuItemId", delta, "stockAfter", reason, "orderId", actor, note, "createdAt"`;

type Timestamped<T> = Omit<T, 'createdAt' | 'updatedAt'> & { createdAt: Date | string; updatedAt?: Date | string };
const iso = (value: Date | string): string => (value instanceof Date ? value.toISOString() : value);

function category(row: Timestamped<AdminCategory>): AdminCategory {
  return { ...row, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt ?? row.createdAt) };
}
function item(row: Timestamped<AdminMenuItem>): AdminMenuItem {
  return { ...row, price: Number(row.price), createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt ?? row.createdAt) };
}
function movement(row: Omit<StockMovement, 'createdAt'> & { createdAt: Date | string }): StockMovement {
  return { ...row, createdAt: iso(row.createdAt) };
}

function assertAdmin(staff: StaffPrincipal): void {
  if (staff.role !== 'admin') throw new AppError('FORBIDDEN', `Menu management needs the role admin; the token has ${staff.role}.`);
}

const writeOptions = (staff: StaffPrincipal, settings: Record<string, string> = {}) => ({
  settings: { 'comanda.actor': actorOf(staff), ...settings },
});

/** A price the database stores exactly: a finite number > 0 and < 1000 with at most 2 decimals. */
export function isValidPrice(price: unknown): price is number {
  if (typeof price !== 'number' || !Number.isFinite(price)) return false;
  if (price <= PRICE_MIN_EXCLUSIVE || price >= PRICE_MAX_EXCLUSIVE) return false;
  // Not `multipleOf: 0.01`, which binary floats get wrong (0.29 / 0.01 = 28.999999999999996).
  const cents = price * 100;
  return Math.abs(Math.round(cents) - cents) < 1e-9;
}

/**
 * A bad field, said the way Fastify's schema errors say it (src/http/problems.ts): the problem
 * names the `field`, and `errors` holds one `{path, field, message}`, so a form shows it there.
 */
export function fieldError(field: string, detail: string, message: string, code: 'VALIDATION_FAILED' | 'REFERENCE_NOT_FOUND' = 'VALIDATION_FAILED'): AppError {
  return new AppError(code, detail, { extra: { field, errors: [{ path: `/${field}`, field, message }] } });
}

function assertPrice(price: unknown): asserts price is number {
  if (!isValidPrice(price)) {
    throw fieldError(
      'price',
      'price must be a number greater than 0 and less than 1000, with at most two decimals.',
      'must be > 0 and < 1000 with at most two decimals',
    );
  }
}

function assertAllergens(allergens: unknown): void {
  if (!Array.isArray(allergens)) throw fieldError('allergens', 'allergens must be an array.', 'must be array');
  const unknown = allergens.filter((a) => !(allergenNames as readonly unknown[]).includes(a));
  if (unknown.length > 0) {
    throw fieldError(
      'allergens',
      `Unknown allergens: ${unknown.map(String).join(', ')}; use the EU names (${allergenNames.join(', ')}).`,
      'must be equal to one of the allowed values',
    );
  }
  if (new Set(allergens).size !== allergens.length) throw fieldError('allergens', 'allergens must not repeat.', 'must NOT have duplicate items');
}

function assertName(name: unknown): void {
  if (typeof name !== 'string' || name.trim() === '') throw fieldError('name', 'name must not be empty.', 'must not be empty');
}

/** `"column" = $n` for each field given; NOT_FOUND-free: the caller adds the WHERE. */
function assignments(patch: Record<string, unknown>, columns: Record<string, string>, params: unknown[]): string[] {
  const sets: string[] = [];
  for (const [field, column] of Object.entries(columns)) {
    const value = patch[field];
    if (value === undefined) continue;
    params.push(value);
    sets.push(`${column} = $${params.length}`);
  }
  return sets;
}

async function assertCategoryOf(tx: Tx, restaurantId: string, categoryId: string): Promise<void> {
  const { rowCount } = await tx.query('SELECT 1 FROM restaurante.menu_categories WHERE id = $1 AND "restaurantId" = $2', [
    categoryId,
    restaurantId,
  ]);
  if (rowCount === 0) {
    throw fieldError('categoryId', `No category ${categoryId} in this restaurant.`, 'no such category in this restaurant', 'REFERENCE_NOT_FOUND');
  }
}

// ---------------------------------------------------------------------------------------------
// Categories
// ---------------------------------------------------------------------------------------------

export async function listCategories(db: Database, staff: StaffPrincipal): Promise<AdminCategory[]> {
  assertAdmin(staff);
  const { rows } = await db.query<Timestamped<AdminCategory>>(
    `SELECT ${CATEGORY_COLUMNS} FROM restaurante.menu_categories WHERE "restaurantId" = $1 ORDER BY "sortOrder", name, id`,
    [staff.restaurantId],
    { readOnly: true },
  );
  return rows.map(category);
}

export async function createCategory(db: Database, staff: StaffPrincipal, input: CategoryInput): Promise<AdminCategory> {
  assertAdmin(staff);
  assertName(input.name);
  const { rows } = await db.query<Timestamped<AdminCategory>>(
    `INSERT INTO restaurante.menu_categories ("restaurantId", name, description, "sortOrder", "isActive")
     VALUES ($1, $2, $3, $4, $5) RETURNING ${CATEGORY_COLUMNS}`,
    [staff.restaurantId, input.name, input.description ?? null, input.sortOrder ?? 0, input.isActive ?? true],
    writeOptions(staff),
  );
  return category(rows[0]!);
}

export async function updateCategory(db: Database, staff: StaffPrincipal, categoryId: string, patch: CategoryPatch): Promise<AdminCategory> {
  assertAdmin(staff);
  if (patch.name !== undefined) assertName(patch.name);
  const params: unknown[] = [categoryId, staff.restaurantId];
  const sets = assignments(patch, { name: 'name', description: 'description', sortOrder: '"sortOrder"', isActive: '"isActive"' }, params);
  if (sets.length === 0) throw new AppError('VALIDATION_FAILED', 'Nothing to change: give at least one field.');
  const { rows } = await db.query<Timestamped<AdminCategory>>(
    `UPDATE restaurante.menu_categories SET ${sets.join(', ')} WHERE id = $1 AND "restaurantId" = $2 RETURNING ${CATEGORY_COLUMNS}`,
    params,
    writeOptions(staff),
  );
  if (!rows[0]) throw new AppError('NOT_FOUND', `No category ${categoryId} in this restaurant.`);
  return category(rows[0]);
}

// ---------------------------------------------------------------------------------------------
// Dishes
// ---------------------------------------------------------------------------------------------

/** Every dish of the restaurant, unavailable ones included, with its exact stock. */
export async function listMenuItems(db: Database, staff: StaffPrincipal): Promise<AdminMenuItem[]> {
  assertAdmin(staff);
  const { rows } = await db.query<Timestamped<AdminMenuItem>>(
    `SELECT ${itemColumns('i.')}
       FROM restaurante.menu_items i
       JOIN restaurante.menu_categories c ON c.id = i."categoryId" AND c."restaurantId" = i."restaurantId"
      WHERE i."restaurantId" = $1
      ORDER BY c."sortOrder", c.name, c.id, i."sortOrder", i.name, i.id`,
    [staff.restaurantId],
    { readOnly: true },
  );
  return rows.map(item);
}

export async function getMenuItem(db: Database, staff: StaffPrincipal, itemId: string): Promise<AdminMenuItem> {
  assertAdmin(staff);
  const { rows } = await db.query<Timestamped<AdminMenuItem>>(
    `SELECT ${ITEM_COLUMNS} FROM restaurante.menu_items WHERE id = $1 AND "restaurantId" = $2`,
    [itemId, staff.restaurantId],
    { readOnly: true },
  );
  if (!rows[0]) throw new AppError('NOT_FOUND', `No menu item ${itemId} in this restaurant.`);
  return item(rows[0]);
}

/** A new dish; its initial stock (0 by default) is the ledger's 'initial' row. */
export async function createMenuItem(db: Database, staff: StaffPrincipal, input: MenuItemInput): Promise<AdminMenuItem> {
  assertAdmin(staff);
  assertName(input.name);
  assertPrice(input.price);
  if (input.allergens !== undefined) assertAllergens(input.allergens);
  const stock = input.stock ?? 0;
  if (!Number.isInteger(stock) || stock < 0 || stock > STOCK_LIMIT) {
    throw fieldError('stock', `stock must be an integer between 0 and ${STOCK_LIMIT}.`, `must be an integer >= 0 and <= ${STOCK_LIMIT}`);
  }
  return db.transaction(async (tx) => {
    await assertCategoryOf(tx, staff.restaurantId, input.categoryId);
    const { rows } = await tx.query<Timestamped<AdminMenuItem>>(
      `INSERT INTO restaurante.menu_items
         ("restaurantId", "categoryId", name, description, price, stock, "isAvailable", allergens, "sortOrder")
       VALUES ($1, $2, $3, $4, $5::numeric, $6, $7, $8::text[], $9) RETURNING ${ITEM_COLUMNS}`,
      [
        staff.restaurantId,
        input.categoryId,
        input.name,
        input.description ?? null,
        input.price.toFixed(2),
        stock,
        input.isAvailable ?? true,
        input.allergens ?? [],
        input.sortOrder ?? 0,
      ],
    );
    return item(rows[0]!);
  }, writeOptions(staff));
}

/** Changes a dish's fields (not its stock: see adjustStock()). */
export async function updateMenuItem(db: Database, staff: StaffPrincipal, itemId: string, patch: MenuItemPatch): Promise<AdminMenuItem> {
  assertAdmin(staff);
  if ('stock' in patch) throw fieldError('stock', 'stock changes go through the stock ledger (POST …/stock).', 'changes through the stock ledger');
  if (patch.name !== undefined) assertName(patch.name);
  if (patch.price !== undefined) assertPrice(patch.price);
  if (patch.allergens !== undefined) assertAllergens(patch.allergens);
  const values: Record<string, unknown> = { ...patch, price: patch.price?.toFixed(2) };
  const params: unknown[] = [itemId, staff.restaurantId];
  const sets = assignments(
    values,
    {
      name: 'name',
      description: 'description',
      price: 'price',
      categoryId: '"categoryId"',
      isAvailable: '"isAvailable"',
      allergens: 'allergens',
      sortOrder: '"sortOrder"',
    },
    params,
  );
  if (sets.length === 0) throw new AppError('VALIDATION_FAILED', 'Nothing to change: give at least one field.');
  return db.transaction(async (tx) => {
    if (patch.categoryId !== undefined) await assertCategoryOf(tx, staff.restaurantId, patch.categoryId);
    const { rows } = await tx.query<Timestamped<AdminMenuItem>>(
      `UPDATE restaurante.menu_items SET ${sets.join(', ')} WHERE id = $1 AND "restaurantId" = $2 RETURNING ${ITEM_COLUMNS}`,
      params,
    );
    if (!rows[0]) throw new AppError('NOT_FOUND', `No menu item ${itemId} in this restaurant.`);
    return item(rows[0]);
  }, writeOptions(staff));
}

/** Takes a dish off the menu (or puts it back) without touching its stock. */
export async function setMenuItemAvailability(db: Database, staff: StaffPrincipal, itemId: string, isAvailable: boolean): Promise<AdminMenuItem> {
  return updateMenuItem(db, staff, itemId, { isAvailable });
}

// ---------------------------------------------------------------------------------------------
// Order: the whole list at once
// ---------------------------------------------------------------------------------------------

/** The sortOrder step between neighbours, so a hand-made PATCH can still slot one in between. */
export const SORT_STEP = 10;

/**
 * Writes `sortOrder` = (position + 1) × SORT_STEP for each id, in one transaction. `ids` must be
 * exactly the current set (`current`, locked by the caller): a list made before someone else
 * added or moved a row away is CONFLICT, so two admins reordering at once never lose a row.
 */
async function writeOrder(tx: Tx, table: 'menu_categories' | 'menu_items', restaurantId: string, current: string[], ids: string[]): Promise<void> {
  const wanted = new Set(ids);
  if (wanted.size !== ids.length) throw fieldError('ids', 'ids must not repeat.', 'must NOT have duplicate items');
  if (current.length !== ids.length || current.some((id) => !wanted.has(id))) {
    throw new AppError('CONFLICT', 'The list does not name exactly the current rows (someone added, removed or moved one meanwhile); reload and try again.', {
      extra: { field: 'ids', errors: [{ path: '/ids', field: 'ids', message: 'must list exactly the current rows' }] },
    });
  }
  // Only the rows whose place changes are written (each write bumps the menu version).
  await tx.query(
    `UPDATE restaurante.${table} AS t SET "sortOrder" = o.n * ${SORT_STEP}
       FROM unnest($2::text[]) WITH ORDINALITY AS o(id, n)
      WHERE t.id = o.id AND t."restaurantId" = $1 AND t."sortOrder" IS DISTINCT FROM o.n * ${SORT_STEP}`,
    [restaurantId, ids],
  );
}

/** Puts the restaurant's categories in this order (every category, each once). */
export async function setCategoryOrder(db: Database, staff: StaffPrincipal, ids: string[]): Promise<AdminCategory[]> {
  assertAdmin(staff);
  await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      'SELECT id FROM restaurante.menu_categories WHERE "restaurantId" = $1 ORDER BY id FOR UPDATE',
      [staff.restaurantId],
    );
    await writeOrder(tx, 'menu_categories', staff.restaurantId, rows.map((r) => r.id), ids);
  }, writeOptions(staff));
  return listCategories(db, staff);
}

/** Puts a category's dishes in this order (every dish of the category, each once). */
export async function setMenuItemOrder(db: Database, staff: StaffPrincipal, categoryId: string, ids: string[]): Promise<AdminMenuItem[]> {
  assertAdmin(staff);
  await db.transaction(async (tx) => {
    const { rowCount } = await tx.query('SELECT 1 FROM restaurante.menu_categories WHERE id = $1 AND "restaurantId" = $2 FOR SHARE', [
      categoryId,
      staff.restaurantId,
    ]);
    if (rowCount === 0) throw new AppError('NOT_FOUND', `No category ${categoryId} in this restaurant.`);
    // Locked in id order, as place_order locks dishes, so this never deadlocks with an order.
    const { rows } = await tx.query<{ id: string }>(
      'SELECT id FROM restaurante.menu_items WHERE "restaurantId" = $1 AND "categoryId" = $2 ORDER BY id FOR UPDATE',
      [staff.restaurantId, categoryId],
    );
    await writeOrder(tx, 'menu_items', staff.restaurantId, rows.map((r) => r.id), ids);
  }, writeOptions(staff));
  return (await listMenuItems(db, staff)).filter((i) => i.categoryId === categoryId);
}

// ---------------------------------------------------------------------------------------------
// Stock, through the ledger
// ---------------------------------------------------------------------------------------------

function assertStockChange(change: StockChange): void {
  const given = [change.delta, change.set].filter((v) => v !== undefined).length;
  if (given !== 1) throw fieldError('delta', 'Give exactly one of delta and set.', 'give exactly one of delta and set');
  const value = change.delta ?? change.set;
  const which = change.delta !== undefined ? 'delta' : 'set';
  if (!Number.isInteger(value) || Math.abs(value!) > STOCK_LIMIT) {
    throw fieldError(which, `${which} must be an integer between -${STOCK_LIMIT} and ${STOCK_LIMIT}.`, `must be an integer between -${STOCK_LIMIT} and ${STOCK_LIMIT}`);
  }
  if (!(adminStockReasons as readonly string[]).includes(change.reason)) {
    throw fieldError('reason', `reason must be one of ${adminStockReasons.join(', ')}.`, 'must be equal to one of the allowed values');
  }
  if (change.note !== undefined && change.note.length > STOCK_NOTE_MAX_LENGTH) {
    throw fieldError('note', `note must be at most ${STOCK_NOTE_MAX_LENGTH} characters.`, `must NOT have more than ${STOCK_NOTE_MAX_LENGTH} characters`);
  }
}

/**
 * Changes a dish's stock by `delta` or to `set`, writing one ledger row (reason, note, actor).
 * A result below zero is CONSTRAINT_VIOLATION (check_stock_non_negative) and writes nothing; a
 * change of nothing is VALIDATION_FAILED (the ledger has no zero rows).
 */
export async function adjustStock(db: Database, staff: StaffPrincipal, itemId: string, change: StockChange): Promise<StockChangeResult> {
  assertAdmin(staff);
  assertStockChange(change);
  return db.transaction(
    async (tx) => {
      // The row lock orders this change against orders and other adjustments of the dish, so
      // `set` computes its delta from the stock as it really is.
      const { rows: locked } = await tx.query<{ stock: number }>(
        'SELECT stock FROM restaurante.menu_items WHERE id = $1 AND "restaurantId" = $2 FOR UPDATE',
        [itemId, staff.restaurantId],
      );
      if (!locked[0]) throw new AppError('NOT_FOUND', `No menu item ${itemId} in this restaurant.`);
      const before = locked[0].stock;
      const after = change.set ?? before + change.delta!;
      const which = change.delta !== undefined ? 'delta' : 'set';
      if (after === before) throw fieldError(which, `The stock is already ${before}: nothing to change.`, 'changes nothing');
      // A negative result fails the CHECK here (23514, check_stock_non_negative) and rolls back.
      const { rows } = await tx
        .query<Timestamped<AdminMenuItem>>(
          `UPDATE restaurante.menu_items SET stock = $3 WHERE id = $1 AND "restaurantId" = $2 RETURNING ${ITEM_COLUMNS}`,
          [itemId, staff.restaurantId, after],
        )
        .catch((err: unknown) => {
          const { code, constraint } = err as { code?: unknown; constraint?: unknown };
          if (code !== '23514' || constraint !== 'check_stock_non_negative') throw err;
          throw new AppError('CONSTRAINT_VIOLATION', `The stock is ${before}; this change would make it ${after}, and stock cannot go below zero.`, {
            extra: { constraint, stock: before, field: which, errors: [{ path: `/${which}`, field: which, message: 'would make the stock negative' }] },
            cause: err,
          });
        });
      // The trigger's row: the newest of the dish, since we hold its lock.
      const { rows: written } = await tx.query<Omit<StockMovement, 'createdAt'> & { createdAt: Date }>(
        `SELECT ${MOVEMENT_COLUMNS} FROM restaurante.stock_movements
          WHERE "menuItemId" = $1 AND "restaurantId" = $2 ORDER BY "createdAt" DESC, id DESC LIMIT 1`,
        [itemId, staff.restaurantId],
      );
      const row = written[0];
      if (row?.delta !== after - before || row.stockAfter !== after) {
        throw new Error(`stock ledger row missing for menu item ${itemId}`);
      }
      return { item: item(rows[0]!), movement: movement(row) };
    },
    writeOptions(staff, {
      'comanda.stock_reason': change.reason,
      'comanda.stock_note': change.note ?? '',
      'comanda.stock_order_id': '',
    }),
  );
}

/** The dish's ledger, newest first. */
export async function listStockMovements(
  db: Database,
  staff: StaffPrincipal,
  itemId: string,
  limit: number = STOCK_MOVEMENTS_LIMIT,
): Promise<StockMovement[]> {
  assertAdmin(staff);
  return db.transaction(
    async (tx) => {
      const found = await tx.query('SELECT 1 FROM restaurante.menu_items WHERE id = $1 AND "restaurantId" = $2', [itemId, staff.restaurantId]);
      if (found.rowCount === 0) throw new AppError('NOT_FOUND', `No menu item ${itemId} in this restaurant.`);
      const { rows } = await tx.query<Omit<StockMovement, 'createdAt'> & { createdAt: Date }>(
        `SELECT ${MOVEMENT_COLUMNS} FROM restaurante.stock_movements
          WHERE "menuItemId" = $1 AND "restaurantId" = $2 ORDER BY "createdAt" DESC, id DESC LIMIT $3`,
        [itemId, staff.restaurantId, Math.min(Math.max(1, Math.trunc(limit)), STOCK_MOVEMENTS_LIMIT)],
      );
      return rows.map(movement);
    },
    { readOnly: true },
  );
}
