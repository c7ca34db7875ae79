-- comanda:no-transaction
-- Sharding by restaurant, contract (docs/scaling.md): table_sessions_one_open gives way to table_sessions_one_open_per_restaurant.
DROP INDEX CONCURRENTLY IF EXISTS restaurante.table_sessions_one_open;
