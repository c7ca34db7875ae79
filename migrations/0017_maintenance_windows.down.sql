DROP TABLE comanda.maintenance_windows;
