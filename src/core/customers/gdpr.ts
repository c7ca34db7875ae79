// GDPR: find a customer, export all their personal data as JSON, erase it (anonymise, keeping
// financial records), and the retention job. Every export and erasure is in the audit log.
// Backups keep erased data until their retention ends (docs/gdpr.md).
import type { Database, Tx } from '../db/database.js';
import { AppError } from '../errors.js';

export interface CustomerSummary {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  createdAt: Date;
  anonymizedAt: Date | null;
}

async function audit(tx: Tx, restaurantId: string, actor: string, action: string, subjectId: string | null, details: object): Promise<void> {
  await tx.query(
    `INSERT INTO restaurante.audit_log ("restaurantId", actor, action, "subjectId", details) VALUES ($1, $2, $3, $4, $5)`,
    [restaurantId, actor, action, subjectId, JSON.stringify(details)],
  );
}

export async function findCustomers(db: Database, restaurantId: string, email: string): Promise<CustomerSummary[]> {
  const { rows } = await db.query<CustomerSummary>(
    `SELECT id, name, email, phone, "createdAt", "anonymizedAt" FROM restaurante.customers
      WHERE "restaurantId" = $1 AND lower(email) = lower($2)`,
    [restaurantId, email],
    { readOnly: true },
  );
  return rows;
}

/** Everything held about one customer, from every table that holds it. */
export async function exportCustomer(db: Database, restaurantId: string, customerId: string, actor: string): Promise<Record<string, unknown>> {
  return db.transaction(async (tx) => {
    const { rows: customers } = await tx.query<CustomerSummary & { language: string | null }>(
      `SELECT id, name, email, phone, language, "createdAt", "updatedAt", "anonymizedAt" FROM restaurante.customers
        WHERE id = $1 AND "restaurantId" = $2`,
      [customerId, restaurantId],
    );
    const customer = customers[0];
    if (!customer) throw new AppError('NOT_FOUND', 'No such customer.');
    const email = customer.email?.toLowerCase() ?? null;
    const q = async (sql: string, params: unknown[] = [restaurantId, customerId, email]): Promise<unknown[]> =>
      (await tx.query<Record<string, unknown>>(sql, params)).rows;
    const data = {
      exportedAt: new Date().toISOString(),
      customer,
      consents: await q(`SELECT purpose, granted, method, "recordedAt", details FROM restaurante.customer_consents
                          WHERE "restaurantId" = $1 AND "customerId" = $2 ORDER BY "recordedAt"`, [restaurantId, customerId]),
      reservations: await q(`SELECT r.id, r.status, r.time, r."partySize", r."customerName", r."customerEmail", r."customerPhone", r.language, r.notes,
                                    r.table_ids AS "tableIds", r."createdAt",
                                    coalesce((SELECT jsonb_agg(jsonb_build_object('menuItemId', ri."menuItemId", 'quantity', ri.quantity, 'notes', ri.notes))
                                                FROM restaurante.reservation_items ri WHERE ri."reservationId" = r.id), '[]') AS items
                               FROM restaurante.reservations r
                              WHERE r."restaurantId" = $1 AND (r."customerId" = $2 OR ($3::text IS NOT NULL AND lower(r."customerEmail") = $3))
                              ORDER BY r.time`),
      orders: await q(`SELECT restaurante.order_json(o.id) AS order FROM restaurante.orders o
                        WHERE o."restaurantId" = $1 AND (o."customerId" = $2 OR ($3::text IS NOT NULL AND lower(o.customer_email) = $3))
                        ORDER BY o."orderedAt"`),
      emails: await q(`SELECT email_type AS type, recipient_email AS recipient, status, sent_at AS "sentAt", created_at AS "createdAt"
                         FROM restaurante.email_logs e
                        WHERE e."restaurantId" = $1 AND (e.customer_id = $2 OR ($3::text IS NOT NULL AND lower(e.recipient_email) = $3)
                              OR e.reservation_id IN (SELECT id FROM restaurante.reservations WHERE "customerId" = $2))
                        ORDER BY created_at`),
      qrScans: await q(`SELECT s.table_id AS "tableId", host(s.client_ip) AS "clientIp", s.user_agent AS "userAgent", s.scanned_at AS "scannedAt"
                          FROM restaurante.qr_scans s
                         WHERE s."restaurantId" = $1 AND s.session_id IN (
                               SELECT o."sessionId" FROM restaurante.orders o
                                WHERE o."restaurantId" = $1 AND (o."customerId" = $2 OR ($3::text IS NOT NULL AND lower(o.customer_email) = $3)))
                         ORDER BY s.scanned_at`),
    };
    await audit(tx, restaurantId, actor, 'customer.export', customerId, {});
    return data;
  });
}

/** Anonymises a customer's personal data everywhere; financial records stay. Returns what changed. */
export async function eraseCustomer(db: Database, restaurantId: string, customerId: string, actor: string): Promise<Record<string, number>> {
  return db.transaction(
    async (tx) => {
      const { rows } = await tx.query<{ counts: Record<string, number> | null }>('SELECT restaurante.erase_customer($1, $2) AS counts', [
        restaurantId,
        customerId,
      ]);
      const counts = rows[0]?.counts;
      if (!counts) throw new AppError('NOT_FOUND', 'No such customer.');
      await audit(tx, restaurantId, actor, 'customer.erase', customerId, counts);
      return counts;
    },
    { settings: { 'comanda.actor': actor } },
  );
}

/**
 * The retention job: customers with no reservation or order for `days` are anonymised, and
 * QR-scan IPs and user agents older than that are cleared. Returns what it did.
 */
export async function applyRetention(db: Database, days: number, actor = 'retention'): Promise<{ customers: number; qrScans: number }> {
  const { rows } = await db.query<{ id: string; restaurantId: string }>(
    `SELECT c.id, c."restaurantId" FROM restaurante.customers c
      WHERE c."anonymizedAt" IS NULL AND c."createdAt" < now() - make_interval(days => $1)
        AND NOT EXISTS (SELECT 1 FROM restaurante.reservations r WHERE r."customerId" = c.id AND r.time >= now() - make_interval(days => $1))
        AND NOT EXISTS (SELECT 1 FROM restaurante.orders o WHERE o."restaurantId" = c."restaurantId"
                          AND (o."customerId" = c.id OR lower(o.customer_email) = lower(c.email))
                          AND o."orderedAt" >= now() - make_interval(days => $1))
      LIMIT 1000`,
    [days],
  );
  for (const row of rows) {
    await db.transaction(
      async (tx) => {
        const { rows: erased } = await tx.query<{ counts: object }>('SELECT restaurante.erase_customer($1, $2) AS counts', [row.restaurantId, row.id]);
        await audit(tx, row.restaurantId, actor, 'retention.anonymize', row.id, erased[0]?.counts ?? {});
      },
      { settings: { 'comanda.actor': actor } },
    );
  }
  const { rowCount } = await db.query(
    `UPDATE restaurante.qr_scans SET client_ip = NULL, user_agent = NULL
      WHERE scanned_at < now() - make_interval(days => $1) AND (client_ip IS NOT NULL OR user_agent IS NOT NULL)`,
    [days],
  );
  return { customers: rows.length, qrScans: rowCount ?? 0 };
}
