-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.customer_consents_pkey_sharded;
