-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.table_combinations_pkey_sharded;
