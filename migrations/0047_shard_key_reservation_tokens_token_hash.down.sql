-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.reservation_tokens_token_hash_restaurant_key;
