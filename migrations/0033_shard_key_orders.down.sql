-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.orders_pkey_sharded;
