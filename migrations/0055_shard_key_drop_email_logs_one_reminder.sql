-- comanda:no-transaction
-- Sharding by restaurant, contract (docs/scaling.md): email_logs_one_reminder gives way to email_logs_one_reminder_per_restaurant.
DROP INDEX CONCURRENTLY IF EXISTS restaurante.email_logs_one_reminder;
