-- Live updates for the staff's screens: a NOTIFY with the restaurant's id whenever what a screen
-- shows changes. `comanda_orders`: an order or one of its lines (every line change also updates
-- its order's row: status and total), for the kitchen display and the floor. `comanda_floor`: a
-- table or its session (opened, closed, a code rotated). `comanda_reservations`: a booking.
-- Identical notifications of one transaction are delivered once, so a statement touching many
-- rows costs one message per restaurant.
CREATE FUNCTION restaurante.notify_restaurant_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(TG_ARGV[0], NEW."restaurantId");
  RETURN NULL;
END;
$$;

CREATE TRIGGER orders_notify_staff AFTER INSERT OR UPDATE ON restaurante.orders
  FOR EACH ROW EXECUTE FUNCTION restaurante.notify_restaurant_change('comanda_orders');
CREATE TRIGGER tables_notify_floor AFTER INSERT OR UPDATE ON restaurante.tables
  FOR EACH ROW EXECUTE FUNCTION restaurante.notify_restaurant_change('comanda_floor');
CREATE TRIGGER table_sessions_notify_floor AFTER INSERT OR UPDATE ON restaurante.table_sessions
  FOR EACH ROW EXECUTE FUNCTION restaurante.notify_restaurant_change('comanda_floor');
CREATE TRIGGER reservations_notify_staff AFTER INSERT OR UPDATE ON restaurante.reservations
  FOR EACH ROW EXECUTE FUNCTION restaurante.notify_restaurant_change('comanda_reservations');
