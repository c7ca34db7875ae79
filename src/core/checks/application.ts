// The application's own queues and signals: the e-mail outbox, and QR scan patterns.
import type { Check } from './check.js';
import { grade, num } from './check.js';

export const emailQueue: Check = {
  name: 'email-queue',
  description:
    'The e-mail outbox: how long the oldest due e-mail has waited (worker stopped or SMTP down), e-mails that failed for good in the last 24 h, and the day’s delivery summary',
  unit: 'minutes the oldest due e-mail has waited',
  defaults: { warning: 15, critical: 60 },
  async run(tx, t) {
    const { rows } = await tx.query<{ oldest: string | null; due: string; retrying: string; failed: string; sent: string; lastError: string | null }>(
      `SELECT round(extract(epoch FROM now() - min(next_attempt_at) FILTER (WHERE status = 'pending' AND next_attempt_at <= now())) / 60, 1) AS oldest,
              count(*) FILTER (WHERE status = 'pending' AND next_attempt_at <= now()) AS due,
              count(*) FILTER (WHERE status = 'pending' AND retry_count > 0) AS retrying,
              count(*) FILTER (WHERE status = 'failed' AND coalesce(sent_at, created_at) > now() - interval '24 hours') AS failed,
              count(*) FILTER (WHERE status = 'sent' AND sent_at > now() - interval '24 hours') AS sent,
              (SELECT left(error_message, 200) FROM restaurante.email_logs
                WHERE error_message IS NOT NULL ORDER BY coalesce(sent_at, next_attempt_at) DESC LIMIT 1) AS "lastError"
         FROM restaurante.email_logs
        WHERE status = 'pending' OR created_at > now() - interval '24 hours' OR sent_at > now() - interval '24 hours'`,
    );
    const r = rows[0]!;
    const oldest = num(r.oldest);
    const failed = num(r.failed);
    const waiting = grade(oldest, t);
    const status = waiting !== 'ok' ? waiting : failed > 0 ? 'warning' : 'ok';
    return {
      status,
      summary: `${num(r.due)} due (oldest waited ${oldest} min), ${num(r.retrying)} retrying, ${failed} failed and ${num(r.sent)} sent in 24 h`,
      rows: [{ dueMinutes: oldest, due: num(r.due), retrying: num(r.retrying), failed24h: failed, sent24h: num(r.sent), lastError: r.lastError }],
      advice:
        'e-mails wait: is the worker running (EMAIL_WORKER) and SMTP reachable (SMTP_URL)? lastError says why sending failed; failed ones: comanda email status lists them, comanda email retry queues them again',
    };
  },
};

export const qrScans: Check = {
  name: 'qr-scans',
  description:
    'QR scan patterns of the last hour: scans per table (over 10 an hour is suspicious), and one address scanning several tables (codes photographed and used from elsewhere)',
  unit: 'scans of one table in the last hour',
  defaults: { warning: 10, critical: 50 },
  async run(tx, t) {
    const { rows: tables } = await tx.query<{ restaurantId: string; table: number; scans: string; addresses: string; first: Date; last: Date }>(
      `SELECT qs."restaurantId", t.number AS table, count(*) AS scans, count(DISTINCT qs.client_ip) AS addresses,
              min(qs.scanned_at) AS first, max(qs.scanned_at) AS last
         FROM restaurante.qr_scans qs JOIN restaurante.tables t ON t.id = qs.table_id AND t."restaurantId" = qs."restaurantId"
        WHERE qs.scanned_at > now() - interval '1 hour'
        GROUP BY 1, 2 HAVING count(*) > $1 ORDER BY 3 DESC`,
      [t.warning],
    );
    const { rows: addresses } = await tx.query<{ restaurantId: string; address: string; tables: string; scans: string }>(
      `SELECT "restaurantId", host(client_ip) AS address, count(DISTINCT table_id) AS tables, count(*) AS scans
         FROM restaurante.qr_scans
        WHERE scanned_at > now() - interval '1 hour' AND client_ip IS NOT NULL
        GROUP BY 1, 2 HAVING count(DISTINCT table_id) >= 3 ORDER BY 3 DESC`,
    );
    const most = tables.length ? num(tables[0]!.scans) : 0;
    const status = tables.length ? grade(most, t) : addresses.length ? 'warning' : 'ok';
    const parts = [
      tables.length ? `${tables.length} table${tables.length === 1 ? '' : 's'} scanned more than ${t.warning} times (most ${most})` : '',
      addresses.length ? `${addresses.length} address${addresses.length === 1 ? '' : 'es'} scanning 3 or more tables` : '',
    ].filter(Boolean);
    return {
      status,
      summary: parts.length ? `last hour: ${parts.join('; ')}` : 'no unusual QR scanning in the last hour',
      rows: [
        ...tables.map((r) => ({ pattern: 'table scanned often', ...r, scans: num(r.scans), addresses: num(r.addresses) })),
        ...addresses.map((r) => ({ pattern: 'address scanning many tables', ...r, tables: num(r.tables), scans: num(r.scans) })),
      ],
      advice:
        'compare with the floor (a busy table, or a code photographed and shared?); rotate a table’s QR code (POST /api/tables/{id}/qr/rotate) and close its open session; orders need an open session, so a stale code cannot order',
    };
  },
};
