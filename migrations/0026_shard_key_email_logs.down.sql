-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.email_logs_pkey_sharded;
