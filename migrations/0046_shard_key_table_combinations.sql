-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key table_combinations will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); 0057 swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS table_combinations_pkey_sharded ON restaurante.table_combinations (id, "restaurantId");
