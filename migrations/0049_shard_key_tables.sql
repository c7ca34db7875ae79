-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key tables will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); 0057 swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS tables_pkey_sharded ON restaurante.tables (id, "restaurantId");
