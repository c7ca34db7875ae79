-- 0062 — who is calling, and the claim of an idempotency key, as functions: an order asks both in
-- one statement (one round trip where it took three: who is it, the key's lock, the key's lookup).
-- Every round trip costs the database a protocol exchange and a statement's start-up, and the
-- service a socket write (docs/benchmarks.md, "Where an order's time goes").
--
-- caller_of: the principal behind a bearer token's hash — a staff token that is neither revoked
-- nor expired (its lastUsedAt touched at most once a minute), or an admitted phone of an open,
-- unexpired table session — with the scope its idempotency keys belong to.
CREATE FUNCTION restaurante.caller_of(p_token_hash text)
RETURNS TABLE (kind text, "restaurantId" text, "tokenId" text, role text, "sessionId" text, "tableId" text, phone integer,
               "idempotencyScope" text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_staff record;
BEGIN
  SELECT t.id, t."restaurantId", t.role::text AS role,
         (t."lastUsedAt" IS NULL OR t."lastUsedAt" < now() - interval '1 minute') AS stale
    INTO v_staff
    FROM restaurante.staff_tokens t
   WHERE t.token_hash = p_token_hash AND t."revokedAt" IS NULL AND (t."expiresAt" IS NULL OR t."expiresAt" > now());
  IF FOUND THEN
    IF v_staff.stale THEN
      UPDATE restaurante.staff_tokens SET "lastUsedAt" = now() WHERE id = v_staff.id;
    END IF;
    RETURN QUERY SELECT 'staff'::text, v_staff."restaurantId", v_staff.id, v_staff.role, NULL::text, NULL::text, NULL::integer,
                        'staff:' || v_staff.id;
    RETURN;
  END IF;
  RETURN QUERY
    SELECT 'guest'::text, s."restaurantId", t.id, NULL::text, s.id, s."tableId", t.phone, 'session:' || s.id
      FROM restaurante.table_session_tokens t
      JOIN restaurante.table_sessions s ON s.id = t."sessionId"
     WHERE t.token_hash = p_token_hash AND t."approvedAt" IS NOT NULL AND s."closedAt" IS NULL AND s."expiresAt" > now();
END;
$$;

-- claim_idempotency_key: the transaction-level advisory lock of a key (not claimed: a request with
-- that key is running), then its unexpired record, read by a statement of its own that starts
-- after the lock was granted, so it sees a record committed just before. The lock's key is the
-- JSON array [restaurantId, scope, key] written as JavaScript's JSON.stringify writes it, so a
-- service of the previous release, which takes the lock itself, excludes this one and back.
CREATE FUNCTION restaurante.claim_idempotency_key(p_restaurant_id text, p_scope text, p_key text)
RETURNS TABLE (claimed boolean, operation text, fingerprint text, result jsonb)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtextextended(
       '[' || to_json(p_restaurant_id)::text || ',' || to_json(p_scope)::text || ',' || to_json(p_key)::text || ']', 7342)) THEN
    RETURN QUERY SELECT false, NULL::text, NULL::text, NULL::jsonb;
    RETURN;
  END IF;
  RETURN QUERY
    SELECT true, k.operation, k.fingerprint, k."responseBody"
      FROM restaurante.idempotency_keys k
     WHERE k."restaurantId" = p_restaurant_id AND k.scope = p_scope AND k.key = p_key AND k."expiresAt" > now();
  IF NOT FOUND THEN
    RETURN QUERY SELECT true, NULL::text, NULL::text, NULL::jsonb;
  END IF;
END;
$$;
