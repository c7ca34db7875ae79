-- 0001 — the `restaurante` schema: restaurants, menu, tables and QR sessions, orders, the stock
-- ledger, reservations, e-mail outbox, customers with GDPR consents, staff tokens, idempotency.
--
-- Names follow the roadmap (quoted camelCase where it uses it, snake_case where it does) so that
-- its monitoring and diagnostic SQL runs unchanged. Every table carries "restaurantId" (the
-- `restaurants` table is keyed by it), and child rows reference parents through composite keys
-- ("restaurantId", id): the database itself refuses an order line for another restaurant's dish.

CREATE SCHEMA restaurante;
-- Trusted extension (PostgreSQL 13+): the database owner may create it without superuser.
-- Needed for text equality inside the reservations' GiST exclusion constraint.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TYPE restaurante."OrderStatus" AS ENUM
  ('PENDING', 'CONFIRMED', 'IN_PROGRESS', 'READY', 'SERVED', 'CANCELLED');
CREATE TYPE restaurante."OrderItemStatus" AS ENUM
  ('PENDING', 'CONFIRMED', 'IN_PROGRESS', 'READY', 'SERVED', 'CANCELLED');
CREATE TYPE restaurante."ReservationStatus" AS ENUM
  ('PENDING', 'CONFIRMED', 'SEATED', 'COMPLETED', 'CANCELLED', 'NO_SHOW');
CREATE TYPE restaurante."StaffRole" AS ENUM ('admin', 'kitchen', 'waiter');

-- Keeps "updatedAt" honest whatever client writes the row.
CREATE FUNCTION restaurante.touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW."updatedAt" := now();
  RETURN NEW;
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- Restaurants and opening hours
-- ---------------------------------------------------------------------------------------------
CREATE TABLE restaurante.restaurants (
  id                    text PRIMARY KEY,
  name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  timezone              text NOT NULL DEFAULT 'Europe/Madrid',
  currency              char(3) NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$'),
  "defaultLanguage"     text NOT NULL DEFAULT 'es' CHECK ("defaultLanguage" IN ('es', 'en')),
  slot_interval_minutes integer NOT NULL DEFAULT 15 CHECK (slot_interval_minutes BETWEEN 5 AND 240),
  buffer_minutes        integer NOT NULL DEFAULT 15 CHECK (buffer_minutes BETWEEN 0 AND 240),
  "createdAt"           timestamptz NOT NULL DEFAULT now(),
  "updatedAt"           timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE restaurante.restaurants IS
  'One row per restaurant; its id is the "restaurantId" every other table carries.';

-- A CHECK cannot look up pg_timezone_names, so a trigger refuses unknown IANA zones.
CREATE FUNCTION restaurante.check_restaurant_timezone() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names WHERE name = NEW.timezone) THEN
    RAISE EXCEPTION 'unknown time zone %', NEW.timezone
      USING ERRCODE = 'check_violation', CONSTRAINT = 'restaurants_timezone_check';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER restaurants_timezone_check
  BEFORE INSERT OR UPDATE OF timezone ON restaurante.restaurants
  FOR EACH ROW EXECUTE FUNCTION restaurante.check_restaurant_timezone();
CREATE TRIGGER restaurants_touch BEFORE UPDATE ON restaurante.restaurants
  FOR EACH ROW EXECUTE FUNCTION restaurante.touch_updated_at();

-- Weekday is ISO (1 = Monday … 7 = Sunday); a closing time at or before the opening time means
-- the service ends after midnight. Several rows per day give split services (lunch, dinner).
CREATE TABLE restaurante.opening_hours (
  id             text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId" text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE RESTRICT,
  weekday        smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
  opens_at       time NOT NULL,
  closes_at      time NOT NULL,
  CHECK (opens_at <> closes_at)
);
CREATE INDEX opening_hours_restaurant_weekday ON restaurante.opening_hours ("restaurantId", weekday);

CREATE TABLE restaurante.opening_exceptions (
  id             text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId" text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE RESTRICT,
  date           date NOT NULL,
  closed         boolean NOT NULL DEFAULT true,
  opens_at       time,
  closes_at      time,
  reason         text,
  CHECK (closed OR (opens_at IS NOT NULL AND closes_at IS NOT NULL AND opens_at <> closes_at))
);
CREATE INDEX opening_exceptions_restaurant_date ON restaurante.opening_exceptions ("restaurantId", date);

