-- 0005 — reservations: turn times by party size, staff-defined table combinations, the
-- reservation status history, the local date kept in step with the start instant, and the SQL
-- that computes availability and books a table (or combination) under the exclusion constraint
-- of 0001. Errors (Comanda's class CM): CM004 no table free at that time (DETAIL: up to five
-- alternative start times that day, nearest first, as a JSON array of local ISO times), CM005 the time is not a bookable slot (closed, outside the hours,
-- off the slot grid, or past), CM006 no table or combination seats the party.

-- How long a party of a given size keeps its table; parties not covered get 90 minutes.
CREATE TABLE restaurante.turn_times (
  "restaurantId" text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE CASCADE,
  min_party      integer NOT NULL CHECK (min_party BETWEEN 1 AND 50),
  max_party      integer NOT NULL CHECK (max_party BETWEEN 1 AND 50),
  minutes        integer NOT NULL CHECK (minutes BETWEEN 15 AND 720),
  PRIMARY KEY ("restaurantId", min_party),
  CHECK (min_party <= max_party)
);

-- Tables that staff push together for bigger parties.
CREATE TABLE restaurante.table_combinations (
  id             text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId" text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE CASCADE,
  name           text NOT NULL,
  table_ids      text[] NOT NULL CHECK (cardinality(table_ids) >= 2),
  "isActive"     boolean NOT NULL DEFAULT true
);

CREATE FUNCTION restaurante.check_table_combination() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT count(DISTINCT t) FROM unnest(NEW.table_ids) AS t) <> cardinality(NEW.table_ids)
     OR EXISTS (SELECT 1 FROM unnest(NEW.table_ids) AS t
                 WHERE NOT EXISTS (SELECT 1 FROM restaurante.tables x WHERE x.id = t AND x."restaurantId" = NEW."restaurantId")) THEN
    RAISE EXCEPTION 'a combination lists distinct tables of its own restaurant'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'table_combinations_table_ids_check';
  END IF;
  NEW.table_ids := ARRAY(SELECT t FROM unnest(NEW.table_ids) AS t ORDER BY t);
  RETURN NEW;
END;
$$;
CREATE TRIGGER table_combinations_check BEFORE INSERT OR UPDATE OF table_ids ON restaurante.table_combinations
  FOR EACH ROW EXECUTE FUNCTION restaurante.check_table_combination();

-- reservations.date is the local date of "time" in the restaurant's time zone, whoever writes.
CREATE FUNCTION restaurante.set_reservation_date() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.date := (NEW.time AT TIME ZONE (SELECT timezone FROM restaurante.restaurants WHERE id = NEW."restaurantId"))::date;
  RETURN NEW;
END;
$$;
CREATE TRIGGER reservations_set_date BEFORE INSERT OR UPDATE OF time, date ON restaurante.reservations
  FOR EACH ROW EXECUTE FUNCTION restaurante.set_reservation_date();

-- Every status change of a reservation, with who made it (comanda.actor).
CREATE TABLE restaurante.reservation_status_history (
  id              text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId"  text NOT NULL,
  "reservationId" text NOT NULL,
  "fromStatus"    text,
  "toStatus"      text NOT NULL,
  "changedBy"     text NOT NULL,
  "changedAt"     timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT "reservation_status_history_reservationId_fkey" FOREIGN KEY ("restaurantId", "reservationId")
    REFERENCES restaurante.reservations ("restaurantId", id) ON DELETE CASCADE
);
CREATE INDEX reservation_status_history_reservation ON restaurante.reservation_status_history ("reservationId", "changedAt");

CREATE FUNCTION restaurante.record_reservation_status() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO restaurante.reservation_status_history ("restaurantId", "reservationId", "fromStatus", "toStatus", "changedBy")
  VALUES (NEW."restaurantId", NEW.id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.status::text END, NEW.status::text,
          coalesce(nullif(current_setting('comanda.actor', true), ''), current_user));
  RETURN NULL;
END;
$$;
CREATE TRIGGER reservations_status_created AFTER INSERT ON restaurante.reservations
  FOR EACH ROW EXECUTE FUNCTION restaurante.record_reservation_status();
CREATE TRIGGER reservations_status_changed AFTER UPDATE OF status ON restaurante.reservations
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION restaurante.record_reservation_status();

