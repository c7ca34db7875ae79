-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key menu_categories will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); 0057 swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS menu_categories_pkey_sharded ON restaurante.menu_categories (id, "restaurantId");
