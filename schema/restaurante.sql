-- Normalised dump of the Comanda schema; regenerate with `npm run schema:dump`.

-- extensions
btree_gist

-- schemas
restaurante

-- enum types
restaurante."OrderItemStatus" = ('PENDING', 'CONFIRMED', 'IN_PROGRESS', 'READY', 'SERVED', 'CANCELLED')
restaurante."OrderStatus" = ('PENDING', 'CONFIRMED', 'IN_PROGRESS', 'READY', 'SERVED', 'CANCELLED')
restaurante."ReservationStatus" = ('PENDING', 'CONFIRMED', 'SEATED', 'COMPLETED', 'CANCELLED', 'NO_SHOW')
restaurante."StaffRole" = ('admin', 'kitchen', 'waiter')

-- columns
comanda.actions_log.id bigint NOT NULL IDENTITY a
comanda.actions_log.at timestamp with time zone NOT NULL DEFAULT now()
comanda.actions_log.action text NOT NULL
comanda.actions_log.status text NOT NULL
comanda.actions_log.summary text NOT NULL
comanda.actions_log.sql text[] NOT NULL DEFAULT '{}'::text[]
comanda.actions_log.targets jsonb NOT NULL DEFAULT '[]'::jsonb
comanda.actions_log.db_role text NOT NULL DEFAULT CURRENT_USER
comanda.actions_log.os_user text
comanda.actions_log.duration_ms integer NOT NULL
comanda.alert_deliveries.id bigint NOT NULL IDENTITY a
comanda.alert_deliveries.event_id bigint NOT NULL
comanda.alert_deliveries.channel text NOT NULL
comanda.alert_deliveries.state text NOT NULL DEFAULT 'pending'::text
comanda.alert_deliveries.attempts integer NOT NULL DEFAULT 0
comanda.alert_deliveries.last_error text
comanda.alert_deliveries.last_attempt_at timestamp with time zone
comanda.alert_deliveries.delivered_at timestamp with time zone
comanda.alert_events.id bigint NOT NULL IDENTITY a
comanda.alert_events.at timestamp with time zone NOT NULL DEFAULT now()
comanda.alert_events.job text NOT NULL
comanda.alert_events."check" text NOT NULL
comanda.alert_events.kind text NOT NULL
comanda.alert_events.status text NOT NULL
comanda.alert_events.previous text
comanda.alert_events.summary text NOT NULL
comanda.alert_events.payload jsonb NOT NULL
comanda.alert_state."check" text NOT NULL
comanda.alert_state.status text NOT NULL
comanda.alert_state.since timestamp with time zone NOT NULL
comanda.alert_state.summary text NOT NULL
comanda.alert_state.notified_status text
comanda.alert_state.notified_at timestamp with time zone
comanda.alert_state.updated_at timestamp with time zone NOT NULL DEFAULT now()
comanda.backups.id bigint NOT NULL DEFAULT nextval('comanda.backups_id_seq'::regclass)
comanda.backups.file text NOT NULL
comanda.backups.created_at timestamp with time zone NOT NULL
comanda.backups.size_bytes bigint NOT NULL
comanda.backups.sha256 text NOT NULL
comanda.backups.server_version text
comanda.backups.row_counts jsonb NOT NULL DEFAULT '{}'::jsonb
comanda.backups.verified_at timestamp with time zone
comanda.backups.verify_error text
comanda.backups.verify_checked_at timestamp with time zone
comanda.backups.copied_at timestamp with time zone
comanda.backups.copy_error text
comanda.backups.deleted_at timestamp with time zone
comanda.history_captures.id bigint NOT NULL IDENTITY a
comanda.history_captures.at timestamp with time zone NOT NULL DEFAULT now()
comanda.history_captures.interval_seconds double precision
comanda.history_captures.counters_reset boolean NOT NULL DEFAULT false
comanda.history_captures.statements integer NOT NULL DEFAULT 0
comanda.history_captures.duration_ms integer NOT NULL DEFAULT 0
comanda.history_checks.capture_id bigint NOT NULL
comanda.history_checks."check" text NOT NULL
comanda.history_checks.status text NOT NULL
comanda.history_checks.summary text NOT NULL
comanda.history_counters.queryid bigint NOT NULL
comanda.history_counters.calls bigint NOT NULL
comanda.history_counters.total_ms double precision NOT NULL
comanda.history_counters.rows bigint NOT NULL
comanda.history_counters.shared_blks_hit bigint NOT NULL
comanda.history_counters.shared_blks_read bigint NOT NULL
comanda.history_queries.queryid bigint NOT NULL
comanda.history_queries.query text NOT NULL
comanda.history_queries.first_seen timestamp with time zone NOT NULL DEFAULT now()
comanda.history_queries.last_seen timestamp with time zone NOT NULL DEFAULT now()
comanda.history_sizes.capture_id bigint NOT NULL
comanda.history_sizes.kind text NOT NULL
comanda.history_sizes.name text NOT NULL
comanda.history_sizes.bytes bigint NOT NULL
comanda.history_sizes.live_rows bigint
comanda.history_sizes.dead_rows bigint
comanda.history_sizes.vacuums bigint
comanda.history_state.id boolean NOT NULL DEFAULT true
comanda.history_state.stats_reset timestamp with time zone
comanda.history_state.server_started timestamp with time zone
comanda.history_state.last_capture_at timestamp with time zone
comanda.history_state.last_sizes_at timestamp with time zone
comanda.history_statements.capture_id bigint NOT NULL
comanda.history_statements.queryid bigint NOT NULL
comanda.history_statements.calls bigint NOT NULL
comanda.history_statements.total_ms double precision NOT NULL
comanda.history_statements.rows bigint NOT NULL
comanda.history_statements.shared_blks_hit bigint NOT NULL
comanda.history_statements.shared_blks_read bigint NOT NULL
comanda.maintenance_windows.id bigint NOT NULL IDENTITY a
comanda.maintenance_windows.started_at timestamp with time zone NOT NULL DEFAULT now()
comanda.maintenance_windows.ends_at timestamp with time zone NOT NULL
comanda.maintenance_windows.ended_at timestamp with time zone
comanda.maintenance_windows.reason text NOT NULL
comanda.maintenance_windows.db_role text NOT NULL DEFAULT CURRENT_USER
comanda.maintenance_windows.os_user text
comanda.rate_limits.key text NOT NULL
comanda.rate_limits.hits integer NOT NULL
comanda.rate_limits.window_ends timestamp with time zone NOT NULL
comanda.staff_sign_in_throttle.key text NOT NULL
comanda.staff_sign_in_throttle.attempts integer NOT NULL DEFAULT 0
comanda.staff_sign_in_throttle.window_ends timestamp with time zone NOT NULL
comanda.staff_sign_in_throttle.failures integer NOT NULL DEFAULT 0
comanda.staff_sign_in_throttle.locked_until timestamp with time zone
comanda.staff_sign_in_throttle.updated_at timestamp with time zone NOT NULL DEFAULT now()
restaurante.audit_log.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.audit_log."restaurantId" text NOT NULL
restaurante.audit_log.actor text NOT NULL
restaurante.audit_log.action text NOT NULL
restaurante.audit_log."subjectId" text
restaurante.audit_log.details jsonb NOT NULL DEFAULT '{}'::jsonb
restaurante.audit_log."createdAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.customer_consents.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.customer_consents."restaurantId" text NOT NULL
restaurante.customer_consents."customerId" text NOT NULL
restaurante.customer_consents.purpose text NOT NULL
restaurante.customer_consents.granted boolean NOT NULL
restaurante.customer_consents.method text NOT NULL
restaurante.customer_consents."recordedAt" timestamp with time zone NOT NULL DEFAULT clock_timestamp()
restaurante.customer_consents.details jsonb
restaurante.customers.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.customers."restaurantId" text NOT NULL
restaurante.customers.name text
restaurante.customers.email text
restaurante.customers.phone text
restaurante.customers.language text
restaurante.customers."createdAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.customers."updatedAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.customers."anonymizedAt" timestamp with time zone
restaurante.email_logs.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.email_logs."restaurantId" text NOT NULL
restaurante.email_logs.email_type text NOT NULL
restaurante.email_logs.recipient_email text NOT NULL
restaurante.email_logs.language text NOT NULL DEFAULT 'es'::text
restaurante.email_logs.payload jsonb NOT NULL DEFAULT '{}'::jsonb
restaurante.email_logs.status text NOT NULL DEFAULT 'pending'::text
restaurante.email_logs.order_id text
restaurante.email_logs.reservation_id text
restaurante.email_logs.customer_id text
restaurante.email_logs.message_id text NOT NULL
restaurante.email_logs.sent_at timestamp with time zone
restaurante.email_logs.provider_message_id text
restaurante.email_logs.error_message text
restaurante.email_logs.retry_count integer NOT NULL DEFAULT 0
restaurante.email_logs.next_attempt_at timestamp with time zone NOT NULL DEFAULT now()
restaurante.email_logs.created_at timestamp with time zone NOT NULL DEFAULT now()
restaurante.idempotency_keys."restaurantId" text NOT NULL
restaurante.idempotency_keys.scope text NOT NULL
restaurante.idempotency_keys.key text NOT NULL
restaurante.idempotency_keys.fingerprint text NOT NULL
restaurante.idempotency_keys."responseStatus" integer
restaurante.idempotency_keys."responseBody" jsonb NOT NULL
restaurante.idempotency_keys."createdAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.idempotency_keys."expiresAt" timestamp with time zone NOT NULL
restaurante.idempotency_keys.operation text
restaurante.kitchen_bumps.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.kitchen_bumps."restaurantId" text NOT NULL
restaurante.kitchen_bumps."orderId" text NOT NULL
restaurante.kitchen_bumps.actor text NOT NULL
restaurante.kitchen_bumps.lines jsonb NOT NULL
restaurante.kitchen_bumps."bumpedAt" timestamp with time zone NOT NULL DEFAULT clock_timestamp()
restaurante.kitchen_bumps."undoneAt" timestamp with time zone
restaurante.kitchen_stations.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.kitchen_stations."restaurantId" text NOT NULL
restaurante.kitchen_stations.name text NOT NULL
restaurante.kitchen_stations."sortOrder" integer NOT NULL DEFAULT 0
restaurante.kitchen_stations."createdAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.menu_categories.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.menu_categories."restaurantId" text NOT NULL
restaurante.menu_categories.name text NOT NULL
restaurante.menu_categories.description text
restaurante.menu_categories."sortOrder" integer NOT NULL DEFAULT 0
restaurante.menu_categories."isActive" boolean NOT NULL DEFAULT true
restaurante.menu_categories."createdAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.menu_categories."updatedAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.menu_categories."stationId" text
restaurante.menu_items.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.menu_items."restaurantId" text NOT NULL
restaurante.menu_items."categoryId" text NOT NULL
restaurante.menu_items.name text NOT NULL
restaurante.menu_items.description text
restaurante.menu_items.price numeric(10,2) NOT NULL
restaurante.menu_items.stock integer NOT NULL DEFAULT 0
restaurante.menu_items."isAvailable" boolean NOT NULL DEFAULT true
restaurante.menu_items.allergens text[] NOT NULL DEFAULT '{}'::text[]
restaurante.menu_items."sortOrder" integer NOT NULL DEFAULT 0
restaurante.menu_items."createdAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.menu_items."updatedAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.menu_versions."restaurantId" text NOT NULL
restaurante.menu_versions.version bigint NOT NULL DEFAULT 1
restaurante.menu_versions."changedAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.opening_exceptions.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.opening_exceptions."restaurantId" text NOT NULL
restaurante.opening_exceptions.date date NOT NULL
restaurante.opening_exceptions.closed boolean NOT NULL DEFAULT true
restaurante.opening_exceptions.opens_at time without time zone
restaurante.opening_exceptions.closes_at time without time zone
restaurante.opening_exceptions.reason text
restaurante.opening_hours.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.opening_hours."restaurantId" text NOT NULL
restaurante.opening_hours.weekday smallint NOT NULL
restaurante.opening_hours.opens_at time without time zone NOT NULL
restaurante.opening_hours.closes_at time without time zone NOT NULL
restaurante.order_items.id text NOT NULL DEFAULT (restaurante.uuid7())::text
restaurante.order_items."restaurantId" text NOT NULL
restaurante.order_items."orderId" text NOT NULL
restaurante.order_items."menuItemId" text NOT NULL
restaurante.order_items.quantity integer NOT NULL
restaurante.order_items."unitPrice" numeric(10,2) NOT NULL
restaurante.order_items."totalPrice" numeric(10,2) NOT NULL
restaurante.order_items.status restaurante."OrderItemStatus" NOT NULL DEFAULT 'PENDING'::restaurante."OrderItemStatus"
restaurante.order_items.notes text
restaurante.order_items."createdAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.order_items."updatedAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.order_items."createdBy" text DEFAULT COALESCE(NULLIF(current_setting('comanda.actor'::text, true), ''::text), (CURRENT_USER)::text)
restaurante.order_status_changes.id text NOT NULL DEFAULT (restaurante.uuid7())::text
restaurante.order_status_changes."restaurantId" text NOT NULL
restaurante.order_status_changes."orderId" text NOT NULL
restaurante.order_status_changes."orderItemId" text
restaurante.order_status_changes."fromStatus" text
restaurante.order_status_changes."toStatus" text NOT NULL
restaurante.order_status_changes."changedBy" text NOT NULL
restaurante.order_status_changes."changedAt" timestamp with time zone NOT NULL DEFAULT clock_timestamp()
restaurante.order_status_history.id text
restaurante.order_status_history."restaurantId" text
restaurante.order_status_history."orderId" text
restaurante.order_status_history."orderItemId" text
restaurante.order_status_history."fromStatus" text
restaurante.order_status_history."toStatus" text
restaurante.order_status_history."changedBy" text
restaurante.order_status_history."changedAt" timestamp with time zone
restaurante.orders.id text NOT NULL DEFAULT (restaurante.uuid7())::text
restaurante.orders."restaurantId" text NOT NULL
restaurante.orders."orderNumber" text NOT NULL
restaurante.orders."tableId" text
restaurante.orders."sessionId" text
restaurante.orders."customerId" text
restaurante.orders.source text NOT NULL DEFAULT 'qr'::text
restaurante.orders.status restaurante."OrderStatus" NOT NULL DEFAULT 'PENDING'::restaurante."OrderStatus"
restaurante.orders."totalAmount" numeric(10,2) NOT NULL DEFAULT 0
restaurante.orders.customer_email text
restaurante.orders.notes text
restaurante.orders.idempotency_key text
restaurante.orders."createdBy" text DEFAULT COALESCE(NULLIF(current_setting('comanda.actor'::text, true), ''::text), (CURRENT_USER)::text)
restaurante.orders."orderedAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.orders."updatedAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.orders."guestPhone" integer
restaurante.qr_scans.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.qr_scans."restaurantId" text NOT NULL
restaurante.qr_scans.table_id text NOT NULL
restaurante.qr_scans.session_id text
restaurante.qr_scans.client_ip inet
restaurante.qr_scans.user_agent text
restaurante.qr_scans.scanned_at timestamp with time zone NOT NULL DEFAULT now()
restaurante.reservation_items.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.reservation_items."restaurantId" text NOT NULL
restaurante.reservation_items."reservationId" text NOT NULL
restaurante.reservation_items."menuItemId" text NOT NULL
restaurante.reservation_items.quantity integer NOT NULL
restaurante.reservation_items.notes text
restaurante.reservation_items."createdAt" timestamp with time zone NOT NULL DEFAULT clock_timestamp()
restaurante.reservation_status_history.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.reservation_status_history."restaurantId" text NOT NULL
restaurante.reservation_status_history."reservationId" text NOT NULL
restaurante.reservation_status_history."fromStatus" text
restaurante.reservation_status_history."toStatus" text NOT NULL
restaurante.reservation_status_history."changedBy" text NOT NULL
restaurante.reservation_status_history."changedAt" timestamp with time zone NOT NULL DEFAULT clock_timestamp()
restaurante.reservation_tables."restaurantId" text NOT NULL
restaurante.reservation_tables."reservationId" text NOT NULL
restaurante.reservation_tables."tableId" text NOT NULL
restaurante.reservation_tables.occupied tstzrange NOT NULL
restaurante.reservation_tables.active boolean NOT NULL DEFAULT true
restaurante.reservation_tokens.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.reservation_tokens."restaurantId" text NOT NULL
restaurante.reservation_tokens."reservationId" text NOT NULL
restaurante.reservation_tokens.token_hash text NOT NULL
restaurante.reservation_tokens.token text GENERATED ALWAYS AS ('sha256:'::text || "left"(token_hash, 12)) STORED
restaurante.reservation_tokens."expiresAt" timestamp with time zone NOT NULL
restaurante.reservation_tokens."isUsed" boolean NOT NULL DEFAULT false
restaurante.reservation_tokens."usedAt" timestamp with time zone
restaurante.reservation_tokens."createdAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.reservations.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.reservations."restaurantId" text NOT NULL
restaurante.reservations."customerId" text
restaurante.reservations."customerName" text NOT NULL
restaurante.reservations."customerEmail" text
restaurante.reservations."customerPhone" text
restaurante.reservations."partySize" integer NOT NULL
restaurante.reservations.date date NOT NULL
restaurante.reservations."time" timestamp with time zone NOT NULL
restaurante.reservations."durationMinutes" integer NOT NULL DEFAULT 90
restaurante.reservations.status restaurante."ReservationStatus" NOT NULL DEFAULT 'PENDING'::restaurante."ReservationStatus"
restaurante.reservations.table_ids text[] NOT NULL DEFAULT '{}'::text[]
restaurante.reservations."tableId" text
restaurante.reservations.language text
restaurante.reservations.notes text
restaurante.reservations."createdAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.reservations."updatedAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.reservations.hold_expires_at timestamp with time zone
restaurante.reservations.hold_client text
restaurante.reservations.marketing_consent boolean
restaurante.restaurants.id text NOT NULL
restaurante.restaurants.name text NOT NULL
restaurante.restaurants.timezone text NOT NULL DEFAULT 'Europe/Madrid'::text
restaurante.restaurants.currency character(3) NOT NULL DEFAULT 'EUR'::bpchar
restaurante.restaurants."defaultLanguage" text NOT NULL DEFAULT 'es'::text
restaurante.restaurants.slot_interval_minutes integer NOT NULL DEFAULT 15
restaurante.restaurants.buffer_minutes integer NOT NULL DEFAULT 15
restaurante.restaurants."createdAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.restaurants."updatedAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.restaurants.kitchen_amber_minutes integer NOT NULL DEFAULT 10
restaurante.restaurants.kitchen_red_minutes integer NOT NULL DEFAULT 20
restaurante.staff_accounts."restaurantId" text NOT NULL
restaurante.staff_accounts.id text NOT NULL
restaurante.staff_accounts.name text NOT NULL
restaurante.staff_accounts.login text NOT NULL
restaurante.staff_accounts.role restaurante."StaffRole" NOT NULL
restaurante.staff_accounts.password_hash text
restaurante.staff_accounts."createdAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.staff_accounts."updatedAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.staff_accounts."lastSignInAt" timestamp with time zone
restaurante.staff_accounts."disabledAt" timestamp with time zone
restaurante.staff_devices."restaurantId" text NOT NULL
restaurante.staff_devices.id text NOT NULL
restaurante.staff_devices.role restaurante."StaffRole" NOT NULL
restaurante.staff_devices.label text
restaurante.staff_devices.pairing_code_hash text
restaurante.staff_devices."pairingExpiresAt" timestamp with time zone NOT NULL
restaurante.staff_devices."createdAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.staff_devices."createdBy" text
restaurante.staff_devices."pairedAt" timestamp with time zone
restaurante.staff_devices."revokedAt" timestamp with time zone
restaurante.staff_sessions."restaurantId" text NOT NULL
restaurante.staff_sessions.id text NOT NULL
restaurante.staff_sessions."accountId" text
restaurante.staff_sessions."deviceId" text
restaurante.staff_sessions.token_hash text NOT NULL
restaurante.staff_sessions.idle_timeout interval NOT NULL
restaurante.staff_sessions."createdAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.staff_sessions."lastSeenAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.staff_sessions."expiresAt" timestamp with time zone NOT NULL
restaurante.staff_sessions."revokedAt" timestamp with time zone
restaurante.staff_sign_in_tokens."restaurantId" text NOT NULL
restaurante.staff_sign_in_tokens.id text NOT NULL
restaurante.staff_sign_in_tokens."accountId" text NOT NULL
restaurante.staff_sign_in_tokens.token_hash text NOT NULL
restaurante.staff_sign_in_tokens."createdAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.staff_sign_in_tokens."expiresAt" timestamp with time zone NOT NULL
restaurante.staff_sign_in_tokens."usedAt" timestamp with time zone
restaurante.staff_tokens.id text NOT NULL
restaurante.staff_tokens."restaurantId" text NOT NULL
restaurante.staff_tokens.role restaurante."StaffRole" NOT NULL
restaurante.staff_tokens.label text
restaurante.staff_tokens.token_hash text NOT NULL
restaurante.staff_tokens."createdAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.staff_tokens."lastUsedAt" timestamp with time zone
restaurante.staff_tokens."expiresAt" timestamp with time zone
restaurante.staff_tokens."revokedAt" timestamp with time zone
restaurante.stock_movements.id text NOT NULL DEFAULT (restaurante.uuid7())::text
restaurante.stock_movements."restaurantId" text NOT NULL
restaurante.stock_movements."menuItemId" text NOT NULL
restaurante.stock_movements.delta integer NOT NULL
restaurante.stock_movements."stockAfter" integer NOT NULL
restaurante.stock_movements.reason text NOT NULL
restaurante.stock_movements."orderId" text
restaurante.stock_movements.actor text
restaurante.stock_movements.note text
restaurante.stock_movements."createdAt" timestamp with time zone NOT NULL DEFAULT clock_timestamp()
restaurante.table_combinations.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.table_combinations."restaurantId" text NOT NULL
restaurante.table_combinations.name text NOT NULL
restaurante.table_combinations.table_ids text[] NOT NULL
restaurante.table_combinations."isActive" boolean NOT NULL DEFAULT true
restaurante.table_requests.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.table_requests."restaurantId" text NOT NULL
restaurante.table_requests."tableId" text NOT NULL
restaurante.table_requests."sessionId" text NOT NULL
restaurante.table_requests.kind text NOT NULL
restaurante.table_requests.status text NOT NULL DEFAULT 'open'::text
restaurante.table_requests.phone integer
restaurante.table_requests."createdAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.table_requests."resolvedAt" timestamp with time zone
restaurante.table_requests."resolvedBy" text
restaurante.table_session_tokens.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.table_session_tokens."restaurantId" text NOT NULL
restaurante.table_session_tokens."sessionId" text NOT NULL
restaurante.table_session_tokens.token_hash text NOT NULL
restaurante.table_session_tokens."createdAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.table_session_tokens.phone integer
restaurante.table_session_tokens."approvedAt" timestamp with time zone
restaurante.table_session_tokens."approvedBy" text
restaurante.table_session_tokens."deniedAt" timestamp with time zone
restaurante.table_session_tokens."deniedBy" text
restaurante.table_sessions.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.table_sessions."restaurantId" text NOT NULL
restaurante.table_sessions."tableId" text NOT NULL
restaurante.table_sessions."openedAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.table_sessions."expiresAt" timestamp with time zone NOT NULL
restaurante.table_sessions."closedAt" timestamp with time zone
restaurante.table_sessions."closedBy" text
restaurante.tables.id text NOT NULL DEFAULT (gen_random_uuid())::text
restaurante.tables."restaurantId" text NOT NULL
restaurante.tables.number integer NOT NULL
restaurante.tables.capacity integer NOT NULL
restaurante.tables.location text
restaurante.tables."isActive" boolean NOT NULL DEFAULT true
restaurante.tables."qrVersion" integer NOT NULL DEFAULT 1
restaurante.tables."createdAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.tables."updatedAt" timestamp with time zone NOT NULL DEFAULT now()
restaurante.turn_times."restaurantId" text NOT NULL
restaurante.turn_times.min_party integer NOT NULL
restaurante.turn_times.max_party integer NOT NULL
restaurante.turn_times.minutes integer NOT NULL

