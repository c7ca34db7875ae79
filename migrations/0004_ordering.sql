-- 0004 — ordering: order numbers, per-restaurant menu versions (for caches on every instance),
-- the complete menu as SQL, and the roadmap's order functions done right (§2.3, §5.1):
--   * prices and totals come from menu_items, never from the caller;
--   * the dishes of an order are locked in id order, so concurrent orders cannot deadlock;
--   * stock goes down by conditional UPDATEs in the same transaction, through the ledger;
--   * no SET TRANSACTION inside a function (PostgreSQL refuses it, 25001) and no
--     EXCEPTION WHEN OTHERS: callers get the real SQLSTATEs, Comanda's own in class CM:
--     CM001 item unavailable, CM002 not enough stock, CM003 item not on this restaurant's menu,
--     each with a DETAIL listing the items as JSON: [{menuItemId, requested, available}].

CREATE SEQUENCE restaurante.order_number_seq AS bigint;

-- How guests see stock: exact counts are the kitchen's business.
CREATE FUNCTION restaurante.stock_state(p_stock integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_stock <= 0 THEN 'sold_out' WHEN p_stock <= 5 THEN 'low' ELSE 'in_stock' END
$$;

-- ---------------------------------------------------------------------------------------------
-- Menu versions: bumped whenever what a guest sees of the menu changes (a price, availability,
-- a stock *state*, a name), so every instance's menu cache can check it cheaply, also through a
-- transaction-mode pooler; a NOTIFY on `comanda_menu` lets instances with a direct connection
-- drop their cache at once. An order that does not change a stock state does not touch it, so
-- orders do not queue on it.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE restaurante.menu_versions (
  "restaurantId" text PRIMARY KEY REFERENCES restaurante.restaurants (id) ON DELETE CASCADE,
  version        bigint NOT NULL DEFAULT 1,
  "changedAt"    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO restaurante.menu_versions ("restaurantId") SELECT id FROM restaurante.restaurants;

CREATE FUNCTION restaurante.create_menu_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO restaurante.menu_versions ("restaurantId") VALUES (NEW.id) ON CONFLICT DO NOTHING;
  RETURN NULL;
END;
$$;
CREATE TRIGGER restaurants_menu_version_create AFTER INSERT ON restaurante.restaurants
  FOR EACH ROW EXECUTE FUNCTION restaurante.create_menu_version();

CREATE FUNCTION restaurante.bump_menu_version() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_restaurant text := CASE TG_TABLE_NAME WHEN 'restaurants' THEN NEW.id
                        ELSE (CASE WHEN TG_OP = 'DELETE' THEN OLD."restaurantId" ELSE NEW."restaurantId" END) END;
  v_version bigint;
BEGIN
  UPDATE restaurante.menu_versions SET version = version + 1, "changedAt" = now()
   WHERE "restaurantId" = v_restaurant
  RETURNING version INTO v_version;
  PERFORM pg_notify('comanda_menu', v_restaurant || ' ' || v_version);
  RETURN NULL;
END;
$$;
CREATE TRIGGER restaurants_menu_version AFTER UPDATE ON restaurante.restaurants
  FOR EACH ROW WHEN ((OLD.name, OLD.currency) IS DISTINCT FROM (NEW.name, NEW.currency))
  EXECUTE FUNCTION restaurante.bump_menu_version();
CREATE TRIGGER menu_categories_menu_version AFTER INSERT OR UPDATE OR DELETE ON restaurante.menu_categories
  FOR EACH ROW EXECUTE FUNCTION restaurante.bump_menu_version();
CREATE TRIGGER menu_items_menu_version AFTER INSERT OR DELETE ON restaurante.menu_items
  FOR EACH ROW EXECUTE FUNCTION restaurante.bump_menu_version();
CREATE TRIGGER menu_items_menu_version_update AFTER UPDATE ON restaurante.menu_items
  FOR EACH ROW WHEN (
    (OLD.name, OLD.description, OLD.price, OLD."isAvailable", OLD.allergens, OLD."categoryId", OLD."sortOrder")
      IS DISTINCT FROM (NEW.name, NEW.description, NEW.price, NEW."isAvailable", NEW.allergens, NEW."categoryId", NEW."sortOrder")
    OR restaurante.stock_state(OLD.stock) <> restaurante.stock_state(NEW.stock))
  EXECUTE FUNCTION restaurante.bump_menu_version();

-- The menu a guest sees: active categories with their available dishes, prices, allergens and
-- stock state; NULL for an unknown restaurant. The HTTP API serves exactly this document.
CREATE FUNCTION restaurante.get_complete_menu(p_restaurant_id text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'restaurantId', r.id,
    'name', r.name,
    'currency', r.currency,
    'version', mv.version,
    'categories', coalesce((
      SELECT jsonb_agg(jsonb_build_object(
               'id', c.id, 'name', c.name, 'description', c.description, 'items', items.list)
             ORDER BY c."sortOrder", c.name, c.id)
        FROM restaurante.menu_categories c
        CROSS JOIN LATERAL (
          SELECT jsonb_agg(jsonb_build_object(
                   'id', i.id, 'name', i.name, 'description', i.description, 'price', i.price,
                   'allergens', to_jsonb(i.allergens), 'stockState', restaurante.stock_state(i.stock))
                 ORDER BY i."sortOrder", i.name, i.id) AS list
            FROM restaurante.menu_items i
           WHERE i."restaurantId" = c."restaurantId" AND i."categoryId" = c.id AND i."isAvailable"
        ) items
       WHERE c."restaurantId" = r.id AND c."isActive" AND items.list IS NOT NULL), '[]'::jsonb))
  FROM restaurante.restaurants r
  JOIN restaurante.menu_versions mv ON mv."restaurantId" = r.id
  WHERE r.id = p_restaurant_id
$$;

-- One order as the API returns it.
CREATE FUNCTION restaurante.order_json(p_order_id text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', o.id, 'orderNumber', o."orderNumber", 'restaurantId', o."restaurantId",
    'tableId', o."tableId", 'source', o.source, 'status', o.status,
    'totalAmount', o."totalAmount", 'customerEmail', o.customer_email, 'notes', o.notes,
    'orderedAt', o."orderedAt", 'updatedAt', o."updatedAt",
    'items', coalesce((
      SELECT jsonb_agg(jsonb_build_object(
               'id', oi.id, 'menuItemId', oi."menuItemId", 'name', mi.name, 'quantity', oi.quantity,
               'unitPrice', oi."unitPrice", 'totalPrice', oi."totalPrice", 'status', oi.status,
               'notes', oi.notes)
             ORDER BY oi."createdAt", oi.id)
        FROM restaurante.order_items oi
        JOIN restaurante.menu_items mi ON mi.id = oi."menuItemId"
       WHERE oi."orderId" = o.id), '[]'::jsonb))
  FROM restaurante.orders o
  WHERE o.id = p_order_id
$$;

-- Places an order in one statement (and one round trip): p_order holds tableId, sessionId,
-- source, customerEmail, notes, idempotencyKey, createdBy (also recorded as comanda.actor);
-- prices, totals and order numbers sent by a client are ignored. p_items is
-- [{menuItemId, quantity, notes}]. Returns order_json. When several dishes have problems, the
-- error is of the worst kind (CM003, then CM001, then CM002) and names the dishes of that kind.
CREATE FUNCTION restaurante.place_order(p_restaurant_id text, p_order jsonb, p_items jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_wanted jsonb;      -- {menuItemId: requested quantity}; the same dish twice adds up
  v_ids text[];
  v_found jsonb;       -- {menuItemId: {stock, available, price}} for this restaurant's dishes
  v_problems jsonb;
  v_order_id text := gen_random_uuid()::text;
  v_total numeric(10, 2);
  v_updated integer;
  v_prev_reason text := current_setting('comanda.stock_reason', true);
  v_prev_order text := current_setting('comanda.stock_order_id', true);
BEGIN
  IF p_items IS NULL OR jsonb_typeof(p_items) <> 'array' OR jsonb_array_length(p_items) = 0 THEN
    RAISE EXCEPTION 'an order needs at least one item' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_order ? 'createdBy' THEN
    PERFORM set_config('comanda.actor', p_order->>'createdBy', true);
  END IF;

  SELECT jsonb_object_agg(id, requested), array_agg(id ORDER BY id) INTO v_wanted, v_ids
    FROM (SELECT e->>'menuItemId' AS id, sum((e->>'quantity')::integer) AS requested
            FROM jsonb_array_elements(p_items) AS e GROUP BY 1) w;

  -- Lock the dishes in id order (two orders for the same dishes queue instead of deadlocking)
  -- and read them, in one statement.
  SELECT coalesce(jsonb_object_agg(m.id, jsonb_build_object('stock', m.stock, 'available', m."isAvailable", 'price', m.price)), '{}')
    INTO v_found
    FROM (SELECT id, stock, "isAvailable", price FROM restaurante.menu_items
           WHERE id = ANY(v_ids) AND "restaurantId" = p_restaurant_id
           ORDER BY id FOR UPDATE) m;

  -- Every problem at once, worst kind first: not on the menu, unavailable, short of stock.
  SELECT jsonb_agg(jsonb_build_object('menuItemId', w.key, 'requested', w.value::integer,
                                      'available', CASE WHEN coalesce((v_found->w.key->>'available')::boolean, false)
                                                        THEN (v_found->w.key->>'stock')::integer ELSE 0 END,
                                      'kind',
                                      CASE WHEN NOT v_found ? w.key THEN 'CM003'
                                           WHEN NOT (v_found->w.key->>'available')::boolean THEN 'CM001'
                                           ELSE 'CM002' END) ORDER BY w.key)
    INTO v_problems
    FROM jsonb_each_text(v_wanted) AS w
   WHERE NOT v_found ? w.key
      OR NOT (v_found->w.key->>'available')::boolean
      OR (v_found->w.key->>'stock')::integer < w.value::integer;
  IF v_problems IS NOT NULL THEN
    DECLARE
      v_kind text := CASE WHEN v_problems @> '[{"kind": "CM003"}]' THEN 'CM003'
                          WHEN v_problems @> '[{"kind": "CM001"}]' THEN 'CM001' ELSE 'CM002' END;
      v_detail text := (SELECT jsonb_agg(p - 'kind' ORDER BY p->>'menuItemId') FROM jsonb_array_elements(v_problems) p
                         WHERE p->>'kind' = v_kind)::text;
    BEGIN
      IF v_kind = 'CM003' THEN
        RAISE EXCEPTION 'Menu items not on this restaurant''s menu' USING ERRCODE = 'CM003', DETAIL = v_detail;
      ELSIF v_kind = 'CM001' THEN
        RAISE EXCEPTION 'Menu items not available' USING ERRCODE = 'CM001', DETAIL = v_detail;
      END IF;
      RAISE EXCEPTION 'Stock insuficiente' USING ERRCODE = 'CM002', DETAIL = v_detail;
    END;
  END IF;

  SELECT sum((v_found->(e->>'menuItemId')->>'price')::numeric * (e->>'quantity')::integer) INTO v_total
    FROM jsonb_array_elements(p_items) AS e;

  INSERT INTO restaurante.orders
    (id, "restaurantId", "orderNumber", "tableId", "sessionId", "customerId", source, "totalAmount",
     customer_email, notes, idempotency_key, "createdBy")
  VALUES
    (v_order_id, p_restaurant_id, 'ORD-' || lpad(nextval('restaurante.order_number_seq')::text, 6, '0'),
     p_order->>'tableId', p_order->>'sessionId', p_order->>'customerId', coalesce(p_order->>'source', 'qr'), v_total,
     p_order->>'customerEmail', p_order->>'notes', p_order->>'idempotencyKey', p_order->>'createdBy');

  INSERT INTO restaurante.order_items
    ("restaurantId", "orderId", "menuItemId", quantity, "unitPrice", "totalPrice", notes, "createdAt")
  SELECT p_restaurant_id, v_order_id, e->>'menuItemId', (e->>'quantity')::integer,
         (v_found->(e->>'menuItemId')->>'price')::numeric,
         (v_found->(e->>'menuItemId')->>'price')::numeric * (e->>'quantity')::integer,
         e->>'notes', clock_timestamp()
    FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(e, n)
   ORDER BY n;

  -- Stock down, one conditional UPDATE per dish, recorded in the ledger as this order's.
  PERFORM set_config('comanda.stock_reason', 'order', true), set_config('comanda.stock_order_id', v_order_id, true);
  UPDATE restaurante.menu_items mi
     SET stock = mi.stock - (v_wanted->>mi.id)::integer
   WHERE mi.id = ANY(v_ids) AND mi."restaurantId" = p_restaurant_id AND mi.stock >= (v_wanted->>mi.id)::integer;
  GET DIAGNOSTICS v_updated = ROW_COUNT;
  PERFORM set_config('comanda.stock_reason', coalesce(v_prev_reason, ''), true),
          set_config('comanda.stock_order_id', coalesce(v_prev_order, ''), true);
  IF v_updated <> cardinality(v_ids) THEN
    -- Cannot happen while the rows are locked; kept as a guard, never as a silent oversell.
    RAISE EXCEPTION 'Stock insuficiente' USING ERRCODE = 'CM002';
  END IF;

  RETURN restaurante.order_json(v_order_id);
END;
$$;

-- The roadmap's RPC (§5.1): decreases one item's stock atomically and returns the new stock;
-- when stock is short or the item does not exist it raises 'Stock insuficiente o item no
-- encontrado' (CM002 / CM003) and changes nothing. The ledger records it (reason 'order' unless
-- the caller said otherwise).
CREATE FUNCTION restaurante.decrease_menu_item_stock(item_id text, decrease_amount integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_stock integer;
  v_prev_reason text := current_setting('comanda.stock_reason', true);
BEGIN
  IF decrease_amount IS NULL OR decrease_amount <= 0 THEN
    RAISE EXCEPTION 'decrease_amount must be a positive integer' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM set_config('comanda.stock_reason', coalesce(nullif(v_prev_reason, ''), 'order'), true);
  UPDATE restaurante.menu_items SET stock = stock - decrease_amount
   WHERE id = item_id AND stock >= decrease_amount
  RETURNING stock INTO v_stock;
  PERFORM set_config('comanda.stock_reason', coalesce(v_prev_reason, ''), true);
  IF v_stock IS NULL THEN
    IF EXISTS (SELECT 1 FROM restaurante.menu_items WHERE id = item_id) THEN
      RAISE EXCEPTION 'Stock insuficiente o item no encontrado: %', item_id USING ERRCODE = 'CM002',
        DETAIL = jsonb_build_array(jsonb_build_object('menuItemId', item_id, 'requested', decrease_amount,
                   'available', (SELECT stock FROM restaurante.menu_items WHERE id = item_id)))::text;
    END IF;
    RAISE EXCEPTION 'Stock insuficiente o item no encontrado: %', item_id USING ERRCODE = 'CM003',
      DETAIL = jsonb_build_array(jsonb_build_object('menuItemId', item_id, 'requested', decrease_amount, 'available', 0))::text;
  END IF;
  RETURN v_stock;
END;
$$;

-- The roadmap's §2.3 function, done right: same signature and result; the restaurant, table and
-- source come from p_order_data, the dishes and quantities from p_order_items; its prices,
-- totals and order numbers are ignored (the database's are used).
CREATE FUNCTION restaurante.create_order_with_stock_check(p_order_data jsonb, p_order_items jsonb[])
RETURNS TABLE (order_id text, success boolean)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY
  SELECT restaurante.place_order(p_order_data->>'restaurantId', p_order_data, to_jsonb(p_order_items))->>'id', true;
END;
$$;
