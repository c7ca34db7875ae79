-- 0011 — Rate limits shared by every instance of the service: one row per (limit, client) window,
-- counted with one upsert, so a limit of N per minute is N whatever the number of instances.
-- UNLOGGED: counters are worth no WAL; after a crash (or on a promoted standby) they start again
-- from zero, which only forgives the clients of the window in progress. Keys are HMACs of the
-- client (IP, token hash, e-mail address) under the server secret: the table holds no personal
-- data. Rows whose window ended are purged hourly by the service.

CREATE UNLOGGED TABLE comanda.rate_limits (
  key         text PRIMARY KEY,
  hits        integer NOT NULL CHECK (hits > 0),
  window_ends timestamptz NOT NULL
);
CREATE INDEX rate_limits_window_ends ON comanda.rate_limits (window_ends);
