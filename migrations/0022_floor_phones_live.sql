-- The floor page shows the phones of each open table session, and a phone waiting to be let in
-- needs a waiter's attention: a phone joining (or being let in, or turned away) notifies
-- `comanda_floor` with the restaurant's id, as a table or its session already does (0021).
-- table_session_tokens gets one row per scan, not per order: off the hot path.
CREATE TRIGGER table_session_tokens_notify_floor AFTER INSERT OR UPDATE ON restaurante.table_session_tokens
  FOR EACH ROW EXECUTE FUNCTION restaurante.notify_restaurant_change('comanda_floor');
