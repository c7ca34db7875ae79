-- 0003 — the roadmap's §6.1 indexes, the ones that make sense, led by "restaurantId" where the
-- query filters by restaurant. This migration runs in a transaction on tables this schema just
-- created; a later index on a populated table belongs in a migration of its own marked
-- `-- comanda:no-transaction` with CREATE INDEX CONCURRENTLY (see docs/migrations.md).

-- 1. Order lookups by customer e-mail (token-based tracking).
CREATE INDEX idx_orders_customer_email_status
  ON restaurante.orders (customer_email, status)
  WHERE customer_email IS NOT NULL;

-- 2. Order lines by status for the kitchen queue, oldest first.
CREATE INDEX idx_order_items_status_created
  ON restaurante.order_items ("restaurantId", status, "createdAt");

-- 3. Reservations of a day by status (the day's book).
CREATE INDEX idx_reservations_date_status
  ON restaurante.reservations ("restaurantId", date, status);

-- 4. QR scans by table and time (fraud patterns, §3.3).
CREATE INDEX idx_qr_scans_table_timestamp
  ON restaurante.qr_scans (table_id, scanned_at DESC);

-- 5. The e-mail retry queue (§3.3 selects failed e-mails by retry_count).
CREATE INDEX idx_email_logs_status_retry
  ON restaurante.email_logs (status, retry_count)
  WHERE status = 'failed';

-- 6. The roadmap's btree on table_ids cannot serve `table_ids && $1` (the §3.1 query); a GIN
-- index can. Double-booking itself is prevented by reservation_tables' exclusion constraint.
CREATE INDEX idx_reservations_table_ids
  ON restaurante.reservations USING gin (table_ids)
  WHERE status IN ('PENDING', 'CONFIRMED', 'SEATED');