-- constraints
comanda.actions_log actions_log_duration_ms_check CHECK (duration_ms >= 0)
comanda.actions_log actions_log_pkey PRIMARY KEY (id)
comanda.actions_log actions_log_status_check CHECK (status = ANY (ARRAY['done'::text, 'partial'::text, 'failed'::text, 'nothing-to-do'::text]))
comanda.alert_deliveries alert_deliveries_attempts_check CHECK (attempts >= 0)
comanda.alert_deliveries alert_deliveries_channel_check CHECK (channel = ANY (ARRAY['slack'::text, 'webhook'::text, 'email'::text]))
comanda.alert_deliveries alert_deliveries_event_id_channel_key UNIQUE (event_id, channel)
comanda.alert_deliveries alert_deliveries_event_id_fkey FOREIGN KEY (event_id) REFERENCES comanda.alert_events(id) ON DELETE CASCADE
comanda.alert_deliveries alert_deliveries_pkey PRIMARY KEY (id)
comanda.alert_deliveries alert_deliveries_state_check CHECK (state = ANY (ARRAY['pending'::text, 'sent'::text, 'failed'::text, 'abandoned'::text]))
comanda.alert_events alert_events_kind_check CHECK (kind = ANY (ARRAY['alert'::text, 'escalation'::text, 'reminder'::text, 'resolved'::text]))
comanda.alert_events alert_events_pkey PRIMARY KEY (id)
comanda.alert_events alert_events_previous_check CHECK (previous = ANY (ARRAY['ok'::text, 'warning'::text, 'critical'::text, 'unknown'::text]))
comanda.alert_events alert_events_status_check CHECK (status = ANY (ARRAY['ok'::text, 'warning'::text, 'critical'::text, 'unknown'::text]))
comanda.alert_state alert_state_notified_status_check CHECK (notified_status = ANY (ARRAY['ok'::text, 'warning'::text, 'critical'::text, 'unknown'::text]))
comanda.alert_state alert_state_pkey PRIMARY KEY ("check")
comanda.alert_state alert_state_status_check CHECK (status = ANY (ARRAY['ok'::text, 'warning'::text, 'critical'::text, 'unknown'::text]))
comanda.backups backups_file_sha256_key UNIQUE (file, sha256)
comanda.backups backups_pkey PRIMARY KEY (id)
comanda.backups backups_sha256_check CHECK (sha256 ~ '^[0-9a-f]{64}$'::text)
comanda.backups backups_size_bytes_check CHECK (size_bytes >= 0)
comanda.history_captures history_captures_duration_ms_check CHECK (duration_ms >= 0)
comanda.history_captures history_captures_pkey PRIMARY KEY (id)
comanda.history_checks history_checks_pkey PRIMARY KEY (capture_id, "check")
comanda.history_checks history_checks_status_check CHECK (status = ANY (ARRAY['ok'::text, 'warning'::text, 'critical'::text, 'unknown'::text]))
comanda.history_counters history_counters_pkey PRIMARY KEY (queryid)
comanda.history_queries history_queries_pkey PRIMARY KEY (queryid)
comanda.history_sizes history_sizes_kind_check CHECK (kind = ANY (ARRAY['database'::text, 'table'::text, 'index'::text]))
comanda.history_sizes history_sizes_pkey PRIMARY KEY (capture_id, kind, name)
comanda.history_state history_state_id_check CHECK (id)
comanda.history_state history_state_pkey PRIMARY KEY (id)
comanda.history_statements history_statements_calls_check CHECK (calls >= 0)
comanda.history_statements history_statements_pkey PRIMARY KEY (capture_id, queryid)
comanda.history_statements history_statements_total_ms_check CHECK (total_ms >= 0::double precision)
comanda.maintenance_windows maintenance_windows_check CHECK (ends_at > started_at)
comanda.maintenance_windows maintenance_windows_pkey PRIMARY KEY (id)
comanda.maintenance_windows maintenance_windows_reason_check CHECK (length(reason) >= 1 AND length(reason) <= 500)
comanda.rate_limits rate_limits_hits_check CHECK (hits > 0)
comanda.rate_limits rate_limits_pkey PRIMARY KEY (key)
comanda.staff_sign_in_throttle staff_sign_in_throttle_attempts_check CHECK (attempts >= 0)
comanda.staff_sign_in_throttle staff_sign_in_throttle_failures_check CHECK (failures >= 0)
comanda.staff_sign_in_throttle staff_sign_in_throttle_pkey PRIMARY KEY (key)
restaurante.audit_log "audit_log_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE RESTRICT
restaurante.audit_log audit_log_action_check CHECK (action = ANY (ARRAY['customer.export'::text, 'customer.erase'::text, 'retention.anonymize'::text]))
restaurante.audit_log audit_log_pkey PRIMARY KEY (id, "restaurantId")
restaurante.customer_consents "customer_consents_customerId_fkey" FOREIGN KEY ("restaurantId", "customerId") REFERENCES restaurante.customers("restaurantId", id) ON DELETE RESTRICT
restaurante.customer_consents customer_consents_method_check CHECK (method = ANY (ARRAY['web_form'::text, 'qr_order'::text, 'staff'::text, 'email_link'::text, 'api'::text]))
restaurante.customer_consents customer_consents_pkey PRIMARY KEY (id, "restaurantId")
restaurante.customer_consents customer_consents_purpose_check CHECK (purpose = ANY (ARRAY['reservation_emails'::text, 'order_receipts'::text, 'marketing'::text, 'data_retention'::text]))
restaurante.customers "customers_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE RESTRICT
restaurante.customers customers_language_check CHECK (language = ANY (ARRAY['es'::text, 'en'::text]))
restaurante.customers customers_pkey PRIMARY KEY (id, "restaurantId")
restaurante.customers customers_restaurant_id_key UNIQUE ("restaurantId", id)
restaurante.email_logs "email_logs_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE RESTRICT
restaurante.email_logs email_logs_customer_id_fkey FOREIGN KEY ("restaurantId", customer_id) REFERENCES restaurante.customers("restaurantId", id) ON DELETE RESTRICT
restaurante.email_logs email_logs_email_type_check CHECK (email_type = ANY (ARRAY['reservation_confirmation'::text, 'reservation_reminder'::text, 'reservation_cancellation'::text, 'order_receipt'::text, 'alert'::text]))
restaurante.email_logs email_logs_language_check CHECK (language = ANY (ARRAY['es'::text, 'en'::text]))
restaurante.email_logs email_logs_order_id_fkey FOREIGN KEY ("restaurantId", order_id) REFERENCES restaurante.orders("restaurantId", id) ON DELETE RESTRICT
restaurante.email_logs email_logs_pkey PRIMARY KEY (id, "restaurantId")
restaurante.email_logs email_logs_reservation_id_fkey FOREIGN KEY ("restaurantId", reservation_id) REFERENCES restaurante.reservations("restaurantId", id) ON DELETE RESTRICT
restaurante.email_logs email_logs_retry_count_check CHECK (retry_count >= 0)
restaurante.email_logs email_logs_status_check CHECK (status = ANY (ARRAY['pending'::text, 'sent'::text, 'failed'::text]))
restaurante.idempotency_keys "idempotency_keys_responseStatus_check" CHECK ("responseStatus" >= 200 AND "responseStatus" <= 599)
restaurante.idempotency_keys "idempotency_keys_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE RESTRICT
restaurante.idempotency_keys idempotency_keys_key_check CHECK (length(key) >= 1 AND length(key) <= 255)
restaurante.idempotency_keys idempotency_keys_pkey PRIMARY KEY ("restaurantId", scope, key)
restaurante.kitchen_bumps "kitchen_bumps_orderId_fkey" FOREIGN KEY ("restaurantId", "orderId") REFERENCES restaurante.orders("restaurantId", id) ON DELETE CASCADE
restaurante.kitchen_bumps "kitchen_bumps_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE RESTRICT
restaurante.kitchen_bumps kitchen_bumps_pkey PRIMARY KEY ("restaurantId", id)
restaurante.kitchen_stations "kitchen_stations_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE RESTRICT
restaurante.kitchen_stations kitchen_stations_name_check CHECK (length(name) >= 1 AND length(name) <= 60)
restaurante.kitchen_stations kitchen_stations_pkey PRIMARY KEY ("restaurantId", id)
restaurante.menu_categories "menu_categories_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE RESTRICT
restaurante.menu_categories "menu_categories_stationId_fkey" FOREIGN KEY ("restaurantId", "stationId") REFERENCES restaurante.kitchen_stations("restaurantId", id) ON DELETE SET NULL ("stationId")
restaurante.menu_categories menu_categories_name_check CHECK (length(name) >= 1 AND length(name) <= 120)
restaurante.menu_categories menu_categories_pkey PRIMARY KEY (id, "restaurantId")
restaurante.menu_categories menu_categories_restaurant_id_key UNIQUE ("restaurantId", id)
restaurante.menu_items "menu_items_categoryId_fkey" FOREIGN KEY ("restaurantId", "categoryId") REFERENCES restaurante.menu_categories("restaurantId", id) ON DELETE RESTRICT
restaurante.menu_items "menu_items_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE RESTRICT
restaurante.menu_items check_price_positive CHECK (price > 0::numeric AND price < 1000::numeric)
restaurante.menu_items check_stock_non_negative CHECK (stock >= 0)
restaurante.menu_items menu_items_allergens_check CHECK (allergens <@ ARRAY['gluten'::text, 'crustaceans'::text, 'eggs'::text, 'fish'::text, 'peanuts'::text, 'soybeans'::text, 'milk'::text, 'nuts'::text, 'celery'::text, 'mustard'::text, 'sesame'::text, 'sulphites'::text, 'lupin'::text, 'molluscs'::text])
restaurante.menu_items menu_items_name_check CHECK (length(name) >= 1 AND length(name) <= 200)
restaurante.menu_items menu_items_pkey PRIMARY KEY (id, "restaurantId")
restaurante.menu_items menu_items_restaurant_id_key UNIQUE ("restaurantId", id)
restaurante.menu_versions "menu_versions_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE CASCADE
restaurante.menu_versions menu_versions_pkey PRIMARY KEY ("restaurantId")
restaurante.opening_exceptions "opening_exceptions_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE RESTRICT
restaurante.opening_exceptions opening_exceptions_check CHECK (closed OR opens_at IS NOT NULL AND closes_at IS NOT NULL AND opens_at <> closes_at)
restaurante.opening_exceptions opening_exceptions_pkey PRIMARY KEY (id, "restaurantId")
restaurante.opening_hours "opening_hours_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE RESTRICT
restaurante.opening_hours opening_hours_check CHECK (opens_at <> closes_at)
restaurante.opening_hours opening_hours_pkey PRIMARY KEY (id, "restaurantId")
restaurante.opening_hours opening_hours_weekday_check CHECK (weekday >= 1 AND weekday <= 7)
restaurante.order_items "order_items_menuItemId_fkey" FOREIGN KEY ("restaurantId", "menuItemId") REFERENCES restaurante.menu_items("restaurantId", id) ON DELETE RESTRICT
restaurante.order_items "order_items_orderId_fkey" FOREIGN KEY ("restaurantId", "orderId") REFERENCES restaurante.orders("restaurantId", id) ON DELETE RESTRICT
restaurante.order_items check_quantity_positive CHECK (quantity > 0 AND quantity <= 100)
restaurante.order_items order_items_pkey PRIMARY KEY (id, "restaurantId")
restaurante.order_items order_items_restaurant_id_key UNIQUE ("restaurantId", id)
restaurante.order_items order_items_total_matches CHECK ("totalPrice" = ("unitPrice" * quantity::numeric))
restaurante.order_status_changes "order_status_changes_orderId_fkey" FOREIGN KEY ("restaurantId", "orderId") REFERENCES restaurante.orders("restaurantId", id) ON DELETE RESTRICT
restaurante.order_status_changes "order_status_changes_orderItemId_fkey" FOREIGN KEY ("restaurantId", "orderItemId") REFERENCES restaurante.order_items("restaurantId", id) ON DELETE RESTRICT
restaurante.order_status_changes order_status_changes_pkey PRIMARY KEY (id, "restaurantId")
restaurante.orders "orders_customerId_fkey" FOREIGN KEY ("restaurantId", "customerId") REFERENCES restaurante.customers("restaurantId", id) ON DELETE RESTRICT
restaurante.orders "orders_guestPhone_check" CHECK ("guestPhone" > 0)
restaurante.orders "orders_orderNumber_key" UNIQUE ("restaurantId", "orderNumber")
restaurante.orders "orders_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE RESTRICT
restaurante.orders "orders_sessionId_fkey" FOREIGN KEY ("restaurantId", "sessionId") REFERENCES restaurante.table_sessions("restaurantId", id) ON DELETE RESTRICT
restaurante.orders "orders_tableId_fkey" FOREIGN KEY ("restaurantId", "tableId") REFERENCES restaurante.tables("restaurantId", id) ON DELETE RESTRICT
restaurante.orders check_email_format CHECK (customer_email ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$'::text)
restaurante.orders check_order_source CHECK (source = ANY (ARRAY['presencial'::text, 'qr'::text, 'online'::text, 'telefono'::text]))
restaurante.orders check_total_amount_positive CHECK ("totalAmount" >= 0::numeric AND "totalAmount" < 10000::numeric)
restaurante.orders orders_pkey PRIMARY KEY (id, "restaurantId")
restaurante.orders orders_restaurant_id_key UNIQUE ("restaurantId", id)
restaurante.qr_scans qr_scans_pkey PRIMARY KEY (id, "restaurantId")
restaurante.qr_scans qr_scans_session_id_fkey FOREIGN KEY ("restaurantId", session_id) REFERENCES restaurante.table_sessions("restaurantId", id) ON DELETE SET NULL (session_id)
restaurante.qr_scans qr_scans_table_id_fkey FOREIGN KEY ("restaurantId", table_id) REFERENCES restaurante.tables("restaurantId", id) ON DELETE RESTRICT
restaurante.reservation_items "reservation_items_menuItemId_fkey" FOREIGN KEY ("restaurantId", "menuItemId") REFERENCES restaurante.menu_items("restaurantId", id) ON DELETE RESTRICT
restaurante.reservation_items "reservation_items_reservationId_fkey" FOREIGN KEY ("restaurantId", "reservationId") REFERENCES restaurante.reservations("restaurantId", id) ON DELETE CASCADE
restaurante.reservation_items reservation_items_pkey PRIMARY KEY (id, "restaurantId")
restaurante.reservation_items reservation_items_quantity_check CHECK (quantity > 0 AND quantity <= 100)
restaurante.reservation_status_history "reservation_status_history_reservationId_fkey" FOREIGN KEY ("restaurantId", "reservationId") REFERENCES restaurante.reservations("restaurantId", id) ON DELETE CASCADE
restaurante.reservation_status_history reservation_status_history_pkey PRIMARY KEY (id, "restaurantId")
restaurante.reservation_tables "reservation_tables_reservationId_fkey" FOREIGN KEY ("restaurantId", "reservationId") REFERENCES restaurante.reservations("restaurantId", id) ON DELETE CASCADE
restaurante.reservation_tables "reservation_tables_tableId_fkey" FOREIGN KEY ("restaurantId", "tableId") REFERENCES restaurante.tables("restaurantId", id) ON DELETE RESTRICT
restaurante.reservation_tables reservation_tables_no_overlap EXCLUDE USING gist ("restaurantId" WITH =, "tableId" WITH =, occupied WITH &&) WHERE (active)
restaurante.reservation_tables reservation_tables_occupied_check CHECK (NOT isempty(occupied) AND NOT lower_inf(occupied) AND NOT upper_inf(occupied))
restaurante.reservation_tables reservation_tables_pkey PRIMARY KEY ("reservationId", "tableId", "restaurantId")
restaurante.reservation_tokens "reservation_tokens_reservationId_fkey" FOREIGN KEY ("restaurantId", "reservationId") REFERENCES restaurante.reservations("restaurantId", id) ON DELETE CASCADE
restaurante.reservation_tokens reservation_tokens_check CHECK ("isUsed" = ("usedAt" IS NOT NULL))
restaurante.reservation_tokens reservation_tokens_pkey PRIMARY KEY (id, "restaurantId")
restaurante.reservation_tokens reservation_tokens_token_hash_check CHECK (token_hash ~ '^[0-9a-f]{64}$'::text)
restaurante.reservations "reservations_customerId_fkey" FOREIGN KEY ("restaurantId", "customerId") REFERENCES restaurante.customers("restaurantId", id) ON DELETE RESTRICT
restaurante.reservations "reservations_durationMinutes_check" CHECK ("durationMinutes" >= 15 AND "durationMinutes" <= 720)
restaurante.reservations "reservations_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE RESTRICT
restaurante.reservations "reservations_tableId_fkey" FOREIGN KEY ("restaurantId", "tableId") REFERENCES restaurante.tables("restaurantId", id) ON DELETE RESTRICT
restaurante.reservations check_realistic_party_size CHECK ("partySize" >= 1 AND "partySize" <= 50)
restaurante.reservations reservations_language_check CHECK (language = ANY (ARRAY['es'::text, 'en'::text]))
restaurante.reservations reservations_pkey PRIMARY KEY (id, "restaurantId")
restaurante.reservations reservations_restaurant_id_key UNIQUE ("restaurantId", id)
restaurante.restaurants "restaurants_defaultLanguage_check" CHECK ("defaultLanguage" = ANY (ARRAY['es'::text, 'en'::text]))
restaurante.restaurants restaurants_buffer_minutes_check CHECK (buffer_minutes >= 0 AND buffer_minutes <= 240)
restaurante.restaurants restaurants_currency_check CHECK (currency ~ '^[A-Z]{3}$'::text)
restaurante.restaurants restaurants_kitchen_thresholds CHECK (kitchen_amber_minutes >= 1 AND kitchen_amber_minutes <= 240 AND kitchen_red_minutes >= 2 AND kitchen_red_minutes <= 480 AND kitchen_amber_minutes < kitchen_red_minutes)
restaurante.restaurants restaurants_name_check CHECK (length(name) >= 1 AND length(name) <= 200)
restaurante.restaurants restaurants_pkey PRIMARY KEY (id)
restaurante.restaurants restaurants_slot_interval_minutes_check CHECK (slot_interval_minutes >= 5 AND slot_interval_minutes <= 240)
restaurante.staff_accounts "staff_accounts_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE RESTRICT
restaurante.staff_accounts "staff_accounts_restaurantId_login_key" UNIQUE ("restaurantId", login)
restaurante.staff_accounts staff_accounts_login_check CHECK (login = lower(login) AND login ~ '^[a-z0-9][a-z0-9._@+-]{2,253}$'::text)
restaurante.staff_accounts staff_accounts_name_check CHECK (length(name) >= 1 AND length(name) <= 200)
restaurante.staff_accounts staff_accounts_password_hash_check CHECK (password_hash ~ '^scrypt\$[0-9]+\$[0-9]+\$[0-9]+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$'::text)
restaurante.staff_accounts staff_accounts_pkey PRIMARY KEY ("restaurantId", id)
restaurante.staff_devices "staff_devices_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE RESTRICT
restaurante.staff_devices "staff_devices_restaurantId_pairing_code_hash_key" UNIQUE ("restaurantId", pairing_code_hash)
restaurante.staff_devices staff_devices_check CHECK ("pairedAt" IS NULL OR pairing_code_hash IS NULL)
restaurante.staff_devices staff_devices_label_check CHECK (length(label) >= 1 AND length(label) <= 200)
restaurante.staff_devices staff_devices_pairing_code_hash_check CHECK (pairing_code_hash ~ '^[0-9a-f]{64}$'::text)
restaurante.staff_devices staff_devices_pkey PRIMARY KEY ("restaurantId", id)
restaurante.staff_sessions "staff_sessions_restaurantId_accountId_fkey" FOREIGN KEY ("restaurantId", "accountId") REFERENCES restaurante.staff_accounts("restaurantId", id) ON DELETE CASCADE
restaurante.staff_sessions "staff_sessions_restaurantId_deviceId_fkey" FOREIGN KEY ("restaurantId", "deviceId") REFERENCES restaurante.staff_devices("restaurantId", id) ON DELETE CASCADE
restaurante.staff_sessions "staff_sessions_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE RESTRICT
restaurante.staff_sessions "staff_sessions_restaurantId_token_hash_key" UNIQUE ("restaurantId", token_hash)
restaurante.staff_sessions staff_sessions_check CHECK (num_nonnulls("accountId", "deviceId") = 1)
restaurante.staff_sessions staff_sessions_check1 CHECK ("expiresAt" > "createdAt")
restaurante.staff_sessions staff_sessions_idle_timeout_check CHECK (idle_timeout > '00:00:00'::interval)
restaurante.staff_sessions staff_sessions_pkey PRIMARY KEY ("restaurantId", id)
restaurante.staff_sessions staff_sessions_token_hash_check CHECK (token_hash ~ '^[0-9a-f]{64}$'::text)
restaurante.staff_sign_in_tokens "staff_sign_in_tokens_restaurantId_accountId_fkey" FOREIGN KEY ("restaurantId", "accountId") REFERENCES restaurante.staff_accounts("restaurantId", id) ON DELETE CASCADE
restaurante.staff_sign_in_tokens "staff_sign_in_tokens_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE RESTRICT
restaurante.staff_sign_in_tokens "staff_sign_in_tokens_restaurantId_token_hash_key" UNIQUE ("restaurantId", token_hash)
restaurante.staff_sign_in_tokens staff_sign_in_tokens_check CHECK ("expiresAt" > "createdAt")
restaurante.staff_sign_in_tokens staff_sign_in_tokens_pkey PRIMARY KEY ("restaurantId", id)
restaurante.staff_sign_in_tokens staff_sign_in_tokens_token_hash_check CHECK (token_hash ~ '^[0-9a-f]{64}$'::text)
restaurante.staff_tokens "staff_tokens_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE RESTRICT
restaurante.staff_tokens staff_tokens_pkey PRIMARY KEY (id, "restaurantId")
restaurante.staff_tokens staff_tokens_token_hash_check CHECK (token_hash ~ '^[0-9a-f]{64}$'::text)
restaurante.stock_movements "stock_movements_menuItemId_fkey" FOREIGN KEY ("restaurantId", "menuItemId") REFERENCES restaurante.menu_items("restaurantId", id) ON DELETE RESTRICT
restaurante.stock_movements stock_movements_delta_check CHECK (delta <> 0)
restaurante.stock_movements stock_movements_pkey PRIMARY KEY (id, "restaurantId")
restaurante.stock_movements stock_movements_reason_check CHECK (reason = ANY (ARRAY['initial'::text, 'order'::text, 'order_cancelled'::text, 'restock'::text, 'correction'::text, 'manual'::text]))
restaurante.table_combinations "table_combinations_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE CASCADE
restaurante.table_combinations table_combinations_pkey PRIMARY KEY (id, "restaurantId")
restaurante.table_combinations table_combinations_table_ids_check CHECK (cardinality(table_ids) >= 2)
restaurante.table_requests "table_requests_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE RESTRICT
restaurante.table_requests "table_requests_sessionId_fkey" FOREIGN KEY ("restaurantId", "sessionId") REFERENCES restaurante.table_sessions("restaurantId", id) ON DELETE CASCADE
restaurante.table_requests "table_requests_tableId_fkey" FOREIGN KEY ("restaurantId", "tableId") REFERENCES restaurante.tables("restaurantId", id) ON DELETE RESTRICT
restaurante.table_requests table_requests_kind_check CHECK (kind = ANY (ARRAY['waiter'::text, 'bill'::text]))
restaurante.table_requests table_requests_phone_check CHECK (phone > 0)
restaurante.table_requests table_requests_pkey PRIMARY KEY ("restaurantId", id)
restaurante.table_requests table_requests_resolved CHECK ((status = 'resolved'::text) = ("resolvedAt" IS NOT NULL))
restaurante.table_requests table_requests_status_check CHECK (status = ANY (ARRAY['open'::text, 'resolved'::text]))
restaurante.table_session_tokens "table_session_tokens_sessionId_fkey" FOREIGN KEY ("restaurantId", "sessionId") REFERENCES restaurante.table_sessions("restaurantId", id) ON DELETE CASCADE
restaurante.table_session_tokens table_session_tokens_decided_once CHECK ("approvedAt" IS NULL OR "deniedAt" IS NULL)
restaurante.table_session_tokens table_session_tokens_phone_check CHECK (phone IS NOT NULL AND phone > 0)
restaurante.table_session_tokens table_session_tokens_pkey PRIMARY KEY (id, "restaurantId")
restaurante.table_session_tokens table_session_tokens_token_hash_check CHECK (token_hash ~ '^[0-9a-f]{64}$'::text)
restaurante.table_sessions "table_sessions_tableId_fkey" FOREIGN KEY ("restaurantId", "tableId") REFERENCES restaurante.tables("restaurantId", id) ON DELETE RESTRICT
restaurante.table_sessions table_sessions_check CHECK ("expiresAt" > "openedAt")
restaurante.table_sessions table_sessions_pkey PRIMARY KEY (id, "restaurantId")
restaurante.table_sessions table_sessions_restaurant_id_key UNIQUE ("restaurantId", id)
restaurante.tables "tables_qrVersion_check" CHECK ("qrVersion" > 0)
restaurante.tables "tables_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE RESTRICT
restaurante.tables tables_capacity_check CHECK (capacity >= 1 AND capacity <= 50)
restaurante.tables tables_number_check CHECK (number > 0)
restaurante.tables tables_pkey PRIMARY KEY (id, "restaurantId")
restaurante.tables tables_restaurant_id_key UNIQUE ("restaurantId", id)
restaurante.tables tables_restaurant_number_key UNIQUE ("restaurantId", number)
restaurante.turn_times "turn_times_restaurantId_fkey" FOREIGN KEY ("restaurantId") REFERENCES restaurante.restaurants(id) ON DELETE CASCADE
restaurante.turn_times turn_times_check CHECK (min_party <= max_party)
restaurante.turn_times turn_times_max_party_check CHECK (max_party >= 1 AND max_party <= 50)
restaurante.turn_times turn_times_min_party_check CHECK (min_party >= 1 AND min_party <= 50)
restaurante.turn_times turn_times_minutes_check CHECK (minutes >= 15 AND minutes <= 720)
restaurante.turn_times turn_times_pkey PRIMARY KEY ("restaurantId", min_party)

-- indexes
CREATE INDEX "kitchen_bumps_orderId" ON restaurante.kitchen_bumps USING btree ("restaurantId", "orderId")
CREATE INDEX actions_log_at ON comanda.actions_log USING btree (at DESC)
CREATE INDEX alert_deliveries_undelivered ON comanda.alert_deliveries USING btree (id) WHERE (state = ANY (ARRAY['pending'::text, 'failed'::text]))
CREATE INDEX alert_events_check_at ON comanda.alert_events USING btree ("check", at DESC)
CREATE INDEX audit_log_subject ON restaurante.audit_log USING btree ("restaurantId", "subjectId", "createdAt")
CREATE INDEX backups_verified_at ON comanda.backups USING btree (verified_at DESC) WHERE (verified_at IS NOT NULL)
CREATE INDEX customer_consents_customer ON restaurante.customer_consents USING btree ("customerId", "recordedAt")
CREATE INDEX email_logs_pending_due ON restaurante.email_logs USING btree (next_attempt_at) WHERE (status = 'pending'::text)
CREATE INDEX email_logs_sent_at ON restaurante.email_logs USING btree (sent_at DESC)
CREATE INDEX history_captures_at ON comanda.history_captures USING btree (at)
CREATE INDEX history_sizes_object ON comanda.history_sizes USING btree (kind, name, capture_id)
CREATE INDEX history_statements_queryid ON comanda.history_statements USING btree (queryid, capture_id)
CREATE INDEX idempotency_keys_expires ON restaurante.idempotency_keys USING btree ("expiresAt")
CREATE INDEX idx_email_logs_status_retry ON restaurante.email_logs USING btree (status, retry_count) WHERE (status = 'failed'::text)
CREATE INDEX idx_order_items_status_created ON restaurante.order_items USING btree ("restaurantId", status, "createdAt")
CREATE INDEX idx_orders_customer_email_status ON restaurante.orders USING btree (customer_email, status) WHERE (customer_email IS NOT NULL)
CREATE INDEX idx_qr_scans_table_timestamp ON restaurante.qr_scans USING btree (table_id, scanned_at DESC)
CREATE INDEX idx_reservations_date_status ON restaurante.reservations USING btree ("restaurantId", date, status)
CREATE INDEX idx_reservations_table_ids ON restaurante.reservations USING gin (table_ids) WHERE (status = ANY (ARRAY['PENDING'::restaurante."ReservationStatus", 'CONFIRMED'::restaurante."ReservationStatus", 'SEATED'::restaurante."ReservationStatus"]))
CREATE INDEX kitchen_bumps_restaurant_time ON restaurante.kitchen_bumps USING btree ("restaurantId", "bumpedAt")
CREATE INDEX maintenance_windows_ends_at ON comanda.maintenance_windows USING btree (ends_at DESC)
CREATE INDEX menu_items_category ON restaurante.menu_items USING btree ("restaurantId", "categoryId")
CREATE INDEX opening_exceptions_restaurant_date ON restaurante.opening_exceptions USING btree ("restaurantId", date)
CREATE INDEX opening_hours_restaurant_weekday ON restaurante.opening_hours USING btree ("restaurantId", weekday)
CREATE INDEX order_items_menu_item ON restaurante.order_items USING btree ("menuItemId", "createdAt")
CREATE INDEX order_items_order ON restaurante.order_items USING btree ("orderId")
CREATE INDEX order_status_changes_order ON restaurante.order_status_changes USING btree ("orderId", "changedAt")
CREATE INDEX orders_customer ON restaurante.orders USING btree ("customerId") WHERE ("customerId" IS NOT NULL)
CREATE INDEX orders_session ON restaurante.orders USING btree ("sessionId") WHERE ("sessionId" IS NOT NULL)
CREATE INDEX orders_table_time ON restaurante.orders USING btree ("restaurantId", "tableId", "orderedAt" DESC)
CREATE INDEX rate_limits_window_ends ON comanda.rate_limits USING btree (window_ends)
CREATE INDEX reservation_items_reservation ON restaurante.reservation_items USING btree ("reservationId")
CREATE INDEX reservation_status_history_reservation ON restaurante.reservation_status_history USING btree ("reservationId", "changedAt")
CREATE INDEX reservation_tables_no_overlap ON restaurante.reservation_tables USING gist ("restaurantId", "tableId", occupied) WHERE active
CREATE INDEX reservation_tokens_reservation ON restaurante.reservation_tokens USING btree ("reservationId", "createdAt" DESC)
CREATE INDEX reservations_open_holds ON restaurante.reservations USING btree (hold_expires_at) WHERE ((status = 'PENDING'::restaurante."ReservationStatus") AND (hold_expires_at IS NOT NULL))
CREATE INDEX staff_accounts_login ON restaurante.staff_accounts USING btree (login)
CREATE INDEX staff_accounts_restaurant ON restaurante.staff_accounts USING btree ("restaurantId", "createdAt")
CREATE INDEX staff_devices_pairing_code ON restaurante.staff_devices USING btree (pairing_code_hash) WHERE (pairing_code_hash IS NOT NULL)
CREATE INDEX staff_devices_restaurant ON restaurante.staff_devices USING btree ("restaurantId", "createdAt")
CREATE INDEX staff_sessions_account ON restaurante.staff_sessions USING btree ("restaurantId", "accountId") WHERE ("accountId" IS NOT NULL)
CREATE INDEX staff_sessions_device ON restaurante.staff_sessions USING btree ("restaurantId", "deviceId") WHERE ("deviceId" IS NOT NULL)
CREATE INDEX staff_sessions_expires ON restaurante.staff_sessions USING btree ("expiresAt")
CREATE INDEX staff_sign_in_throttle_updated ON comanda.staff_sign_in_throttle USING btree (updated_at)
CREATE INDEX staff_sign_in_tokens_account ON restaurante.staff_sign_in_tokens USING btree ("restaurantId", "accountId")
CREATE INDEX staff_tokens_restaurant ON restaurante.staff_tokens USING btree ("restaurantId", "createdAt")
CREATE INDEX stock_movements_item_time ON restaurante.stock_movements USING btree ("menuItemId", "createdAt")
CREATE INDEX stock_movements_order ON restaurante.stock_movements USING btree ("orderId") WHERE ("orderId" IS NOT NULL)
CREATE INDEX table_requests_restaurant_open ON restaurante.table_requests USING btree ("restaurantId", "createdAt") WHERE (status = 'open'::text)
CREATE INDEX table_requests_table ON restaurante.table_requests USING btree ("restaurantId", "tableId")
CREATE INDEX table_session_tokens_session ON restaurante.table_session_tokens USING btree ("sessionId")
CREATE UNIQUE INDEX "orders_orderNumber_key" ON restaurante.orders USING btree ("restaurantId", "orderNumber")
CREATE UNIQUE INDEX "staff_accounts_restaurantId_login_key" ON restaurante.staff_accounts USING btree ("restaurantId", login)
CREATE UNIQUE INDEX "staff_devices_restaurantId_pairing_code_hash_key" ON restaurante.staff_devices USING btree ("restaurantId", pairing_code_hash)
CREATE UNIQUE INDEX "staff_sessions_restaurantId_token_hash_key" ON restaurante.staff_sessions USING btree ("restaurantId", token_hash)
CREATE UNIQUE INDEX "staff_sign_in_tokens_restaurantId_token_hash_key" ON restaurante.staff_sign_in_tokens USING btree ("restaurantId", token_hash)
CREATE UNIQUE INDEX actions_log_pkey ON comanda.actions_log USING btree (id)
CREATE UNIQUE INDEX alert_deliveries_event_id_channel_key ON comanda.alert_deliveries USING btree (event_id, channel)
CREATE UNIQUE INDEX alert_deliveries_pkey ON comanda.alert_deliveries USING btree (id)
CREATE UNIQUE INDEX alert_events_pkey ON comanda.alert_events USING btree (id)
CREATE UNIQUE INDEX alert_state_pkey ON comanda.alert_state USING btree ("check")
CREATE UNIQUE INDEX audit_log_pkey ON restaurante.audit_log USING btree (id, "restaurantId")
CREATE UNIQUE INDEX backups_file_sha256_key ON comanda.backups USING btree (file, sha256)
CREATE UNIQUE INDEX backups_pkey ON comanda.backups USING btree (id)
CREATE UNIQUE INDEX customer_consents_pkey ON restaurante.customer_consents USING btree (id, "restaurantId")
CREATE UNIQUE INDEX customers_pkey ON restaurante.customers USING btree (id, "restaurantId")
CREATE UNIQUE INDEX customers_restaurant_email ON restaurante.customers USING btree ("restaurantId", lower(email)) WHERE (email IS NOT NULL)
CREATE UNIQUE INDEX customers_restaurant_id_key ON restaurante.customers USING btree ("restaurantId", id)
CREATE UNIQUE INDEX email_logs_message_id_restaurant_key ON restaurante.email_logs USING btree (message_id, "restaurantId")
CREATE UNIQUE INDEX email_logs_one_receipt_per_restaurant ON restaurante.email_logs USING btree (order_id, "restaurantId") WHERE (email_type = 'order_receipt'::text)
CREATE UNIQUE INDEX email_logs_one_reminder_per_restaurant ON restaurante.email_logs USING btree (reservation_id, "restaurantId") WHERE (email_type = 'reservation_reminder'::text)
CREATE UNIQUE INDEX email_logs_pkey ON restaurante.email_logs USING btree (id, "restaurantId")
CREATE UNIQUE INDEX history_captures_pkey ON comanda.history_captures USING btree (id)
CREATE UNIQUE INDEX history_checks_pkey ON comanda.history_checks USING btree (capture_id, "check")
CREATE UNIQUE INDEX history_counters_pkey ON comanda.history_counters USING btree (queryid)
CREATE UNIQUE INDEX history_queries_pkey ON comanda.history_queries USING btree (queryid)
CREATE UNIQUE INDEX history_sizes_pkey ON comanda.history_sizes USING btree (capture_id, kind, name)
CREATE UNIQUE INDEX history_state_pkey ON comanda.history_state USING btree (id)
CREATE UNIQUE INDEX history_statements_pkey ON comanda.history_statements USING btree (capture_id, queryid)
CREATE UNIQUE INDEX idempotency_keys_pkey ON restaurante.idempotency_keys USING btree ("restaurantId", scope, key)
CREATE UNIQUE INDEX kitchen_bumps_pkey ON restaurante.kitchen_bumps USING btree ("restaurantId", id)
CREATE UNIQUE INDEX kitchen_stations_name ON restaurante.kitchen_stations USING btree ("restaurantId", lower(name))
CREATE UNIQUE INDEX kitchen_stations_pkey ON restaurante.kitchen_stations USING btree ("restaurantId", id)
CREATE UNIQUE INDEX maintenance_windows_pkey ON comanda.maintenance_windows USING btree (id)
CREATE UNIQUE INDEX menu_categories_pkey ON restaurante.menu_categories USING btree (id, "restaurantId")
CREATE UNIQUE INDEX menu_categories_restaurant_id_key ON restaurante.menu_categories USING btree ("restaurantId", id)
CREATE UNIQUE INDEX menu_items_pkey ON restaurante.menu_items USING btree (id, "restaurantId")
CREATE UNIQUE INDEX menu_items_restaurant_id_key ON restaurante.menu_items USING btree ("restaurantId", id)
CREATE UNIQUE INDEX menu_versions_pkey ON restaurante.menu_versions USING btree ("restaurantId")
CREATE UNIQUE INDEX opening_exceptions_pkey ON restaurante.opening_exceptions USING btree (id, "restaurantId")
CREATE UNIQUE INDEX opening_hours_pkey ON restaurante.opening_hours USING btree (id, "restaurantId")
CREATE UNIQUE INDEX order_items_pkey ON restaurante.order_items USING btree (id, "restaurantId")
CREATE UNIQUE INDEX order_items_restaurant_id_key ON restaurante.order_items USING btree ("restaurantId", id)
CREATE UNIQUE INDEX order_status_changes_pkey ON restaurante.order_status_changes USING btree (id, "restaurantId")
CREATE UNIQUE INDEX orders_pkey ON restaurante.orders USING btree (id, "restaurantId")
CREATE UNIQUE INDEX orders_restaurant_id_key ON restaurante.orders USING btree ("restaurantId", id)
CREATE UNIQUE INDEX qr_scans_pkey ON restaurante.qr_scans USING btree (id, "restaurantId")
CREATE UNIQUE INDEX rate_limits_pkey ON comanda.rate_limits USING btree (key)
CREATE UNIQUE INDEX reservation_items_pkey ON restaurante.reservation_items USING btree (id, "restaurantId")
CREATE UNIQUE INDEX reservation_status_history_pkey ON restaurante.reservation_status_history USING btree (id, "restaurantId")
CREATE UNIQUE INDEX reservation_tables_pkey ON restaurante.reservation_tables USING btree ("reservationId", "tableId", "restaurantId")
CREATE UNIQUE INDEX reservation_tokens_pkey ON restaurante.reservation_tokens USING btree (id, "restaurantId")
CREATE UNIQUE INDEX reservation_tokens_token_hash_restaurant_key ON restaurante.reservation_tokens USING btree (token_hash, "restaurantId")
CREATE UNIQUE INDEX reservations_pkey ON restaurante.reservations USING btree (id, "restaurantId")
CREATE UNIQUE INDEX reservations_restaurant_id_key ON restaurante.reservations USING btree ("restaurantId", id)
CREATE UNIQUE INDEX restaurants_pkey ON restaurante.restaurants USING btree (id)
CREATE UNIQUE INDEX staff_accounts_pkey ON restaurante.staff_accounts USING btree ("restaurantId", id)
CREATE UNIQUE INDEX staff_devices_pkey ON restaurante.staff_devices USING btree ("restaurantId", id)
CREATE UNIQUE INDEX staff_sessions_pkey ON restaurante.staff_sessions USING btree ("restaurantId", id)
CREATE UNIQUE INDEX staff_sign_in_throttle_pkey ON comanda.staff_sign_in_throttle USING btree (key)
CREATE UNIQUE INDEX staff_sign_in_tokens_pkey ON restaurante.staff_sign_in_tokens USING btree ("restaurantId", id)
CREATE UNIQUE INDEX staff_tokens_pkey ON restaurante.staff_tokens USING btree (id, "restaurantId")
CREATE UNIQUE INDEX staff_tokens_token_hash_restaurant_key ON restaurante.staff_tokens USING btree (token_hash, "restaurantId")
CREATE UNIQUE INDEX stock_movements_pkey ON restaurante.stock_movements USING btree (id, "restaurantId")
CREATE UNIQUE INDEX table_combinations_pkey ON restaurante.table_combinations USING btree (id, "restaurantId")
CREATE UNIQUE INDEX table_requests_one_open ON restaurante.table_requests USING btree ("restaurantId", "sessionId", kind) WHERE (status = 'open'::text)
CREATE UNIQUE INDEX table_requests_pkey ON restaurante.table_requests USING btree ("restaurantId", id)
CREATE UNIQUE INDEX table_session_tokens_pkey ON restaurante.table_session_tokens USING btree (id, "restaurantId")
CREATE UNIQUE INDEX table_session_tokens_session_phone_key ON restaurante.table_session_tokens USING btree ("restaurantId", "sessionId", phone)
CREATE UNIQUE INDEX table_session_tokens_token_hash_restaurant_key ON restaurante.table_session_tokens USING btree (token_hash, "restaurantId")
CREATE UNIQUE INDEX table_sessions_one_open_per_restaurant ON restaurante.table_sessions USING btree ("tableId", "restaurantId") WHERE ("closedAt" IS NULL)
CREATE UNIQUE INDEX table_sessions_pkey ON restaurante.table_sessions USING btree (id, "restaurantId")
CREATE UNIQUE INDEX table_sessions_restaurant_id_key ON restaurante.table_sessions USING btree ("restaurantId", id)
CREATE UNIQUE INDEX tables_pkey ON restaurante.tables USING btree (id, "restaurantId")
CREATE UNIQUE INDEX tables_restaurant_id_key ON restaurante.tables USING btree ("restaurantId", id)
CREATE UNIQUE INDEX tables_restaurant_number_key ON restaurante.tables USING btree ("restaurantId", number)
CREATE UNIQUE INDEX turn_times_pkey ON restaurante.turn_times USING btree ("restaurantId", min_party)

-- triggers
CREATE TRIGGER check_menu_item_before_order_item BEFORE INSERT OR UPDATE OF "menuItemId" ON restaurante.order_items FOR EACH ROW EXECUTE FUNCTION restaurante.validate_menu_item_availability()
CREATE TRIGGER customers_touch BEFORE UPDATE ON restaurante.customers FOR EACH ROW EXECUTE FUNCTION restaurante.touch_updated_at()
CREATE TRIGGER menu_categories_menu_version AFTER INSERT OR DELETE OR UPDATE ON restaurante.menu_categories FOR EACH ROW EXECUTE FUNCTION restaurante.bump_menu_version()
CREATE TRIGGER menu_categories_touch BEFORE UPDATE ON restaurante.menu_categories FOR EACH ROW EXECUTE FUNCTION restaurante.touch_updated_at()
CREATE TRIGGER menu_items_menu_version AFTER INSERT OR DELETE ON restaurante.menu_items FOR EACH ROW EXECUTE FUNCTION restaurante.bump_menu_version()
CREATE TRIGGER menu_items_menu_version_update AFTER UPDATE ON restaurante.menu_items FOR EACH ROW WHEN (old.name IS DISTINCT FROM new.name OR old.description IS DISTINCT FROM new.description OR old.price IS DISTINCT FROM new.price OR old."isAvailable" IS DISTINCT FROM new."isAvailable" OR old.allergens IS DISTINCT FROM new.allergens OR old."categoryId" IS DISTINCT FROM new."categoryId" OR old."sortOrder" IS DISTINCT FROM new."sortOrder" OR restaurante.stock_state(old.stock) <> restaurante.stock_state(new.stock)) EXECUTE FUNCTION restaurante.bump_menu_version()
CREATE TRIGGER menu_items_stock_ledger_insert AFTER INSERT ON restaurante.menu_items FOR EACH ROW EXECUTE FUNCTION restaurante.record_stock_movement()
CREATE TRIGGER menu_items_stock_ledger_update AFTER UPDATE ON restaurante.menu_items REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION restaurante.record_stock_movements()
CREATE TRIGGER menu_items_touch BEFORE UPDATE ON restaurante.menu_items FOR EACH ROW EXECUTE FUNCTION restaurante.touch_updated_at()
CREATE TRIGGER order_items_notify_session AFTER UPDATE OF status ON restaurante.order_items FOR EACH ROW EXECUTE FUNCTION restaurante.notify_session_change()
CREATE TRIGGER order_items_status_changed AFTER UPDATE OF status ON restaurante.order_items FOR EACH ROW WHEN (old.status IS DISTINCT FROM new.status) EXECUTE FUNCTION restaurante.record_order_status()
CREATE TRIGGER order_items_touch BEFORE UPDATE ON restaurante.order_items FOR EACH ROW EXECUTE FUNCTION restaurante.touch_updated_at()
CREATE TRIGGER orders_notify_session AFTER INSERT OR UPDATE ON restaurante.orders FOR EACH ROW WHEN (new."sessionId" IS NOT NULL AND current_setting('comanda.notify'::text, true) IS DISTINCT FROM 'after-commit'::text) EXECUTE FUNCTION restaurante.notify_session_change()
CREATE TRIGGER orders_notify_staff AFTER INSERT OR UPDATE ON restaurante.orders FOR EACH ROW WHEN (current_setting('comanda.notify'::text, true) IS DISTINCT FROM 'after-commit'::text) EXECUTE FUNCTION restaurante.notify_restaurant_change('comanda_orders')
CREATE TRIGGER orders_status_changed AFTER UPDATE OF status ON restaurante.orders FOR EACH ROW WHEN (old.status IS DISTINCT FROM new.status) EXECUTE FUNCTION restaurante.record_order_status()
CREATE TRIGGER orders_touch BEFORE UPDATE ON restaurante.orders FOR EACH ROW EXECUTE FUNCTION restaurante.touch_updated_at()
CREATE TRIGGER reservation_tables_set_active BEFORE INSERT OR UPDATE OF "reservationId", active ON restaurante.reservation_tables FOR EACH ROW EXECUTE FUNCTION restaurante.set_reservation_table_active()
CREATE TRIGGER reservation_tables_sync_ids AFTER INSERT OR DELETE OR UPDATE OF "tableId", "reservationId" ON restaurante.reservation_tables FOR EACH ROW EXECUTE FUNCTION restaurante.sync_reservation_table_ids()
CREATE TRIGGER reservations_notify_staff AFTER INSERT OR UPDATE ON restaurante.reservations FOR EACH ROW EXECUTE FUNCTION restaurante.notify_restaurant_change('comanda_reservations')
CREATE TRIGGER reservations_set_date BEFORE INSERT OR UPDATE OF "time", date ON restaurante.reservations FOR EACH ROW EXECUTE FUNCTION restaurante.set_reservation_date()
CREATE TRIGGER reservations_status_changed AFTER UPDATE OF status ON restaurante.reservations FOR EACH ROW WHEN (old.status IS DISTINCT FROM new.status) EXECUTE FUNCTION restaurante.record_reservation_status()
CREATE TRIGGER reservations_status_created AFTER INSERT ON restaurante.reservations FOR EACH ROW EXECUTE FUNCTION restaurante.record_reservation_status()
CREATE TRIGGER reservations_sync_tables AFTER UPDATE OF status ON restaurante.reservations FOR EACH ROW WHEN (old.status IS DISTINCT FROM new.status) EXECUTE FUNCTION restaurante.sync_reservation_tables_active()
CREATE TRIGGER reservations_touch BEFORE UPDATE ON restaurante.reservations FOR EACH ROW EXECUTE FUNCTION restaurante.touch_updated_at()
CREATE TRIGGER restaurants_menu_version AFTER UPDATE ON restaurante.restaurants FOR EACH ROW WHEN (old.name IS DISTINCT FROM new.name OR old.currency IS DISTINCT FROM new.currency) EXECUTE FUNCTION restaurante.bump_menu_version()
CREATE TRIGGER restaurants_menu_version_create AFTER INSERT ON restaurante.restaurants FOR EACH ROW EXECUTE FUNCTION restaurante.create_menu_version()
CREATE TRIGGER restaurants_timezone_check BEFORE INSERT OR UPDATE OF timezone ON restaurante.restaurants FOR EACH ROW EXECUTE FUNCTION restaurante.check_restaurant_timezone()
CREATE TRIGGER restaurants_touch BEFORE UPDATE ON restaurante.restaurants FOR EACH ROW EXECUTE FUNCTION restaurante.touch_updated_at()
CREATE TRIGGER stock_movements_append_only BEFORE DELETE OR UPDATE ON restaurante.stock_movements FOR EACH ROW EXECUTE FUNCTION restaurante.refuse_ledger_change()
CREATE TRIGGER stock_movements_no_truncate BEFORE TRUNCATE ON restaurante.stock_movements FOR EACH STATEMENT EXECUTE FUNCTION restaurante.refuse_ledger_change()
CREATE TRIGGER table_combinations_check BEFORE INSERT OR UPDATE OF table_ids ON restaurante.table_combinations FOR EACH ROW EXECUTE FUNCTION restaurante.check_table_combination()
CREATE TRIGGER table_requests_notify AFTER INSERT OR UPDATE ON restaurante.table_requests FOR EACH ROW EXECUTE FUNCTION restaurante.notify_table_request()
CREATE TRIGGER table_session_tokens_notify AFTER INSERT OR UPDATE ON restaurante.table_session_tokens FOR EACH ROW EXECUTE FUNCTION restaurante.notify_session_change()
CREATE TRIGGER table_session_tokens_notify_floor AFTER INSERT OR UPDATE ON restaurante.table_session_tokens FOR EACH ROW EXECUTE FUNCTION restaurante.notify_restaurant_change('comanda_floor')
CREATE TRIGGER table_sessions_notify AFTER UPDATE ON restaurante.table_sessions FOR EACH ROW EXECUTE FUNCTION restaurante.notify_session_change()
CREATE TRIGGER table_sessions_notify_floor AFTER INSERT OR UPDATE ON restaurante.table_sessions FOR EACH ROW EXECUTE FUNCTION restaurante.notify_restaurant_change('comanda_floor')
CREATE TRIGGER tables_notify_floor AFTER INSERT OR UPDATE ON restaurante.tables FOR EACH ROW EXECUTE FUNCTION restaurante.notify_restaurant_change('comanda_floor')
CREATE TRIGGER tables_touch BEFORE UPDATE ON restaurante.tables FOR EACH ROW EXECUTE FUNCTION restaurante.touch_updated_at()

-- functions
CREATE OR REPLACE FUNCTION restaurante.assign_tables(p_restaurant_id text, p_reservation_id text, p_start timestamp with time zone, p_party integer)
 RETURNS text[]
 LANGUAGE plpgsql
AS $function$
DECLARE
  v_tables text[];
  v_turn integer := restaurante.turn_minutes(p_restaurant_id, p_party);
  v_minutes integer := v_turn + (SELECT buffer_minutes FROM restaurante.restaurants WHERE id = p_restaurant_id);
  v_alternatives jsonb;
BEGIN
  IF p_start <= now() OR NOT restaurante.is_slot(p_restaurant_id, p_start, p_party) THEN
    RAISE EXCEPTION 'not a bookable time' USING ERRCODE = 'CM005';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM restaurante.table_options(p_restaurant_id, p_party)) THEN
    RAISE EXCEPTION 'no table or combination seats % people', p_party USING ERRCODE = 'CM006';
  END IF;
  -- Refused bookings are answered without taking the lock (bookings only add occupancy, so a time
  -- that is full now was full under the lock too); the rest take turns per restaurant.
  v_tables := restaurante.free_option(p_restaurant_id, p_party, p_start, p_reservation_id);
  IF v_tables IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtextextended('comanda:booking:' || p_restaurant_id, 0));
    v_tables := restaurante.free_option(p_restaurant_id, p_party, p_start, p_reservation_id);
  END IF;
  IF v_tables IS NULL THEN
    SELECT jsonb_agg(restaurante.local_iso(a.slot, (SELECT timezone FROM restaurante.restaurants WHERE id = p_restaurant_id))
                     ORDER BY abs(extract(epoch FROM a.slot - p_start)), a.slot) INTO v_alternatives
      FROM (SELECT slot FROM restaurante.available_slots(p_restaurant_id,
              (p_start AT TIME ZONE (SELECT timezone FROM restaurante.restaurants WHERE id = p_restaurant_id))::date, p_party,
              p_reservation_id)
            ORDER BY abs(extract(epoch FROM slot - p_start)), slot LIMIT 5) a;
    RAISE EXCEPTION 'Table already reserved' USING ERRCODE = 'CM004', DETAIL = coalesce(v_alternatives, '[]'::jsonb)::text;
  END IF;
  DELETE FROM restaurante.reservation_tables WHERE "reservationId" = p_reservation_id;
  INSERT INTO restaurante.reservation_tables ("restaurantId", "reservationId", "tableId", occupied)
  SELECT p_restaurant_id, p_reservation_id, t, tstzrange(p_start, p_start + make_interval(mins => v_minutes))
    FROM unnest(v_tables) AS t;
  UPDATE restaurante.reservations SET time = p_start, "partySize" = p_party, "durationMinutes" = v_turn,
         "tableId" = v_tables[1]
   WHERE id = p_reservation_id;
  RETURN v_tables;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.available_slots(p_restaurant_id text, p_date date, p_party integer, p_exclude_reservation text DEFAULT NULL::text)
 RETURNS TABLE(slot timestamp with time zone)
 LANGUAGE sql
 STABLE
