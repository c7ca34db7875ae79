-- comanda:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS restaurante.email_logs_message_id_restaurant_key;
