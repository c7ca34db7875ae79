-- 0009 — The monitor's alert state and history (`comanda monitor`), in the bookkeeping schema
-- `comanda` next to schema_migrations: operational data about the database, not restaurant data.
-- One row per check in alert_state (what was last seen and last told); every notification in
-- alert_events, and each of its deliveries (per channel) in alert_deliveries, so a failed delivery
-- is visible and retried on the next run instead of lost.

CREATE TABLE comanda.alert_state (
  "check"              text PRIMARY KEY,
  status               text NOT NULL CHECK (status IN ('ok', 'warning', 'critical', 'unknown')),
  -- When the check entered this status.
  since                timestamptz NOT NULL,
  summary              text NOT NULL,
  -- The last status people were told about (NULL: never), and when: reminders and escalations
  -- are measured against it.
  notified_status      text CHECK (notified_status IN ('ok', 'warning', 'critical', 'unknown')),
  notified_at          timestamptz,
  updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE comanda.alert_events (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at                   timestamptz NOT NULL DEFAULT now(),
  job                  text NOT NULL,
  "check"              text NOT NULL,
  kind                 text NOT NULL CHECK (kind IN ('alert', 'escalation', 'reminder', 'resolved')),
  status               text NOT NULL CHECK (status IN ('ok', 'warning', 'critical', 'unknown')),
  previous             text CHECK (previous IN ('ok', 'warning', 'critical', 'unknown')),
  summary              text NOT NULL,
  -- The message as sent (check, status, summary, advice, truncated rows, host), so a retry on a
  -- later run sends the same thing.
  payload              jsonb NOT NULL
);
CREATE INDEX alert_events_check_at ON comanda.alert_events ("check", at DESC);

CREATE TABLE comanda.alert_deliveries (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id             bigint NOT NULL REFERENCES comanda.alert_events (id) ON DELETE CASCADE,
  channel              text NOT NULL CHECK (channel IN ('slack', 'webhook', 'email')),
  state                text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed', 'abandoned')),
  attempts             integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  -- Never holds the webhook URL or SMTP credentials.
  last_error           text,
  last_attempt_at      timestamptz,
  delivered_at         timestamptz,
  UNIQUE (event_id, channel)
);
-- The retry queue: undelivered rows only.
CREATE INDEX alert_deliveries_undelivered ON comanda.alert_deliveries (id) WHERE state IN ('pending', 'failed');
