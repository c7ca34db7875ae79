-- comanda:no-transaction
-- Sharding by restaurant, expand (docs/scaling.md): the key reservation_tokens will have, (id, "restaurantId").
-- Built CONCURRENTLY (writes go on meanwhile); 0057 swaps it in.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS reservation_tokens_pkey_sharded ON restaurante.reservation_tokens (id, "restaurantId");
