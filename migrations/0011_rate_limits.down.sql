DROP TABLE comanda.rate_limits;
