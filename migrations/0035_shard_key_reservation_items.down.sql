-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.reservation_items_pkey_sharded;
