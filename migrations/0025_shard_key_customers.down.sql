-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.customers_pkey_sharded;
