-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.stock_movements_pkey_sharded;
