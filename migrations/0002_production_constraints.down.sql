DROP TRIGGER check_menu_item_before_order_item ON restaurante.order_items;
DROP FUNCTION restaurante.validate_menu_item_availability();
ALTER TABLE restaurante.orders DROP CONSTRAINT check_email_format;
ALTER TABLE restaurante.menu_items DROP CONSTRAINT check_price_positive;
ALTER TABLE restaurante.order_items DROP CONSTRAINT check_quantity_positive;
ALTER TABLE restaurante.menu_items DROP CONSTRAINT check_stock_non_negative;
ALTER TABLE restaurante.reservations DROP CONSTRAINT check_realistic_party_size;
ALTER TABLE restaurante.orders DROP CONSTRAINT check_total_amount_positive;
