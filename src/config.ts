// Configuration: every environment variable Comanda reads, validated in one place.
// docs/configuration.md documents the same list; test/config.test.ts keeps them in step.
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { Cron } from 'croner';
import type { BackupSettings } from './core/backup/index.js';
import { ConfigError } from './core/config-error.js';

export type { BackupSettings };


/** Customers' data is kept at least this long, by the service and by `comanda retention` alike. */
export const DATA_RETENTION_MIN_DAYS = 30;
export const DATA_RETENTION_MAX_DAYS = 36_500;
const postgresUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'postgres:' || url.protocol === 'postgresql:';
    } catch {
      return false;
    }
  }, 'must be a postgres:// or postgresql:// URL, e.g. postgres://comanda_app@db.example:5432/comanda');

const milliseconds = (fallback: number, max = 600_000) =>
  z.coerce.number().int().min(1).max(max).default(fallback);

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

// `comanda monitor`: a cron expression (5 fields, or 6 with seconds), or "off".
const cronSchedule = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .refine((v) => {
      if (v === 'off') return true;
      try {
        new Cron(v, { paused: true }).stop();
        return true;
      } catch {
        return false;
      }
    }, 'must be a cron expression (minute hour day-of-month month day-of-week, e.g. "*/5 * * * *" or "0 2 * * *") or off');

const alertWebhookUrl = z
  .string()
  .trim()
  .refine((v) => /^https?:\/\/[^\s/]+/.test(v), 'must be an http(s):// URL, e.g. https://hooks.slack.com/services/…');

