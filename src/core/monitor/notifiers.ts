// Where alerts go: a Slack-compatible webhook ({text, blocks}), a generic JSON webhook, e-mail
// over SMTP (directly with nodemailer, not through the database's outbox: the database may be the
// thing that is down). Each delivery is retried a few times with backoff; what still fails is
// recorded and retried on the monitor's next run. Webhook URLs carry their secret in the path and
// SMTP URLs carry credentials, so neither ever appears in a log line or a stored error.
import nodemailer from 'nodemailer';
import type { CheckStatus } from '../checks/check.js';
import type { AlertKind } from './alerts.js';

export type ChannelName = 'slack' | 'webhook' | 'email';

/** What one notification says; stored with the event so a later retry sends the same thing. */
export interface AlertMessage {
  kind: AlertKind;
  job: string;
  check: string;
  status: CheckStatus;
  previous: CheckStatus | null;
  summary: string;
  advice: string | null;
  rows: Array<Record<string, unknown>>;
  /** ISO 8601 time the monitor saw it. */
  at: string;
  host: string;
  /** Set when a maintenance window held this alert back: recorded, not delivered. */
  heldBack?: { window: number; until: string; reason: string };
}

export interface Channel {
  name: ChannelName;
  /** Where it goes, safe to log (no path, no credentials). */
  target: string;
  send(message: AlertMessage): Promise<void>;
  close?(): void;
}

export const MAX_ROWS = 10;
const MAX_CELL = 200;

/** The rows behind a result, cut to MAX_ROWS rows of short values: alerts are not reports. */
export function truncateRows(rows: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  const cell = (v: unknown): unknown => {
    if (typeof v === 'string') return v.length > MAX_CELL ? `${v.slice(0, MAX_CELL)}…` : v;
    if (v instanceof Date) return v.toISOString();
    if (v !== null && typeof v === 'object') {
      const text = JSON.stringify(v);
      return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL)}…` : v;
    }
    return v;
  };
  return rows.slice(0, MAX_ROWS).map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, cell(v)])));
}

/** A URL reduced to what may be logged: scheme and host, never path, query or credentials. */
export function safeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(invalid URL)';
  }
}

/** An error as a short sentence with every secret in `secrets` removed. */
export function describeError(err: unknown, secrets: string[]): string {
  let text = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause === 'object') {
    const detail = typeof cause.code === 'string' ? cause.code : typeof cause.message === 'string' ? cause.message : undefined;
    if (detail) text += ` (${detail})`;
  }
  for (const secret of secrets) {
    if (!secret) continue;
    text = text.split(secret).join('[redacted]');
    try {
      const u = new URL(secret);
      if (u.password) text = text.split(decodeURIComponent(u.password)).join('[redacted]');
      if (u.pathname.length > 1) text = text.split(u.pathname).join('/[redacted]');
    } catch {
      /* not a URL: the literal replacement above is all there is */
    }
  }
  return text.slice(0, 500);
}

const LABEL: Record<AlertKind, string> = { alert: 'ALERT', escalation: 'ESCALATED', reminder: 'STILL', resolved: 'RESOLVED', report: 'REPORT' };
const EMOJI: Record<CheckStatus, string> = { ok: ':large_green_circle:', warning: ':warning:', critical: ':red_circle:', unknown: ':grey_question:' };

/** One line for people: "CRITICAL idle-in-transaction on db-1: 1 session idle …". */
export function headline(m: AlertMessage): string {
  if (m.kind === 'report') return `REPORT ${m.check} on ${m.host}: ${m.summary}`;
  const what = m.kind === 'resolved' ? `RESOLVED ${m.check}` : `${m.kind === 'alert' ? '' : `${LABEL[m.kind]} `}${m.status.toUpperCase()} ${m.check}`;
  return `${what} on ${m.host}: ${m.summary}`;
}

export function slackBody(m: AlertMessage): { text: string; blocks: unknown[] } {
  const text = `${EMOJI[m.status]} ${headline(m)}`;
  const fields = [`*check* ${m.check}`, `*status* ${m.status}${m.previous ? ` (was ${m.previous})` : ''}`, `*job* ${m.job}`, `*at* ${m.at}`];
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      ...(m.advice && m.kind !== 'resolved' ? [{ type: 'section', text: { type: 'mrkdwn', text: `*What to do:* ${m.advice}` } }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: fields.join(' · ') }] },
    ],
  };
}

export function webhookBody(m: AlertMessage): Record<string, unknown> {
  return { check: m.check, status: m.status, previous: m.previous, kind: m.kind, job: m.job, summary: m.summary, advice: m.advice, rows: m.rows, at: m.at, host: m.host };
}

export function emailText(m: AlertMessage): { subject: string; text: string } {
  const lines = [
    headline(m),
    '',
    `check:    ${m.check}`,
    `status:   ${m.status}${m.previous ? ` (was ${m.previous})` : ''}`,
    `job:      ${m.job}`,
    `host:     ${m.host}`,
    `at:       ${m.at}`,
  ];
  if (m.advice && m.kind !== 'resolved') lines.push('', `What to do: ${m.advice}`);
  if (m.rows.length && m.kind !== 'resolved') lines.push('', 'Details:', ...m.rows.map((r) => `  ${JSON.stringify(r)}`));
  lines.push('', '— comanda monitor');
  return { subject: `[Comanda] ${headline(m)}`.slice(0, 200), text: lines.join('\n') + '\n' };
}

async function postJson(url: string, body: unknown, timeoutMs: number): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'comanda-monitor' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'error',
  });
  // Drain the body so the connection can be reused; its content is not logged (it may echo).
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) throw new Error(`the receiver answered HTTP ${response.status}`);
}

export function slackChannel(url: string, timeoutMs = 10_000): Channel {
  return { name: 'slack', target: safeTarget(url), send: (m) => postJson(url, slackBody(m), timeoutMs) };
}

export function webhookChannel(url: string, timeoutMs = 10_000): Channel {
  return { name: 'webhook', target: safeTarget(url), send: (m) => postJson(url, webhookBody(m), timeoutMs) };
}

export function emailChannel(options: { smtpUrl: string; from: string; to: string[]; timeoutMs?: number }): Channel {
  const timeout = options.timeoutMs ?? 10_000;
  const transporter = nodemailer.createTransport({ url: options.smtpUrl, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout });
  return {
    name: 'email',
    target: options.to.join(', '),
    async send(m) {
      const { subject, text } = emailText(m);
      await transporter.sendMail({ from: options.from, to: options.to, subject, text });
    },
    close: () => transporter.close(),
  };
}

export interface DeliveryOutcome {
  ok: boolean;
  attempts: number;
  error?: string;
}

/**
 * Sends with up to `attempts` tries, waiting `backoffMs`, then twice that, … between them.
 * Never throws: the outcome says what happened, with the error stripped of secrets.
 */
export async function deliver(
  channel: Channel,
  message: AlertMessage,
  options: { attempts: number; backoffMs: number; secrets: string[] },
): Promise<DeliveryOutcome> {
  let error = '';
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    try {
      await channel.send(message);
      return { ok: true, attempts: attempt };
    } catch (err) {
      error = describeError(err, options.secrets);
      if (attempt < options.attempts) await new Promise((resolve) => setTimeout(resolve, options.backoffMs * 2 ** (attempt - 1)));
    }
  }
  return { ok: false, attempts: options.attempts, error };
}