-- ---------------------------------------------------------------------------------------------
-- Menu
-- ---------------------------------------------------------------------------------------------
CREATE TABLE restaurante.menu_categories (
  id             text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId" text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE RESTRICT,
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  description    text,
  "sortOrder"    integer NOT NULL DEFAULT 0,
  "isActive"     boolean NOT NULL DEFAULT true,
  "createdAt"    timestamptz NOT NULL DEFAULT now(),
  "updatedAt"    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT menu_categories_restaurant_id_key UNIQUE ("restaurantId", id)
);
CREATE TRIGGER menu_categories_touch BEFORE UPDATE ON restaurante.menu_categories
  FOR EACH ROW EXECUTE FUNCTION restaurante.touch_updated_at();

CREATE TABLE restaurante.menu_items (
  id             text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId" text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE RESTRICT,
  "categoryId"   text NOT NULL,
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description    text,
  price          numeric(10, 2) NOT NULL,
  stock          integer NOT NULL DEFAULT 0,
  "isAvailable"  boolean NOT NULL DEFAULT true,
  -- The 14 allergens of EU Regulation 1169/2011, Annex II.
  allergens      text[] NOT NULL DEFAULT '{}' CHECK (allergens <@ ARRAY[
                   'gluten', 'crustaceans', 'eggs', 'fish', 'peanuts', 'soybeans', 'milk', 'nuts',
                   'celery', 'mustard', 'sesame', 'sulphites', 'lupin', 'molluscs']::text[]),
  "sortOrder"    integer NOT NULL DEFAULT 0,
  "createdAt"    timestamptz NOT NULL DEFAULT now(),
  "updatedAt"    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT menu_items_restaurant_id_key UNIQUE ("restaurantId", id),
  CONSTRAINT "menu_items_categoryId_fkey" FOREIGN KEY ("restaurantId", "categoryId")
    REFERENCES restaurante.menu_categories ("restaurantId", id) ON DELETE RESTRICT
);
CREATE INDEX menu_items_category ON restaurante.menu_items ("restaurantId", "categoryId");
CREATE TRIGGER menu_items_touch BEFORE UPDATE ON restaurante.menu_items
  FOR EACH ROW EXECUTE FUNCTION restaurante.touch_updated_at();

-- The stock ledger: every change of menu_items.stock is a row here, written by the trigger
-- below whoever changes the stock (the app, the roadmap's RPC functions, or an operator's UPDATE),
-- so stock = sum(delta) always holds and a reconciliation never has to assume an initial stock.
-- Writers say why through transaction-local settings (set_config(..., true), safe behind a
-- transaction-mode pooler): comanda.stock_reason, comanda.stock_order_id, comanda.actor,
-- comanda.stock_note. Without them the row says 'manual'.
CREATE TABLE restaurante.stock_movements (
  id             text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId" text NOT NULL,
  "menuItemId"   text NOT NULL,
  delta          integer NOT NULL CHECK (delta <> 0),
  "stockAfter"   integer NOT NULL,
  reason         text NOT NULL CHECK (reason IN
                   ('initial', 'order', 'order_cancelled', 'restock', 'correction', 'manual')),
  "orderId"      text,
  actor          text,
  note           text,
  -- clock_timestamp(), not now(): the time the row was written, so an item's movements sort in
  -- the order they happened even when their transactions started in another order.
  "createdAt"    timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT "stock_movements_menuItemId_fkey" FOREIGN KEY ("restaurantId", "menuItemId")
    REFERENCES restaurante.menu_items ("restaurantId", id) ON DELETE RESTRICT
);
CREATE INDEX stock_movements_item_time ON restaurante.stock_movements ("menuItemId", "createdAt");
CREATE INDEX stock_movements_order ON restaurante.stock_movements ("orderId") WHERE "orderId" IS NOT NULL;

CREATE FUNCTION restaurante.record_stock_movement() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_delta integer;
  v_reason text := nullif(current_setting('comanda.stock_reason', true), '');
