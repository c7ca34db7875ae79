-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key table_session_tokens will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); the migration shard_keys_switch swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS table_session_tokens_pkey_sharded ON restaurante.table_session_tokens (id, "restaurantId");
