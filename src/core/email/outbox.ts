// The e-mail outbox: rows of email_logs written (status 'pending') in the same transaction as the
// change that causes them, sent by workers over SMTP (or to files), with retries.
//
// A worker claims due e-mails with FOR UPDATE SKIP LOCKED and moves their next_attempt_at forward
// by a lease before sending, so concurrent workers never send one e-mail at the same time. A
// worker that dies between sending and recording leaves the e-mail pending; it is sent again when
// the lease ends — at least once, always with the same Message-ID. Failures retry with
// exponential backoff until `maxAttempts`, then stay 'failed' for the operator (`comanda email retry`).
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Database, Tx } from '../db/database.js';
import { reservationTokenFor } from '../reservations/tokens.js';
import { renderReceipt, renderReservation, type Language, type RenderedEmail } from './templates.js';

export type EmailType = 'reservation_confirmation' | 'reservation_reminder' | 'reservation_cancellation' | 'order_receipt';

/**
 * Queues an e-mail in the caller's transaction, so it exists exactly when the change that causes
 * it committed. The language is the guest's when known, else the restaurant's; the payload holds
 * what the template needs that the database does not (a link token's id — never the token).
 */
export async function queueEmail(
  tx: Tx,
  email: {
    restaurantId: string;
    type: EmailType;
    recipient: string;
    language?: string | null;
    payload?: Record<string, unknown>;
    reservationId?: string;
    orderId?: string;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO restaurante.email_logs ("restaurantId", email_type, recipient_email, language, payload, reservation_id, order_id, message_id)
     SELECT $1, $2, $3, coalesce($4, r."defaultLanguage"), $5, $6, $7, '<' || gen_random_uuid() || '@comanda>'
       FROM restaurante.restaurants r WHERE r.id = $1`,
    [email.restaurantId, email.type, email.recipient, email.language ?? null, JSON.stringify(email.payload ?? {}), email.reservationId ?? null, email.orderId ?? null],
  );
}

export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  messageId: string;
}

/** Where e-mails go: SMTP, or files in a directory. Returns the provider's id for the message. */
export interface MailTransport {
  send(email: OutgoingEmail): Promise<string>;
  close(): void;
}

export function smtpTransport(url: string): MailTransport {
  const transporter = nodemailer.createTransport(url);
  return {
    async send(email) {
      const info = await transporter.sendMail({
        from: email.from,
        to: email.to,
        subject: email.subject,
        text: email.text,
        messageId: email.messageId,
      });
      return typeof info.response === 'string' ? info.response.slice(0, 200) : String(info.messageId);
    },
    close: () => transporter.close(),
  };
}

/** Writes each e-mail as an .eml file (the embedded default without SMTP_URL). */
export function fileTransport(dir: string): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(email) {
      const info = await transporter.sendMail({ ...email });
      // Owner-only: the files hold guests' addresses and live link tokens.
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
      const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${email.messageId.replace(/[^A-Za-z0-9@.-]/g, '')}.eml`);
      await writeFile(file, info.message as Buffer, { mode: 0o600 });
      return `file:${file}`;
    },
    close: () => transporter.close(),
  };
}

export interface WorkerOptions {
  secret: string;
  /** Base URL for the guest's links. */
  publicUrl: string;
  from: string;
  maxAttempts?: number;
  leaseSeconds?: number;
  batchSize?: number;
  /** First retry after this many seconds, doubling each time. */
  backoffSeconds?: number;
}

interface ClaimedEmail {
  id: string;
  restaurantId: string;
  email_type: string;
  recipient_email: string;
  language: Language;
  payload: { tokenId?: string };
  order_id: string | null;
  reservation_id: string | null;
  message_id: string;
  retry_count: number;
}

export interface RunResult {
  sent: number;
  retrying: number;
  failed: number;
}

export class EmailWorker {
  private readonly maxAttempts: number;
  private readonly leaseSeconds: number;
  private readonly batchSize: number;
  private readonly backoffSeconds: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RunResult> | undefined;

  constructor(
    private readonly db: Database,
    private readonly transport: MailTransport,
    private readonly options: WorkerOptions,
  ) {
    this.maxAttempts = options.maxAttempts ?? 3;
    this.leaseSeconds = options.leaseSeconds ?? 120;
    this.batchSize = options.batchSize ?? 20;
    this.backoffSeconds = options.backoffSeconds ?? 60;
  }

  /** Claims the due e-mails (others' claims are skipped, not waited for). */
  async claim(): Promise<ClaimedEmail[]> {
    const { rows } = await this.db.query<ClaimedEmail>(
      `UPDATE restaurante.email_logs e
          SET next_attempt_at = now() + make_interval(secs => $2), sent_at = now()
        WHERE e.id IN (SELECT id FROM restaurante.email_logs
                        WHERE status = 'pending' AND next_attempt_at <= now()
                        ORDER BY next_attempt_at, created_at
                        LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING e.id, e."restaurantId", e.email_type, e.recipient_email, e.language, e.payload, e.order_id,
                  e.reservation_id, e.message_id, e.retry_count`,
      [this.batchSize, this.leaseSeconds],
    );
    return rows;
  }

