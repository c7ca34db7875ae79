-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key reservations will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); the migration shard_keys_switch swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS reservations_pkey_sharded ON restaurante.reservations (id, "restaurantId");
