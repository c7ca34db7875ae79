-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key customer_consents will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); the migration shard_keys_switch swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS customer_consents_pkey_sharded ON restaurante.customer_consents (id, "restaurantId");