AS $function$
  SELECT s.slot
    FROM restaurante.service_windows(p_restaurant_id, p_date) w
    CROSS JOIN LATERAL generate_series(
      w.opens,
      w.closes - make_interval(mins => restaurante.turn_minutes(p_restaurant_id, p_party)),
      make_interval(mins => (SELECT slot_interval_minutes FROM restaurante.restaurants WHERE id = p_restaurant_id))) AS s(slot)
   WHERE s.slot > now()
     AND restaurante.free_option(p_restaurant_id, p_party, s.slot, p_exclude_reservation) IS NOT NULL
   ORDER BY s.slot
$function$
CREATE OR REPLACE FUNCTION restaurante.bump_menu_version()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
  v_restaurant text := CASE TG_TABLE_NAME WHEN 'restaurants' THEN NEW.id
                        ELSE (CASE WHEN TG_OP = 'DELETE' THEN OLD."restaurantId" ELSE NEW."restaurantId" END) END;
  v_version bigint;
BEGIN
  UPDATE restaurante.menu_versions SET version = version + 1, "changedAt" = now()
   WHERE "restaurantId" = v_restaurant
  RETURNING version INTO v_version;
  PERFORM pg_notify('comanda_menu', v_restaurant || ' ' || v_version);
  RETURN NULL;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.caller_of(p_token_hash text)
 RETURNS TABLE(kind text, "restaurantId" text, "tokenId" text, role text, "sessionId" text, "tableId" text, phone integer, "idempotencyScope" text)
 LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
