// GDPR: find a customer, export all their personal data as JSON, erase it (anonymise, keeping
// financial records), and the retention job. Every export and erasure is in the audit log.
// Backups keep erased data until their retention ends (docs/gdpr.md).
import { rm } from 'node:fs/promises';
import path from 'node:path';
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

/**
 * The customers with an e-mail address. A guest who only left the address on orders or bookings
 * made before every address had a customer record gets one now (and those orders and bookings
 * are linked to it), so they can be exported and erased like anyone.
 */
export async function findCustomers(db: Database, restaurantId: string, email: string): Promise<CustomerSummary[]> {
  return db.transaction(async (tx) => {
    await tx.query(
      `WITH adopted AS (
         INSERT INTO restaurante.customers ("restaurantId", email)
         SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM restaurante.orders WHERE "restaurantId" = $1 AND lower(customer_email) = lower($2))
                          OR EXISTS (SELECT 1 FROM restaurante.reservations WHERE "restaurantId" = $1 AND lower("customerEmail") = lower($2))
         ON CONFLICT ("restaurantId", lower(email)) WHERE email IS NOT NULL DO NOTHING
         RETURNING id),
       orders AS (
         UPDATE restaurante.orders o SET "customerId" = adopted.id FROM adopted
          WHERE o."restaurantId" = $1 AND lower(o.customer_email) = lower($2) AND o."customerId" IS NULL RETURNING o.id)
       UPDATE restaurante.reservations r SET "customerId" = adopted.id FROM adopted
        WHERE r."restaurantId" = $1 AND lower(r."customerEmail") = lower($2) AND r."customerId" IS NULL`,
      [restaurantId, email],
    );
    const { rows } = await tx.query<CustomerSummary>(
      `SELECT id, name, email, phone, "createdAt", "anonymizedAt" FROM restaurante.customers
        WHERE "restaurantId" = $1 AND lower(email) = lower($2)`,
      [restaurantId, email],
    );
    return rows;
  });
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

/**
 * The copies of e-mails written as files (the outbox of the file transport, `file:<path>`) among
 * the e-mails `where` selects; their provider ids are cleared. The files are deleted by the caller
 * once the transaction committed.
 */
async function takeOutboxFiles(tx: Tx, where: string, params: unknown[]): Promise<string[]> {
  const { rows } = await tx.query<{ file: string }>(
    `WITH taken AS (
       SELECT id, substr(provider_message_id, 6) AS file FROM restaurante.email_logs e
        WHERE provider_message_id LIKE 'file:%' AND (${where}) FOR UPDATE)
     UPDATE restaurante.email_logs e SET provider_message_id = 'file:[erased]' FROM taken WHERE e.id = taken.id
     RETURNING taken.file`,
    params,
  );
  // Only what the file transport writes: absolute paths of .eml files.
  return rows.map((r) => r.file).filter((file) => path.isAbsolute(file) && file.endsWith('.eml'));
}

async function deleteFiles(files: string[]): Promise<void> {
  await Promise.all(files.map((file) => rm(file, { force: true })));
}

/** The e-mails of one customer: theirs by id, by address, or about their orders and bookings. */
const CUSTOMER_EMAILS = `e."restaurantId" = $1 AND (e.customer_id = $2 OR ($3::text IS NOT NULL AND lower(e.recipient_email) = $3)
  OR e.reservation_id IN (SELECT id FROM restaurante.reservations r WHERE r."restaurantId" = $1
                           AND (r."customerId" = $2 OR ($3::text IS NOT NULL AND lower(r."customerEmail") = $3)))
  OR e.order_id IN (SELECT id FROM restaurante.orders o WHERE o."restaurantId" = $1
                     AND (o."customerId" = $2 OR ($3::text IS NOT NULL AND lower(o.customer_email) = $3))))`;

/** Erasure in a transaction: the database's erase_customer, the person's links, their outbox files. */
async function eraseIn(tx: Tx, restaurantId: string, customerId: string): Promise<{ counts: Record<string, number>; files: string[] } | undefined> {
  const { rows: found } = await tx.query<{ email: string | null; anonymized: boolean }>(
    `SELECT lower(email) AS email, "anonymizedAt" IS NOT NULL AS anonymized FROM restaurante.customers
      WHERE id = $1 AND "restaurantId" = $2 FOR UPDATE`,
    [customerId, restaurantId],
  );
  if (!found[0]) return undefined;
  if (found[0].anonymized) {
    // Erased before: everything that pointed at them was anonymised then (and new orders with
    // their old address make a new record), so there is nothing left to change.
    return { counts: { reservations: 0, orders: 0, emails: 0, qrScans: 0, idempotentResponses: 0, links: 0, outboxFiles: 0 }, files: [] };
  }
  const params = [restaurantId, customerId, found[0].email];
  const files = await takeOutboxFiles(tx, CUSTOMER_EMAILS, params);
  // Links e-mailed to them stop working: a copy of an old e-mail must not open their booking.
  const { rowCount: links } = await tx.query(
    `UPDATE restaurante.reservation_tokens t SET "expiresAt" = now()
      WHERE t."expiresAt" > now() AND t."reservationId" IN (
            SELECT id FROM restaurante.reservations r WHERE r."restaurantId" = $1
               AND (r."customerId" = $2 OR ($3::text IS NOT NULL AND lower(r."customerEmail") = $3)))`,
    params,
  );
  const { rows } = await tx.query<{ counts: Record<string, number> | null }>('SELECT restaurante.erase_customer($1, $2) AS counts', [
    restaurantId,
    customerId,
  ]);
  const counts = rows[0]?.counts;
  if (!counts) return undefined;
  return { counts: { ...counts, links: links ?? 0, outboxFiles: files.length }, files };
}

/**
 * Anonymises a customer's personal data everywhere the service keeps it: the database (financial
 * records stay), the guest's live links, and the e-mails it wrote as files. Returns what changed.
 */
export async function eraseCustomer(db: Database, restaurantId: string, customerId: string, actor: string): Promise<Record<string, number>> {
  const erased = await db.transaction(
    async (tx) => {
      const result = await eraseIn(tx, restaurantId, customerId);
      if (!result) throw new AppError('NOT_FOUND', 'No such customer.');
      await audit(tx, restaurantId, actor, 'customer.erase', customerId, result.counts);
      return result;
    },
    { settings: { 'comanda.actor': actor } },
  );
  await deleteFiles(erased.files);
  return erased.counts;
}

/**
 * The retention job: customers with no reservation or order for `days` are anonymised, and
 * QR-scan IPs and user agents older than that are cleared. Returns what it did.
 */
export async function applyDataRetention(
  db: Database,
  days: number,
  actor = 'retention',
): Promise<{ customers: number; qrScans: number; orders: number; emails: number }> {
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
    const erased = await db.transaction(
      async (tx) => {
        const result = await eraseIn(tx, row.restaurantId, row.id);
        await audit(tx, row.restaurantId, actor, 'retention.anonymize', row.id, result?.counts ?? {});
        return result;
      },
      { settings: { 'comanda.actor': actor } },
    );
    await deleteFiles(erased?.files ?? []);
  }
  const { rowCount } = await db.query(
    `UPDATE restaurante.qr_scans SET client_ip = NULL, user_agent = NULL
      WHERE scanned_at < now() - make_interval(days => $1) AND (client_ip IS NOT NULL OR user_agent IS NOT NULL)`,
    [days],
  );
  // What is old enough is forgotten even when no customer record points at it: e-mail addresses
  // and notes on orders, and the e-mails themselves (rows and files).
  const old = await db.transaction(
    async (tx) => {
      const { rowCount: orders } = await tx.query(
        `UPDATE restaurante.orders SET customer_email = NULL, notes = NULL
          WHERE "orderedAt" < now() - make_interval(days => $1) AND (customer_email IS NOT NULL OR notes IS NOT NULL)`,
        [days],
      );
      const files = await takeOutboxFiles(tx, `e.created_at < now() - make_interval(days => $1)`, [days]);
      const { rowCount: emails } = await tx.query(
        `UPDATE restaurante.email_logs SET recipient_email = 'erased@invalid', payload = '{}', error_message = NULL
          WHERE created_at < now() - make_interval(days => $1) AND recipient_email <> 'erased@invalid' AND status <> 'pending'`,
        [days],
      );
      return { orders: orders ?? 0, emails: emails ?? 0, files };
    },
    { settings: { 'comanda.actor': actor } },
  );
  await deleteFiles(old.files);
  return { customers: rows.length, qrScans: rowCount ?? 0, orders: old.orders, emails: old.emails };
}
