DROP TRIGGER table_sessions_notify ON restaurante.table_sessions;
DROP TRIGGER table_session_tokens_notify ON restaurante.table_session_tokens;
DROP TRIGGER order_items_notify_session ON restaurante.order_items;
DROP TRIGGER orders_notify_session ON restaurante.orders;
DROP FUNCTION restaurante.notify_session_change();
ALTER TABLE restaurante.orders DROP COLUMN "guestPhone";
ALTER TABLE restaurante.table_session_tokens
  DROP CONSTRAINT table_session_tokens_decided_once,
  DROP CONSTRAINT table_session_tokens_phone_check,
  DROP COLUMN "deniedBy",
  DROP COLUMN "deniedAt",
  DROP COLUMN "approvedBy",
  DROP COLUMN "approvedAt",
  DROP COLUMN phone;
