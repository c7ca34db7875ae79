DROP TABLE comanda.staff_sign_in_throttle;
DROP TABLE restaurante.staff_sign_in_tokens;
DROP TABLE restaurante.staff_sessions;
DROP TABLE restaurante.staff_devices;
DROP TABLE restaurante.staff_accounts;
