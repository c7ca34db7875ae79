-- comanda:no-transaction
-- comanda:lint-ignore restaurant-key a rollback restores the previous index
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS email_logs_one_receipt ON restaurante.email_logs (order_id) WHERE email_type = 'order_receipt'::text;
