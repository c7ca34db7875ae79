-- Back to the service asking who is calling and claiming keys statement by statement.
DROP FUNCTION restaurante.claim_idempotency_key(text, text, text);
DROP FUNCTION restaurante.caller_of(text);
