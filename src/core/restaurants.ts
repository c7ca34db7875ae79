// "The restaurant" a command or diagnosis is for, chosen one way everywhere: the id given (it
// must exist), else the only restaurant in the database; several and none given is ambiguous and
// refused with the ids to choose from. No default id is ever assumed.
import type { Queryable } from './db/database.js';

/** A reference the caller gave matches nothing, several things, or is malformed. */
export class LookupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LookupError';
  }
}

export async function resolveRestaurant(db: Queryable, restaurantId?: string): Promise<{ id: string; timezone: string }> {
  if (restaurantId !== undefined) {
    const { rows } = await db.query<{ id: string; timezone: string }>('SELECT id, timezone FROM restaurante.restaurants WHERE id = $1', [restaurantId]);
    if (!rows[0]) throw new LookupError(`no restaurant "${restaurantId}"`);
    return rows[0];
  }
  const { rows } = await db.query<{ id: string; timezone: string }>('SELECT id, timezone FROM restaurante.restaurants ORDER BY id LIMIT 11');
  if (rows.length === 0) throw new LookupError('there is no restaurant in this database (seed one with `comanda seed demo`)');
  if (rows.length > 1) {
    const ids = rows.slice(0, 10).map((r) => r.id).join(', ');
    throw new LookupError(`several restaurants (${ids}${rows.length > 10 ? ', …' : ''}): say which with --restaurant ID`);
  }
  return rows[0]!;
}
