-- The stock ledger's setting protocol in one place, SQL: restaurante.return_stock gives back the
-- stock of an order's live lines (all of them, or those named) the way place_order takes it,
-- recording the movements as 'order_cancelled' of that order and then restoring whatever
-- comanda.stock_reason / comanda.stock_order_id the transaction had before (as place_order does).
-- The dishes are locked in id order, as orders lock them, so the two queue instead of deadlocking.
-- Returns how many dishes got stock back.
CREATE FUNCTION restaurante.return_stock(p_restaurant_id text, p_order_id text, p_item_ids text[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_prev_reason text := current_setting('comanda.stock_reason', true);
  v_prev_order text := current_setting('comanda.stock_order_id', true);
  v_updated integer;
BEGIN
  PERFORM set_config('comanda.stock_reason', 'order_cancelled', true), set_config('comanda.stock_order_id', p_order_id, true);
  WITH back AS (
    SELECT "menuItemId" AS id, sum(quantity) AS quantity FROM restaurante.order_items
     WHERE "orderId" = p_order_id AND status <> 'CANCELLED' AND (p_item_ids IS NULL OR id = ANY(p_item_ids))
     GROUP BY 1),
  locked AS (
    SELECT mi.id FROM restaurante.menu_items mi JOIN back ON back.id = mi.id
     WHERE mi."restaurantId" = p_restaurant_id ORDER BY mi.id FOR UPDATE OF mi)
  UPDATE restaurante.menu_items mi SET stock = mi.stock + back.quantity
    FROM back WHERE mi.id = back.id AND mi.id IN (SELECT id FROM locked);
  GET DIAGNOSTICS v_updated = ROW_COUNT;
  PERFORM set_config('comanda.stock_reason', coalesce(v_prev_reason, ''), true),
          set_config('comanda.stock_order_id', coalesce(v_prev_order, ''), true);
  RETURN v_updated;
END;
$$;
