-- comanda:no-transaction
-- Phone numbers are unique within a session (scans of a table are serialised on its row; this
-- holds it whatever writes the table). Built concurrently: table_session_tokens is written on
-- every scan.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS table_session_tokens_session_phone_key
  ON restaurante.table_session_tokens ("restaurantId", "sessionId", phone);
