-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.opening_exceptions_pkey_sharded;
