-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key tables will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); the migration shard_keys_switch swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS tables_pkey_sharded ON restaurante.tables (id, "restaurantId");
