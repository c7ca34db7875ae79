// The demo restaurant (rest_enigma_001): idempotent SQL in seeds/, safe to run at every start.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Database } from './db/database.js';

export const DEMO_RESTAURANT_ID = 'rest_enigma_001';
const demoSeed = fileURLToPath(new URL('../../seeds/demo-restaurant.sql', import.meta.url));

/** Inserts the demo restaurant where missing; returns true when it was created now. */
export async function seedDemo(db: Database): Promise<boolean> {
  const sql = await readFile(demoSeed, 'utf8');
  return db.transaction(
    async (tx) => {
      const before = await tx.query('SELECT 1 FROM restaurante.restaurants WHERE id = $1', [DEMO_RESTAURANT_ID]);
      await tx.query(sql);
      return before.rowCount === 0;
    },
    { statementTimeoutMs: 30_000, settings: { 'comanda.actor': 'seed' } },
  );
}