BEGIN
  IF TG_OP = 'INSERT' THEN
    v_delta := NEW.stock;
    v_reason := coalesce(v_reason, 'initial');
  ELSE
    v_delta := NEW.stock - OLD.stock;
    v_reason := coalesce(v_reason, 'manual');
  END IF;
  IF v_delta <> 0 THEN
    INSERT INTO restaurante.stock_movements
      ("restaurantId", "menuItemId", delta, "stockAfter", reason, "orderId", actor, note)
    VALUES
      (NEW."restaurantId", NEW.id, v_delta, NEW.stock, v_reason,
       nullif(current_setting('comanda.stock_order_id', true), ''),
       coalesce(nullif(current_setting('comanda.actor', true), ''), current_user),
       nullif(current_setting('comanda.stock_note', true), ''));
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER menu_items_stock_ledger_insert AFTER INSERT ON restaurante.menu_items
  FOR EACH ROW EXECUTE FUNCTION restaurante.record_stock_movement();
CREATE TRIGGER menu_items_stock_ledger_update AFTER UPDATE OF stock ON restaurante.menu_items
  FOR EACH ROW WHEN (OLD.stock IS DISTINCT FROM NEW.stock)
  EXECUTE FUNCTION restaurante.record_stock_movement();

-- The ledger is append-only: corrections are new rows, never edits.
CREATE FUNCTION restaurante.refuse_ledger_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the stock ledger is append-only; record a correction instead'
    USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER stock_movements_append_only BEFORE UPDATE OR DELETE ON restaurante.stock_movements
  FOR EACH ROW EXECUTE FUNCTION restaurante.refuse_ledger_change();
CREATE TRIGGER stock_movements_no_truncate BEFORE TRUNCATE ON restaurante.stock_movements
  FOR EACH STATEMENT EXECUTE FUNCTION restaurante.refuse_ledger_change();

-- ---------------------------------------------------------------------------------------------
-- Tables, QR scans and table sessions
-- ---------------------------------------------------------------------------------------------
CREATE TABLE restaurante.tables (
  id             text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId" text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE RESTRICT,
  number         integer NOT NULL CHECK (number > 0),
  capacity       integer NOT NULL CHECK (capacity BETWEEN 1 AND 50),
  location       text,
  "isActive"     boolean NOT NULL DEFAULT true,
  -- Bumped when staff rotate the table's QR code; the printed code is derived from the server
  -- secret and this version, so it is never stored and a rotation invalidates the old one.
  "qrVersion"    integer NOT NULL DEFAULT 1 CHECK ("qrVersion" > 0),
  "createdAt"    timestamptz NOT NULL DEFAULT now(),
  "updatedAt"    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT tables_restaurant_id_key UNIQUE ("restaurantId", id),
  CONSTRAINT tables_restaurant_number_key UNIQUE ("restaurantId", number)
);
CREATE TRIGGER tables_touch BEFORE UPDATE ON restaurante.tables
  FOR EACH ROW EXECUTE FUNCTION restaurante.touch_updated_at();

-- Guests at one table share its open session until staff close it (or it expires).
CREATE TABLE restaurante.table_sessions (
  id             text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId" text NOT NULL,
  "tableId"      text NOT NULL,
  "openedAt"     timestamptz NOT NULL DEFAULT now(),
  "expiresAt"    timestamptz NOT NULL,
  "closedAt"     timestamptz,
  "closedBy"     text,
  CONSTRAINT table_sessions_restaurant_id_key UNIQUE ("restaurantId", id),
  CONSTRAINT "table_sessions_tableId_fkey" FOREIGN KEY ("restaurantId", "tableId")
    REFERENCES restaurante.tables ("restaurantId", id) ON DELETE RESTRICT,
  CHECK ("expiresAt" > "openedAt")
);
-- At most one open session per table.
CREATE UNIQUE INDEX table_sessions_one_open ON restaurante.table_sessions ("tableId")
  WHERE "closedAt" IS NULL;

