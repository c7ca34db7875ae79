-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.staff_tokens_token_hash_restaurant_key;
