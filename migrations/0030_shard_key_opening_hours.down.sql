-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.opening_hours_pkey_sharded;
