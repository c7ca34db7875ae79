-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.table_session_tokens_session_phone_key;
