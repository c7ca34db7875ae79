-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key order_status_history will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); the migration shard_keys_switch swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS order_status_history_pkey_sharded ON restaurante.order_status_history (id, "restaurantId");
