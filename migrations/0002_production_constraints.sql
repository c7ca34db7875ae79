-- 0002 — the roadmap's §2.1 production constraints and availability trigger, written so they
-- run: camelCase identifiers are quoted (the roadmap's unquoted `totalAmount` folds to
-- `totalamount` and fails), and each constraint is added NOT VALID, then validated, which is
-- how they must be added to a table that already holds rows (the ADD takes a brief lock, the
-- VALIDATE scans without blocking writes).

ALTER TABLE restaurante.orders
  ADD CONSTRAINT check_total_amount_positive
  CHECK ("totalAmount" >= 0 AND "totalAmount" < 10000) NOT VALID;
ALTER TABLE restaurante.orders VALIDATE CONSTRAINT check_total_amount_positive;

ALTER TABLE restaurante.reservations
  ADD CONSTRAINT check_realistic_party_size
  CHECK ("partySize" BETWEEN 1 AND 50) NOT VALID;
ALTER TABLE restaurante.reservations VALIDATE CONSTRAINT check_realistic_party_size;

ALTER TABLE restaurante.menu_items
  ADD CONSTRAINT check_stock_non_negative
  CHECK (stock >= 0) NOT VALID;
ALTER TABLE restaurante.menu_items VALIDATE CONSTRAINT check_stock_non_negative;

ALTER TABLE restaurante.order_items
  ADD CONSTRAINT check_quantity_positive
  CHECK (quantity > 0 AND quantity <= 100) NOT VALID;
ALTER TABLE restaurante.order_items VALIDATE CONSTRAINT check_quantity_positive;

ALTER TABLE restaurante.menu_items
  ADD CONSTRAINT check_price_positive
  CHECK (price > 0 AND price < 1000) NOT VALID;
ALTER TABLE restaurante.menu_items VALIDATE CONSTRAINT check_price_positive;

-- NULL passes: an order without an e-mail address is fine.
ALTER TABLE restaurante.orders
  ADD CONSTRAINT check_email_format
  CHECK (customer_email ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$') NOT VALID;
ALTER TABLE restaurante.orders VALIDATE CONSTRAINT check_email_format;

-- §2.1 "prevent order creation for unavailable menu items". The roadmap raises a bare P0001;
-- this raises SQLSTATE CM001 (Comanda's own class), which the error catalogue maps to
-- ITEM_UNAVAILABLE, so callers branch on the code, never on the message text. The item must
-- also belong to the order line's restaurant.
CREATE FUNCTION restaurante.validate_menu_item_availability() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM restaurante.menu_items
     WHERE id = NEW."menuItemId"
       AND "restaurantId" = NEW."restaurantId"
       AND "isAvailable" = true
  ) THEN
    RAISE EXCEPTION 'Menu item % is not available', NEW."menuItemId"
      USING ERRCODE = 'CM001';
  END IF;
  RETURN NEW;
END;
$$;

-- Also on a change of the dish, which the roadmap's INSERT-only trigger would let through.
CREATE TRIGGER check_menu_item_before_order_item
  BEFORE INSERT OR UPDATE OF "menuItemId" ON restaurante.order_items
  FOR EACH ROW EXECUTE FUNCTION restaurante.validate_menu_item_availability();
