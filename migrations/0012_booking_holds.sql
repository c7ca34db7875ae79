-- 0012 — Anonymous bookings are holds until the guest confirms them from the e-mail.
--   hold_expires_at:   a PENDING booking made without a staff token is released (CANCELLED) by the
--                      service once this passes unconfirmed; NULL for staff bookings and once
--                      confirmed.
--   hold_client:       who made the hold, as an HMAC of the client IP under the server secret
--                      (limits on open holds per IP; no address is stored).
--   marketing_consent: the guest's answer to "send me news and offers", recorded as a consent only
--                      when the owner of the address confirms the booking from its e-mail (an
--                      unverified request never changes a customer's data or consents).
-- The index the release job reads is built without blocking writes by 0014.

ALTER TABLE restaurante.reservations
  ADD COLUMN hold_expires_at   timestamptz,
  ADD COLUMN hold_client       text,
  ADD COLUMN marketing_consent boolean;