-- Each scan of the table's QR code gets its own random token for the shared session; tokens are
-- stored only as SHA-256 hashes, so they cannot be shown again, nor forged from a copy of the data.
CREATE TABLE restaurante.table_session_tokens (
  id             text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId" text NOT NULL,
  "sessionId"    text NOT NULL,
  token_hash     text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  "createdAt"    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT "table_session_tokens_sessionId_fkey" FOREIGN KEY ("restaurantId", "sessionId")
    REFERENCES restaurante.table_sessions ("restaurantId", id) ON DELETE CASCADE
);
CREATE INDEX table_session_tokens_session ON restaurante.table_session_tokens ("sessionId");

CREATE TABLE restaurante.qr_scans (
  id             text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId" text NOT NULL,
  table_id       text NOT NULL,
  session_id     text,
  client_ip      inet,
  user_agent     text,
  scanned_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT qr_scans_table_id_fkey FOREIGN KEY ("restaurantId", table_id)
    REFERENCES restaurante.tables ("restaurantId", id) ON DELETE RESTRICT,
  CONSTRAINT qr_scans_session_id_fkey FOREIGN KEY ("restaurantId", session_id)
    REFERENCES restaurante.table_sessions ("restaurantId", id) ON DELETE SET NULL (session_id)
);

-- ---------------------------------------------------------------------------------------------
-- Customers and GDPR consents
-- ---------------------------------------------------------------------------------------------
CREATE TABLE restaurante.customers (
  id             text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId" text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE RESTRICT,
  name           text,
  email          text,
  phone          text,
  language       text CHECK (language IN ('es', 'en')),
  "createdAt"    timestamptz NOT NULL DEFAULT now(),
  "updatedAt"    timestamptz NOT NULL DEFAULT now(),
  -- Set when personal data was anonymised (erasure request or retention); the row stays so that
  -- financial records keep their reference.
  "anonymizedAt" timestamptz,
  CONSTRAINT customers_restaurant_id_key UNIQUE ("restaurantId", id)
);
CREATE UNIQUE INDEX customers_restaurant_email ON restaurante.customers ("restaurantId", lower(email))
  WHERE email IS NOT NULL;
CREATE TRIGGER customers_touch BEFORE UPDATE ON restaurante.customers
  FOR EACH ROW EXECUTE FUNCTION restaurante.touch_updated_at();

-- Consent records are append-only history: what was consented to, when, and how.
CREATE TABLE restaurante.customer_consents (
  id             text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId" text NOT NULL,
  "customerId"   text NOT NULL,
  purpose        text NOT NULL CHECK (purpose IN
                   ('reservation_emails', 'order_receipts', 'marketing', 'data_retention')),
  granted        boolean NOT NULL,
  method         text NOT NULL CHECK (method IN ('web_form', 'qr_order', 'staff', 'email_link', 'api')),
  "recordedAt"   timestamptz NOT NULL DEFAULT clock_timestamp(),
  details        jsonb,
  CONSTRAINT "customer_consents_customerId_fkey" FOREIGN KEY ("restaurantId", "customerId")
    REFERENCES restaurante.customers ("restaurantId", id) ON DELETE RESTRICT
);
CREATE INDEX customer_consents_customer ON restaurante.customer_consents ("customerId", "recordedAt");

