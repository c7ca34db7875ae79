-- 0006 — the e-mail outbox: at most one reminder per reservation, and the worker's lease.
-- Workers claim due e-mails with FOR UPDATE SKIP LOCKED and move next_attempt_at forward by a
-- lease while they send; a worker that dies mid-send leaves the e-mail to be claimed again when
-- the lease ends (at-least-once, with the same Message-ID so a duplicate is recognisable).
CREATE UNIQUE INDEX email_logs_one_reminder ON restaurante.email_logs (reservation_id)
  WHERE email_type = 'reservation_reminder';
CREATE UNIQUE INDEX email_logs_one_receipt ON restaurante.email_logs (order_id)
  WHERE email_type = 'order_receipt';
