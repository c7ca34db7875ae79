-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.reservation_tokens_pkey_sharded;
