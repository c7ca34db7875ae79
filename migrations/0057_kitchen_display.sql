-- The kitchen display (/kitchen): stations, the restaurant's amber/red thresholds, and the bumps
-- a screen made, so the last one can be undone for 10 s.
--
-- Stations: a dish category belongs to at most one station ("grill", "cold", "pastry"); a
-- station's screen shows the lines of its categories only. Deleting a station leaves its
-- categories without one (every screen shows them).
CREATE TABLE restaurante.kitchen_stations (
  id             text NOT NULL DEFAULT gen_random_uuid()::text,
  "restaurantId" text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE RESTRICT,
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
  "sortOrder"    integer NOT NULL DEFAULT 0,
  "createdAt"    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT kitchen_stations_pkey PRIMARY KEY ("restaurantId", id)
);
CREATE UNIQUE INDEX kitchen_stations_name ON restaurante.kitchen_stations ("restaurantId", lower(name));

ALTER TABLE restaurante.menu_categories ADD COLUMN "stationId" text;
ALTER TABLE restaurante.menu_categories ADD CONSTRAINT "menu_categories_stationId_fkey"
  FOREIGN KEY ("restaurantId", "stationId") REFERENCES restaurante.kitchen_stations ("restaurantId", id)
  ON DELETE SET NULL ("stationId") NOT VALID;
-- comanda:lint-ignore constraint-missing-not-valid the column was added just above, NULL in every row: validating reads a few dozen categories under the lock ADD COLUMN already holds
ALTER TABLE restaurante.menu_categories VALIDATE CONSTRAINT "menu_categories_stationId_fkey";

-- Minutes after which a ticket turns amber, then red.
ALTER TABLE restaurante.restaurants
  ADD COLUMN kitchen_amber_minutes integer NOT NULL DEFAULT 10,
  ADD COLUMN kitchen_red_minutes integer NOT NULL DEFAULT 20;
ALTER TABLE restaurante.restaurants ADD CONSTRAINT restaurants_kitchen_thresholds
  CHECK (kitchen_amber_minutes BETWEEN 1 AND 240 AND kitchen_red_minutes BETWEEN 2 AND 480
         AND kitchen_amber_minutes < kitchen_red_minutes) NOT VALID;
-- comanda:lint-ignore constraint-missing-not-valid the columns were added just above with valid defaults; one row per restaurant, under the lock ADD COLUMN already holds
ALTER TABLE restaurante.restaurants VALIDATE CONSTRAINT restaurants_kitchen_thresholds;

-- A bump: which lines a screen moved forward, from what to what, and the line's "updatedAt"
-- after the move. Undo reverses exactly these lines, only for the session or token that bumped,
-- within 10 s, and only while every line is still as the bump left it. Rows older than an hour
-- are deleted as new bumps come in.
CREATE TABLE restaurante.kitchen_bumps (
  id             text NOT NULL DEFAULT gen_random_uuid()::text,
  "restaurantId" text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE RESTRICT,
  "orderId"      text NOT NULL,
  actor          text NOT NULL,
  lines          jsonb NOT NULL,
  "bumpedAt"     timestamptz NOT NULL DEFAULT clock_timestamp(),
  "undoneAt"     timestamptz,
  CONSTRAINT kitchen_bumps_pkey PRIMARY KEY ("restaurantId", id),
  CONSTRAINT "kitchen_bumps_orderId_fkey" FOREIGN KEY ("restaurantId", "orderId")
    REFERENCES restaurante.orders ("restaurantId", id) ON DELETE CASCADE
);
CREATE INDEX kitchen_bumps_restaurant_time ON restaurante.kitchen_bumps ("restaurantId", "bumpedAt");
CREATE INDEX "kitchen_bumps_orderId" ON restaurante.kitchen_bumps ("restaurantId", "orderId");
