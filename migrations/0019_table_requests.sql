-- "Call a waiter" and "Ask for the bill": a guest's request to the staff, per table session.
-- One open request of each kind per session (asking twice does not ring twice); staff resolve it,
-- and who did is recorded.
CREATE TABLE restaurante.table_requests (
  id             text NOT NULL DEFAULT gen_random_uuid()::text,
  "restaurantId" text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE RESTRICT,
  "tableId"      text NOT NULL,
  "sessionId"    text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('waiter', 'bill')),
  status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  phone          integer CHECK (phone > 0),
  "createdAt"    timestamptz NOT NULL DEFAULT now(),
  "resolvedAt"   timestamptz,
  "resolvedBy"   text,
  CONSTRAINT table_requests_pkey PRIMARY KEY ("restaurantId", id),
  CONSTRAINT table_requests_resolved CHECK ((status = 'resolved') = ("resolvedAt" IS NOT NULL)),
  CONSTRAINT "table_requests_tableId_fkey" FOREIGN KEY ("restaurantId", "tableId")
    REFERENCES restaurante.tables ("restaurantId", id) ON DELETE RESTRICT,
  CONSTRAINT "table_requests_sessionId_fkey" FOREIGN KEY ("restaurantId", "sessionId")
    REFERENCES restaurante.table_sessions ("restaurantId", id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX table_requests_one_open ON restaurante.table_requests ("restaurantId", "sessionId", kind) WHERE status = 'open';
CREATE INDEX table_requests_restaurant_open ON restaurante.table_requests ("restaurantId", "createdAt") WHERE status = 'open';
CREATE INDEX table_requests_table ON restaurante.table_requests ("restaurantId", "tableId");

-- The guests of the session see their request acknowledged and resolved live; staff screens
-- listen on `comanda_table_requests` (payload: the restaurant id).
CREATE FUNCTION restaurante.notify_table_request() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('comanda_session', NEW."sessionId");
  PERFORM pg_notify('comanda_table_requests', NEW."restaurantId");
  RETURN NULL;
END;
$$;
CREATE TRIGGER table_requests_notify AFTER INSERT OR UPDATE ON restaurante.table_requests
  FOR EACH ROW EXECUTE FUNCTION restaurante.notify_table_request();
