-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.table_session_tokens_pkey_sharded;
