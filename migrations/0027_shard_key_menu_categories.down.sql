-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.menu_categories_pkey_sharded;
