-- comanda:no-transaction
-- comanda:lint-ignore restaurant-key a rollback restores the previous index
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS table_sessions_one_open ON restaurante.table_sessions ("tableId") WHERE "closedAt" IS NULL;