-- ---------------------------------------------------------------------------------------------
-- Orders
-- ---------------------------------------------------------------------------------------------
CREATE TABLE restaurante.orders (
  id              text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId"  text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE RESTRICT,
  "orderNumber"   text NOT NULL,
  "tableId"       text,
  "sessionId"     text,
  "customerId"    text,
  source          text NOT NULL DEFAULT 'qr',
  status          restaurante."OrderStatus" NOT NULL DEFAULT 'PENDING',
  "totalAmount"   numeric(10, 2) NOT NULL DEFAULT 0,
  customer_email  text,
  notes           text,
  -- Informational copy of the client's Idempotency-Key; the scoped record that enforces it is
  -- restaurante.idempotency_keys (a global unique key, as in the roadmap's §2.4, would let one
  -- client's key collide with another's).
  idempotency_key text,
  "createdBy"     text,
  "orderedAt"     timestamptz NOT NULL DEFAULT now(),
  "updatedAt"     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT "orders_orderNumber_key" UNIQUE ("restaurantId", "orderNumber"),
  CONSTRAINT orders_restaurant_id_key UNIQUE ("restaurantId", id),
  CONSTRAINT check_order_source CHECK (source IN ('presencial', 'qr', 'online', 'telefono')),
  CONSTRAINT "orders_tableId_fkey" FOREIGN KEY ("restaurantId", "tableId")
    REFERENCES restaurante.tables ("restaurantId", id) ON DELETE RESTRICT,
  CONSTRAINT "orders_sessionId_fkey" FOREIGN KEY ("restaurantId", "sessionId")
    REFERENCES restaurante.table_sessions ("restaurantId", id) ON DELETE RESTRICT,
  CONSTRAINT "orders_customerId_fkey" FOREIGN KEY ("restaurantId", "customerId")
    REFERENCES restaurante.customers ("restaurantId", id) ON DELETE RESTRICT
);
CREATE INDEX orders_table_time ON restaurante.orders ("restaurantId", "tableId", "orderedAt" DESC);
CREATE INDEX orders_session ON restaurante.orders ("sessionId") WHERE "sessionId" IS NOT NULL;
CREATE INDEX orders_customer ON restaurante.orders ("customerId") WHERE "customerId" IS NOT NULL;
CREATE TRIGGER orders_touch BEFORE UPDATE ON restaurante.orders
  FOR EACH ROW EXECUTE FUNCTION restaurante.touch_updated_at();

CREATE TABLE restaurante.order_items (
  id             text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId" text NOT NULL,
  "orderId"      text NOT NULL,
  "menuItemId"   text NOT NULL,
  quantity       integer NOT NULL,
  "unitPrice"    numeric(10, 2) NOT NULL,
  "totalPrice"   numeric(10, 2) NOT NULL,
  status         restaurante."OrderItemStatus" NOT NULL DEFAULT 'PENDING',
  notes          text,
  "createdAt"    timestamptz NOT NULL DEFAULT now(),
  "updatedAt"    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT order_items_restaurant_id_key UNIQUE ("restaurantId", id),
  CONSTRAINT "order_items_orderId_fkey" FOREIGN KEY ("restaurantId", "orderId")
    REFERENCES restaurante.orders ("restaurantId", id) ON DELETE RESTRICT,
  CONSTRAINT "order_items_menuItemId_fkey" FOREIGN KEY ("restaurantId", "menuItemId")
    REFERENCES restaurante.menu_items ("restaurantId", id) ON DELETE RESTRICT,
  CONSTRAINT order_items_total_matches CHECK ("totalPrice" = "unitPrice" * quantity)
);
CREATE INDEX order_items_order ON restaurante.order_items ("orderId");
CREATE INDEX order_items_menu_item ON restaurante.order_items ("menuItemId", "createdAt");
CREATE TRIGGER order_items_touch BEFORE UPDATE ON restaurante.order_items
  FOR EACH ROW EXECUTE FUNCTION restaurante.touch_updated_at();

-- Every status change of an order or an order line, with who made it (comanda.actor, set per
-- transaction by the app; the database role otherwise). Written by triggers so that changes made
-- by SQL are recorded too.
CREATE TABLE restaurante.order_status_history (
  id             text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId" text NOT NULL,
  "orderId"      text NOT NULL,
  "orderItemId"  text,
  "fromStatus"   text,
  "toStatus"     text NOT NULL,
  "changedBy"    text NOT NULL,
  "changedAt"    timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT "order_status_history_orderId_fkey" FOREIGN KEY ("restaurantId", "orderId")
    REFERENCES restaurante.orders ("restaurantId", id) ON DELETE RESTRICT,
  CONSTRAINT "order_status_history_orderItemId_fkey" FOREIGN KEY ("restaurantId", "orderItemId")
    REFERENCES restaurante.order_items ("restaurantId", id) ON DELETE RESTRICT
);
CREATE INDEX order_status_history_order ON restaurante.order_status_history ("orderId", "changedAt");

CREATE FUNCTION restaurante.record_order_status() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_actor text := coalesce(nullif(current_setting('comanda.actor', true), ''), current_user);
  v_from text := CASE WHEN TG_OP = 'UPDATE' THEN OLD.status::text END;
