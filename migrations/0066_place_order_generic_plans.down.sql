-- place_order as in 0064 (custom plans where PostgreSQL chooses them; the dishes joined to
-- their categories).
CREATE OR REPLACE FUNCTION restaurante.place_order(p_restaurant_id text, p_order jsonb, p_items jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_wanted jsonb;      -- {menuItemId: requested quantity}; the same dish twice adds up
  v_ids text[];
  v_found jsonb;       -- {menuItemId: {stock, available, price, name}} for this restaurant's dishes
  v_problems jsonb;
  v_order_id text := restaurante.uuid7()::text;  -- time-ordered (migration 0063)
  v_order restaurante.orders;
  v_lines jsonb;
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
  -- A dish is orderable when it is available and its category is shown (active).
  SELECT coalesce(jsonb_object_agg(m.id, jsonb_build_object('stock', m.stock, 'available', m.orderable, 'price', m.price, 'name', m.name)), '{}')
    INTO v_found
    FROM (SELECT i.id, i.stock, i."isAvailable" AND c."isActive" AS orderable, i.price, i.name
            FROM restaurante.menu_items i
            JOIN restaurante.menu_categories c ON c."restaurantId" = i."restaurantId" AND c.id = i."categoryId"
           WHERE i.id = ANY(v_ids) AND i."restaurantId" = p_restaurant_id
           ORDER BY i.id FOR UPDATE OF i) m;

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
  -- The orders table refuses a total of 10,000 or more (check_total_amount_positive): say so
  -- before the INSERT, with Comanda's own code, so no rejected row lands in the server's log.
  IF v_total >= 10000 THEN
    RAISE EXCEPTION 'The order total is over the limit' USING ERRCODE = 'CM007', DETAIL = jsonb_build_array(v_total)::text;
  END IF;

  INSERT INTO restaurante.orders
    (id, "restaurantId", "orderNumber", "tableId", "sessionId", "customerId", source, "totalAmount",
     customer_email, notes, idempotency_key, "createdBy", "guestPhone")
  VALUES
    (v_order_id, p_restaurant_id, 'ORD-' || lpad(nextval('restaurante.order_number_seq')::text, 6, '0'),
     p_order->>'tableId', p_order->>'sessionId', p_order->>'customerId', coalesce(p_order->>'source', 'qr'), v_total,
     p_order->>'customerEmail', p_order->>'notes', p_order->>'idempotencyKey',
     coalesce(p_order->>'createdBy', nullif(current_setting('comanda.actor', true), ''), current_user),
     (p_order->>'guestPhone')::integer)
  RETURNING * INTO v_order;

  WITH lines AS (
    INSERT INTO restaurante.order_items
      ("restaurantId", "orderId", "menuItemId", quantity, "unitPrice", "totalPrice", notes, "createdAt")
    SELECT p_restaurant_id, v_order_id, e->>'menuItemId', (e->>'quantity')::integer,
           (v_found->(e->>'menuItemId')->>'price')::numeric,
           (v_found->(e->>'menuItemId')->>'price')::numeric * (e->>'quantity')::integer,
           e->>'notes', clock_timestamp()
      FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(e, n)
     ORDER BY n
    RETURNING id, "menuItemId", quantity, "unitPrice", "totalPrice", status, notes, "createdAt")
  SELECT jsonb_agg(jsonb_build_object(
           'id', id, 'menuItemId', "menuItemId", 'name', v_found->"menuItemId"->>'name', 'quantity', quantity,
           'unitPrice', "unitPrice", 'totalPrice', "totalPrice", 'status', status, 'notes', notes)
         ORDER BY "createdAt", id)
    INTO v_lines
    FROM lines;

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

  -- The answer from the rows just written, in order_json's shape (no second read, no SQL
  -- function planned anew on every call).
  RETURN jsonb_build_object(
    'id', v_order.id, 'orderNumber', v_order."orderNumber", 'restaurantId', v_order."restaurantId",
    'tableId', v_order."tableId", 'source', v_order.source, 'status', v_order.status,
    'totalAmount', v_order."totalAmount", 'customerEmail', v_order.customer_email, 'notes', v_order.notes,
    'orderedAt', v_order."orderedAt", 'updatedAt', v_order."updatedAt", 'items', v_lines);
END;
$$;
