-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): email_logs_one_reminder again with the restaurant, reservation_id first.
-- Built CONCURRENTLY (writes go on meanwhile); the migration shard_keys_switch swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS email_logs_one_reminder_per_restaurant ON restaurante.email_logs (reservation_id, "restaurantId") WHERE email_type = 'reservation_reminder'::text;