BEGIN
  IF TG_TABLE_NAME = 'orders' THEN
    INSERT INTO restaurante.order_status_history
      ("restaurantId", "orderId", "fromStatus", "toStatus", "changedBy")
    VALUES (NEW."restaurantId", NEW.id, v_from, NEW.status::text, v_actor);
  ELSE
    INSERT INTO restaurante.order_status_history
      ("restaurantId", "orderId", "orderItemId", "fromStatus", "toStatus", "changedBy")
    VALUES (NEW."restaurantId", NEW."orderId", NEW.id, v_from, NEW.status::text, v_actor);
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER orders_status_created AFTER INSERT ON restaurante.orders
  FOR EACH ROW EXECUTE FUNCTION restaurante.record_order_status();
CREATE TRIGGER orders_status_changed AFTER UPDATE OF status ON restaurante.orders
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION restaurante.record_order_status();
CREATE TRIGGER order_items_status_created AFTER INSERT ON restaurante.order_items
  FOR EACH ROW EXECUTE FUNCTION restaurante.record_order_status();
CREATE TRIGGER order_items_status_changed AFTER UPDATE OF status ON restaurante.order_items
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION restaurante.record_order_status();

-- ---------------------------------------------------------------------------------------------
-- Reservations
-- ---------------------------------------------------------------------------------------------
CREATE TABLE restaurante.reservations (
  id                 text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId"     text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE RESTRICT,
  "customerId"       text,
  "customerName"     text NOT NULL,
  "customerEmail"    text,
  "customerPhone"    text,
  "partySize"        integer NOT NULL,
  -- The local date of the booking in the restaurant's time zone, and its start instant.
  date               date NOT NULL,
  time               timestamptz NOT NULL,
  "durationMinutes"  integer NOT NULL DEFAULT 90 CHECK ("durationMinutes" BETWEEN 15 AND 720),
  status             restaurante."ReservationStatus" NOT NULL DEFAULT 'PENDING',
  -- The roadmap's array of assigned tables, kept equal to the reservation_tables rows by a
  -- trigger; "tableId" is the legacy single-table column, kept for old clients' queries.
  table_ids          text[] NOT NULL DEFAULT '{}',
  "tableId"          text,
  language           text CHECK (language IN ('es', 'en')),
  notes              text,
  "createdAt"        timestamptz NOT NULL DEFAULT now(),
  "updatedAt"        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT reservations_restaurant_id_key UNIQUE ("restaurantId", id),
  CONSTRAINT "reservations_customerId_fkey" FOREIGN KEY ("restaurantId", "customerId")
    REFERENCES restaurante.customers ("restaurantId", id) ON DELETE RESTRICT,
  CONSTRAINT "reservations_tableId_fkey" FOREIGN KEY ("restaurantId", "tableId")
    REFERENCES restaurante.tables ("restaurantId", id) ON DELETE RESTRICT
);
CREATE TRIGGER reservations_touch BEFORE UPDATE ON restaurante.reservations
  FOR EACH ROW EXECUTE FUNCTION restaurante.touch_updated_at();

-- One row per table a reservation holds, carrying the interval the table is occupied, buffer
-- included. The exclusion constraint is what makes a double booking impossible: two active rows
-- for the same table can never overlap, whatever the application or concurrency does (23P01).
CREATE TABLE restaurante.reservation_tables (
  "restaurantId"  text NOT NULL,
  "reservationId" text NOT NULL,
  "tableId"       text NOT NULL,
  occupied        tstzrange NOT NULL CHECK (NOT isempty(occupied) AND NOT lower_inf(occupied)
                                            AND NOT upper_inf(occupied)),
  active          boolean NOT NULL DEFAULT true,
  PRIMARY KEY ("reservationId", "tableId"),
  CONSTRAINT "reservation_tables_reservationId_fkey" FOREIGN KEY ("restaurantId", "reservationId")
    REFERENCES restaurante.reservations ("restaurantId", id) ON DELETE CASCADE,
  CONSTRAINT "reservation_tables_tableId_fkey" FOREIGN KEY ("restaurantId", "tableId")
    REFERENCES restaurante.tables ("restaurantId", id) ON DELETE RESTRICT,
  CONSTRAINT reservation_tables_no_overlap EXCLUDE USING gist
    ("restaurantId" WITH =, "tableId" WITH =, occupied WITH &&) WHERE (active)
);

