-- 0065 — a writer may announce its orders itself, after COMMIT, instead of from inside the
-- transaction. A transaction that NOTIFYs takes PostgreSQL's database-wide notification lock at
-- commit and holds it through its WAL flush, so every order placed committed one after another:
-- the lock was the order path's first wait at full load (docs/benchmarks.md, "the fifth pass").
--
-- The orders' notify triggers keep announcing every change of every other writer; a transaction
-- that sets comanda.notify = 'after-commit' (the service placing an order) promises to send the
-- same notifications itself once it has committed (Database.announce), coalesced: a notification
-- is a nudge to re-read, never data, so one stands for many.
DROP TRIGGER orders_notify_session ON restaurante.orders;
CREATE TRIGGER orders_notify_session AFTER INSERT OR UPDATE ON restaurante.orders
  FOR EACH ROW WHEN (NEW."sessionId" IS NOT NULL AND current_setting('comanda.notify', true) IS DISTINCT FROM 'after-commit')
  EXECUTE FUNCTION restaurante.notify_session_change();

DROP TRIGGER orders_notify_staff ON restaurante.orders;
CREATE TRIGGER orders_notify_staff AFTER INSERT OR UPDATE ON restaurante.orders
  FOR EACH ROW WHEN (current_setting('comanda.notify', true) IS DISTINCT FROM 'after-commit')
  EXECUTE FUNCTION restaurante.notify_restaurant_change('comanda_orders');
