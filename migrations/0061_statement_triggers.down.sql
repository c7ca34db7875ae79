-- Back to 0001's per-row triggers.
DROP TRIGGER menu_items_stock_ledger_update ON restaurante.menu_items;
CREATE TRIGGER menu_items_stock_ledger_update AFTER UPDATE OF stock ON restaurante.menu_items
  FOR EACH ROW WHEN (OLD.stock IS DISTINCT FROM NEW.stock)
  EXECUTE FUNCTION restaurante.record_stock_movement();

DROP TRIGGER order_items_status_created ON restaurante.order_items;
CREATE TRIGGER order_items_status_created AFTER INSERT ON restaurante.order_items
  FOR EACH ROW EXECUTE FUNCTION restaurante.record_order_status();

DROP FUNCTION restaurante.record_stock_movements();
DROP FUNCTION restaurante.record_order_item_statuses();
