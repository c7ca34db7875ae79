// Data integrity: sequences against the column they feed (pghero-style: against the column's type,
// not the sequence's own maximum), the spec's constraints, orphaned rows, the stock ledger, bookings
// against their tables, and disabled triggers (which silently stop what they guard).
import type { Check } from './check.js';
import { grade, num } from './check.js';

export const sequences: Check = {
  name: 'sequences',
  description: 'Sequences feeding a column, as % of the largest value the column type can hold',
  unit: '% of the column type maximum',
  defaults: { warning: 75, critical: 90 },
  async run(tx, t) {
    const { rows } = await tx.query<{ sequence: string; column: string; type: string; last: string | null; pct: string }>(
      `SELECT format('%I.%I', sn.nspname, s.relname) AS sequence, format('%I.%I.%I', tn.nspname, t.relname, a.attname) AS column,
              format_type(a.atttypid, NULL) AS type, ps.last_value AS last,
              round(100.0 * coalesce(ps.last_value, 0) / CASE a.atttypid WHEN 'int2'::regtype THEN 32767
                                                                            WHEN 'int4'::regtype THEN 2147483647
                                                                            ELSE 9223372036854775807 END, 2) AS pct
         FROM pg_class s
         JOIN pg_namespace sn ON sn.oid = s.relnamespace
         JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
         JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
         JOIN pg_class t ON t.oid = d.refobjid
         JOIN pg_namespace tn ON tn.oid = t.relnamespace
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

/** The spec's rules and "strong constraints", by table and name. */
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
  description: "The spec's constraints and the no-double-booking rule: present and validated; any NOT VALID foreign key",
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

interface ForeignKey {
  name: string;
  child: string;
  parent: string;
  childColumns: string[];
  parentColumns: string[];
  validated: boolean;
}

/** The anti-join that counts rows of a foreign key's table whose key finds no parent (MATCH SIMPLE: rows with a NULL in the key are not checked). */
function orphanQuery(fk: ForeignKey): string {
  const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const present = fk.childColumns.map((c) => `c.${q(c)} IS NOT NULL`).join(' AND ');
  const joins = fk.childColumns.map((c, i) => `p.${q(fk.parentColumns[i]!)} = c.${q(c)}`).join(' AND ');
  return `SELECT count(*) AS n FROM ${fk.child} c WHERE ${present} AND NOT EXISTS (SELECT 1 FROM ${fk.parent} p WHERE ${joins})`;
}

/**
 * Integrity (done right: docs/design.md#orphaned-table-ids): a validated, enforced foreign key cannot have orphans, so
 * the quick check scans only the keys that are NOT VALID or whose triggers are disabled, plus
 * reservations.table_ids (an array: no foreign key can guard it). The full check scans every key.
 */
function integrityCheck(full: boolean): Check {
  return {
    name: full ? 'integrity-full' : 'integrity',
    description: full
      ? 'Every foreign key of restaurante scanned for orphans, and reservations.table_ids (comanda check integrity --full; outside the doctor)'
      : 'Orphaned rows where nothing enforces the link: NOT VALID or disabled foreign keys, and reservations.table_ids (queries, without scanning what a validated key guarantees)',
    unit: 'orphaned rows (critical); unenforced keys (warning)',
    defaults: { warning: 0, critical: 0 },
    timeoutMs: full ? 600_000 : undefined,
    async run(tx) {
      const { rows: keys } = await tx.query<ForeignKey & { triggersEnabled: boolean }>(
        `SELECT c.conname AS name, c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent,
                array(SELECT attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY i)::text[] AS "childColumns",
                array(SELECT attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY i)::text[] AS "parentColumns",
                c.convalidated AS validated,
                NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgconstraint = c.oid AND t.tgenabled = 'D') AS "triggersEnabled"
           FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
          WHERE c.contype = 'f' AND n.nspname = 'restaurante'
          ORDER BY 2, 1`,
      );
      const rows: Array<Record<string, unknown>> = [];
      for (const fk of keys) {
        const enforced = fk.validated && fk.triggersEnabled;
        if (!full && enforced) continue;
        const { rows: count } = await tx.query<{ n: string }>(orphanQuery(fk));
        const orphans = num(count[0]?.n);
        if (orphans > 0 || !enforced) {
          rows.push({
            constraint: fk.name, table: fk.child, references: fk.parent, orphans,
            problem: orphans > 0 ? 'orphaned rows' : !fk.validated ? 'not validated' : 'triggers disabled',
          });
        }
      }
      const { rows: badTables } = await tx.query<{ id: string; restaurantId: string; invalid: string[] }>(
        `SELECT r.id, r."restaurantId", array_agg(x.table_id ORDER BY x.table_id) AS invalid
           FROM restaurante.reservations r CROSS JOIN LATERAL unnest(r.table_ids) AS x(table_id)
          WHERE NOT EXISTS (SELECT 1 FROM restaurante.tables t WHERE t.id = x.table_id AND t."restaurantId" = r."restaurantId")
          GROUP BY r.id, r."restaurantId"`,
      );
      for (const r of badTables) {
        rows.push({ constraint: 'reservations.table_ids', table: 'restaurante.reservations', references: 'restaurante.tables', orphans: r.invalid.length, problem: 'orphaned rows', reservation: r.id, invalidTables: r.invalid });
      }
      const orphaned = rows.filter((r) => r.problem === 'orphaned rows');
      const total = orphaned.reduce((s, r) => s + num(r.orphans), 0);
      const unenforced = rows.length - orphaned.length;
      const status = orphaned.length ? 'critical' : unenforced ? 'warning' : 'ok';
      return {
        status,
        summary:
          status === 'ok'
            ? full
              ? `no orphans in ${keys.length} foreign keys and reservations.table_ids`
              : `all ${keys.length} foreign keys validated and enforced; reservations.table_ids all point at tables`
            : `${total} orphaned row${total === 1 ? '' : 's'}${unenforced ? `, ${unenforced} foreign key${unenforced === 1 ? '' : 's'} not enforced` : ''}`,
        rows,
        advice:
          'orphans: find how they got in (disabled triggers, session_replication_role = replica, a restore without constraints), then repair or delete them; unenforced keys: ALTER TABLE … VALIDATE CONSTRAINT … / ENABLE TRIGGER ALL; run comanda check integrity --full after a restore',
      };
    },
  };
}

export const integrity = integrityCheck(false);
export const integrityFull = integrityCheck(true);

/**
 * Stock against the ledger (reconciliation, without an assumed initial stock).
 * The quick check compares each dish's stock with the stockAfter of its latest movement (one index
 * probe per dish: a stock changed behind the ledger's trigger no longer matches it); the full
 * check sums every movement, which also proves the movements add up.
 */
function stockLedgerCheck(full: boolean): Check {
  return {
    name: full ? 'stock-ledger-full' : 'stock-ledger',
    description: full
      ? 'Every dish: stock equals the sum of all its stock-ledger movements (comanda check stock-ledger --full; outside the doctor)'
      : "Every dish: stock equals the stock its latest stock-ledger movement left (reconciliation, without an assumed initial stock)",
    unit: 'dishes that do not reconcile',
    defaults: { warning: 0, critical: 0 },
    timeoutMs: full ? 600_000 : undefined,
    async run(tx) {
      const { rows } = await tx.query<{ id: string; restaurantId: string; name: string; stock: number; ledger: string | null }>(
        full
          ? `SELECT mi.id, mi."restaurantId", mi.name, mi.stock, coalesce(l.total, 0) AS ledger
               FROM restaurante.menu_items mi
               LEFT JOIN (SELECT "menuItemId", sum(delta) AS total FROM restaurante.stock_movements GROUP BY 1) l ON l."menuItemId" = mi.id
              WHERE mi.stock <> coalesce(l.total, 0)`
          : `SELECT mi.id, mi."restaurantId", mi.name, mi.stock, coalesce(l."stockAfter", 0) AS ledger
               FROM restaurante.menu_items mi
               LEFT JOIN LATERAL (SELECT sm."stockAfter" FROM restaurante.stock_movements sm
                                   WHERE sm."menuItemId" = mi.id ORDER BY sm."createdAt" DESC LIMIT 1) l ON true
              WHERE mi.stock <> coalesce(l."stockAfter", 0)`,
      );
      const found = rows
        .map((r) => ({ ...r, ledger: num(r.ledger), difference: r.stock - num(r.ledger) }))
        .sort((a, b) => Math.abs(b.difference) - Math.abs(a.difference));
      return {
        status: found.length ? 'critical' : 'ok',
        summary: found.length ? `${found.length} dish${found.length === 1 ? '' : 'es'} whose stock differs from the ledger` : 'stock matches the ledger for every dish',
        rows: found,
        advice:
          'stock was changed with the ledger trigger disabled (or the ledger was edited): comanda diagnose stock <dish> shows where; then record a correction through POST /api/admin/menu-items/{id}/stock',
      };
    },
  };
}

export const stockLedger = stockLedgerCheck(false);
export const stockLedgerFull = stockLedgerCheck(true);

export const reservationConflicts: Check = {
  name: 'reservation-conflicts',
  description:
    'Bookings that disagree with their tables: overlapping active holds of one table (only if the exclusion constraint is gone), table_ids out of step with the held tables, holds active for cancelled bookings or not for live ones, upcoming bookings without a table or with too few seats',
  unit: 'bookings in conflict',
  defaults: { warning: 0, critical: 0 },
  async run(tx) {
    const { rows } = await tx.query<{ problem: string; reservation: string; other: string | null; table: string | null }>(
      `SELECT 'double booked' AS problem, a."reservationId" AS reservation, b."reservationId" AS other, a."tableId" AS table
         FROM restaurante.reservation_tables a
         JOIN restaurante.reservation_tables b ON b."restaurantId" = a."restaurantId" AND b."tableId" = a."tableId"
              AND b.occupied && a.occupied AND b."reservationId" > a."reservationId" AND b.active
        WHERE a.active
       UNION ALL
       SELECT 'table_ids differ from the held tables', r.id, NULL, NULL
         FROM restaurante.reservations r
        WHERE r.table_ids IS DISTINCT FROM coalesce((SELECT array_agg(rt."tableId" ORDER BY rt."tableId")
                                                       FROM restaurante.reservation_tables rt WHERE rt."reservationId" = r.id), '{}')
       UNION ALL
       SELECT CASE WHEN rt.active THEN 'table held by a finished or cancelled booking' ELSE 'live booking not holding its table' END,
              r.id, NULL, rt."tableId"
         FROM restaurante.reservations r JOIN restaurante.reservation_tables rt ON rt."reservationId" = r.id
        WHERE rt.active <> (r.status IN ('PENDING', 'CONFIRMED', 'SEATED'))
       UNION ALL
       SELECT CASE WHEN count(rt."tableId") = 0 THEN 'upcoming booking without a table' ELSE 'tables seat fewer than the party' END,
              r.id, NULL, NULL
         FROM restaurante.reservations r
         LEFT JOIN restaurante.reservation_tables rt ON rt."reservationId" = r.id
         LEFT JOIN restaurante.tables t ON t.id = rt."tableId" AND t."restaurantId" = rt."restaurantId"
        WHERE r.status IN ('PENDING', 'CONFIRMED') AND r.time > now()
        GROUP BY r.id, r."partySize"
       HAVING count(rt."tableId") = 0 OR coalesce(sum(t.capacity), 0) < r."partySize"`,
    );
    const bookings = new Set(rows.map((r) => r.reservation)).size;
    return {
      status: rows.length ? 'critical' : 'ok',
      summary: rows.length ? `${bookings} booking${bookings === 1 ? '' : 's'} in conflict (${[...new Set(rows.map((r) => r.problem))].join('; ')})` : 'every booking agrees with its tables',
      rows,
      advice:
        'comanda diagnose reservation <id> shows each booking, its tables and its history; a double booking means reservation_tables_no_overlap is missing or was bypassed (see the constraint-audit check): move one party (PATCH the booking) and restore the constraint',
    };
  },
};

export const disabledTriggers: Check = {
  name: 'disabled-triggers',
  description: "Any disabled trigger on a user table (ALTER TABLE … DISABLE TRIGGER): a disabled stock-ledger or audit trigger, or a foreign key's internal trigger, silently stops what it guards",
  unit: 'disabled triggers',
  defaults: { warning: 0, critical: 0 },
  async run(tx, t) {
    const { rows } = await tx.query<{ table: string; trigger: string; internal: boolean; constraint: string | null }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS table, tg.tgname AS trigger, tg.tgisinternal AS internal, con.conname AS constraint
         FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_constraint con ON con.oid = tg.tgconstraint
        WHERE tg.tgenabled = 'D' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
        ORDER BY 1, 2`,
    );
    const quoteTrigger = (name: string) => `"${name.replace(/"/g, '""')}"`;
    return {
      status: grade(rows.length, t),
      summary: rows.length ? `${rows.length} disabled trigger${rows.length === 1 ? '' : 's'}: ${rows.slice(0, 5).map((r) => `${r.table}.${r.trigger}`).join(', ')}` : 'no disabled trigger',
      rows: rows.map((r) => ({ ...r, fix: r.internal ? `ALTER TABLE ${r.table} ENABLE TRIGGER ALL` : `ALTER TABLE ${r.table} ENABLE TRIGGER ${quoteTrigger(r.trigger)}` })),
      advice:
        'enable them (the fix column has the SQL); then look for what changed while they were off: comanda check stock-ledger, comanda check integrity --full',
    };
  },
};
