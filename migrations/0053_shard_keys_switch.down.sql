-- Back to the keys on id alone (a rollback): the old keys, and the indexes the expand steps had
-- built, are built under each table's lock, which a rollback soon after the release can afford;
-- on large tables, build them CONCURRENTLY first.
-- comanda:lint-ignore disallowed-unique-constraint a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.table_session_tokens ADD CONSTRAINT table_session_tokens_token_hash_key UNIQUE (token_hash);
-- comanda:lint-ignore disallowed-unique-constraint a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.staff_tokens ADD CONSTRAINT staff_tokens_token_hash_key UNIQUE (token_hash);
-- comanda:lint-ignore disallowed-unique-constraint a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.reservation_tokens ADD CONSTRAINT reservation_tokens_token_hash_key UNIQUE (token_hash);
-- comanda:lint-ignore disallowed-unique-constraint a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.email_logs ADD CONSTRAINT email_logs_message_id_key UNIQUE (message_id);
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.tables DROP CONSTRAINT tables_pkey, ADD CONSTRAINT tables_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX tables_pkey_sharded ON restaurante.tables (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.table_sessions DROP CONSTRAINT table_sessions_pkey, ADD CONSTRAINT table_sessions_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX table_sessions_pkey_sharded ON restaurante.table_sessions (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.table_session_tokens DROP CONSTRAINT table_session_tokens_pkey, ADD CONSTRAINT table_session_tokens_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX table_session_tokens_pkey_sharded ON restaurante.table_session_tokens (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.table_combinations DROP CONSTRAINT table_combinations_pkey, ADD CONSTRAINT table_combinations_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX table_combinations_pkey_sharded ON restaurante.table_combinations (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.stock_movements DROP CONSTRAINT stock_movements_pkey, ADD CONSTRAINT stock_movements_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX stock_movements_pkey_sharded ON restaurante.stock_movements (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.staff_tokens DROP CONSTRAINT staff_tokens_pkey, ADD CONSTRAINT staff_tokens_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX staff_tokens_pkey_sharded ON restaurante.staff_tokens (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.reservations DROP CONSTRAINT reservations_pkey, ADD CONSTRAINT reservations_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX reservations_pkey_sharded ON restaurante.reservations (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.reservation_tokens DROP CONSTRAINT reservation_tokens_pkey, ADD CONSTRAINT reservation_tokens_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX reservation_tokens_pkey_sharded ON restaurante.reservation_tokens (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.reservation_tables DROP CONSTRAINT reservation_tables_pkey, ADD CONSTRAINT reservation_tables_pkey PRIMARY KEY ("reservationId", "tableId");
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX reservation_tables_pkey_sharded ON restaurante.reservation_tables ("reservationId", "tableId", "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.reservation_status_history DROP CONSTRAINT reservation_status_history_pkey, ADD CONSTRAINT reservation_status_history_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX reservation_status_history_pkey_sharded ON restaurante.reservation_status_history (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.reservation_items DROP CONSTRAINT reservation_items_pkey, ADD CONSTRAINT reservation_items_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX reservation_items_pkey_sharded ON restaurante.reservation_items (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.qr_scans DROP CONSTRAINT qr_scans_pkey, ADD CONSTRAINT qr_scans_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX qr_scans_pkey_sharded ON restaurante.qr_scans (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.orders DROP CONSTRAINT orders_pkey, ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX orders_pkey_sharded ON restaurante.orders (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.order_status_history DROP CONSTRAINT order_status_history_pkey, ADD CONSTRAINT order_status_history_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX order_status_history_pkey_sharded ON restaurante.order_status_history (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.order_items DROP CONSTRAINT order_items_pkey, ADD CONSTRAINT order_items_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX order_items_pkey_sharded ON restaurante.order_items (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.opening_hours DROP CONSTRAINT opening_hours_pkey, ADD CONSTRAINT opening_hours_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX opening_hours_pkey_sharded ON restaurante.opening_hours (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.opening_exceptions DROP CONSTRAINT opening_exceptions_pkey, ADD CONSTRAINT opening_exceptions_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX opening_exceptions_pkey_sharded ON restaurante.opening_exceptions (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.menu_items DROP CONSTRAINT menu_items_pkey, ADD CONSTRAINT menu_items_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX menu_items_pkey_sharded ON restaurante.menu_items (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.menu_categories DROP CONSTRAINT menu_categories_pkey, ADD CONSTRAINT menu_categories_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX menu_categories_pkey_sharded ON restaurante.menu_categories (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.email_logs DROP CONSTRAINT email_logs_pkey, ADD CONSTRAINT email_logs_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX email_logs_pkey_sharded ON restaurante.email_logs (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.customers DROP CONSTRAINT customers_pkey, ADD CONSTRAINT customers_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX customers_pkey_sharded ON restaurante.customers (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.customer_consents DROP CONSTRAINT customer_consents_pkey, ADD CONSTRAINT customer_consents_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX customer_consents_pkey_sharded ON restaurante.customer_consents (id, "restaurantId");
-- comanda:lint-ignore adding-serial-primary-key-field a rollback to the previous schema
-- comanda:lint-ignore constraint-missing-not-valid a rollback to the previous schema
-- comanda:lint-ignore restaurant-key a rollback restores the previous key
ALTER TABLE restaurante.audit_log DROP CONSTRAINT audit_log_pkey, ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);
-- comanda:lint-ignore require-concurrent-index-creation a rollback: the index the expand step built, as it was
CREATE UNIQUE INDEX audit_log_pkey_sharded ON restaurante.audit_log (id, "restaurantId");