function isAddressOrCidr(value: string): boolean {
  const [address, bits, extra] = value.split('/');
  if (extra !== undefined || !address) return false;
  const family = net.isIP(address);
  if (family === 0) return ['loopback', 'linklocal', 'uniquelocal'].includes(value);
  if (bits === undefined) return true;
  if (!/^[0-9]{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * Whether two database URLs reach the same server (host and port; users may differ). A direct URL
 * elsewhere means DATABASE_URL goes through a pooler, which in transaction mode hands each
 * transaction any server connection: prepared statements would not be there.
 */
function sameServer(url: string | undefined, directUrl: string | undefined): boolean {
  if (!url || !directUrl) return true;
  const a = new URL(url);
  const b = new URL(directUrl);
  return a.hostname === b.hostname && (a.port || '5432') === (b.port || '5432') && a.searchParams.get('host') === b.searchParams.get('host');
}

export const envSchema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_DIRECT_URL: postgresUrl.optional(),
  DATABASE_REPLICA_URL: postgresUrl.optional(),
  DATABASE_REPLICA_MAX_LAG_MS: z.coerce.number().int().min(0).max(600_000).default(1_000),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  DATABASE_POOL_MIN: z.coerce.number().int().min(0).max(500).optional(),
  DATABASE_PREPARED_STATEMENTS: booleanFlag.optional(),
  DATABASE_STATEMENT_TIMEOUT_MS: milliseconds(5_000),
  DATABASE_LOCK_TIMEOUT_MS: milliseconds(2_000),
  DATABASE_CONNECT_TIMEOUT_MS: milliseconds(5_000, 60_000),
  MIGRATION_LOCK_TIMEOUT_MS: milliseconds(5_000),
  MIGRATE_ON_START: booleanFlag.default(true),
  SEED_DEMO: booleanFlag.optional(),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  COMANDA_DATA_DIR: z.string().trim().min(1).default('.comanda'),
  COMANDA_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PUBLIC_URL: z
    .string()
    .trim()
    .refine((v) => /^https?:\/\/[^\s/]+/.test(v), 'must be an http(s):// URL, e.g. https://comanda.example.com')
    .optional(),
  // Which reverse proxies to believe about the client's address: none, a hop count, or their
  // addresses/CIDRs. `true` (believe any X-Forwarded-For) is refused: a client could forge it.
  TRUST_PROXY: z
    .string()
    .trim()
    .default('false')
    .transform((v, ctx) => {
      if (v === 'false' || v === '0' || v === 'no') return false as const;
      if (/^[0-9]{1,2}$/.test(v)) return Number(v);
      const list = v.split(',').map((a) => a.trim()).filter(Boolean);
      if (v === 'true' || v === '1' || v === 'yes' || list.length === 0 || !list.every(isAddressOrCidr)) {
        ctx.addIssue({
          code: 'custom',
          message:
            'must be false, the number of proxies in front (e.g. 1), or their addresses/CIDRs (e.g. 127.0.0.1,10.0.0.0/8); ' +
            '`true` would believe any client\'s X-Forwarded-For',
        });
        return z.NEVER;
      }
      return list;
    }),
  HTTP_BODY_LIMIT_BYTES: z.coerce.number().int().min(1_024).max(10_485_760).default(65_536),
  SHUTDOWN_DRAIN_DELAY_MS: z.coerce.number().int().min(0).max(120_000).default(0),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  SESSION_TTL_MINUTES: z.coerce.number().int().min(5).max(2_880).default(240),
  IDEMPOTENCY_TTL_HOURS: z.coerce.number().int().min(1).max(720).default(24),
  RESERVATION_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(7),
  SMTP_URL: z
    .string()
    .trim()
    .refine((v) => /^smtps?:\/\/[^\s]+$/.test(v), 'must be an smtp:// or smtps:// URL, e.g. smtps://user:password@mail.example.com:465')
    .optional(),
  MAIL_FROM: z.string().trim().min(3).default('Comanda <no-reply@localhost>'),
  EMAIL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  EMAIL_WORKER: booleanFlag.default(true),
  REMINDER_HOURS_BEFORE: z.coerce.number().int().min(1).max(168).default(24),
  DATA_RETENTION_DAYS: z.coerce.number().int().min(DATA_RETENTION_MIN_DAYS).max(DATA_RETENTION_MAX_DAYS).default(730),
  METRICS_TOKEN: z.string().trim().min(16, 'must be at least 16 characters (e.g. `openssl rand -hex 32`)').optional(),
  METRICS_COLLECT_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3_600).default(15),
  METRICS_CHECKS_INTERVAL_SECONDS: z.coerce.number().int().min(5).max(86_400).default(60),
  MONITOR_SCHEDULE_HEALTH: cronSchedule('*/5 * * * *'),
  MONITOR_SCHEDULE_SLOW_QUERIES: cronSchedule('0 */4 * * *'),
  MONITOR_SCHEDULE_INTEGRITY: cronSchedule('0 2 * * *'),
  MONITOR_SCHEDULE_BACKUP: cronSchedule('0 3 * * *'),
  MONITOR_SCHEDULE_QUERY_REPORT: cronSchedule('off'),
  HISTORY_INTERVAL_MINUTES: z.coerce.number().int().min(0).max(1_440).default(5),
  HISTORY_RETENTION_DAYS: z.coerce.number().int().min(1).max(366).default(14),
  HISTORY_MAX_MB: z.coerce.number().int().min(8).max(100_000).default(256),
  HISTORY_MAX_STATEMENTS: z.coerce.number().int().min(10).max(5_000).default(200),
  // PgBouncer's admin console for the pgbouncer-pools check (read by src/core/checks/sessions.ts).
  PGBOUNCER_ADMIN_URL: postgresUrl.optional(),
  MONITOR_TIMEZONE: z
    .string()
    .trim()
    .refine((v) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: v });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone, e.g. Europe/Madrid')
    .optional(),
  ALERT_REMINDER_MINUTES: z.coerce.number().int().min(0).max(10_080).default(240),
  ALERT_SLACK_WEBHOOK_URL: alertWebhookUrl.optional(),
  ALERT_WEBHOOK_URL: alertWebhookUrl.optional(),
  ALERT_EMAIL_TO: z
    .string()
    .trim()
    .transform((v) => v.split(',').map((a) => a.trim()).filter(Boolean))
    .refine((list) => list.length > 0 && list.every((a) => /^[^\s@<>]+@[^\s@<>]+$/.test(a)), 'must be e-mail addresses separated by commas')
    .optional(),
  MENU_CACHE_MAX_AGE_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  RATE_LIMIT_QR_SCANS_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(30),
  RATE_LIMIT_ORDERS_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(30),
  RATE_LIMIT_ORDERS_PER_IP_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(120),
  RATE_LIMIT_BOOKINGS_PER_IP_PER_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(10),
  RATE_LIMIT_BOOKINGS_PER_EMAIL_PER_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(3),
  RESERVATION_HOLD_MINUTES: z.coerce.number().int().min(1).max(1_440).default(20),
  RESERVATION_MAX_HOLDS_PER_EMAIL: z.coerce.number().int().min(1).max(1_000).default(2),
  RESERVATION_MAX_HOLDS_PER_IP: z.coerce.number().int().min(1).max(1_000).default(4),
  STAFF_COOKIE_SECURE: z.enum(['auto', 'true', 'false'], { message: 'must be auto, true or false' }).default('auto'),
  STAFF_SESSION_IDLE_MINUTES: z.coerce.number().int().min(5).max(43_200).default(480),
  STAFF_SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(8_760).default(168),
  STAFF_DEVICE_SESSION_IDLE_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  STAFF_DEVICE_SESSION_MAX_DAYS: z.coerce.number().int().min(1).max(3_650).default(365),
  STAFF_SIGN_IN_PER_IP_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(20),
  STAFF_SIGN_IN_PER_NAME_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(5),
  STAFF_SIGN_IN_LOCKOUT_AFTER: z.coerce.number().int().min(1).max(1_000).default(10),
  STAFF_SIGN_IN_LOCKOUT_MINUTES: z.coerce.number().int().min(1).max(1_440).default(15),
  COMANDA_BACKUP_DIR: z.string().trim().min(1).optional(),
  BACKUP_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(30),
  BACKUP_RETENTION_KEEP: z.coerce.number().int().min(1).max(100_000).optional(),
  COMANDA_BACKUP_COPY_COMMAND: z.string().trim().min(1).optional(),
  PG_BIN_DIR: z.string().trim().min(1).optional(),
  COMANDA_CHECKS_FILE: z.string().trim().min(1).optional(),
  // The database server's machine for the doctor's settings check (read by src/core/tuning/machine.ts).
  COMANDA_TUNE_RAM: z.string().trim().regex(/^\d+(\.\d+)?\s*([kKmMgGtT](i?[bB])?|[bB])$/, 'must be a size with a unit, e.g. 32GB').optional(),
  COMANDA_TUNE_CPUS: z.coerce.number().int().min(1).max(1024).optional(),
  COMANDA_TUNE_STORAGE: z.enum(['ssd', 'hdd'], { message: 'must be ssd or hdd' }).optional(),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  /** Undefined when Comanda should start its embedded PostgreSQL. */
  databaseUrl: string | undefined;
  /** For migrations, LISTEN and backups, where DATABASE_URL points at a transaction-mode pooler. */
  databaseDirectUrl: string | undefined;
  /** A read replica for the menu, used while its replay lag is within maxLagMs. */
  replica: { url: string; maxLagMs: number } | undefined;
  /** min: connections opened at start and kept when idle (new backends start with cold caches). */
  /**
   * preparedStatements: the hot path's statements as named prepared statements; by default only
   * when DATABASE_URL reaches the server DATABASE_DIRECT_URL does (no pooler in between).
   */
  pool: { size: number; min: number; connectTimeoutMs: number; preparedStatements: boolean };
  timeouts: { statementMs: number; lockMs: number; migrationLockMs: number };
  migrateOnStart: boolean;
  seedDemo: boolean;
  http: { port: number; host: string };
  dataDir: string;
  /** Undefined only in the embedded default, which generates one into the data directory. */
  secret: string | undefined;
  logLevel: Env['LOG_LEVEL'];
  /** Base URL printed in QR codes; undefined: the address the service listens on. */
  publicUrl: string | undefined;
  /** Proxies whose X-Forwarded-For is believed: none, a hop count, or their addresses/CIDRs. */
  trustProxy: false | number | string[];
  bodyLimitBytes: number;
  /** On SIGTERM: how long /readyz fails while the instance still serves, then how long in-flight requests may take. */
  shutdown: { drainDelayMs: number; timeoutMs: number };
  monitor: MonitorSettings;
  /** GET /metrics: its bearer token (unset: open) and how often the database and the checks are read. */
  metrics: { token: string | undefined; collectIntervalSeconds: number; checksIntervalSeconds: number };
  ordering: OrderingSettings;
  email: { smtpUrl: string | undefined; from: string; maxAttempts: number; worker: boolean; reminderHoursBefore: number };
  retentionDays: number;
  backup: BackupSettings;
  /** JSON file of check thresholds overriding the defaults (comanda doctor, check, monitor, /metrics). */
  checksFile: string | undefined;
  history: HistorySettings;
  staff: StaffSettings;
}

