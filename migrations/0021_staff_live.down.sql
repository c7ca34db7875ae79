DROP TRIGGER reservations_notify_staff ON restaurante.reservations;
DROP TRIGGER table_sessions_notify_floor ON restaurante.table_sessions;
DROP TRIGGER tables_notify_floor ON restaurante.tables;
DROP TRIGGER orders_notify_staff ON restaurante.orders;
DROP FUNCTION restaurante.notify_restaurant_change();
