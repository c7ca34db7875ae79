-- comanda:no-transaction
-- 0014 — The open holds the release job looks for (src/core/reservations), built CONCURRENTLY so
-- that bookings keep being written while it is built on a populated table.
CREATE INDEX CONCURRENTLY IF NOT EXISTS reservations_open_holds ON restaurante.reservations (hold_expires_at)
  WHERE status = 'PENDING' AND hold_expires_at IS NOT NULL;
