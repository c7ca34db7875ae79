-- 0010 — What the operators' safe actions did (`comanda vacuum`, `comanda terminate`,
-- `comanda reindex --invalid`), in the bookkeeping schema `comanda`: database-wide operations, so
-- not in restaurante.audit_log (per restaurant, GDPR only). One row per action that ran, whatever
-- its outcome; `comanda actions` lists them. Refused or declined actions changed nothing and are
-- not recorded.

CREATE TABLE comanda.actions_log (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  action       text NOT NULL,
  status       text NOT NULL CHECK (status IN ('done', 'partial', 'failed', 'nothing-to-do')),
  summary      text NOT NULL,
  -- The statements that ran, exactly as sent.
  sql          text[] NOT NULL DEFAULT '{}',
  -- What it acted on (tables, indexes, sessions: pids, users, applications; never query texts).
  targets      jsonb NOT NULL DEFAULT '[]',
  -- Who: the database role it ran as, and the operating-system user of the CLI.
  db_role      text NOT NULL DEFAULT current_user,
  os_user      text,
  duration_ms  integer NOT NULL CHECK (duration_ms >= 0)
);
CREATE INDEX actions_log_at ON comanda.actions_log (at DESC);
