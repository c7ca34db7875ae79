-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key order_items will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); 0057 swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS order_items_pkey_sharded ON restaurante.order_items (id, "restaurantId");