export interface HistorySettings {
  /** Minutes between captures; 0: this instance never captures. */
  intervalMinutes: number;
  retentionDays: number;
  /** Captures are pruned, oldest first, while the history's tables are larger than this. */
  maxMb: number;
  /** Statements kept per capture (those with the most time in the interval). */
  maxStatements: number;
}

/** Staff sign-in (docs/staff-sign-in.md): the cookie, session lifetimes and sign-in limits. */
export interface StaffSettings {
  cookieSecure: 'auto' | boolean;
  lifetimes: { account: { idleMinutes: number; maxHours: number }; device: { idleDays: number; maxDays: number } };
  limits: { perIpPerMinute: number; perLoginPerMinute: number; lockoutAfter: number; lockoutSeconds: number };
}


export interface MonitorSettings {
  /** Cron expression per job; null: the job is off. */
  schedules: { health: string | null; 'slow-queries': string | null; integrity: string | null; backup: string | null; 'query-report': string | null };
  timezone: string | undefined;
  /** Per-check threshold overrides. */
  /** A check that stays bad is announced again after this long (0: never). */
  reminderMinutes: number;
  slackWebhookUrl: string | undefined;
  webhookUrl: string | undefined;
  emailTo: string[];
}

export interface OrderingSettings {
  sessionTtlMinutes: number;
  idempotencyTtlHours: number;
  reservationTokenTtlDays: number;
  menuCacheMaxAgeMs: number;
  rateLimits: { qrScansPerMinute: number; ordersPerMinute: number; ordersPerIpPerMinute: number };
  /** Anonymous bookings: holds until confirmed from the e-mail, and their limits (staff: none). */
  bookings: BookingLimits;
}

