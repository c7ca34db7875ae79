-- 0008 — a record of backups, in the bookkeeping schema `comanda` (beside schema_migrations).
-- The manifest file next to each archive is the source of truth (`comanda backup list` reads the
-- directory, so it works while the database is down); this table is the record /metrics and the
-- monitor read, e.g. the age of the last verified backup: now() - max(verified_at).

CREATE SCHEMA IF NOT EXISTS comanda;

CREATE TABLE comanda.backups (
  id                bigserial PRIMARY KEY,
  -- Absolute path of the archive on the machine that wrote it.
  file              text NOT NULL,
  created_at        timestamptz NOT NULL,
  size_bytes        bigint NOT NULL CHECK (size_bytes >= 0),
  sha256            text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  server_version    text,
  row_counts        jsonb NOT NULL DEFAULT '{}',
  -- Set only when a verification (restore into a scratch database + checks) succeeded; cleared
  -- again when a later verification of the same archive fails.
  verified_at       timestamptz,
  verify_error      text,
  verify_checked_at timestamptz,
  copied_at         timestamptz,
  copy_error        text,
  -- Set when retention removed the archive.
  deleted_at        timestamptz,
  UNIQUE (file, sha256)
);
CREATE INDEX backups_verified_at ON comanda.backups (verified_at DESC) WHERE verified_at IS NOT NULL;
