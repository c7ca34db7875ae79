-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key email_logs will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); the migration shard_keys_switch swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS email_logs_pkey_sharded ON restaurante.email_logs (id, "restaurantId");
