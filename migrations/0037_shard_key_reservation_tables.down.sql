-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.reservation_tables_pkey_sharded;
