// Checks that know this schema (roadmap §2.2, §3.2) and sequences (pghero-style: against the
// column's type, not the sequence's own maximum).
import type { Check } from './check.js';
import { grade, num } from './check.js';


export const sequences: Check = {
  name: 'sequences',
  description: 'Sequences feeding a column, as % of the largest value the column type can hold',
  unit: '% of the column type maximum',
  defaults: { warning: 75, critical: 90 },
  async run(tx, t) {
    const { rows } = await tx.query<{ sequence: string; column: string; type: string; last: string | null; pct: string }>(
      `SELECT format('%I.%I', sn.nspname, s.relname) AS sequence, format('%s.%I', d.refobjid::regclass, a.attname) AS column,
              format_type(a.atttypid, NULL) AS type, ps.last_value AS last,
              round(100.0 * coalesce(ps.last_value, 0) / CASE a.atttypid WHEN 'int2'::regtype THEN 32767
                                                                            WHEN 'int4'::regtype THEN 2147483647
                                                                            ELSE 9223372036854775807 END, 2) AS pct
         FROM pg_class s
         JOIN pg_namespace sn ON sn.oid = s.relnamespace
         JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
         JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
         JOIN pg_sequences ps ON ps.schemaname = sn.nspname AND ps.sequencename = s.relname
        WHERE s.relkind = 'S' AND sn.nspname NOT IN ('pg_catalog', 'information_schema')
        ORDER BY pct DESC`,
    );
    const top = rows.length ? num(rows[0]!.pct) : 0;
    const status = grade(top, t);
    const over = rows.filter((r) => num(r.pct) > t.warning);
    return {
      status,
      summary: over.length ? `${over.length} sequence${over.length === 1 ? '' : 's'} over ${t.warning} % of their column's range (highest ${top} %)` : `no sequence near its column's limit (highest ${top} %)`,
      rows: over.map((r) => ({ ...r, last: r.last === null ? null : num(r.last), pct: num(r.pct) })),
      advice: 'change the column to bigint before it runs out (a rewrite: plan it; or add a new bigint column and switch over)',
    };
  },
};

/** The roadmap's §2.1 rules and §2.2 "strong constraints", by table and name. */
const EXPECTED_CONSTRAINTS: Array<[table: string, name: string]> = [
  ['orders', 'check_total_amount_positive'],
  ['orders', 'check_email_format'],
  ['orders', 'check_order_source'],
  ['orders', 'orders_pkey'],
  ['orders', 'orders_orderNumber_key'],
  ['order_items', 'check_quantity_positive'],
  ['order_items', 'order_items_orderId_fkey'],
  ['menu_items', 'check_stock_non_negative'],
  ['menu_items', 'check_price_positive'],
  ['menu_items', 'menu_items_categoryId_fkey'],
  ['reservations', 'check_realistic_party_size'],
  ['reservation_tables', 'reservation_tables_no_overlap'],
];

export const constraintAudit: Check = {
  name: 'constraint-audit',
  description: "The roadmap's constraints (§2.1, §2.2) and the no-double-booking rule: present and validated; any NOT VALID foreign key",
  unit: 'constraints missing (critical) or not validated (warning)',
  defaults: { warning: 0, critical: 0 },
  async run(tx) {
    const { rows } = await tx.query<{ table: string; name: string; present: boolean; validated: boolean | null }>(
      `SELECT e.tbl AS table, e.name, c.oid IS NOT NULL AS present, c.convalidated AS validated
         FROM unnest($1::text[], $2::text[]) AS e(tbl, name)
         LEFT JOIN pg_constraint c ON c.conname = e.name AND c.conrelid = to_regclass('restaurante.' || quote_ident(e.tbl))
       UNION ALL
       SELECT c.conrelid::regclass::text, c.conname, true, false
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE n.nspname = 'restaurante' AND NOT c.convalidated AND NOT (c.conname = ANY($2::text[]))`,
      [EXPECTED_CONSTRAINTS.map(([table]) => table), EXPECTED_CONSTRAINTS.map(([, name]) => name)],
    );
    const missing = rows.filter((r) => !r.present);
    const unvalidated = rows.filter((r) => r.present && r.validated === false);
    const status = missing.length ? 'critical' : unvalidated.length ? 'warning' : 'ok';
    return {
      status,
      summary:
        status === 'ok'
          ? `all ${EXPECTED_CONSTRAINTS.length} constraints present and validated`
          : `${missing.length} missing, ${unvalidated.length} not validated`,
      rows: [...missing.map((r) => ({ ...r, problem: 'missing' })), ...unvalidated.map((r) => ({ ...r, problem: 'not validated' }))],
      advice:
        'restore missing constraints from the migrations (comanda migrate status shows drift); validate the others: ALTER TABLE … VALIDATE CONSTRAINT … (does not block writes)',
    };
  },
};

export const stockLedger: Check = {
  name: 'stock-ledger',
  description: 'Every dish: stock equals the sum of its stock-ledger movements (the roadmap §3.2 reconciliation, without an assumed initial stock)',
  unit: 'dishes that do not reconcile',
  defaults: { warning: 0, critical: 0 },
  async run(tx) {
    const { rows } = await tx.query<{ id: string; restaurantId: string; name: string; stock: number; ledger: string }>(
      `SELECT mi.id, mi."restaurantId", mi.name, mi.stock, coalesce(l.total, 0) AS ledger
         FROM restaurante.menu_items mi
         LEFT JOIN (SELECT "menuItemId", sum(delta) AS total FROM restaurante.stock_movements GROUP BY 1) l ON l."menuItemId" = mi.id
        WHERE mi.stock <> coalesce(l.total, 0)
        ORDER BY abs(mi.stock - coalesce(l.total, 0)) DESC`,
    );
    return {
      status: rows.length ? 'critical' : 'ok',
      summary: rows.length ? `${rows.length} dish${rows.length === 1 ? '' : 'es'} whose stock differs from the ledger` : 'stock matches the ledger for every dish',
      rows: rows.map((r) => ({ ...r, ledger: num(r.ledger), difference: r.stock - num(r.ledger) })),
      advice:
        'stock was changed with the ledger trigger disabled (or the ledger was edited): find out how, then record a correction through POST /api/admin/menu-items/{id}/stock',
    };
  },
};
