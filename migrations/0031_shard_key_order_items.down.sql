-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.order_items_pkey_sharded;
