-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.staff_tokens_pkey_sharded;