-- A row's `active` always follows its reservation's status, also when the row is added to a
-- booking that is already cancelled or finished (it must not block the table then).
CREATE FUNCTION restaurante.set_reservation_table_active() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  SELECT r.status IN ('PENDING', 'CONFIRMED', 'SEATED') INTO NEW.active
    FROM restaurante.reservations r
   WHERE r.id = NEW."reservationId";
  NEW.active := coalesce(NEW.active, false);
  RETURN NEW;
END;
$$;
CREATE TRIGGER reservation_tables_set_active
  BEFORE INSERT OR UPDATE OF "reservationId", active ON restaurante.reservation_tables
  FOR EACH ROW EXECUTE FUNCTION restaurante.set_reservation_table_active();

-- A cancelled or finished booking frees its tables; a revived one claims them again (and fails
-- with 23P01 if someone else took them meanwhile).
CREATE FUNCTION restaurante.sync_reservation_tables_active() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE restaurante.reservation_tables
     SET active = NEW.status IN ('PENDING', 'CONFIRMED', 'SEATED')
   WHERE "reservationId" = NEW.id
     AND active IS DISTINCT FROM (NEW.status IN ('PENDING', 'CONFIRMED', 'SEATED'));
  RETURN NULL;
END;
$$;
CREATE TRIGGER reservations_sync_tables AFTER UPDATE OF status ON restaurante.reservations
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION restaurante.sync_reservation_tables_active();

-- Keeps reservations.table_ids equal to the join rows (sorted), so the roadmap's §3.1 query on
-- table_ids sees what the constraint guards.
CREATE FUNCTION restaurante.sync_reservation_table_ids() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- OLD is NULL on INSERT and NEW on DELETE; a row moved to another booking updates both.
  UPDATE restaurante.reservations r
     SET table_ids = coalesce((SELECT array_agg(rt."tableId" ORDER BY rt."tableId")
                                 FROM restaurante.reservation_tables rt
                                WHERE rt."reservationId" = r.id), '{}')
   WHERE r.id IN (OLD."reservationId", NEW."reservationId");
  RETURN NULL;
END;
$$;
CREATE TRIGGER reservation_tables_sync_ids
  AFTER INSERT OR DELETE OR UPDATE OF "tableId", "reservationId" ON restaurante.reservation_tables
  FOR EACH ROW EXECUTE FUNCTION restaurante.sync_reservation_table_ids();

CREATE TABLE restaurante.reservation_items (
  id              text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId"  text NOT NULL,
  "reservationId" text NOT NULL,
  "menuItemId"    text NOT NULL,
  quantity        integer NOT NULL CHECK (quantity > 0 AND quantity <= 100),
  notes           text,
  -- clock_timestamp(): items inserted in one transaction keep the order they were given in.
  "createdAt"     timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT "reservation_items_reservationId_fkey" FOREIGN KEY ("restaurantId", "reservationId")
    REFERENCES restaurante.reservations ("restaurantId", id) ON DELETE CASCADE,
  CONSTRAINT "reservation_items_menuItemId_fkey" FOREIGN KEY ("restaurantId", "menuItemId")
    REFERENCES restaurante.menu_items ("restaurantId", id) ON DELETE RESTRICT
);
CREATE INDEX reservation_items_reservation ON restaurante.reservation_items ("reservationId");

-- Tokens for the guest's view / confirm / cancel links. Only the SHA-256 hash of a token is
-- stored. The roadmap's diagnostic (§3.1) selects a `token` column: here it is a short,
-- non-secret fingerprint of the hash, so that query runs and tells rows apart without exposing
-- anything that could be used as a token.
CREATE TABLE restaurante.reservation_tokens (
  id              text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId"  text NOT NULL,
  "reservationId" text NOT NULL,
  token_hash      text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  token           text GENERATED ALWAYS AS ('sha256:' || left(token_hash, 12)) STORED,
  "expiresAt"     timestamptz NOT NULL,
  "isUsed"        boolean NOT NULL DEFAULT false,
  "usedAt"        timestamptz,
  "createdAt"     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT "reservation_tokens_reservationId_fkey" FOREIGN KEY ("restaurantId", "reservationId")
    REFERENCES restaurante.reservations ("restaurantId", id) ON DELETE CASCADE,
  CHECK ("isUsed" = ("usedAt" IS NOT NULL))
);
CREATE INDEX reservation_tokens_reservation ON restaurante.reservation_tokens ("reservationId", "createdAt" DESC);

