-- Reverses 0001: removes the whole `restaurante` schema and everything in it.
DROP SCHEMA restaurante CASCADE;
-- btree_gist goes too, unless something outside this schema uses it (then it stays).
DO $$
BEGIN
  DROP EXTENSION IF EXISTS btree_gist;
EXCEPTION WHEN dependent_objects_still_exist THEN
  RAISE NOTICE 'btree_gist is still used by other objects; leaving it installed';
END;
$$;