-- An instant as ISO 8601 local time with its offset in a zone, e.g. 2026-12-24T21:00:00+01:00.
CREATE FUNCTION restaurante.local_iso(p_at timestamptz, p_zone text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT to_char(p_at AT TIME ZONE p_zone, 'YYYY-MM-DD"T"HH24:MI:SS')
         || CASE WHEN o < interval '0' THEN '-' ELSE '+' END
         || to_char(abs(extract(epoch FROM o))::integer / 3600, 'FM00') || ':'
         || to_char(abs(extract(epoch FROM o))::integer % 3600 / 60, 'FM00')
    FROM (SELECT (p_at AT TIME ZONE p_zone) - (p_at AT TIME ZONE 'UTC') AS o) x
$$;

-- ---------------------------------------------------------------------------------------------
-- Availability
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION restaurante.turn_minutes(p_restaurant_id text, p_party integer) RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT minutes FROM restaurante.turn_times
                    WHERE "restaurantId" = p_restaurant_id AND p_party BETWEEN min_party AND max_party
                    ORDER BY min_party LIMIT 1), 90)
$$;

-- The services of a local date as instants: special hours or a closed day override the weekday's
-- hours; a closing time at or before the opening time ends the next day. PostgreSQL resolves
-- local times in the restaurant's zone, daylight-saving changes included.
CREATE FUNCTION restaurante.service_windows(p_restaurant_id text, p_date date)
RETURNS TABLE (opens timestamptz, closes timestamptz)
LANGUAGE sql STABLE AS $$
  WITH r AS (SELECT timezone FROM restaurante.restaurants WHERE id = p_restaurant_id),
  exception AS (
    SELECT closed, opens_at, closes_at FROM restaurante.opening_exceptions
     WHERE "restaurantId" = p_restaurant_id AND date = p_date
  ),
  hours AS (
    SELECT opens_at, closes_at FROM exception WHERE NOT closed
    UNION ALL
    SELECT opens_at, closes_at FROM restaurante.opening_hours
     WHERE "restaurantId" = p_restaurant_id AND weekday = extract(isodow FROM p_date)
       AND NOT EXISTS (SELECT 1 FROM exception)
  )
  SELECT (p_date + h.opens_at) AT TIME ZONE r.timezone,
         (p_date + h.closes_at + CASE WHEN h.closes_at <= h.opens_at THEN interval '1 day' ELSE interval '0' END) AT TIME ZONE r.timezone
    FROM hours h CROSS JOIN r
   ORDER BY 1
$$;

-- Tables and combinations that seat the party, smallest first (fewest seats, then fewest tables).
CREATE FUNCTION restaurante.table_options(p_restaurant_id text, p_party integer)
RETURNS TABLE (table_ids text[], seats integer)
LANGUAGE sql STABLE AS $$
  SELECT o.table_ids, o.seats FROM (
    SELECT ARRAY[t.id] AS table_ids, t.capacity AS seats
      FROM restaurante.tables t
     WHERE t."restaurantId" = p_restaurant_id AND t."isActive" AND t.capacity >= p_party
    UNION ALL
    SELECT c.table_ids, (SELECT sum(t.capacity)::integer FROM restaurante.tables t WHERE t.id = ANY(c.table_ids)) AS seats
      FROM restaurante.table_combinations c
     WHERE c."restaurantId" = p_restaurant_id AND c."isActive"
       AND NOT EXISTS (SELECT 1 FROM restaurante.tables t WHERE t.id = ANY(c.table_ids) AND NOT t."isActive")
  ) o
  WHERE o.seats >= p_party
  ORDER BY o.seats, cardinality(o.table_ids), o.table_ids
$$;

-- The first option whose tables are all free for [p_start, p_start + turn + buffer), or NULL.
CREATE FUNCTION restaurante.free_option(p_restaurant_id text, p_party integer, p_start timestamptz, p_exclude_reservation text DEFAULT NULL)
RETURNS text[]
LANGUAGE sql STABLE AS $$
  SELECT o.table_ids FROM restaurante.table_options(p_restaurant_id, p_party) o
   WHERE NOT EXISTS (
     SELECT 1 FROM restaurante.reservation_tables rt
      WHERE rt."restaurantId" = p_restaurant_id AND rt.active AND rt."tableId" = ANY(o.table_ids)
        AND rt."reservationId" IS DISTINCT FROM p_exclude_reservation
        AND rt.occupied && tstzrange(p_start, p_start + make_interval(mins => restaurante.turn_minutes(p_restaurant_id, p_party)
                                                              + (SELECT buffer_minutes FROM restaurante.restaurants WHERE id = p_restaurant_id))))
   LIMIT 1
$$;