  /** Sends one claimed e-mail (no bookkeeping: see record*). */
  async deliver(email: ClaimedEmail): Promise<string> {
    const rendered = await this.render(email);
    return this.transport.send({
      from: this.options.from,
      to: email.recipient_email,
      subject: rendered.subject,
      text: rendered.text,
      messageId: email.message_id,
    });
  }

  async runOnce(): Promise<RunResult> {
    const result: RunResult = { sent: 0, retrying: 0, failed: 0 };
    for (const email of await this.claim()) {
      try {
        const providerId = await this.deliver(email);
        await this.db.query(
          `UPDATE restaurante.email_logs SET status = 'sent', provider_message_id = $2, error_message = NULL WHERE id = $1`,
          [email.id, providerId],
        );
        result.sent++;
      } catch (err) {
        const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
        const { rows } = await this.db.query<{ status: string }>(
          `UPDATE restaurante.email_logs
              SET retry_count = retry_count + 1, error_message = $2,
                  status = CASE WHEN retry_count + 1 >= $3 THEN 'failed' ELSE 'pending' END,
                  next_attempt_at = now() + make_interval(secs => $4 * power(2, retry_count))
            WHERE id = $1 RETURNING status`,
          [email.id, message, this.maxAttempts, this.backoffSeconds],
        );
        if (rows[0]?.status === 'failed') result.failed++;
        else result.retrying++;
      }
    }
    return result;
  }

  start(intervalMs = 2_000, onError: (err: unknown) => void = () => undefined): void {
    const tick = () => {
      this.running = this.runOnce();
      this.running
        .catch(onError)
        .finally(() => {
          this.running = undefined;
          if (this.timer !== undefined) this.timer = setTimeout(tick, intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, intervalMs).unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    this.transport.close();
  }

  private async render(email: ClaimedEmail): Promise<RenderedEmail> {
    const language: Language = email.language === 'en' ? 'en' : 'es';
    if (email.email_type === 'order_receipt' && email.order_id) {
      const { rows } = await this.db.query<{ restaurantName: string; currency: string; order: { orderNumber: string; totalAmount: number; items: Array<{ name: string; quantity: number; totalPrice: number; status: string }> } }>(
        `SELECT r.name AS "restaurantName", r.currency, restaurante.order_json(o.id) AS order
           FROM restaurante.orders o JOIN restaurante.restaurants r ON r.id = o."restaurantId" WHERE o.id = $1`,
        [email.order_id],
        { readOnly: true },
      );
      const row = rows[0]!;
      return renderReceipt(
        {
          restaurantName: row.restaurantName,
          orderNumber: row.order.orderNumber,
          currency: row.currency,
          items: row.order.items.filter((i) => i.status !== 'CANCELLED'),
          totalAmount: row.order.totalAmount,
        },
        language,
      );
    }
    const { rows } = await this.db.query<{ restaurantName: string; customerName: string; local: string; partySize: number; holdUntil: string | null }>(
      `SELECT r.name AS "restaurantName", res."customerName", to_char(res.time AT TIME ZONE r.timezone, 'YYYY-MM-DD HH24:MI') AS local,
              res."partySize",
              CASE WHEN res.status = 'PENDING' THEN to_char(res.hold_expires_at AT TIME ZONE r.timezone, 'HH24:MI') END AS "holdUntil"
         FROM restaurante.reservations res JOIN restaurante.restaurants r ON r.id = res."restaurantId" WHERE res.id = $1`,
      [email.reservation_id],
      { readOnly: true },
    );
    const row = rows[0]!;
    const token = email.payload.tokenId ? reservationTokenFor(this.options.secret, email.payload.tokenId) : undefined;
    // The guest's page for the booking (src/web/pages/reservation.ts): opening it changes nothing;
    // Confirm and Cancel are buttons on it that POST.
    const page = token ? `${this.options.publicUrl.replace(/\/$/, '')}/reservations/${encodeURIComponent(token)}` : undefined;
    return renderReservation(
      email.email_type as 'reservation_confirmation' | 'reservation_reminder' | 'reservation_cancellation',
      {
        restaurantName: row.restaurantName,
        customerName: row.customerName,
        when: row.local,
        partySize: row.partySize,
        ...(row.holdUntil && email.email_type === 'reservation_confirmation' ? { holdUntil: row.holdUntil } : {}),
        ...(page ? { link: page } : {}),
      },
      language,
    );
  }
}

/** The operator's retry queue: failed e-mails (or one) go back to pending with fresh attempts. */
export async function retryFailedEmails(db: Database, id?: string): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE restaurante.email_logs SET status = 'pending', retry_count = 0, next_attempt_at = now()
      WHERE status = 'failed' AND ($1::text IS NULL OR id = $1)`,
    [id ?? null],
  );
  return rowCount ?? 0;
}
