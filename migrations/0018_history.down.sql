DROP TABLE comanda.history_checks;
DROP TABLE comanda.history_sizes;
DROP TABLE comanda.history_state;
DROP TABLE comanda.history_counters;
DROP TABLE comanda.history_statements;
DROP TABLE comanda.history_queries;
DROP TABLE comanda.history_captures;
