DROP INDEX restaurante.reservations_open_holds;
ALTER TABLE restaurante.reservations
  DROP COLUMN hold_expires_at,
  DROP COLUMN hold_client,
  DROP COLUMN marketing_consent;
