-- Database roles for a production Comanda (see docs/database-roles.md). Run once, as a
-- superuser, connected to Comanda's database:
--
--   psql "$SUPERUSER_URL/comanda" -v ON_ERROR_STOP=1 -f sql/roles.sql
--
-- then give each role a password (never in a file in the repository):
--
--   psql "$SUPERUSER_URL/comanda" -c '\password comanda_owner'   (and comanda_app, comanda_monitor)
--
-- comanda_owner   owns the schema and runs migrations (DATABASE_DIRECT_URL). No superuser.
-- comanda_app     what the service runs as (DATABASE_URL): reads and writes rows, no DDL.
-- comanda_monitor what the operators' toolkit and metrics run as: pg_monitor + read-only rows.
--
-- Privileges on objects the owner creates later (every migration) come from default
-- privileges, so nothing has to be granted again after a migration.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'comanda_owner') THEN
    CREATE ROLE comanda_owner LOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'comanda_app') THEN
    CREATE ROLE comanda_app LOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'comanda_monitor') THEN
    CREATE ROLE comanda_monitor LOGIN;
  END IF;
  -- CREATE on the database: the owner creates the schemas and the trusted extension btree_gist.
  EXECUTE format('GRANT CONNECT, CREATE ON DATABASE %I TO comanda_owner', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO comanda_app, comanda_monitor', current_database());
END;
$$;

GRANT pg_monitor TO comanda_monitor;

-- pg_stat_statements needs a superuser to create (and shared_preload_libraries to work).
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;

-- What the owner creates, the application may use but not change the shape of.
ALTER DEFAULT PRIVILEGES FOR ROLE comanda_owner GRANT USAGE ON SCHEMAS TO comanda_app, comanda_monitor;
ALTER DEFAULT PRIVILEGES FOR ROLE comanda_owner GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO comanda_app;
ALTER DEFAULT PRIVILEGES FOR ROLE comanda_owner GRANT USAGE, SELECT ON SEQUENCES TO comanda_app;
ALTER DEFAULT PRIVILEGES FOR ROLE comanda_owner GRANT SELECT ON TABLES TO comanda_monitor;

-- Belts and braces: the service sets these per transaction anyway (SET LOCAL).
ALTER ROLE comanda_app SET statement_timeout = '5s';
ALTER ROLE comanda_app SET lock_timeout = '2s';
ALTER ROLE comanda_app SET idle_in_transaction_session_timeout = '60s';
ALTER ROLE comanda_monitor SET default_transaction_read_only = on;
ALTER ROLE comanda_monitor SET statement_timeout = '10s';
ALTER ROLE comanda_monitor SET lock_timeout = '1s';
