-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.table_session_tokens_token_hash_restaurant_key;