DECLARE
  v_staff record;
BEGIN
  SELECT t.id, t."restaurantId", t.role::text AS role,
         (t."lastUsedAt" IS NULL OR t."lastUsedAt" < now() - interval '1 minute') AS stale
    INTO v_staff
    FROM restaurante.staff_tokens t
   WHERE t.token_hash = p_token_hash AND t."revokedAt" IS NULL AND (t."expiresAt" IS NULL OR t."expiresAt" > now());
  IF FOUND THEN
    IF v_staff.stale THEN
      UPDATE restaurante.staff_tokens SET "lastUsedAt" = now() WHERE id = v_staff.id;
    END IF;
    RETURN QUERY SELECT 'staff'::text, v_staff."restaurantId", v_staff.id, v_staff.role, NULL::text, NULL::text, NULL::integer,
                        'staff:' || v_staff.id;
    RETURN;
  END IF;
  RETURN QUERY
    SELECT 'guest'::text, s."restaurantId", t.id, NULL::text, s.id, s."tableId", t.phone, 'session:' || s.id
      FROM restaurante.table_session_tokens t
      JOIN restaurante.table_sessions s ON s.id = t."sessionId"
     WHERE t.token_hash = p_token_hash AND t."approvedAt" IS NOT NULL AND s."closedAt" IS NULL AND s."expiresAt" > now();
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.check_restaurant_timezone()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names WHERE name = NEW.timezone) THEN
    RAISE EXCEPTION 'unknown time zone %', NEW.timezone
      USING ERRCODE = 'check_violation', CONSTRAINT = 'restaurants_timezone_check';
  END IF;
  RETURN NEW;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.check_table_combination()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF (SELECT count(DISTINCT t) FROM unnest(NEW.table_ids) AS t) <> cardinality(NEW.table_ids)
     OR EXISTS (SELECT 1 FROM unnest(NEW.table_ids) AS t
                 WHERE NOT EXISTS (SELECT 1 FROM restaurante.tables x WHERE x.id = t AND x."restaurantId" = NEW."restaurantId")) THEN
    RAISE EXCEPTION 'a combination lists distinct tables of its own restaurant'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'table_combinations_table_ids_check';
  END IF;
  NEW.table_ids := ARRAY(SELECT t FROM unnest(NEW.table_ids) AS t ORDER BY t);
  RETURN NEW;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.claim_idempotency_key(p_restaurant_id text, p_scope text, p_key text)
 RETURNS TABLE(claimed boolean, operation text, fingerprint text, result jsonb)
 LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtextextended(
       '[' || to_json(p_restaurant_id)::text || ',' || to_json(p_scope)::text || ',' || to_json(p_key)::text || ']', 7342)) THEN
    RETURN QUERY SELECT false, NULL::text, NULL::text, NULL::jsonb;
    RETURN;
  END IF;
  RETURN QUERY
    SELECT true, k.operation, k.fingerprint, k."responseBody"
      FROM restaurante.idempotency_keys k
     WHERE k."restaurantId" = p_restaurant_id AND k.scope = p_scope AND k.key = p_key AND k."expiresAt" > now();
  IF NOT FOUND THEN
    RETURN QUERY SELECT true, NULL::text, NULL::text, NULL::jsonb;
  END IF;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.create_menu_version()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  INSERT INTO restaurante.menu_versions ("restaurantId") VALUES (NEW.id) ON CONFLICT DO NOTHING;
  RETURN NULL;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.create_order_with_stock_check(p_order_data jsonb, p_order_items jsonb[])
 RETURNS TABLE(order_id text, success boolean)
 LANGUAGE plpgsql
