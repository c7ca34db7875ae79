-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.order_status_history_pkey_sharded;
