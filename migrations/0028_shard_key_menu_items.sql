-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key menu_items will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); the migration shard_keys_switch swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS menu_items_pkey_sharded ON restaurante.menu_items (id, "restaurantId");
