-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): email_logs_one_receipt again with the restaurant, order_id first.
-- Built CONCURRENTLY (writes go on meanwhile); the migration shard_keys_switch swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS email_logs_one_receipt_per_restaurant ON restaurante.email_logs (order_id, "restaurantId") WHERE email_type = 'order_receipt'::text;
