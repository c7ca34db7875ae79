DROP INDEX restaurante.email_logs_one_receipt;
DROP INDEX restaurante.email_logs_one_reminder;
