// Configuration: every environment variable Comanda reads, validated in one place.
// README.md ("Configuration") documents the same list; test/config.test.ts keeps them in step.
import path from 'node:path';
import { z } from 'zod';

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

export const envSchema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_DIRECT_URL: postgresUrl.optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
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
  TRUST_PROXY: booleanFlag.default(false),
  HTTP_BODY_LIMIT_BYTES: z.coerce.number().int().min(1_024).max(10_485_760).default(65_536),
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
  DATA_RETENTION_DAYS: z.coerce.number().int().min(30).max(36_500).default(730),
  MENU_CACHE_MAX_AGE_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  RATE_LIMIT_QR_SCANS_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(30),
  RATE_LIMIT_ORDERS_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(30),
  RATE_LIMIT_ORDERS_PER_IP_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(120),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  /** Undefined when Comanda should start its embedded PostgreSQL. */
  databaseUrl: string | undefined;
  /** For migrations, LISTEN and backups, where DATABASE_URL points at a transaction-mode pooler. */
  databaseDirectUrl: string | undefined;
  pool: { size: number; connectTimeoutMs: number };
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
  trustProxy: boolean;
  bodyLimitBytes: number;
  ordering: OrderingSettings;
  email: { smtpUrl: string | undefined; from: string; maxAttempts: number; worker: boolean; reminderHoursBefore: number };
  retentionDays: number;
}

export interface OrderingSettings {
  sessionTtlMinutes: number;
  idempotencyTtlHours: number;
  reservationTokenTtlDays: number;
  menuCacheMaxAgeMs: number;
  rateLimits: { qrScansPerMinute: number; ordersPerMinute: number; ordersPerIpPerMinute: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

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
  if (e.DATABASE_DIRECT_URL && !e.DATABASE_URL) {
    throw new ConfigError(['DATABASE_DIRECT_URL: is set but DATABASE_URL is not; set both, or neither for the embedded database']);
  }
  return {
    databaseUrl: e.DATABASE_URL,
    databaseDirectUrl: e.DATABASE_DIRECT_URL ?? e.DATABASE_URL,
    pool: { size: e.DATABASE_POOL_SIZE, connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS },
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
    retentionDays: e.DATA_RETENTION_DAYS,
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
    },
  };
}
