#!/bin/sh
# First start of the postgres container (docker-entrypoint-initdb.d): the roles of sql/roles.sql,
# with their passwords from the environment (deploy/.env), passed as psql variables so they never
# appear in a command line or a file.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -f /comanda/sql/roles.sql
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner="$COMANDA_OWNER_PASSWORD" -v app="$COMANDA_APP_PASSWORD" -v monitor="$COMANDA_MONITOR_PASSWORD" <<'SQL'
ALTER ROLE comanda_owner PASSWORD :'owner';
ALTER ROLE comanda_app PASSWORD :'app';
ALTER ROLE comanda_monitor PASSWORD :'monitor';
-- The monitor service runs as the owner (alert state, backup records, pg_dump) and reads
-- other sessions' activity and statistics like the toolkit's role.
GRANT pg_monitor TO comanda_owner;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
SQL