export interface BookingLimits {
  holdMinutes: number;
  perIpPerHour: number;
  perEmailPerHour: number;
  maxHoldsPerEmail: number;
  maxHoldsPerIp: number;
}

export { ConfigError };

/** The server secret, required (by the service, not the CLI) once DATABASE_URL is set. */
export function requireSecret(config: Config): string {
  if (!config.secret) {
    throw new ConfigError([
      'COMANDA_SECRET: is required when DATABASE_URL is set (every instance must share it); generate one with `openssl rand -hex 32`',
    ]);
  }
  return config.secret;
}

/** Reads and validates the environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable counts as unset, as shells and env files often leave them so.
  const present = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => key in envSchema.shape && value !== undefined && value !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.');
        // Never echo the value: it may be a secret or a URL with a password.
        return `${name}: ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  if (e.DATABASE_REPLICA_URL && !e.DATABASE_URL) {
    throw new ConfigError(['DATABASE_REPLICA_URL: is set but DATABASE_URL is not; a replica needs its primary in DATABASE_URL']);
  }
  if (e.DATABASE_DIRECT_URL && !e.DATABASE_URL) {
    throw new ConfigError(['DATABASE_DIRECT_URL: is set but DATABASE_URL is not; set both, or neither for the embedded database']);
  }
  if (e.DATABASE_POOL_MIN !== undefined && e.DATABASE_POOL_MIN > e.DATABASE_POOL_SIZE) {
    throw new ConfigError([`DATABASE_POOL_MIN: must not exceed DATABASE_POOL_SIZE (${e.DATABASE_POOL_SIZE})`]);
  }
  return {
    databaseUrl: e.DATABASE_URL,
    databaseDirectUrl: e.DATABASE_DIRECT_URL ?? e.DATABASE_URL,
    replica: e.DATABASE_REPLICA_URL ? { url: e.DATABASE_REPLICA_URL, maxLagMs: e.DATABASE_REPLICA_MAX_LAG_MS } : undefined,
    pool: {
      size: e.DATABASE_POOL_SIZE,
      min: e.DATABASE_POOL_MIN ?? e.DATABASE_POOL_SIZE,
      connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
      preparedStatements: e.DATABASE_PREPARED_STATEMENTS ?? sameServer(e.DATABASE_URL, e.DATABASE_DIRECT_URL),
    },
    timeouts: {
      statementMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      lockMs: e.DATABASE_LOCK_TIMEOUT_MS,
      migrationLockMs: e.MIGRATION_LOCK_TIMEOUT_MS,
    },
    migrateOnStart: e.MIGRATE_ON_START,
    seedDemo: e.SEED_DEMO ?? !e.DATABASE_URL,
    http: { port: e.PORT, host: e.HOST },
    dataDir: path.resolve(e.COMANDA_DATA_DIR),
    secret: e.COMANDA_SECRET,
    logLevel: e.LOG_LEVEL,
    publicUrl: e.PUBLIC_URL,
    trustProxy: e.TRUST_PROXY,
    bodyLimitBytes: e.HTTP_BODY_LIMIT_BYTES,
    shutdown: { drainDelayMs: e.SHUTDOWN_DRAIN_DELAY_MS, timeoutMs: e.SHUTDOWN_TIMEOUT_MS },
    monitor: {
      schedules: {
        health: e.MONITOR_SCHEDULE_HEALTH === 'off' ? null : e.MONITOR_SCHEDULE_HEALTH,
        'slow-queries': e.MONITOR_SCHEDULE_SLOW_QUERIES === 'off' ? null : e.MONITOR_SCHEDULE_SLOW_QUERIES,
        integrity: e.MONITOR_SCHEDULE_INTEGRITY === 'off' ? null : e.MONITOR_SCHEDULE_INTEGRITY,
        backup: e.MONITOR_SCHEDULE_BACKUP === 'off' ? null : e.MONITOR_SCHEDULE_BACKUP,
        'query-report': e.MONITOR_SCHEDULE_QUERY_REPORT === 'off' ? null : e.MONITOR_SCHEDULE_QUERY_REPORT,
      },
      timezone: e.MONITOR_TIMEZONE,
      reminderMinutes: e.ALERT_REMINDER_MINUTES,
      slackWebhookUrl: e.ALERT_SLACK_WEBHOOK_URL,
      webhookUrl: e.ALERT_WEBHOOK_URL,
      emailTo: e.ALERT_EMAIL_TO ?? [],
    },
    metrics: {
      token: e.METRICS_TOKEN,
      collectIntervalSeconds: e.METRICS_COLLECT_INTERVAL_SECONDS,
      checksIntervalSeconds: e.METRICS_CHECKS_INTERVAL_SECONDS,
    },
    retentionDays: e.DATA_RETENTION_DAYS,
    backup: {
      dir: path.resolve(e.COMANDA_BACKUP_DIR ?? path.join(e.COMANDA_DATA_DIR, 'backups')),
      retentionDays: e.BACKUP_RETENTION_DAYS,
      retentionKeep: e.BACKUP_RETENTION_KEEP,
      copyCommand: e.COMANDA_BACKUP_COPY_COMMAND,
      pgBinDir: e.PG_BIN_DIR === undefined ? undefined : path.resolve(e.PG_BIN_DIR),
    },
    checksFile: e.COMANDA_CHECKS_FILE === undefined ? undefined : path.resolve(e.COMANDA_CHECKS_FILE),
    history: {
      intervalMinutes: e.HISTORY_INTERVAL_MINUTES,
      retentionDays: e.HISTORY_RETENTION_DAYS,
      maxMb: e.HISTORY_MAX_MB,
      maxStatements: e.HISTORY_MAX_STATEMENTS,
    },
    staff: {
      cookieSecure: e.STAFF_COOKIE_SECURE === 'auto' ? 'auto' : e.STAFF_COOKIE_SECURE === 'true',
      lifetimes: {
        account: { idleMinutes: e.STAFF_SESSION_IDLE_MINUTES, maxHours: e.STAFF_SESSION_MAX_HOURS },
        device: { idleDays: e.STAFF_DEVICE_SESSION_IDLE_DAYS, maxDays: e.STAFF_DEVICE_SESSION_MAX_DAYS },
      },
      limits: {
        perIpPerMinute: e.STAFF_SIGN_IN_PER_IP_PER_MINUTE,
        perLoginPerMinute: e.STAFF_SIGN_IN_PER_NAME_PER_MINUTE,
        lockoutAfter: e.STAFF_SIGN_IN_LOCKOUT_AFTER,
        lockoutSeconds: e.STAFF_SIGN_IN_LOCKOUT_MINUTES * 60,
      },
    },
    email: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM,
      maxAttempts: e.EMAIL_MAX_ATTEMPTS,
      worker: e.EMAIL_WORKER,
      reminderHoursBefore: e.REMINDER_HOURS_BEFORE,
    },
    ordering: {
      sessionTtlMinutes: e.SESSION_TTL_MINUTES,
      idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS,
      reservationTokenTtlDays: e.RESERVATION_TOKEN_TTL_DAYS,
      menuCacheMaxAgeMs: e.MENU_CACHE_MAX_AGE_MS,
      rateLimits: {
        qrScansPerMinute: e.RATE_LIMIT_QR_SCANS_PER_MINUTE,
        ordersPerMinute: e.RATE_LIMIT_ORDERS_PER_MINUTE,
        ordersPerIpPerMinute: e.RATE_LIMIT_ORDERS_PER_IP_PER_MINUTE,
      },
      bookings: {
        holdMinutes: e.RESERVATION_HOLD_MINUTES,
        perIpPerHour: e.RATE_LIMIT_BOOKINGS_PER_IP_PER_HOUR,
        perEmailPerHour: e.RATE_LIMIT_BOOKINGS_PER_EMAIL_PER_HOUR,
        maxHoldsPerEmail: e.RESERVATION_MAX_HOLDS_PER_EMAIL,
        maxHoldsPerIp: e.RESERVATION_MAX_HOLDS_PER_IP,
      },
    },
  };
}
