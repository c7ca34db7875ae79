-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key reservation_items will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); 0057 swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS reservation_items_pkey_sharded ON restaurante.reservation_items (id, "restaurantId");
