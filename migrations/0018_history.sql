-- 0018 — History kept by Comanda itself (src/core/history): every HISTORY_INTERVAL_MINUTES one
-- instance (under an advisory lock) captures what changed since the last capture — per statement
-- of pg_stat_statements the deltas of calls, time, rows and shared blocks; the sizes of the
-- database, its tables and indexes; the status of every check — so that "what was slow
-- yesterday" and "how fast does this table grow" need no extra setup. Kept HISTORY_RETENTION_DAYS
-- and at most HISTORY_MAX_MB (oldest captures go first). Operational data, in `comanda`.
-- capture_id columns have no foreign key on purpose: the pruning deletes a capture's rows itself,
-- and a foreign key's checks would add a statement per row to pg_stat_statements' workload.

CREATE TABLE comanda.history_captures (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at               timestamptz NOT NULL DEFAULT now(),
  -- Seconds since the capture the deltas are measured from (NULL: the first, a baseline).
  interval_seconds double precision,
  -- pg_stat_statements was reset (or the server lost its counters) since the previous capture:
  -- deltas then count from the reset.
  counters_reset   boolean NOT NULL DEFAULT false,
  statements       integer NOT NULL DEFAULT 0,
  duration_ms      integer NOT NULL DEFAULT 0 CHECK (duration_ms >= 0)
);
CREATE INDEX history_captures_at ON comanda.history_captures (at);

-- Each statement's text once (pg_stat_statements' normalised text, cut to 2,000 characters).
CREATE TABLE comanda.history_queries (
  queryid          bigint PRIMARY KEY,
  query            text NOT NULL,
  first_seen       timestamptz NOT NULL DEFAULT now(),
  last_seen        timestamptz NOT NULL DEFAULT now()
);

-- What each statement did between two captures (only statements that ran).
CREATE TABLE comanda.history_statements (
  capture_id       bigint NOT NULL,
  queryid          bigint NOT NULL,
  calls            bigint NOT NULL CHECK (calls >= 0),
  total_ms         double precision NOT NULL CHECK (total_ms >= 0),
  rows             bigint NOT NULL,
  shared_blks_hit  bigint NOT NULL,
  shared_blks_read bigint NOT NULL,
  PRIMARY KEY (capture_id, queryid)
);
CREATE INDEX history_statements_queryid ON comanda.history_statements (queryid, capture_id);

-- The cumulative counters seen at the last capture, per statement: what the next deltas subtract.
CREATE TABLE comanda.history_counters (
  queryid          bigint PRIMARY KEY,
  calls            bigint NOT NULL,
  total_ms         double precision NOT NULL,
  rows             bigint NOT NULL,
  shared_blks_hit  bigint NOT NULL,
  shared_blks_read bigint NOT NULL
);

-- pg_stat_statements' reset time and the server's start time at the last capture: a change means
-- the counters started again from zero.
CREATE TABLE comanda.history_state (
  id               boolean PRIMARY KEY DEFAULT true CHECK (id),
  stats_reset      timestamptz,
  server_started   timestamptz,
  last_capture_at  timestamptz,
  -- Sizes change slowly: they are stored at most once per HistoryOptions.sizesEveryMinutes (60).
  last_sizes_at    timestamptz
);

-- Sizes at a capture (hourly by default): the database, each table (with its live and dead rows and vacuum
-- counts) and each index.
CREATE TABLE comanda.history_sizes (
  capture_id       bigint NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('database', 'table', 'index')),
  name             text NOT NULL,
  bytes            bigint NOT NULL,
  live_rows        bigint,
  dead_rows        bigint,
  vacuums          bigint,
  PRIMARY KEY (capture_id, kind, name)
);
-- Growth: one object's sizes over time.
CREATE INDEX history_sizes_object ON comanda.history_sizes (kind, name, capture_id);

CREATE TABLE comanda.history_checks (
  capture_id       bigint NOT NULL,
  "check"          text NOT NULL,
  status           text NOT NULL CHECK (status IN ('ok', 'warning', 'critical', 'unknown')),
  summary          text NOT NULL,
  PRIMARY KEY (capture_id, "check")
);
