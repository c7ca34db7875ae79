/**
 * Every read-only SQL query of the roadmap (seed/database-production-reliability-roadmap.md)
 * in §1.1–§1.4, §3.1–§3.3, the six metric queries of the §4.1 table and the §4.3 backup-status
 * query, so tests can run each one against the real schema.
 *
 * `sql` is the roadmap's statement copied verbatim, from its first keyword up to (not including)
 * its terminating semicolon, so it is a substring of the roadmap and can be wrapped (EXPLAIN,
 * subquery) without editing. Header comments above a statement become its `name`; comments inside
 * it are kept. `$n` placeholders stay as written; `params` holds sample values to bind.
 *
 * Three of the plan's queries fail on any PostgreSQL (docs/design.md says why). For those, `sql` is a corrected
 * query that does what the roadmap intends and `corrected` says, in one sentence, what was wrong.
 *
 * Left out because they write or are not queries: CREATE EXTENSION (§1.2), the VACUUM comments
 * (§1.4), the stock-restoring UPDATE and the token-regenerating INSERT (§3.1).
 *
 * Queries on pg_stat_statements (§1.2, §4.1 average query duration) need the extension created
 * in the database and the library in shared_preload_libraries.
 */

export interface RoadmapQuery {
  section: string;
  name: string;
  sql: string;
  params: unknown[];
  corrected?: string;
}

