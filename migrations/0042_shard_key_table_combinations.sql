-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key table_combinations will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); the migration shard_keys_switch swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS table_combinations_pkey_sharded ON restaurante.table_combinations (id, "restaurantId");
