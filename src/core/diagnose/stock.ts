// `comanda diagnose stock <item>`: why a guest sees "out of stock" (the spec's "Stock
// insuficiente o item no encontrado"). The spec estimates the original stock as
// `stock + ordered in the last 24 h`, which ignores restocks, cancellations and corrections; here
// every change of stock is a stock-ledger row (written by a trigger, whoever changes the stock),
// so the diagnosis reconciles stock with the ledger and points at the moment a change bypassed it.
import type { Database, Tx } from '../db/database.js';
import { num } from '../checks/check.js';
import { diagnose, LookupError, plural, resolveRestaurant, type Diagnosis, type Finding } from './diagnosis.js';

export interface StockDiagnoseOptions {
  restaurantId?: string;
  /** The quantity a guest tries to order (default 1). */
  quantity?: number;
  /** How many recent ledger movements to show (default 10). */
  movements?: number;
  /** Open orders older than this hold stock suspiciously long (default 240, SESSION_TTL_MINUTES' default). */
  staleOrderMinutes?: number;
}

interface ItemRow {
  id: string;
  restaurantId: string;
  name: string;
  categoryId: string;
  category: string;
  categoryActive: boolean;
  price: string;
  stock: number;
  stockState: string;
  isAvailable: boolean;
}

const ITEM_SQL = `
  SELECT mi.id, mi."restaurantId", mi.name, mi."categoryId", c.name AS category, c."isActive" AS "categoryActive",
         mi.price, mi.stock, restaurante.stock_state(mi.stock) AS "stockState", mi."isAvailable"
    FROM restaurante.menu_items mi JOIN restaurante.menu_categories c ON c.id = mi."categoryId"`;

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** A dish by id, or by name (exact, case-insensitive; else a unique partial match) within a restaurant. */
export async function resolveMenuItem(tx: Tx, ref: string, restaurantId?: string): Promise<ItemRow> {
  const byId = await tx.query<ItemRow>(`${ITEM_SQL} WHERE mi.id = $1 AND ($2::text IS NULL OR mi."restaurantId" = $2)`, [ref, restaurantId ?? null]);
  if (byId.rows[0]) return byId.rows[0];
  const restaurant = await resolveRestaurant(tx, restaurantId);
  for (const [match, param] of [
    ['lower(mi.name) = lower($2)', ref],
    [`mi.name ILIKE $2`, `%${escapeLike(ref)}%`],
  ] as const) {
    const { rows } = await tx.query<ItemRow>(`${ITEM_SQL} WHERE mi."restaurantId" = $1 AND ${match} ORDER BY mi.name, mi.id LIMIT 11`, [restaurant.id, param]);
    if (rows.length === 1) return rows[0]!;
    if (rows.length > 1) {
      const list = rows.slice(0, 10).map((r) => `${r.id} (${r.name})`).join(', ');
      throw new LookupError(`"${ref}" matches several dishes of ${restaurant.id}: ${list}${rows.length > 10 ? ', …' : ''}; give the id`);
    }
  }
  throw new LookupError(`no dish "${ref}" in restaurant ${restaurant.id} (by id or name); GET /api/admin/menu-items lists them`);
}

