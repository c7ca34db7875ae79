-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.tables_pkey_sharded;
