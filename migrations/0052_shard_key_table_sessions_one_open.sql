-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): table_sessions_one_open again with the restaurant, "tableId" first.
-- Built CONCURRENTLY (writes go on meanwhile); the migration shard_keys_switch swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS table_sessions_one_open_per_restaurant ON restaurante.table_sessions ("tableId", "restaurantId") WHERE "closedAt" IS NULL;
