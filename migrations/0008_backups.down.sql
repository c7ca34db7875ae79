-- Reverses 0008.
DROP TABLE comanda.backups;
