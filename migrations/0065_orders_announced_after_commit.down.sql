DROP TRIGGER orders_notify_session ON restaurante.orders;
CREATE TRIGGER orders_notify_session AFTER INSERT OR UPDATE ON restaurante.orders
  FOR EACH ROW WHEN (NEW."sessionId" IS NOT NULL) EXECUTE FUNCTION restaurante.notify_session_change();

DROP TRIGGER orders_notify_staff ON restaurante.orders;
CREATE TRIGGER orders_notify_staff AFTER INSERT OR UPDATE ON restaurante.orders
  FOR EACH ROW EXECUTE FUNCTION restaurante.notify_restaurant_change('comanda_orders');
