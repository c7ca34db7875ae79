-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key opening_hours will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); 0057 swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS opening_hours_pkey_sharded ON restaurante.opening_hours (id, "restaurantId");
