-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): table_session_tokens.token_hash unique within its restaurant, token_hash first so that lookups by token_hash alone keep an index.
-- Built CONCURRENTLY (writes go on meanwhile); the migration shard_keys_switch swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS table_session_tokens_token_hash_restaurant_key ON restaurante.table_session_tokens (token_hash, "restaurantId");
