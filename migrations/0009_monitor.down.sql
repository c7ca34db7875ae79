DROP TABLE comanda.alert_deliveries;
DROP TABLE comanda.alert_events;
DROP TABLE comanda.alert_state;
