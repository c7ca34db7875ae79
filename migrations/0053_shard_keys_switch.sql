-- Sharding by restaurant, the switch (docs/scaling.md): every primary key becomes one that
-- includes "restaurantId", using the unique indexes the shard_key_* migrations before it built concurrently (ADD
-- PRIMARY KEY USING INDEX only renames the index: no build, no scan, a brief ACCESS EXCLUSIVE lock
-- per table under the runner's lock_timeout); the unique token hashes and SMTP message id give
-- way to their (x, "restaurantId") indexes. No foreign key refers to these keys (they refer to
-- ("restaurantId", id)), so none is touched.
ALTER TABLE restaurante.audit_log DROP CONSTRAINT audit_log_pkey, ADD CONSTRAINT audit_log_pkey PRIMARY KEY USING INDEX audit_log_pkey_sharded;
ALTER TABLE restaurante.customer_consents DROP CONSTRAINT customer_consents_pkey, ADD CONSTRAINT customer_consents_pkey PRIMARY KEY USING INDEX customer_consents_pkey_sharded;
ALTER TABLE restaurante.customers DROP CONSTRAINT customers_pkey, ADD CONSTRAINT customers_pkey PRIMARY KEY USING INDEX customers_pkey_sharded;
ALTER TABLE restaurante.email_logs DROP CONSTRAINT email_logs_pkey, ADD CONSTRAINT email_logs_pkey PRIMARY KEY USING INDEX email_logs_pkey_sharded;
ALTER TABLE restaurante.menu_categories DROP CONSTRAINT menu_categories_pkey, ADD CONSTRAINT menu_categories_pkey PRIMARY KEY USING INDEX menu_categories_pkey_sharded;
ALTER TABLE restaurante.menu_items DROP CONSTRAINT menu_items_pkey, ADD CONSTRAINT menu_items_pkey PRIMARY KEY USING INDEX menu_items_pkey_sharded;
ALTER TABLE restaurante.opening_exceptions DROP CONSTRAINT opening_exceptions_pkey, ADD CONSTRAINT opening_exceptions_pkey PRIMARY KEY USING INDEX opening_exceptions_pkey_sharded;
ALTER TABLE restaurante.opening_hours DROP CONSTRAINT opening_hours_pkey, ADD CONSTRAINT opening_hours_pkey PRIMARY KEY USING INDEX opening_hours_pkey_sharded;
ALTER TABLE restaurante.order_items DROP CONSTRAINT order_items_pkey, ADD CONSTRAINT order_items_pkey PRIMARY KEY USING INDEX order_items_pkey_sharded;
ALTER TABLE restaurante.order_status_history DROP CONSTRAINT order_status_history_pkey, ADD CONSTRAINT order_status_history_pkey PRIMARY KEY USING INDEX order_status_history_pkey_sharded;
ALTER TABLE restaurante.orders DROP CONSTRAINT orders_pkey, ADD CONSTRAINT orders_pkey PRIMARY KEY USING INDEX orders_pkey_sharded;
ALTER TABLE restaurante.qr_scans DROP CONSTRAINT qr_scans_pkey, ADD CONSTRAINT qr_scans_pkey PRIMARY KEY USING INDEX qr_scans_pkey_sharded;
ALTER TABLE restaurante.reservation_items DROP CONSTRAINT reservation_items_pkey, ADD CONSTRAINT reservation_items_pkey PRIMARY KEY USING INDEX reservation_items_pkey_sharded;
ALTER TABLE restaurante.reservation_status_history DROP CONSTRAINT reservation_status_history_pkey, ADD CONSTRAINT reservation_status_history_pkey PRIMARY KEY USING INDEX reservation_status_history_pkey_sharded;
ALTER TABLE restaurante.reservation_tables DROP CONSTRAINT reservation_tables_pkey, ADD CONSTRAINT reservation_tables_pkey PRIMARY KEY USING INDEX reservation_tables_pkey_sharded;
ALTER TABLE restaurante.reservation_tokens DROP CONSTRAINT reservation_tokens_pkey, ADD CONSTRAINT reservation_tokens_pkey PRIMARY KEY USING INDEX reservation_tokens_pkey_sharded;
ALTER TABLE restaurante.reservations DROP CONSTRAINT reservations_pkey, ADD CONSTRAINT reservations_pkey PRIMARY KEY USING INDEX reservations_pkey_sharded;
ALTER TABLE restaurante.staff_tokens DROP CONSTRAINT staff_tokens_pkey, ADD CONSTRAINT staff_tokens_pkey PRIMARY KEY USING INDEX staff_tokens_pkey_sharded;
ALTER TABLE restaurante.stock_movements DROP CONSTRAINT stock_movements_pkey, ADD CONSTRAINT stock_movements_pkey PRIMARY KEY USING INDEX stock_movements_pkey_sharded;
ALTER TABLE restaurante.table_combinations DROP CONSTRAINT table_combinations_pkey, ADD CONSTRAINT table_combinations_pkey PRIMARY KEY USING INDEX table_combinations_pkey_sharded;
ALTER TABLE restaurante.table_session_tokens DROP CONSTRAINT table_session_tokens_pkey, ADD CONSTRAINT table_session_tokens_pkey PRIMARY KEY USING INDEX table_session_tokens_pkey_sharded;
ALTER TABLE restaurante.table_sessions DROP CONSTRAINT table_sessions_pkey, ADD CONSTRAINT table_sessions_pkey PRIMARY KEY USING INDEX table_sessions_pkey_sharded;
ALTER TABLE restaurante.tables DROP CONSTRAINT tables_pkey, ADD CONSTRAINT tables_pkey PRIMARY KEY USING INDEX tables_pkey_sharded;
ALTER TABLE restaurante.email_logs DROP CONSTRAINT email_logs_message_id_key;
ALTER TABLE restaurante.reservation_tokens DROP CONSTRAINT reservation_tokens_token_hash_key;
ALTER TABLE restaurante.staff_tokens DROP CONSTRAINT staff_tokens_token_hash_key;
ALTER TABLE restaurante.table_session_tokens DROP CONSTRAINT table_session_tokens_token_hash_key;
