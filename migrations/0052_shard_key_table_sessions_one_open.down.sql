-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.table_sessions_one_open_per_restaurant;
