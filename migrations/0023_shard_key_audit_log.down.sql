-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.audit_log_pkey_sharded;
