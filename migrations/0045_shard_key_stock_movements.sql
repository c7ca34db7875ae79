-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key stock_movements will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); 0057 swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS stock_movements_pkey_sharded ON restaurante.stock_movements (id, "restaurantId");
