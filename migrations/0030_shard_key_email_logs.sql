-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key email_logs will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); 0057 swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS email_logs_pkey_sharded ON restaurante.email_logs (id, "restaurantId");