export const roadmapQueries: RoadmapQuery[] = [
  // ---------------------------------------------------------------------------------------------
  // §1.1 Database Connection Monitoring
  // ---------------------------------------------------------------------------------------------
  {
    section: '§1.1',
    name: 'Connection pool health',
    sql: `SELECT
  count(*) as active_connections,
  max(s.max_conn) as max_conn,
  ROUND(100.0 * count(*) / max(s.max_conn), 2) as utilization_pct,
  CASE
    WHEN count(*) > max(s.max_conn) * 0.8 THEN '🔴 CRITICAL'
    WHEN count(*) > max(s.max_conn) * 0.6 THEN '⚠️ WARNING'
    ELSE '✅ HEALTHY'
  END as status
FROM pg_stat_activity
CROSS JOIN (SELECT setting::int as max_conn FROM pg_settings WHERE name = 'max_connections') s
WHERE datname = 'postgres'`,
    params: [],
    corrected:
      'The roadmap selects the joined column max_conn next to count(*) without grouping by it, which fails with "column s.max_conn must appear in the GROUP BY clause"; the setting is now aggregated with max(), so the query still returns one row (count 0) when there are no connections.',
  },
  {
    section: '§1.1',
    name: 'Detailed breakdown by state',
    sql: `SELECT
  state,
  count(*) as connections,
  ROUND(avg(EXTRACT(EPOCH FROM (now() - state_change))), 2) as avg_duration_sec
FROM pg_stat_activity
WHERE datname = 'postgres'
GROUP BY state
ORDER BY connections DESC`,
    params: [],
  },
  {
    section: '§1.1',
    name: 'Detect long-running queries (potential leaks)',
    sql: `SELECT
  pid,
  usename,
  application_name,
  state,
  query_start,
  EXTRACT(EPOCH FROM (now() - query_start)) as duration_sec,
  left(query, 80) as query_preview
FROM pg_stat_activity
WHERE datname = 'postgres'
  AND state != 'idle'
  AND query_start < now() - interval '30 seconds'
ORDER BY query_start`,
    params: [],
  },
  {
    section: '§1.1',
    name: 'Connection leak detection',
    sql: `SELECT
  application_name,
  state,
  count(*) as connection_count,
  max(state_change) as last_activity
FROM pg_stat_activity
WHERE datname = 'postgres'
GROUP BY application_name, state
HAVING count(*) > 5  -- More than 5 connections from same app
ORDER BY connection_count DESC`,
    params: [],
  },

  // ---------------------------------------------------------------------------------------------
  // §1.2 Query Performance Tracking (pg_stat_statements)
  // ---------------------------------------------------------------------------------------------
  {
    section: '§1.2',
    name: 'Top 10 slowest queries by average execution time',
    sql: `SELECT
  ROUND(mean_exec_time::numeric, 2) as avg_ms,
  ROUND(total_exec_time::numeric, 2) as total_ms,
  calls,
  ROUND((100.0 * total_exec_time / sum(total_exec_time) OVER ())::numeric, 2) as pct_total,
  left(query, 120) as query_preview
FROM pg_stat_statements
WHERE query NOT LIKE '%pg_stat_statements%'
  AND query NOT LIKE 'CREATE %'
  AND query NOT LIKE 'ALTER %'
  AND dbid = (SELECT oid FROM pg_database WHERE datname = 'postgres')
ORDER BY mean_exec_time DESC
LIMIT 10`,
    params: [],
  },
  {
    section: '§1.2',
    name: 'Queries consuming most total time',
    sql: `SELECT
  ROUND(total_exec_time::numeric, 2) as total_ms,
  calls,
  ROUND(mean_exec_time::numeric, 2) as avg_ms,
  ROUND((100.0 * total_exec_time / sum(total_exec_time) OVER ())::numeric, 2) as pct_total,
  left(query, 120) as query_preview
FROM pg_stat_statements
WHERE query NOT LIKE '%pg_stat_statements%'
  AND dbid = (SELECT oid FROM pg_database WHERE datname = 'postgres')
ORDER BY total_exec_time DESC
LIMIT 10`,
    params: [],
  },

  // ---------------------------------------------------------------------------------------------
  // §1.3 Index Efficiency Analysis
  // ---------------------------------------------------------------------------------------------
  {
    section: '§1.3',
    name: 'Identify unused indexes (candidates for removal)',
    sql: `SELECT
  schemaname,
  relname as tablename,
  indexrelname as indexname,
  idx_scan as index_scans,
  pg_size_pretty(pg_relation_size(indexrelid)) as index_size
FROM pg_stat_user_indexes
WHERE schemaname = 'restaurante'
  AND idx_scan = 0
  AND indexrelname NOT LIKE '%_pkey'
ORDER BY pg_relation_size(indexrelid) DESC`,
    params: [],
    corrected:
      'pg_stat_user_indexes has no tablename or indexname columns (it has relname and indexrelname), so the roadmap query fails with "column tablename does not exist"; the real columns are used, aliased to the roadmap\'s names.',
  },
  {
    section: '§1.3',
    name: 'Identify missing indexes (tables with high seq_scans)',
    sql: `SELECT
  schemaname,
  relname as table_name,
  seq_scan as sequential_scans,
  seq_tup_read as rows_read,
  idx_scan as index_scans,
  ROUND(100.0 * seq_tup_read / NULLIF(seq_scan, 0), 2) as avg_rows_per_scan,
  pg_size_pretty(pg_relation_size(relid)) as table_size
FROM pg_stat_user_tables
WHERE schemaname = 'restaurante'
  AND seq_scan > 0
ORDER BY seq_tup_read DESC
LIMIT 10`,
    params: [],
  },

  // ---------------------------------------------------------------------------------------------
  // §1.4 Table Bloat and Vacuum Monitoring
  // ---------------------------------------------------------------------------------------------
  {
    section: '§1.4',
    name: 'Table health (dead tuples, bloat, vacuum)',
    sql: `SELECT
  schemaname,
  relname as table_name,
  n_live_tup as live_rows,
  n_dead_tup as dead_rows,
  ROUND(100.0 * n_dead_tup / NULLIF(n_live_tup + n_dead_tup, 0), 2) as bloat_pct,
  last_vacuum,
  last_autovacuum,
  CASE
    WHEN n_dead_tup > 1000 AND last_autovacuum IS NULL THEN '🔴 NEEDS VACUUM'
    WHEN n_dead_tup::float / NULLIF(n_live_tup, 0) > 0.2 THEN '⚠️ HIGH BLOAT'
    ELSE '✅ HEALTHY'
  END as status,
  pg_size_pretty(pg_total_relation_size(relid)) as total_size
FROM pg_stat_user_tables
WHERE schemaname = 'restaurante'
  AND (n_dead_tup > 100 OR last_autovacuum < now() - interval '7 days')
ORDER BY n_dead_tup DESC`,
    params: [],
  },

  // ---------------------------------------------------------------------------------------------
  // §3.1 Common Error Scenarios
  // ---------------------------------------------------------------------------------------------
  {
    section: '§3.1',
    name: 'Stock insuficiente: diagnostic query',
    sql: `SELECT
  id,
  name,
  stock,
  "isAvailable",
  "categoryId"
FROM restaurante.menu_items
WHERE id = $1`,
    params: ['item_patatas_bravas'],
  },
  {
    section: '§3.1',
    name: 'Stock insuficiente: check recent stock changes',
    sql: `SELECT
  oi."menuItemId",
  mi.name,
  SUM(oi.quantity) as total_ordered,
  mi.stock as current_stock,
  mi.stock + SUM(oi.quantity) as original_stock
FROM restaurante.order_items oi
JOIN restaurante.menu_items mi ON oi."menuItemId" = mi.id
WHERE oi."createdAt" > now() - interval '24 hours'
  AND oi."menuItemId" = $1
GROUP BY oi."menuItemId", mi.name, mi.stock`,
    params: ['item_patatas_bravas'],
  },
  {
    section: '§3.1',
    name: 'Table already reserved: find conflicting reservations',
    sql: `SELECT
  r.id,
  r."customerName",
  r.date,
  r.time,
  r.status,
  r.table_ids,
  r."tableId",
  EXTRACT(EPOCH FROM (r.time - $1::timestamp)) / 60 as minutes_diff
FROM restaurante.reservations r
WHERE r.date::date = $2::date
  AND r.status IN ('PENDING', 'CONFIRMED', 'SEATED')
  AND (
    r.table_ids && $3::text[]  -- Array overlap operator
    OR r."tableId" = ANY($3::text[])
  )
ORDER BY r.time`,
    params: ['2026-12-24 21:00:00', '2026-12-24', ['table_01', 'table_02']],
  },
  {
    section: '§3.1',
    name: 'Failed to create reservation token: check token generation',
    sql: `SELECT
  id,
  "reservationId",
  token,
  "expiresAt",
  "isUsed"
FROM restaurante.reservation_tokens
WHERE "reservationId" = $1
ORDER BY "createdAt" DESC`,
    params: ['res_demo'],
  },

  // ---------------------------------------------------------------------------------------------
  // §3.2 Data Integrity Verification Scripts
  // ---------------------------------------------------------------------------------------------
  {
    section: '§3.2',
    name: 'Order items without valid orders',
    sql: `SELECT oi.id, oi."orderId"
FROM restaurante.order_items oi
LEFT JOIN restaurante.orders o ON oi."orderId" = o.id
WHERE o.id IS NULL`,
    params: [],
  },
  {
    section: '§3.2',
    name: 'Reservation items without valid reservations',
    sql: `SELECT ri.id, ri."reservationId"
FROM restaurante.reservation_items ri
LEFT JOIN restaurante.reservations r ON ri."reservationId" = r.id
WHERE r.id IS NULL`,
    params: [],
  },
  {
    section: '§3.2',
    name: 'Orders referencing deleted menu items',
    sql: `SELECT o.id, oi."menuItemId"
FROM restaurante.orders o
JOIN restaurante.order_items oi ON o.id = oi."orderId"
LEFT JOIN restaurante.menu_items mi ON oi."menuItemId" = mi.id
WHERE mi.id IS NULL`,
    params: [],
  },
  {
    section: '§3.2',
    name: 'Reservations with invalid table_ids',
    sql: `SELECT
  r.id,
  r.table_ids,
  ARRAY(
    SELECT t.table_id
    FROM unnest(r.table_ids) WITH ORDINALITY AS t(table_id, ord)
    WHERE NOT EXISTS (SELECT 1 FROM restaurante.tables tb WHERE tb.id = t.table_id)
    ORDER BY t.ord
  ) as invalid_tables
FROM restaurante.reservations r
WHERE EXISTS (
  SELECT 1
  FROM unnest(r.table_ids) AS t(table_id)
  WHERE NOT EXISTS (SELECT 1 FROM restaurante.tables tb WHERE tb.id = t.table_id)
)`,
    params: [],
    corrected:
      'PostgreSQL has no text[] - text[] (array difference) operator, so the roadmap query fails with "operator does not exist: text[] - text[]"; the ids are now unnested and anti-joined against restaurante.tables.',
  },
  {
    section: '§3.2',
    name: 'Stock reconciliation (assumed initial stock 100)',
    sql: `WITH order_quantities AS (
  SELECT
    oi."menuItemId",
    SUM(oi.quantity) as total_ordered
  FROM restaurante.order_items oi
  JOIN restaurante.orders o ON oi."orderId" = o.id
  WHERE o.status IN ('PENDING', 'CONFIRMED', 'IN_PROGRESS', 'READY', 'SERVED')
  GROUP BY oi."menuItemId"
)
SELECT
  mi.id,
  mi.name,
  mi.stock as current_stock,
  COALESCE(oq.total_ordered, 0) as total_ordered,
  100 as assumed_initial_stock,  -- Replace with actual initial stock
  100 - COALESCE(oq.total_ordered, 0) as expected_stock,
  mi.stock - (100 - COALESCE(oq.total_ordered, 0)) as discrepancy
FROM restaurante.menu_items mi
LEFT JOIN order_quantities oq ON mi.id = oq."menuItemId"
WHERE mi.stock != (100 - COALESCE(oq.total_ordered, 0))
ORDER BY ABS(mi.stock - (100 - COALESCE(oq.total_ordered, 0))) DESC`,
    params: [],
  },

  // ---------------------------------------------------------------------------------------------
  // §3.3 Log Analysis Patterns
  // ---------------------------------------------------------------------------------------------
  {
    section: '§3.3',
    name: 'Email delivery tracking (last 24 hours)',
    sql: `SELECT
  el.sent_at,
  el.email_type,
  el.status,
  el.recipient_email,
  o."orderNumber",
  el.error_message,
  el.provider_message_id
FROM restaurante.email_logs el
LEFT JOIN restaurante.orders o ON el.order_id = o.id
WHERE el.sent_at > now() - interval '24 hours'
ORDER BY el.sent_at DESC`,
    params: [],
  },
  {
    section: '§3.3',
    name: 'Failed emails requiring retry',
    sql: `SELECT
  el.id,
  el.recipient_email,
  el.email_type,
  el.error_message,
  el.retry_count
FROM restaurante.email_logs el
WHERE el.status = 'failed'
  AND el.retry_count < 3
  AND el.sent_at > now() - interval '48 hours'
ORDER BY el.sent_at`,
    params: [],
  },
  {
    section: '§3.3',
    name: 'QR scan activity: suspicious scan patterns',
    sql: `SELECT
  qs.table_id,
  t.number as table_number,
  count(*) as scan_count,
  count(DISTINCT qs.client_ip) as unique_ips,
  min(qs.scanned_at) as first_scan,
  max(qs.scanned_at) as last_scan
FROM restaurante.qr_scans qs
JOIN restaurante.tables t ON qs.table_id = t.id
WHERE qs.scanned_at > now() - interval '1 hour'
GROUP BY qs.table_id, t.number
HAVING count(*) > 10  -- More than 10 scans per hour
ORDER BY scan_count DESC`,
    params: [],
  },

  // ---------------------------------------------------------------------------------------------
  // §4.1 Critical Metrics Dashboard (the metrics table)
  // ---------------------------------------------------------------------------------------------
  {
    section: '§4.1',
    name: 'Connection Pool Utilization',
    sql: `SELECT count(*) * 100.0 / (SELECT setting::int FROM pg_settings WHERE name='max_connections') FROM pg_stat_activity WHERE datname='postgres'`,
    params: [],
  },
  {
    section: '§4.1',
    name: 'Average Query Duration',
    sql: `SELECT avg(mean_exec_time) FROM pg_stat_statements`,
    params: [],
  },
  {
    section: '§4.1',
    name: 'Dead Tuple Ratio',
    sql: `SELECT sum(n_dead_tup)*100.0/NULLIF(sum(n_live_tup+n_dead_tup),0) FROM pg_stat_user_tables WHERE schemaname='restaurante'`,
    params: [],
  },
  {
    section: '§4.1',
    name: 'Replication Lag',
    sql: `SELECT EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp()))`,
    params: [],
  },
  {
    section: '§4.1',
    name: 'Cache Hit Ratio',
    sql: `SELECT sum(blks_hit)*100.0/NULLIF(sum(blks_hit+blks_read),0) FROM pg_stat_database WHERE datname='postgres'`,
    params: [],
  },
  {
    section: '§4.1',
    name: 'Failed Transactions',
    sql: `SELECT xact_rollback FROM pg_stat_database WHERE datname='postgres'`,
    params: [],
  },

  // ---------------------------------------------------------------------------------------------
  // §4.3 Backup Verification
  // ---------------------------------------------------------------------------------------------
  {
    section: '§4.3',
    name: 'Backup status (WAL positions and replay lag)',
    sql: `SELECT
  pg_is_in_recovery() as is_replica,
  pg_last_wal_replay_lsn() as replay_lsn,
  pg_current_wal_lsn() as current_lsn,
  EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp())) as lag_seconds`,
    params: [],
  },
];
