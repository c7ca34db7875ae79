-- Who may use a table's session, and live updates for the guests' pages.
--
-- A printed QR code never changes until it is rotated, so a photo of it must not be a key to the
-- table: the first phone to scan opens the session; every later phone gets a token that is
-- *pending* until a phone already at the table, or the staff, lets it in (or turns it away).
-- Phones are numbered per session (1, 2, 3…): that is how guests see who sent which order, and
-- staff see every phone that joined.
ALTER TABLE restaurante.table_session_tokens
  ADD COLUMN phone        integer,
  ADD COLUMN "approvedAt" timestamptz,
  ADD COLUMN "approvedBy" text,
  ADD COLUMN "deniedAt"   timestamptz,
  ADD COLUMN "deniedBy"   text;

-- Tokens issued before this migration stay admitted, numbered in the order they were issued.
UPDATE restaurante.table_session_tokens t
   SET phone = n.phone, "approvedAt" = t."createdAt", "approvedBy" = 'migration'
  FROM (SELECT id, row_number() OVER (PARTITION BY "sessionId" ORDER BY "createdAt", id)::integer AS phone
          FROM restaurante.table_session_tokens) n
 WHERE n.id = t.id;

-- Constraints added NOT VALID, then validated. The unique (restaurantId, sessionId, phone) index is
-- built concurrently by 0016.
ALTER TABLE restaurante.table_session_tokens
  ADD CONSTRAINT table_session_tokens_phone_check CHECK (phone IS NOT NULL AND phone > 0) NOT VALID,
  ADD CONSTRAINT table_session_tokens_decided_once CHECK ("approvedAt" IS NULL OR "deniedAt" IS NULL) NOT VALID;
-- comanda:lint-ignore constraint-missing-not-valid this transaction already holds the table's ACCESS EXCLUSIVE lock (ADD COLUMN, the backfill above), so validating here adds one scan of the tokens, not a new block
ALTER TABLE restaurante.table_session_tokens VALIDATE CONSTRAINT table_session_tokens_phone_check;
-- comanda:lint-ignore constraint-missing-not-valid same lock as above: one more scan of the tokens
ALTER TABLE restaurante.table_session_tokens VALIDATE CONSTRAINT table_session_tokens_decided_once;

-- Which phone of the session sent a guest's order (NULL for staff orders).
ALTER TABLE restaurante.orders ADD COLUMN "guestPhone" integer CHECK ("guestPhone" > 0);

-- Live updates: a NOTIFY on `comanda_session` with the session id whenever something a guest of
-- that session sees changes (orders and their lines, phones joining, the session closing). The
-- service LISTENs through DATABASE_DIRECT_URL and pushes the change to the table's phones, so it
-- works whichever instance made the change. Identical notifications of one transaction are
-- delivered once.
CREATE FUNCTION restaurante.notify_session_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_session text;
BEGIN
  IF TG_TABLE_NAME = 'orders' THEN
    v_session := NEW."sessionId";
  ELSIF TG_TABLE_NAME = 'order_items' THEN
    SELECT "sessionId" INTO v_session FROM restaurante.orders WHERE id = NEW."orderId";
  ELSIF TG_TABLE_NAME = 'table_sessions' THEN
    v_session := NEW.id;
  ELSE
    v_session := NEW."sessionId";
  END IF;
  IF v_session IS NOT NULL THEN
    PERFORM pg_notify('comanda_session', v_session);
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER orders_notify_session AFTER INSERT OR UPDATE ON restaurante.orders
  FOR EACH ROW WHEN (NEW."sessionId" IS NOT NULL) EXECUTE FUNCTION restaurante.notify_session_change();
CREATE TRIGGER order_items_notify_session AFTER UPDATE OF status ON restaurante.order_items
  FOR EACH ROW EXECUTE FUNCTION restaurante.notify_session_change();
CREATE TRIGGER table_session_tokens_notify AFTER INSERT OR UPDATE ON restaurante.table_session_tokens
  FOR EACH ROW EXECUTE FUNCTION restaurante.notify_session_change();
CREATE TRIGGER table_sessions_notify AFTER UPDATE ON restaurante.table_sessions
  FOR EACH ROW EXECUTE FUNCTION restaurante.notify_session_change();
