-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key reservation_tables will have, ("reservationId", "tableId", "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); the migration shard_keys_switch swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS reservation_tables_pkey_sharded ON restaurante.reservation_tables ("reservationId", "tableId", "restaurantId");
