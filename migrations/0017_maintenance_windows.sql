-- 0017 — Maintenance windows (`comanda maintenance start --for 30m --reason …`): while one is on,
-- the monitor keeps running its checks and recording alert events, but holds back their delivery
-- (each held-back event says so in its payload). A window ends by itself at ends_at, or earlier
-- with `comanda maintenance end` (ended_at).

CREATE TABLE comanda.maintenance_windows (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  started_at   timestamptz NOT NULL DEFAULT now(),
  ends_at      timestamptz NOT NULL,
  -- Set when ended before ends_at.
  ended_at     timestamptz,
  reason       text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  -- Who: the database role and the operating-system user of the CLI.
  db_role      text NOT NULL DEFAULT current_user,
  os_user      text,
  CHECK (ends_at > started_at)
);
CREATE INDEX maintenance_windows_ends_at ON comanda.maintenance_windows (ends_at DESC);
