-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.table_sessions_pkey_sharded;
