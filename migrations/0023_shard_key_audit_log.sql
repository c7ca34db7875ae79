-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key audit_log will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); the migration shard_keys_switch swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS audit_log_pkey_sharded ON restaurante.audit_log (id, "restaurantId");
