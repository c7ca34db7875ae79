DROP FUNCTION restaurante.erase_customer(text, text);
DROP TABLE restaurante.audit_log;
