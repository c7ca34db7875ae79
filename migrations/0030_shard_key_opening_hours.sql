-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key opening_hours will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); the migration shard_keys_switch swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS opening_hours_pkey_sharded ON restaurante.opening_hours (id, "restaurantId");
