DROP TRIGGER table_requests_notify ON restaurante.table_requests;
DROP FUNCTION restaurante.notify_table_request();
DROP TABLE restaurante.table_requests;
