DROP TABLE comanda.actions_log;
