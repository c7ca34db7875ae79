-- 0061 — the two per-row triggers every order fires once per line become statement-level
-- triggers over transition tables: one run per statement instead of one per row (an order of
-- n lines ran each 2n times). What they record is unchanged, for any writer:
--   * order_items_status_created: the status history row of every new line, with the actor
--     (comanda.actor, else the database user);
--   * menu_items_stock_ledger_update: one stock movement per dish whose stock changed, with the
--     delta, the stock after, the reason, order, actor and note of the transaction's settings
--     (stock = Σ movements still holds for every writer). A trigger with transition tables
--     cannot name columns (UPDATE OF stock), so it runs after every UPDATE statement on
--     menu_items and records only the rows whose stock changed.
-- Measured in docs/benchmarks.md ("Where an order's time goes").

CREATE FUNCTION restaurante.record_order_item_statuses() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO restaurante.order_status_history
    ("restaurantId", "orderId", "orderItemId", "fromStatus", "toStatus", "changedBy")
  SELECT n."restaurantId", n."orderId", n.id, NULL, n.status::text,
         coalesce(nullif(current_setting('comanda.actor', true), ''), current_user)
    FROM new_rows n;
  RETURN NULL;
END;
$$;

CREATE FUNCTION restaurante.record_stock_movements() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO restaurante.stock_movements
    ("restaurantId", "menuItemId", delta, "stockAfter", reason, "orderId", actor, note)
  SELECT n."restaurantId", n.id, n.stock - o.stock, n.stock,
         coalesce(nullif(current_setting('comanda.stock_reason', true), ''), 'manual'),
         nullif(current_setting('comanda.stock_order_id', true), ''),
         coalesce(nullif(current_setting('comanda.actor', true), ''), current_user),
         nullif(current_setting('comanda.stock_note', true), '')
    FROM new_rows n
    JOIN old_rows o ON o."restaurantId" = n."restaurantId" AND o.id = n.id
   WHERE n.stock IS DISTINCT FROM o.stock
   ORDER BY n.id;
  RETURN NULL;
END;
$$;

DROP TRIGGER order_items_status_created ON restaurante.order_items;
CREATE TRIGGER order_items_status_created AFTER INSERT ON restaurante.order_items
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION restaurante.record_order_item_statuses();

DROP TRIGGER menu_items_stock_ledger_update ON restaurante.menu_items;
CREATE TRIGGER menu_items_stock_ledger_update AFTER UPDATE ON restaurante.menu_items
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION restaurante.record_stock_movements();
