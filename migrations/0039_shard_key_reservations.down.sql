-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.reservations_pkey_sharded;
