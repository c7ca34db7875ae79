-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.reservation_status_history_pkey_sharded;
