-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key menu_categories will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); the migration shard_keys_switch swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS menu_categories_pkey_sharded ON restaurante.menu_categories (id, "restaurantId");
