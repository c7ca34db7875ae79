DROP TABLE restaurante.kitchen_bumps;
ALTER TABLE restaurante.restaurants DROP CONSTRAINT restaurants_kitchen_thresholds;
ALTER TABLE restaurante.restaurants DROP COLUMN kitchen_amber_minutes, DROP COLUMN kitchen_red_minutes;
ALTER TABLE restaurante.menu_categories DROP CONSTRAINT "menu_categories_stationId_fkey";
ALTER TABLE restaurante.menu_categories DROP COLUMN "stationId";
DROP TABLE restaurante.kitchen_stations;
