-- comanda:no-transaction
-- comanda:lint-ignore restaurant-key a rollback restores the previous index
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS email_logs_one_reminder ON restaurante.email_logs (reservation_id) WHERE email_type = 'reservation_reminder'::text;