AS $function$
BEGIN
  RETURN QUERY
  SELECT restaurante.place_order(p_order_data->>'restaurantId', p_order_data, to_jsonb(p_order_items))->>'id', true;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.decrease_menu_item_stock(item_id text, decrease_amount integer)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
DECLARE
  v_stock integer;
  v_prev_reason text := current_setting('comanda.stock_reason', true);
BEGIN
  IF decrease_amount IS NULL OR decrease_amount <= 0 THEN
    RAISE EXCEPTION 'decrease_amount must be a positive integer' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM set_config('comanda.stock_reason', coalesce(nullif(v_prev_reason, ''), 'order'), true);
  UPDATE restaurante.menu_items SET stock = stock - decrease_amount
   WHERE id = item_id AND stock >= decrease_amount
  RETURNING stock INTO v_stock;
  PERFORM set_config('comanda.stock_reason', coalesce(v_prev_reason, ''), true);
  IF v_stock IS NULL THEN
    IF EXISTS (SELECT 1 FROM restaurante.menu_items WHERE id = item_id) THEN
      RAISE EXCEPTION 'Stock insuficiente o item no encontrado: %', item_id USING ERRCODE = 'CM002',
        DETAIL = jsonb_build_array(jsonb_build_object('menuItemId', item_id, 'requested', decrease_amount,
                   'available', (SELECT stock FROM restaurante.menu_items WHERE id = item_id)))::text;
    END IF;
    RAISE EXCEPTION 'Stock insuficiente o item no encontrado: %', item_id USING ERRCODE = 'CM003',
      DETAIL = jsonb_build_array(jsonb_build_object('menuItemId', item_id, 'requested', decrease_amount, 'available', 0))::text;
  END IF;
  RETURN v_stock;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.erase_customer(p_restaurant_id text, p_customer_id text)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE
  v_email text;
  v_orders text[];
  v_reservations text[];
  v_counts jsonb := '{}';
  v_n integer;
