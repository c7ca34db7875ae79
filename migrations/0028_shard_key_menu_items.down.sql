-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.menu_items_pkey_sharded;
