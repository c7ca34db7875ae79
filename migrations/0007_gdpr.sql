-- 0007 — GDPR: an audit log of who exported or erased whose data, and erasure as one function.
-- Erasure anonymises personal data wherever it is held (customers, reservations, orders, e-mail
-- logs, QR scans of the customer's table sessions, idempotency records, consent details)
-- and keeps financial records (orders, their lines, amounts) and the stock ledger intact.

CREATE TABLE restaurante.audit_log (
  id             text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  "restaurantId" text NOT NULL REFERENCES restaurante.restaurants (id) ON DELETE RESTRICT,
  actor          text NOT NULL,
  action         text NOT NULL CHECK (action IN ('customer.export', 'customer.erase', 'retention.anonymize')),
  -- Ids only: the audit log itself must hold no personal data.
  "subjectId"    text,
  details        jsonb NOT NULL DEFAULT '{}',
  "createdAt"    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_subject ON restaurante.audit_log ("restaurantId", "subjectId", "createdAt");

CREATE FUNCTION restaurante.erase_customer(p_restaurant_id text, p_customer_id text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_email text;
  v_orders text[];
  v_reservations text[];
  v_counts jsonb := '{}';
  v_n integer;
BEGIN
  SELECT lower(email) INTO v_email FROM restaurante.customers
   WHERE id = p_customer_id AND "restaurantId" = p_restaurant_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;

  -- The customer's orders and reservations: linked by id, or by the e-mail address they gave.
  v_orders := ARRAY(SELECT id FROM restaurante.orders
   WHERE "restaurantId" = p_restaurant_id AND ("customerId" = p_customer_id OR (v_email IS NOT NULL AND lower(customer_email) = v_email)));
  v_reservations := ARRAY(SELECT id FROM restaurante.reservations
   WHERE "restaurantId" = p_restaurant_id AND ("customerId" = p_customer_id OR (v_email IS NOT NULL AND lower("customerEmail") = v_email)));

  UPDATE restaurante.reservations
     SET "customerName" = '[erased]', "customerEmail" = NULL, "customerPhone" = NULL, notes = NULL
   WHERE id = ANY(v_reservations);
  GET DIAGNOSTICS v_n = ROW_COUNT; v_counts := v_counts || jsonb_build_object('reservations', v_n);
  UPDATE restaurante.reservation_items SET notes = NULL WHERE "reservationId" = ANY(v_reservations);

  -- Orders stay (they are financial records); what identifies the person goes.
  UPDATE restaurante.orders SET customer_email = NULL, notes = NULL, idempotency_key = NULL
   WHERE id = ANY(v_orders);
  GET DIAGNOSTICS v_n = ROW_COUNT; v_counts := v_counts || jsonb_build_object('orders', v_n);
  UPDATE restaurante.order_items SET notes = NULL WHERE "orderId" = ANY(v_orders);

  UPDATE restaurante.email_logs
     SET recipient_email = 'erased@invalid', payload = '{}', error_message = NULL
   WHERE "restaurantId" = p_restaurant_id
     AND (customer_id = p_customer_id OR order_id = ANY(v_orders)
          OR reservation_id = ANY(v_reservations)
          OR (v_email IS NOT NULL AND lower(recipient_email) = v_email));
  GET DIAGNOSTICS v_n = ROW_COUNT; v_counts := v_counts || jsonb_build_object('emails', v_n);

  UPDATE restaurante.qr_scans SET client_ip = NULL, user_agent = NULL
   WHERE session_id IN (SELECT "sessionId" FROM restaurante.orders WHERE id = ANY(v_orders) AND "sessionId" IS NOT NULL)
     AND (client_ip IS NOT NULL OR user_agent IS NOT NULL);
  GET DIAGNOSTICS v_n = ROW_COUNT; v_counts := v_counts || jsonb_build_object('qrScans', v_n);

  -- Stored answers of idempotent requests repeat what the request said, and a client's key may
  -- itself say who it was: those records go (they only serve retries within hours anyway).
  DELETE FROM restaurante.idempotency_keys
   WHERE "restaurantId" = p_restaurant_id
     AND ("responseBody"->'order'->>'id' = ANY(v_orders)
          OR "responseBody"->'reservation'->>'id' = ANY(v_reservations));
  GET DIAGNOSTICS v_n = ROW_COUNT; v_counts := v_counts || jsonb_build_object('idempotentResponses', v_n);

  UPDATE restaurante.customer_consents SET details = NULL WHERE "customerId" = p_customer_id;
  UPDATE restaurante.customers SET name = NULL, email = NULL, phone = NULL, "anonymizedAt" = now()
   WHERE id = p_customer_id;
  RETURN v_counts;
END;
$$;