BEGIN
  SELECT lower(email) INTO v_email FROM restaurante.customers
   WHERE id = p_customer_id AND "restaurantId" = p_restaurant_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;

  -- The customer's orders and reservations: linked by id, or by the e-mail address they gave.
  v_orders := ARRAY(SELECT id FROM restaurante.orders
   WHERE "restaurantId" = p_restaurant_id AND ("customerId" = p_customer_id OR (v_email IS NOT NULL AND lower(customer_email) = v_email)));
  v_reservations := ARRAY(SELECT id FROM restaurante.reservations
   WHERE "restaurantId" = p_restaurant_id AND ("customerId" = p_customer_id OR (v_email IS NOT NULL AND lower("customerEmail") = v_email)));

  UPDATE restaurante.reservations
     SET "customerName" = '[erased]', "customerEmail" = NULL, "customerPhone" = NULL, notes = NULL
   WHERE id = ANY(v_reservations);
  GET DIAGNOSTICS v_n = ROW_COUNT; v_counts := v_counts || jsonb_build_object('reservations', v_n);
  UPDATE restaurante.reservation_items SET notes = NULL WHERE "reservationId" = ANY(v_reservations);

  -- Orders stay (they are financial records); what identifies the person goes.
  UPDATE restaurante.orders SET customer_email = NULL, notes = NULL, idempotency_key = NULL
   WHERE id = ANY(v_orders);
  GET DIAGNOSTICS v_n = ROW_COUNT; v_counts := v_counts || jsonb_build_object('orders', v_n);
  UPDATE restaurante.order_items SET notes = NULL WHERE "orderId" = ANY(v_orders);

  UPDATE restaurante.email_logs
     SET recipient_email = 'erased@invalid', payload = '{}', error_message = NULL
   WHERE "restaurantId" = p_restaurant_id
     AND (customer_id = p_customer_id OR order_id = ANY(v_orders)
          OR reservation_id = ANY(v_reservations)
          OR (v_email IS NOT NULL AND lower(recipient_email) = v_email));
  GET DIAGNOSTICS v_n = ROW_COUNT; v_counts := v_counts || jsonb_build_object('emails', v_n);

  UPDATE restaurante.qr_scans SET client_ip = NULL, user_agent = NULL
   WHERE session_id IN (SELECT "sessionId" FROM restaurante.orders WHERE id = ANY(v_orders) AND "sessionId" IS NOT NULL)
     AND (client_ip IS NOT NULL OR user_agent IS NOT NULL);
  GET DIAGNOSTICS v_n = ROW_COUNT; v_counts := v_counts || jsonb_build_object('qrScans', v_n);

  -- Stored answers of idempotent requests repeat what the request said, and a client's key may
  -- itself say who it was: those records go (they only serve retries within hours anyway).
  DELETE FROM restaurante.idempotency_keys
   WHERE "restaurantId" = p_restaurant_id
     AND ("responseBody"->'order'->>'id' = ANY(v_orders)
          OR "responseBody"->'reservation'->>'id' = ANY(v_reservations));
  GET DIAGNOSTICS v_n = ROW_COUNT; v_counts := v_counts || jsonb_build_object('idempotentResponses', v_n);

  UPDATE restaurante.customer_consents SET details = NULL WHERE "customerId" = p_customer_id;
  UPDATE restaurante.customers SET name = NULL, email = NULL, phone = NULL, "anonymizedAt" = now()
   WHERE id = p_customer_id;
  RETURN v_counts;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.free_option(p_restaurant_id text, p_party integer, p_start timestamp with time zone, p_exclude_reservation text DEFAULT NULL::text)
 RETURNS text[]
 LANGUAGE sql
 STABLE
