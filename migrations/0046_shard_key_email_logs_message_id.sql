-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): email_logs.message_id unique within its restaurant, message_id first so that lookups by message_id alone keep an index.
-- Built CONCURRENTLY (writes go on meanwhile); the migration shard_keys_switch swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS email_logs_message_id_restaurant_key ON restaurante.email_logs (message_id, "restaurantId");
