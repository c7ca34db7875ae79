-- Idempotency keys name the operation they guard (place_order, book_reservation), not the HTTP
-- method and path of the request (renaming a route must not change what a stored key matches),
-- and they keep the operation's result, not an HTTP answer: the shell picks the status.
--
-- A stored fingerprint is a one-way hash of the request, so keys stored before this migration
-- cannot be rewritten: they keep operation NULL and their fingerprint, and the service matches
-- them against the old form (src/core/idempotency.ts, LEGACY_FINGERPRINT_PREFIX) until they
-- expire (IDEMPOTENCY_TTL_HOURS, 24 h by default). Their stored body ({order, duplicate} or
-- {reservation}) already is the result the service reads.
ALTER TABLE restaurante.idempotency_keys ADD COLUMN operation text;
-- comanda:lint-ignore ban-drop-not-null the only reader is the service's idempotency code; an older instance still running reads a new key's row only after its fingerprint matched, which it never does (new fingerprints name the operation)
ALTER TABLE restaurante.idempotency_keys ALTER COLUMN "responseStatus" DROP NOT NULL;
COMMENT ON COLUMN restaurante.idempotency_keys.operation IS
  'The operation the key guards (place_order, book_reservation); NULL: stored before migration 0058, fingerprinted by HTTP method and path';
COMMENT ON COLUMN restaurante.idempotency_keys."responseStatus" IS
  'Written before migration 0058 only (the HTTP status of the time); the service ignores it';