AS $function$
  SELECT o.table_ids FROM restaurante.table_options(p_restaurant_id, p_party) o
   WHERE NOT EXISTS (
     SELECT 1 FROM restaurante.reservation_tables rt
      WHERE rt."restaurantId" = p_restaurant_id AND rt.active AND rt."tableId" = ANY(o.table_ids)
        AND rt."reservationId" IS DISTINCT FROM p_exclude_reservation
        AND rt.occupied && tstzrange(p_start, p_start + make_interval(mins => restaurante.turn_minutes(p_restaurant_id, p_party)
                                                              + (SELECT buffer_minutes FROM restaurante.restaurants WHERE id = p_restaurant_id))))
   LIMIT 1
$function$
CREATE OR REPLACE FUNCTION restaurante.get_complete_menu(p_restaurant_id text)
 RETURNS jsonb
 LANGUAGE sql
 STABLE
AS $function$
  SELECT jsonb_build_object(
    'restaurantId', r.id,
    'name', r.name,
    'currency', r.currency,
    'version', mv.version,
    'categories', coalesce((
      SELECT jsonb_agg(jsonb_build_object(
               'id', c.id, 'name', c.name, 'description', c.description, 'items', items.list)
             ORDER BY c."sortOrder", c.name, c.id)
        FROM restaurante.menu_categories c
        CROSS JOIN LATERAL (
          SELECT jsonb_agg(jsonb_build_object(
                   'id', i.id, 'name', i.name, 'description', i.description, 'price', i.price,
                   'allergens', to_jsonb(i.allergens), 'stockState', restaurante.stock_state(i.stock))
                 ORDER BY i."sortOrder", i.name, i.id) AS list
            FROM restaurante.menu_items i
           WHERE i."restaurantId" = c."restaurantId" AND i."categoryId" = c.id AND i."isAvailable"
        ) items
       WHERE c."restaurantId" = r.id AND c."isActive" AND items.list IS NOT NULL), '[]'::jsonb))
  FROM restaurante.restaurants r
  JOIN restaurante.menu_versions mv ON mv."restaurantId" = r.id
  WHERE r.id = p_restaurant_id
$function$
CREATE OR REPLACE FUNCTION restaurante.is_slot(p_restaurant_id text, p_start timestamp with time zone, p_party integer)
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $function$
  SELECT EXISTS (
    SELECT 1
      FROM restaurante.restaurants r,
           LATERAL (SELECT (p_start AT TIME ZONE r.timezone)::date AS d) local,
           LATERAL (SELECT * FROM restaurante.service_windows(p_restaurant_id, local.d - 1)
                    UNION ALL SELECT * FROM restaurante.service_windows(p_restaurant_id, local.d)) w
     WHERE r.id = p_restaurant_id
       AND p_start >= w.opens
       AND p_start + make_interval(mins => restaurante.turn_minutes(p_restaurant_id, p_party)) <= w.closes
       AND extract(epoch FROM p_start - w.opens)::bigint % (r.slot_interval_minutes * 60) = 0)
