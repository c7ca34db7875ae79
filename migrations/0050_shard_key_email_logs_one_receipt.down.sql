-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.email_logs_one_receipt_per_restaurant;
