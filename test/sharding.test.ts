// The rule that makes sharding by restaurant possible (docs/scaling.md, "Sharding by restaurant"):
// with Citus, every table of `restaurante` is distributed by "restaurantId" (restaurants by its
// id), and Citus can enforce a primary key, unique index or exclusion constraint only when it
// includes the distribution column, and a foreign key between distributed tables only when it
// maps distribution column to distribution column. This test holds the current schema to that
// rule as a ratchet: the violations known today are listed below, and the list may only shrink.
// A new table, constraint or index that breaks the rule fails here.
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from './helpers/db.js';

/** Tables not distributed by restaurant: replicated to every node (Citus reference tables). None today. */
const REFERENCE_TABLES: string[] = [];

/** The distribution column of each distributed table: "restaurantId", except the restaurants themselves. */
const distributionColumn = (table: string): string => (table === 'restaurants' ? 'id' : 'restaurantId');

/**
 * Violations known and accepted (constraint or unique index names): none. The 30 of the first
 * schema (primary keys on id alone, unique token hashes and SMTP message id, three partial unique
 * indexes) were removed by the expand/contract migrations 0023-0056 (docs/scaling.md). Never add one.
 */
const KNOWN_VIOLATIONS: string[] = [];

const { db } = await useTestDatabase();

interface Finding {
  name: string;
  table: string;
  what: string;
}

async function findViolations(): Promise<{ violations: Finding[]; tables: string[]; unclassified: string[] }> {
  const { rows: tables } = await db.query<{ table: string; has_restaurant: boolean }>(
    `SELECT c.relname AS table,
            EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'restaurantId' AND NOT a.attisdropped) AS has_restaurant
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'restaurante' AND c.relkind IN ('r', 'p') ORDER BY 1`,
  );
  const reference = new Set(REFERENCE_TABLES);
  const distributed = new Set(tables.filter((t) => !reference.has(t.table)).map((t) => t.table));
  // A distributed table must have its distribution column.
  const unclassified = tables.filter((t) => distributed.has(t.table) && t.table !== 'restaurants' && !t.has_restaurant).map((t) => t.table);

  const violations: Finding[] = [];
  // Unique indexes (primary keys and unique constraints included): key columns must include the distribution column.
  const { rows: uniques } = await db.query<{ name: string; table: string; columns: string[] }>(
    `SELECT i.relname AS name, c.relname AS table,
            array(SELECT a.attname::text FROM unnest(x.indkey::int2[]) k(attnum) JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum) AS columns
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'restaurante' AND x.indisunique`,
  );
  for (const u of uniques) {
    if (distributed.has(u.table) && !u.columns.includes(distributionColumn(u.table))) {
      violations.push({ name: u.name, table: u.table, what: `unique on (${u.columns.join(', ')})` });
    }
  }
  // Exclusion constraints: the distribution column compared with =.
  const { rows: exclusions } = await db.query<{ name: string; table: string; columns: string[]; operators: string[] }>(
    `SELECT con.conname AS name, c.relname AS table,
            array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, i) JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.i) AS columns,
            array(SELECT o.oprname::text FROM unnest(con.conexclop) WITH ORDINALITY e(op, i) JOIN pg_operator o ON o.oid = e.op ORDER BY e.i) AS operators
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'restaurante' AND con.contype = 'x'`,
  );
  for (const x of exclusions) {
    if (!distributed.has(x.table)) continue;
    const at = x.columns.indexOf(distributionColumn(x.table));
    if (at < 0 || x.operators[at] !== '=') violations.push({ name: x.name, table: x.table, what: `exclusion on (${x.columns.join(', ')})` });
  }
  // Foreign keys: between distributed tables, distribution column to distribution column; never
  // from a reference table to a distributed one.
  const { rows: fks } = await db.query<{ name: string; table: string; target: string; columns: string[]; targets: string[] }>(
    `SELECT con.conname AS name, c.relname AS table, t.relname AS target,
            array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, i) JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.i) AS columns,
            array(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, i) JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.i) AS targets
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_class t ON t.oid = con.confrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'restaurante' AND con.contype = 'f'`,
  );
  for (const f of fks) {
    const what = `foreign key (${f.columns.join(', ')}) → ${f.target} (${f.targets.join(', ')})`;
    if (reference.has(f.table)) {
      if (distributed.has(f.target)) violations.push({ name: f.name, table: f.table, what: `${what}: from a reference table to a distributed one` });
      continue;
    }
    if (reference.has(f.target)) continue;
    const at = f.columns.indexOf(distributionColumn(f.table));
    if (at < 0 || f.targets[at] !== distributionColumn(f.target)) violations.push({ name: f.name, table: f.table, what });
  }
  return { violations, tables: tables.map((t) => t.table), unclassified };
}

describe('sharding by restaurant (Citus): the schema rule', () => {
  it('every table of restaurante is distributed by restaurant, or listed as a reference table', async () => {
    const { tables, unclassified } = await findViolations();
    expect(unclassified, 'a table without "restaurantId": add the column, or list it in REFERENCE_TABLES').toEqual([]);
    for (const table of REFERENCE_TABLES) expect(tables).toContain(table);
  });

  it('no primary key, unique index, exclusion constraint or foreign key breaks it, beyond the shrinking list of known violations', async () => {
    const { violations } = await findViolations();
    const known = new Set(KNOWN_VIOLATIONS);
    const fresh = violations.filter((v) => !known.has(v.name));
    expect(fresh.map((v) => `${v.table}: ${v.name}, ${v.what}`), 'include "restaurantId" (docs/scaling.md)').toEqual([]);
    const fixed = KNOWN_VIOLATIONS.filter((name) => !violations.some((v) => v.name === name));
    expect(fixed, 'fixed (or gone): remove from KNOWN_VIOLATIONS so the list only shrinks').toEqual([]);
    console.log(`sharding rule: ${violations.length} known violations left (${KNOWN_VIOLATIONS.length} listed), none new`);
  });
});