$function$
CREATE OR REPLACE FUNCTION restaurante.local_iso(p_at timestamp with time zone, p_zone text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  SELECT to_char(p_at AT TIME ZONE p_zone, 'YYYY-MM-DD"T"HH24:MI:SS')
         || CASE WHEN o < interval '0' THEN '-' ELSE '+' END
         || to_char(abs(extract(epoch FROM o))::integer / 3600, 'FM00') || ':'
         || to_char(abs(extract(epoch FROM o))::integer % 3600 / 60, 'FM00')
    FROM (SELECT (p_at AT TIME ZONE p_zone) - (p_at AT TIME ZONE 'UTC') AS o) x
$function$
CREATE OR REPLACE FUNCTION restaurante.notify_restaurant_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  PERFORM pg_notify(TG_ARGV[0], NEW."restaurantId");
  RETURN NULL;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.notify_session_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
  v_session text;
BEGIN
  IF TG_TABLE_NAME = 'orders' THEN
    v_session := NEW."sessionId";
  ELSIF TG_TABLE_NAME = 'order_items' THEN
    SELECT "sessionId" INTO v_session FROM restaurante.orders WHERE id = NEW."orderId";
  ELSIF TG_TABLE_NAME = 'table_sessions' THEN
    v_session := NEW.id;
  ELSE
    v_session := NEW."sessionId";
  END IF;
  IF v_session IS NOT NULL THEN
    PERFORM pg_notify('comanda_session', v_session);
  END IF;
  RETURN NULL;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.notify_table_request()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  PERFORM pg_notify('comanda_session', NEW."sessionId");
  PERFORM pg_notify('comanda_table_requests', NEW."restaurantId");
  RETURN NULL;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.order_json(p_order_id text)
 RETURNS jsonb
 LANGUAGE sql
 STABLE
AS $function$
  SELECT jsonb_build_object(
    'id', o.id, 'orderNumber', o."orderNumber", 'restaurantId', o."restaurantId",
    'tableId', o."tableId", 'source', o.source, 'status', o.status,
    'totalAmount', o."totalAmount", 'customerEmail', o.customer_email, 'notes', o.notes,
    'orderedAt', o."orderedAt", 'updatedAt', o."updatedAt",
    'items', coalesce((
      SELECT jsonb_agg(jsonb_build_object(
               'id', oi.id, 'menuItemId', oi."menuItemId", 'name', mi.name, 'quantity', oi.quantity,
               'unitPrice', oi."unitPrice", 'totalPrice', oi."totalPrice", 'status', oi.status,
               'notes', oi.notes)
             ORDER BY oi."createdAt", oi.id)
        FROM restaurante.order_items oi
        JOIN restaurante.menu_items mi ON mi.id = oi."menuItemId"
       WHERE oi."orderId" = o.id), '[]'::jsonb))
  FROM restaurante.orders o
  WHERE o.id = p_order_id
$function$
CREATE OR REPLACE FUNCTION restaurante.place_order(p_restaurant_id text, p_order jsonb, p_items jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
 SET enable_seqscan TO 'off'
AS $function$
DECLARE
  v_wanted jsonb;      -- {menuItemId: requested quantity}; the same dish twice adds up
  v_ids text[];
  v_found jsonb;       -- {menuItemId: {stock, available, price, name}} for this restaurant's dishes
  v_problems jsonb;
  v_order_id text := restaurante.uuid7()::text;  -- time-ordered (migration 0063)
  v_order restaurante.orders;
  v_lines jsonb;
  v_total numeric(10, 2);
  v_updated integer;
  v_prev_reason text := current_setting('comanda.stock_reason', true);
  v_prev_order text := current_setting('comanda.stock_order_id', true);
BEGIN
  IF p_items IS NULL OR jsonb_typeof(p_items) <> 'array' OR jsonb_array_length(p_items) = 0 THEN
    RAISE EXCEPTION 'an order needs at least one item' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_order ? 'createdBy' THEN
    PERFORM set_config('comanda.actor', p_order->>'createdBy', true);
  END IF;

  SELECT jsonb_object_agg(id, requested), array_agg(id ORDER BY id) INTO v_wanted, v_ids
    FROM (SELECT e->>'menuItemId' AS id, sum((e->>'quantity')::integer) AS requested
            FROM jsonb_array_elements(p_items) AS e GROUP BY 1) w;

  -- Lock the dishes in id order (two orders for the same dishes queue instead of deadlocking)
  -- and read them, in one statement.
  -- A dish is orderable when it is available and its category is shown (active).
  SELECT coalesce(jsonb_object_agg(m.id, jsonb_build_object('stock', m.stock, 'available', m.orderable, 'price', m.price, 'name', m.name)), '{}')
    INTO v_found
    FROM (SELECT i.id, i.stock,
                 i."isAvailable" AND coalesce((SELECT c."isActive" FROM restaurante.menu_categories c
                                                WHERE c."restaurantId" = i."restaurantId" AND c.id = i."categoryId"), false) AS orderable,
                 i.price, i.name
            FROM restaurante.menu_items i
           WHERE i.id = ANY(v_ids) AND i."restaurantId" = p_restaurant_id
           ORDER BY i.id FOR UPDATE) m;

  -- Every problem at once, worst kind first: not on the menu, unavailable, short of stock.
  SELECT jsonb_agg(jsonb_build_object('menuItemId', w.key, 'requested', w.value::integer,
                                      'available', CASE WHEN coalesce((v_found->w.key->>'available')::boolean, false)
                                                        THEN (v_found->w.key->>'stock')::integer ELSE 0 END,
                                      'kind',
                                      CASE WHEN NOT v_found ? w.key THEN 'CM003'
                                           WHEN NOT (v_found->w.key->>'available')::boolean THEN 'CM001'
                                           ELSE 'CM002' END) ORDER BY w.key)
    INTO v_problems
    FROM jsonb_each_text(v_wanted) AS w
   WHERE NOT v_found ? w.key
      OR NOT (v_found->w.key->>'available')::boolean
      OR (v_found->w.key->>'stock')::integer < w.value::integer;
  IF v_problems IS NOT NULL THEN
    DECLARE
      v_kind text := CASE WHEN v_problems @> '[{"kind": "CM003"}]' THEN 'CM003'
                          WHEN v_problems @> '[{"kind": "CM001"}]' THEN 'CM001' ELSE 'CM002' END;
      v_detail text := (SELECT jsonb_agg(p - 'kind' ORDER BY p->>'menuItemId') FROM jsonb_array_elements(v_problems) p
                         WHERE p->>'kind' = v_kind)::text;
    BEGIN
      IF v_kind = 'CM003' THEN
        RAISE EXCEPTION 'Menu items not on this restaurant''s menu' USING ERRCODE = 'CM003', DETAIL = v_detail;
      ELSIF v_kind = 'CM001' THEN
        RAISE EXCEPTION 'Menu items not available' USING ERRCODE = 'CM001', DETAIL = v_detail;
      END IF;
      RAISE EXCEPTION 'Stock insuficiente' USING ERRCODE = 'CM002', DETAIL = v_detail;
    END;
  END IF;

  SELECT sum((v_found->(e->>'menuItemId')->>'price')::numeric * (e->>'quantity')::integer) INTO v_total
    FROM jsonb_array_elements(p_items) AS e;
  -- The orders table refuses a total of 10,000 or more (check_total_amount_positive): say so
  -- before the INSERT, with Comanda's own code, so no rejected row lands in the server's log.
  IF v_total >= 10000 THEN
    RAISE EXCEPTION 'The order total is over the limit' USING ERRCODE = 'CM007', DETAIL = jsonb_build_array(v_total)::text;
  END IF;

  INSERT INTO restaurante.orders
    (id, "restaurantId", "orderNumber", "tableId", "sessionId", "customerId", source, "totalAmount",
     customer_email, notes, idempotency_key, "createdBy", "guestPhone")
  VALUES
    (v_order_id, p_restaurant_id, 'ORD-' || lpad(nextval('restaurante.order_number_seq')::text, 6, '0'),
     p_order->>'tableId', p_order->>'sessionId', p_order->>'customerId', coalesce(p_order->>'source', 'qr'), v_total,
     p_order->>'customerEmail', p_order->>'notes', p_order->>'idempotencyKey',
     coalesce(p_order->>'createdBy', nullif(current_setting('comanda.actor', true), ''), current_user),
     (p_order->>'guestPhone')::integer)
  RETURNING * INTO v_order;

  WITH lines AS (
    INSERT INTO restaurante.order_items
      ("restaurantId", "orderId", "menuItemId", quantity, "unitPrice", "totalPrice", notes, "createdAt")
    SELECT p_restaurant_id, v_order_id, e->>'menuItemId', (e->>'quantity')::integer,
           (v_found->(e->>'menuItemId')->>'price')::numeric,
           (v_found->(e->>'menuItemId')->>'price')::numeric * (e->>'quantity')::integer,
           e->>'notes', clock_timestamp()
      FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(e, n)
     ORDER BY n
    RETURNING id, "menuItemId", quantity, "unitPrice", "totalPrice", status, notes, "createdAt")
  SELECT jsonb_agg(jsonb_build_object(
           'id', id, 'menuItemId', "menuItemId", 'name', v_found->"menuItemId"->>'name', 'quantity', quantity,
           'unitPrice', "unitPrice", 'totalPrice', "totalPrice", 'status', status, 'notes', notes)
         ORDER BY "createdAt", id)
    INTO v_lines
    FROM lines;

  -- Stock down, one conditional UPDATE per dish, recorded in the ledger as this order's.
  PERFORM set_config('comanda.stock_reason', 'order', true), set_config('comanda.stock_order_id', v_order_id, true);
  UPDATE restaurante.menu_items mi
     SET stock = mi.stock - (v_wanted->>mi.id)::integer
   WHERE mi.id = ANY(v_ids) AND mi."restaurantId" = p_restaurant_id AND mi.stock >= (v_wanted->>mi.id)::integer;
  GET DIAGNOSTICS v_updated = ROW_COUNT;
  PERFORM set_config('comanda.stock_reason', coalesce(v_prev_reason, ''), true),
          set_config('comanda.stock_order_id', coalesce(v_prev_order, ''), true);
  IF v_updated <> cardinality(v_ids) THEN
    -- Cannot happen while the rows are locked; kept as a guard, never as a silent oversell.
    RAISE EXCEPTION 'Stock insuficiente' USING ERRCODE = 'CM002';
  END IF;

  -- The answer from the rows just written, in order_json's shape (no second read, no SQL
  -- function planned anew on every call).
  RETURN jsonb_build_object(
    'id', v_order.id, 'orderNumber', v_order."orderNumber", 'restaurantId', v_order."restaurantId",
    'tableId', v_order."tableId", 'source', v_order.source, 'status', v_order.status,
    'totalAmount', v_order."totalAmount", 'customerEmail', v_order.customer_email, 'notes', v_order.notes,
    'orderedAt', v_order."orderedAt", 'updatedAt', v_order."updatedAt", 'items', v_lines);
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.record_order_status()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
  v_actor text := coalesce(nullif(current_setting('comanda.actor', true), ''), current_user);
BEGIN
  IF TG_TABLE_NAME = 'orders' THEN
    INSERT INTO restaurante.order_status_changes
      ("restaurantId", "orderId", "fromStatus", "toStatus", "changedBy")
    VALUES (NEW."restaurantId", NEW.id, OLD.status::text, NEW.status::text, v_actor);
  ELSE
    INSERT INTO restaurante.order_status_changes
      ("restaurantId", "orderId", "orderItemId", "fromStatus", "toStatus", "changedBy")
    VALUES (NEW."restaurantId", NEW."orderId", NEW.id, OLD.status::text, NEW.status::text, v_actor);
  END IF;
  RETURN NULL;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.record_reservation_status()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  INSERT INTO restaurante.reservation_status_history ("restaurantId", "reservationId", "fromStatus", "toStatus", "changedBy")
  VALUES (NEW."restaurantId", NEW.id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.status::text END, NEW.status::text,
          coalesce(nullif(current_setting('comanda.actor', true), ''), current_user));
  RETURN NULL;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.record_stock_movement()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
  v_delta integer;
  v_reason text := nullif(current_setting('comanda.stock_reason', true), '');
BEGIN
  IF TG_OP = 'INSERT' THEN
    v_delta := NEW.stock;
    v_reason := coalesce(v_reason, 'initial');
  ELSE
    v_delta := NEW.stock - OLD.stock;
    v_reason := coalesce(v_reason, 'manual');
  END IF;
  IF v_delta <> 0 THEN
    INSERT INTO restaurante.stock_movements
      ("restaurantId", "menuItemId", delta, "stockAfter", reason, "orderId", actor, note)
    VALUES
      (NEW."restaurantId", NEW.id, v_delta, NEW.stock, v_reason,
       nullif(current_setting('comanda.stock_order_id', true), ''),
       coalesce(nullif(current_setting('comanda.actor', true), ''), current_user),
       nullif(current_setting('comanda.stock_note', true), ''));
  END IF;
  RETURN NULL;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.record_stock_movements()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  INSERT INTO restaurante.stock_movements
    ("restaurantId", "menuItemId", delta, "stockAfter", reason, "orderId", actor, note)
  SELECT n."restaurantId", n.id, n.stock - o.stock, n.stock,
         coalesce(nullif(current_setting('comanda.stock_reason', true), ''), 'manual'),
         nullif(current_setting('comanda.stock_order_id', true), ''),
         coalesce(nullif(current_setting('comanda.actor', true), ''), current_user),
         nullif(current_setting('comanda.stock_note', true), '')
    FROM new_rows n
    JOIN old_rows o ON o."restaurantId" = n."restaurantId" AND o.id = n.id
   WHERE n.stock IS DISTINCT FROM o.stock
   ORDER BY n.id;
  RETURN NULL;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.refuse_ledger_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  RAISE EXCEPTION 'the stock ledger is append-only; record a correction instead'
    USING ERRCODE = 'restrict_violation';
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.return_stock(p_restaurant_id text, p_order_id text, p_item_ids text[] DEFAULT NULL::text[])
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
DECLARE
  v_prev_reason text := current_setting('comanda.stock_reason', true);
  v_prev_order text := current_setting('comanda.stock_order_id', true);
  v_updated integer;
BEGIN
  PERFORM set_config('comanda.stock_reason', 'order_cancelled', true), set_config('comanda.stock_order_id', p_order_id, true);
  WITH back AS (
    SELECT "menuItemId" AS id, sum(quantity) AS quantity FROM restaurante.order_items
     WHERE "orderId" = p_order_id AND status <> 'CANCELLED' AND (p_item_ids IS NULL OR id = ANY(p_item_ids))
     GROUP BY 1),
  locked AS (
    SELECT mi.id FROM restaurante.menu_items mi JOIN back ON back.id = mi.id
     WHERE mi."restaurantId" = p_restaurant_id ORDER BY mi.id FOR UPDATE OF mi)
  UPDATE restaurante.menu_items mi SET stock = mi.stock + back.quantity
    FROM back WHERE mi.id = back.id AND mi.id IN (SELECT id FROM locked);
  GET DIAGNOSTICS v_updated = ROW_COUNT;
  PERFORM set_config('comanda.stock_reason', coalesce(v_prev_reason, ''), true),
          set_config('comanda.stock_order_id', coalesce(v_prev_order, ''), true);
  RETURN v_updated;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.service_windows(p_restaurant_id text, p_date date)
 RETURNS TABLE(opens timestamp with time zone, closes timestamp with time zone)
 LANGUAGE sql
 STABLE
AS $function$
  WITH r AS (SELECT timezone FROM restaurante.restaurants WHERE id = p_restaurant_id),
  exception AS (
    SELECT closed, opens_at, closes_at FROM restaurante.opening_exceptions
     WHERE "restaurantId" = p_restaurant_id AND date = p_date
  ),
  hours AS (
    SELECT opens_at, closes_at FROM exception WHERE NOT closed
    UNION ALL
    SELECT opens_at, closes_at FROM restaurante.opening_hours
     WHERE "restaurantId" = p_restaurant_id AND weekday = extract(isodow FROM p_date)
       AND NOT EXISTS (SELECT 1 FROM exception)
  )
  SELECT (p_date + h.opens_at) AT TIME ZONE r.timezone,
         (p_date + h.closes_at + CASE WHEN h.closes_at <= h.opens_at THEN interval '1 day' ELSE interval '0' END) AT TIME ZONE r.timezone
    FROM hours h CROSS JOIN r
   ORDER BY 1
$function$
CREATE OR REPLACE FUNCTION restaurante.set_reservation_date()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  NEW.date := (NEW.time AT TIME ZONE (SELECT timezone FROM restaurante.restaurants WHERE id = NEW."restaurantId"))::date;
  RETURN NEW;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.set_reservation_table_active()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  SELECT r.status IN ('PENDING', 'CONFIRMED', 'SEATED') INTO NEW.active
    FROM restaurante.reservations r
   WHERE r.id = NEW."reservationId";
  NEW.active := coalesce(NEW.active, false);
  RETURN NEW;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.stock_state(p_stock integer)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  SELECT CASE WHEN p_stock <= 0 THEN 'sold_out' WHEN p_stock <= 5 THEN 'low' ELSE 'in_stock' END
$function$
CREATE OR REPLACE FUNCTION restaurante.sync_reservation_table_ids()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  -- OLD is NULL on INSERT and NEW on DELETE; a row moved to another booking updates both.
  UPDATE restaurante.reservations r
     SET table_ids = coalesce((SELECT array_agg(rt."tableId" ORDER BY rt."tableId")
                                 FROM restaurante.reservation_tables rt
                                WHERE rt."reservationId" = r.id), '{}')
   WHERE r.id IN (OLD."reservationId", NEW."reservationId");
  RETURN NULL;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.sync_reservation_tables_active()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  UPDATE restaurante.reservation_tables
     SET active = NEW.status IN ('PENDING', 'CONFIRMED', 'SEATED')
   WHERE "reservationId" = NEW.id
     AND active IS DISTINCT FROM (NEW.status IN ('PENDING', 'CONFIRMED', 'SEATED'));
  RETURN NULL;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.table_options(p_restaurant_id text, p_party integer)
 RETURNS TABLE(table_ids text[], seats integer)
 LANGUAGE sql
 STABLE
AS $function$
  SELECT o.table_ids, o.seats FROM (
    SELECT ARRAY[t.id] AS table_ids, t.capacity AS seats
      FROM restaurante.tables t
     WHERE t."restaurantId" = p_restaurant_id AND t."isActive" AND t.capacity >= p_party
    UNION ALL
    SELECT c.table_ids, (SELECT sum(t.capacity)::integer FROM restaurante.tables t WHERE t.id = ANY(c.table_ids)) AS seats
      FROM restaurante.table_combinations c
     WHERE c."restaurantId" = p_restaurant_id AND c."isActive"
       AND NOT EXISTS (SELECT 1 FROM restaurante.tables t WHERE t.id = ANY(c.table_ids) AND NOT t."isActive")
  ) o
  WHERE o.seats >= p_party
  ORDER BY o.seats, cardinality(o.table_ids), o.table_ids
$function$
CREATE OR REPLACE FUNCTION restaurante.touch_updated_at()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  NEW."updatedAt" := now();
  RETURN NEW;
END;
$function$
CREATE OR REPLACE FUNCTION restaurante.turn_minutes(p_restaurant_id text, p_party integer)
 RETURNS integer
 LANGUAGE sql
 STABLE
AS $function$
  SELECT coalesce((SELECT minutes FROM restaurante.turn_times
                    WHERE "restaurantId" = p_restaurant_id AND p_party BETWEEN min_party AND max_party
                    ORDER BY min_party LIMIT 1), 90)
$function$
CREATE OR REPLACE FUNCTION restaurante.uuid7()
 RETURNS uuid
 LANGUAGE sql
 PARALLEL SAFE
AS $function$
  SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
           PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6),
         52, 1), 53, 1), 'hex')::uuid
$function$
CREATE OR REPLACE FUNCTION restaurante.validate_menu_item_availability()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM restaurante.menu_items
     WHERE id = NEW."menuItemId"
       AND "restaurantId" = NEW."restaurantId"
       AND "isAvailable" = true
  ) THEN
    RAISE EXCEPTION 'Menu item % is not available', NEW."menuItemId"
      USING ERRCODE = 'CM001';
  END IF;
  RETURN NEW;
END;
$function$

-- views
restaurante.order_status_history AS  SELECT c.id,
    c."restaurantId",
    c."orderId",
    c."orderItemId",
    c."fromStatus",
    c."toStatus",
    c."changedBy",
    c."changedAt"
   FROM restaurante.order_status_changes c
UNION ALL
 SELECT o.id,
    o."restaurantId",
    o.id AS "orderId",
    NULL::text AS "orderItemId",
    NULL::text AS "fromStatus",
    COALESCE(( SELECT c."fromStatus"
           FROM restaurante.order_status_changes c
          WHERE c."restaurantId" = o."restaurantId" AND c."orderId" = o.id AND c."orderItemId" IS NULL
          ORDER BY c."changedAt", c.id
         LIMIT 1), o.status::text) AS "toStatus",
    o."createdBy" AS "changedBy",
    o."orderedAt" AS "changedAt"
   FROM restaurante.orders o
  WHERE NOT (EXISTS ( SELECT
           FROM restaurante.order_status_changes c
          WHERE c."restaurantId" = o."restaurantId" AND c."orderId" = o.id AND c."orderItemId" IS NULL AND c."fromStatus" IS NULL))
UNION ALL
 SELECT i.id,
    i."restaurantId",
    i."orderId",
    i.id AS "orderItemId",
    NULL::text AS "fromStatus",
    COALESCE(( SELECT c."fromStatus"
           FROM restaurante.order_status_changes c
          WHERE c."restaurantId" = i."restaurantId" AND c."orderId" = i."orderId" AND c."orderItemId" = i.id
          ORDER BY c."changedAt", c.id
         LIMIT 1), i.status::text) AS "toStatus",
    i."createdBy" AS "changedBy",
    i."createdAt" AS "changedAt"
   FROM restaurante.order_items i
  WHERE NOT (EXISTS ( SELECT
           FROM restaurante.order_status_changes c
          WHERE c."restaurantId" = i."restaurantId" AND c."orderId" = i."orderId" AND c."orderItemId" = i.id AND c."fromStatus" IS NULL));

-- sequences
comanda.actions_log_id_seq bigint
comanda.alert_deliveries_id_seq bigint
comanda.alert_events_id_seq bigint
comanda.backups_id_seq bigint
comanda.history_captures_id_seq bigint
comanda.maintenance_windows_id_seq bigint
restaurante.order_number_seq bigint

-- comments
restaurante.idempotency_keys."responseStatus": Written before migration 0058 only (the HTTP status of the time); the service ignores it
restaurante.idempotency_keys.operation: The operation the key guards (place_order, book_reservation); NULL: stored before migration 0058, fingerprinted by HTTP method and path
restaurante.order_status_history: Every status of every order and line, with who set it and when: the stored changes (order_status_changes) and the creation entries read from the rows (migration 0064)
restaurante.restaurants: One row per restaurant; its id is the "restaurantId" every other table carries.