export async function diagnoseStock(db: Database, ref: string, options: StockDiagnoseOptions = {}): Promise<Diagnosis> {
  const quantity = options.quantity ?? 1;
  if (!Number.isInteger(quantity) || quantity < 1) throw new LookupError('the quantity must be a whole number of at least 1');
  return diagnose(db, async (tx) => {
    const item = await resolveMenuItem(tx, ref, options.restaurantId);
    const findings: Finding[] = [];

    findings.push({
      name: 'item',
      status: 'ok',
      summary: `"${item.name}" (${item.id}) of ${item.restaurantId}: stock ${item.stock} (${item.stockState}), ${item.isAvailable ? 'available' : 'NOT available'}, category "${item.category}"${item.categoryActive ? '' : ' (inactive)'}`,
      rows: [{ ...item, price: num(item.price) }],
    });

    // Stock against the ledger, and where a change bypassed it: in the ledger's order, each
    // movement must start from the stock the previous one left (gap = unrecorded change before it).
    const { rows: ledger } = await tx.query<{ movements: string; total: string | null; lastAfter: number | null }>(
      `SELECT count(*) AS movements, sum(delta) AS total,
              (array_agg("stockAfter" ORDER BY "createdAt" DESC, id DESC))[1] AS "lastAfter"
         FROM restaurante.stock_movements WHERE "menuItemId" = $1`,
      [item.id],
    );
    const ledgerTotal = num(ledger[0]?.total);
    const { rows: gaps } = await tx.query<{ before: Date; movementId: string; gap: number; expectedStart: number; recordedStart: number }>(
      `SELECT "createdAt" AS before, id AS "movementId", gap, prev AS "expectedStart", "stockAfter" - delta AS "recordedStart"
         FROM (SELECT id, "createdAt", delta, "stockAfter",
                      coalesce(lag("stockAfter") OVER (ORDER BY "createdAt", id), 0) AS prev,
                      "stockAfter" - delta - coalesce(lag("stockAfter") OVER (ORDER BY "createdAt", id), 0) AS gap
                 FROM restaurante.stock_movements WHERE "menuItemId" = $1) m
        WHERE gap <> 0
        ORDER BY "createdAt" DESC LIMIT 20`,
      [item.id],
    );
    const lastAfter = ledger[0]?.lastAfter ?? 0;
    const drift = [
      ...(item.stock !== lastAfter ? [{ where: 'after the last movement', change: item.stock - lastAfter, before: null, movementId: null }] : []),
      ...gaps.map((g) => ({ where: `before movement ${g.movementId}`, change: g.gap, before: g.before, movementId: g.movementId })),
    ];
    const agrees = item.stock === ledgerTotal;
    findings.push({
      name: 'ledger',
      status: !agrees ? 'critical' : drift.length ? 'warning' : 'ok',
      summary: agrees
        ? `stock ${item.stock} = the sum of its ${plural(num(ledger[0]?.movements), 'ledger movement')}${drift.length ? ', but the ledger has gaps that cancel out' : ''}`
        : `stock ${item.stock} but the ledger sums to ${ledgerTotal} (difference ${item.stock - ledgerTotal}): stock was changed without the ledger seeing it`,
      rows: drift.length ? drift : [{ stock: item.stock, ledger: ledgerTotal, movements: num(ledger[0]?.movements) }],
      advice:
        'someone changed menu_items.stock with the ledger trigger disabled (or session_replication_role = replica): find out who; then record the truth as a correction (POST /api/admin/menu-items/{id}/stock with reason "correction"), never with a bare UPDATE',
    });

    const limit = options.movements ?? 10;
    const { rows: recent } = await tx.query<Record<string, unknown>>(
      `SELECT "createdAt", delta, "stockAfter", reason, "orderId", actor, note
         FROM restaurante.stock_movements WHERE "menuItemId" = $1 ORDER BY "createdAt" DESC, id DESC LIMIT $2`,
      [item.id, limit],
    );
    const { rows: day } = await tx.query<{ reason: string; total: string }>(
      `SELECT reason, sum(delta) AS total FROM restaurante.stock_movements
        WHERE "menuItemId" = $1 AND "createdAt" > now() - interval '24 hours' GROUP BY reason ORDER BY reason`,
      [item.id],
    );
    findings.push({
      name: 'movements',
      status: 'ok',
      summary: day.length
        ? `last 24 h: ${day.map((d) => `${d.reason} ${num(d.total) > 0 ? '+' : ''}${num(d.total)}`).join(', ')}; newest ${recent.length} below`
        : `no stock movement in the last 24 h; newest ${recent.length} below`,
      rows: recent,
    });

    const stale = options.staleOrderMinutes ?? 240;
    const { rows: open } = await tx.query<{ orderId: string; orderNumber: string; status: string; lineStatus: string; quantity: number; orderedAt: Date; tableId: string | null; stale: boolean }>(
      `SELECT o.id AS "orderId", o."orderNumber", o.status::text, oi.status::text AS "lineStatus", oi.quantity, o."orderedAt", o."tableId",
              o."orderedAt" < now() - make_interval(secs => $2) AS stale
         FROM restaurante.order_items oi JOIN restaurante.orders o ON o.id = oi."orderId"
        WHERE oi."menuItemId" = $1 AND oi.status NOT IN ('SERVED', 'CANCELLED') AND o.status NOT IN ('SERVED', 'CANCELLED')
        ORDER BY o."orderedAt" LIMIT 50`,
      [item.id, stale * 60],
    );
    const held = open.reduce((n, r) => n + r.quantity, 0);
    const staleRows = open.filter((r) => r.stale);
    findings.push({
      name: 'open-orders',
      status: staleRows.length ? 'warning' : 'ok',
      summary: open.length
        ? `${plural(open.length, 'open order line')} hold ${held} (taken from stock when ordered)${staleRows.length ? `; ${staleRows.length} open for more than ${stale} min` : ''}`
        : 'no open order holds this dish',
      rows: open,
      advice: `orders open for more than ${stale} min still hold their stock: serve or cancel them (cancelling before cooking returns the stock through the ledger)`,
    });

    // Orders for this dish queueing on a row lock get 503 DATABASE_BUSY after the lock timeout,
    // which guests may read as "cannot order".
    const { rows: waiting } = await tx.query<{ pid: number; blockedBy: number[]; seconds: string }>(
      `SELECT pid, pg_blocking_pids(pid) AS "blockedBy", round(extract(epoch FROM now() - query_start)::numeric, 1) AS seconds
         FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND cardinality(pg_blocking_pids(pid)) > 0
          AND query ~* '(menu_items|place_order|decrease_menu_item_stock|create_order_with_stock_check)'`,
    );

    const reasons: Array<{ reason: string; guestSees: string; severity: 'warning' | 'critical' | 'info' }> = [];
    if (!item.isAvailable) reasons.push({ reason: 'the dish is marked unavailable', guestSees: '409 ITEM_UNAVAILABLE (CM001); the menu hides it', severity: 'warning' });
    if (!item.categoryActive) reasons.push({ reason: `its category "${item.category}" is inactive`, guestSees: 'the menu hides the dish', severity: 'warning' });
    if (item.stock <= 0) reasons.push({ reason: 'stock is 0', guestSees: '409 OUT_OF_STOCK ("Stock insuficiente", CM002); the menu says sold_out', severity: 'warning' });
    else if (item.stock < quantity) reasons.push({ reason: `stock ${item.stock} is less than the ${quantity} ordered`, guestSees: '409 OUT_OF_STOCK ("Stock insuficiente", CM002)', severity: 'warning' });
    else if (item.stockState === 'low') reasons.push({ reason: `stock is low (${item.stock})`, guestSees: 'the menu says low; orders of up to the stock succeed', severity: 'info' });
    if (waiting.length) {
      reasons.push({
        reason: `${plural(waiting.length, 'session')} wait on locks for this dish (blocked by ${[...new Set(waiting.flatMap((w) => w.blockedBy))].join(', ')})`,
        guestSees: '503 DATABASE_BUSY after DATABASE_LOCK_TIMEOUT_MS',
        severity: 'warning',
      });
    }
    if (!agrees) reasons.push({ reason: 'stock disagrees with the ledger', guestSees: 'whatever the wrong stock says', severity: 'critical' });
    const blocking = reasons.filter((r) => r.severity !== 'info');
    findings.push({
      name: 'orderable',
      status: reasons.some((r) => r.severity === 'critical') ? 'critical' : blocking.length ? 'warning' : 'ok',
      summary: blocking.length
        ? `a guest ordering ${quantity} gets refused: ${blocking.map((r) => r.reason).join('; ')}`
        : `an order of ${quantity} would succeed${reasons.length ? ` (${reasons.map((r) => r.reason).join('; ')})` : ''}; "item no encontrado" (CM003) means the id is wrong or belongs to another restaurant`,
      rows: reasons,
      advice: [
        !item.isAvailable || !item.categoryActive ? 'make it available again: POST /api/admin/menu-items/{id}/availability, PATCH /api/admin/categories/{id}' : undefined,
        item.stock < quantity ? 'restock through the ledger: POST /api/admin/menu-items/{id}/stock {"delta": N, "reason": "restock"}' : undefined,
        waiting.length ? 'see who holds the lock: comanda check blocking; end a stuck session with comanda terminate PID' : undefined,
        !agrees ? 'see the ledger finding' : undefined,
      ]
        .filter(Boolean)
        .join('; '),
    });

    return { subject: `menu item ${item.id} "${item.name}"`, findings };
  });
}
