-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.qr_scans_pkey_sharded;