-- Bookable start times of a local date: on the slot grid of each service, early enough to finish
-- the turn by closing time, in the future, with a table or combination free (ignoring what
-- p_exclude_reservation itself holds, for the times a booking could move to).
CREATE FUNCTION restaurante.available_slots(p_restaurant_id text, p_date date, p_party integer, p_exclude_reservation text DEFAULT NULL)
RETURNS TABLE (slot timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT s.slot
    FROM restaurante.service_windows(p_restaurant_id, p_date) w
    CROSS JOIN LATERAL generate_series(
      w.opens,
      w.closes - make_interval(mins => restaurante.turn_minutes(p_restaurant_id, p_party)),
      make_interval(mins => (SELECT slot_interval_minutes FROM restaurante.restaurants WHERE id = p_restaurant_id))) AS s(slot)
   WHERE s.slot > now()
     AND restaurante.free_option(p_restaurant_id, p_party, s.slot, p_exclude_reservation) IS NOT NULL
   ORDER BY s.slot
$$;

-- Whether an instant is on the slot grid of one of its local date's services (any party).
CREATE FUNCTION restaurante.is_slot(p_restaurant_id text, p_start timestamptz, p_party integer) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1
      FROM restaurante.restaurants r,
           LATERAL (SELECT (p_start AT TIME ZONE r.timezone)::date AS d) local,
           LATERAL (SELECT * FROM restaurante.service_windows(p_restaurant_id, local.d - 1)
                    UNION ALL SELECT * FROM restaurante.service_windows(p_restaurant_id, local.d)) w
     WHERE r.id = p_restaurant_id
       AND p_start >= w.opens
       AND p_start + make_interval(mins => restaurante.turn_minutes(p_restaurant_id, p_party)) <= w.closes
       AND extract(epoch FROM p_start - w.opens)::bigint % (r.slot_interval_minutes * 60) = 0)
$$;

-- Books a table or combination for a new reservation, or moves an existing one (p_reservation_id).
-- Bookings of one restaurant take turns on a transaction-level advisory lock, so two bookings
-- never pick the same table; the exclusion constraint on reservation_tables guards every other
-- writer. Returns the table ids. CM004 (with alternatives) when no table is free, CM005 off-slot,
-- CM006 when nothing seats the party.
CREATE FUNCTION restaurante.assign_tables(p_restaurant_id text, p_reservation_id text, p_start timestamptz, p_party integer)
RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
  v_tables text[];
  v_turn integer := restaurante.turn_minutes(p_restaurant_id, p_party);
  v_minutes integer := v_turn + (SELECT buffer_minutes FROM restaurante.restaurants WHERE id = p_restaurant_id);
  v_alternatives jsonb;
BEGIN
  IF p_start <= now() OR NOT restaurante.is_slot(p_restaurant_id, p_start, p_party) THEN
    RAISE EXCEPTION 'not a bookable time' USING ERRCODE = 'CM005';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM restaurante.table_options(p_restaurant_id, p_party)) THEN
    RAISE EXCEPTION 'no table or combination seats % people', p_party USING ERRCODE = 'CM006';
  END IF;
  -- Refused bookings are answered without taking the lock (bookings only add occupancy, so a time
  -- that is full now was full under the lock too); the rest take turns per restaurant.
  v_tables := restaurante.free_option(p_restaurant_id, p_party, p_start, p_reservation_id);
  IF v_tables IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtextextended('comanda:booking:' || p_restaurant_id, 0));
    v_tables := restaurante.free_option(p_restaurant_id, p_party, p_start, p_reservation_id);
  END IF;
  IF v_tables IS NULL THEN
    SELECT jsonb_agg(restaurante.local_iso(a.slot, (SELECT timezone FROM restaurante.restaurants WHERE id = p_restaurant_id))
                     ORDER BY abs(extract(epoch FROM a.slot - p_start)), a.slot) INTO v_alternatives
      FROM (SELECT slot FROM restaurante.available_slots(p_restaurant_id,
              (p_start AT TIME ZONE (SELECT timezone FROM restaurante.restaurants WHERE id = p_restaurant_id))::date, p_party,
              p_reservation_id)
            ORDER BY abs(extract(epoch FROM slot - p_start)), slot LIMIT 5) a;
    RAISE EXCEPTION 'Table already reserved' USING ERRCODE = 'CM004', DETAIL = coalesce(v_alternatives, '[]'::jsonb)::text;
  END IF;
  DELETE FROM restaurante.reservation_tables WHERE "reservationId" = p_reservation_id;
  INSERT INTO restaurante.reservation_tables ("restaurantId", "reservationId", "tableId", occupied)
  SELECT p_restaurant_id, p_reservation_id, t, tstzrange(p_start, p_start + make_interval(mins => v_minutes))
    FROM unnest(v_tables) AS t;
  UPDATE restaurante.reservations SET time = p_start, "partySize" = p_party, "durationMinutes" = v_turn,
         "tableId" = v_tables[1]
   WHERE id = p_reservation_id;
  RETURN v_tables;
END;
$$;