-- ---------------------------------------------------------------------------------------------
-- E-mail outbox and delivery log (the roadmap's email_logs, §3.3)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE restaurante.email_logs (
  id                  text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId"      text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE RESTRICT,
  email_type          text NOT NULL CHECK (email_type IN
                        ('reservation_confirmation', 'reservation_reminder',
                         'reservation_cancellation', 'order_receipt', 'alert')),
  recipient_email     text NOT NULL,
  language            text NOT NULL DEFAULT 'es' CHECK (language IN ('es', 'en')),
  -- Data the template needs, captured when the e-mail was queued (no secrets: links carrying
  -- tokens are rebuilt from the server secret when the e-mail is sent).
  payload             jsonb NOT NULL DEFAULT '{}',
  status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  order_id            text,
  reservation_id      text,
  customer_id         text,
  -- Stable Message-ID, so a resend after a crash is recognisable as the same e-mail.
  message_id          text NOT NULL UNIQUE,
  sent_at             timestamptz,
  provider_message_id text,
  error_message       text,
  retry_count         integer NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
  next_attempt_at     timestamptz NOT NULL DEFAULT now(),
  created_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT email_logs_order_id_fkey FOREIGN KEY ("restaurantId", order_id)
    REFERENCES restaurante.orders ("restaurantId", id) ON DELETE RESTRICT,
  CONSTRAINT email_logs_reservation_id_fkey FOREIGN KEY ("restaurantId", reservation_id)
    REFERENCES restaurante.reservations ("restaurantId", id) ON DELETE RESTRICT,
  CONSTRAINT email_logs_customer_id_fkey FOREIGN KEY ("restaurantId", customer_id)
    REFERENCES restaurante.customers ("restaurantId", id) ON DELETE RESTRICT
);
-- The worker's queue: due pending e-mails, oldest first.
CREATE INDEX email_logs_pending_due ON restaurante.email_logs (next_attempt_at)
  WHERE status = 'pending';
CREATE INDEX email_logs_sent_at ON restaurante.email_logs (sent_at DESC);

-- ---------------------------------------------------------------------------------------------
-- Staff tokens and idempotency keys
-- ---------------------------------------------------------------------------------------------
CREATE TABLE restaurante.staff_tokens (
  id             text PRIMARY KEY,
  "restaurantId" text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE RESTRICT,
  role           restaurante."StaffRole" NOT NULL,
  label          text,
  token_hash     text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  "createdAt"    timestamptz NOT NULL DEFAULT now(),
  "lastUsedAt"   timestamptz,
  "expiresAt"    timestamptz,
  "revokedAt"    timestamptz
);
CREATE INDEX staff_tokens_restaurant ON restaurante.staff_tokens ("restaurantId", "createdAt");

-- Idempotency-Key records (IETF draft semantics): scoped to their caller (a table session or a
-- staff token), with a fingerprint of the request so a reused key with another payload is refused.
-- A row is written in the same transaction as the work it answers for, so it exists exactly when
-- the work committed; a request still running holds a transaction-level advisory lock on its key.
CREATE TABLE restaurante.idempotency_keys (
  "restaurantId"   text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE RESTRICT,
  scope            text NOT NULL,
  key              text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  fingerprint      text NOT NULL,
  "responseStatus" integer NOT NULL CHECK ("responseStatus" BETWEEN 200 AND 599),
  "responseBody"   jsonb NOT NULL,
  "createdAt"      timestamptz NOT NULL DEFAULT now(),
  "expiresAt"      timestamptz NOT NULL,
  PRIMARY KEY ("restaurantId", scope, key)
);
CREATE INDEX idempotency_keys_expires ON restaurante.idempotency_keys ("expiresAt");
