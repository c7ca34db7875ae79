-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key opening_exceptions will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); the migration shard_keys_switch swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS opening_exceptions_pkey_sharded ON restaurante.opening_exceptions (id, "restaurantId");
