ALTER TABLE restaurante.reservations
  DROP COLUMN hold_expires_at,
  DROP COLUMN hold_client,
  DROP COLUMN marketing_consent;
