-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key qr_scans will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); the migration shard_keys_switch swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS qr_scans_pkey_sharded ON restaurante.qr_scans (id, "restaurantId");
