// Reading the state tests assert on: a dish's stock and price, and row counts.
import type pg from 'pg';

/** Anything that runs a query: a Database handle, a pg.Client or a pg.Pool. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
}

async function one<R extends pg.QueryResultRow>(db: Queryable, sql: string, params: unknown[], what: string): Promise<R> {
  const { rows } = await db.query<R>(sql, params);
  if (!rows[0]) throw new Error(`no ${what}`);
  return rows[0];
}

/** A dish's stock. */
export async function stockOf(db: Queryable, menuItemId: string): Promise<number> {
  return (await one<{ stock: number }>(db, 'SELECT stock FROM restaurante.menu_items WHERE id = $1', [menuItemId], `menu item ${menuItemId}`)).stock;
}

/** A dish's price as a number. */
export async function priceOf(db: Queryable, menuItemId: string): Promise<number> {
  return Number((await one<{ price: string }>(db, 'SELECT price FROM restaurante.menu_items WHERE id = $1', [menuItemId], `menu item ${menuItemId}`)).price);
}

/** Exact row counts of the given restaurante tables, keyed by table name. */
export async function rowCounts<T extends string>(db: Queryable, tables: readonly T[]): Promise<Record<T, number>> {
  const select = tables.map((table, i) => `(SELECT count(*) FROM restaurante.${table})::int AS c${i}`).join(', ');
  const row = await one<Record<string, number>>(db, `SELECT ${select}`, [], 'counts');
  return Object.fromEntries(tables.map((table, i) => [table, row[`c${i}`]!])) as Record<T, number>;
}

/**
 * Changes a dish's stock the way only a superuser can: with the ledger's trigger disabled, so the
 * change leaves no movement — for the checks and diagnostics that must notice it. Runs in one
 * transaction on `client`, which must be a single connection (a pg.Client).
 */
export async function changeStockBehindLedger(client: Queryable, menuItemId: string, delta: number): Promise<void> {
  await client.query('BEGIN');
  await client.query('ALTER TABLE restaurante.menu_items DISABLE TRIGGER menu_items_stock_ledger_update');
  await client.query('UPDATE restaurante.menu_items SET stock = stock + $2 WHERE id = $1', [menuItemId, delta]);
  await client.query('ALTER TABLE restaurante.menu_items ENABLE TRIGGER menu_items_stock_ledger_update');
  await client.query('COMMIT');
}
