// The database handle every part of Comanda uses. Each unit of work is a transaction that sets
// statement_timeout and lock_timeout with SET LOCAL, so nothing waits forever and nothing relies
// on session state: the app works unchanged behind PgBouncer in transaction mode.
import pg from 'pg';
import { AppError, fromDatabaseError } from '../errors.js';

export type Isolation = 'read committed' | 'repeatable read' | 'serializable';

export interface TransactionOptions {
  isolation?: Isolation;
  readOnly?: boolean;
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
  /**
   * Transaction-local settings (set_config(name, value, true)), e.g. `comanda.actor`, read by
   * the schema's triggers to record who changed what. Names must be `prefix.name`.
   */
  settings?: Record<string, string>;
}

export interface DatabaseOptions {
  connectionString: string;
  poolSize?: number;
  /** Connections kept open when idle (pg-pool `min`; default 0), opened up front by warm(). */
  minConnections?: number;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
  applicationName?: string;
  /** Called with errors of idle pooled connections (e.g. the server restarted). */
  onIdleError?: (err: Error) => void;
}

/** What a transaction body receives: a client whose queries run inside the transaction. */
export type Tx = Pick<pg.PoolClient, 'query'>;

/** Either a Database (each query its own transaction) or a Tx (inside the caller's). */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
}

const SETTING_NAME = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/;

function timeoutMs(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`${name} must be a non-negative integer`);
  return value;
}

export class Database {
  readonly pool: pg.Pool;
  readonly statementTimeoutMs: number;
  readonly lockTimeoutMs: number;

  constructor(options: DatabaseOptions) {
    this.statementTimeoutMs = timeoutMs(options.statementTimeoutMs ?? 5_000, 'statementTimeoutMs');
    this.lockTimeoutMs = timeoutMs(options.lockTimeoutMs ?? 2_000, 'lockTimeoutMs');
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      min: options.minConnections ?? 0,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      application_name: options.applicationName ?? 'comanda',
    });
    const onIdleError = options.onIdleError ?? (() => undefined);
    // Without a listener an idle client's error (server restart, pooler recycling) would crash
    // the process; the pool drops that client and the next checkout opens a new one.
    this.pool.on('error', onIdleError);
    // A checked-out client has no pool listener: a connection lost between two statements of a
    // transaction would otherwise crash the process. The statement in flight (or the next one)
    // fails with the error, and the broken client is not returned to the pool.
    this.pool.on('connect', (client) => client.on('error', onIdleError));
  }

  /** Opens the pool's minimum of connections now, all at once, rather than on the first burst. */
  async warm(): Promise<void> {
    const count = this.pool.options.min ?? 0;
    const clients = await Promise.all(Array.from({ length: count }, () => this.pool.connect()));
    for (const client of clients) client.release();
  }

  /** Runs `fn` in a transaction with per-transaction timeouts; commits, or rolls back on error. */
  async transaction<T>(fn: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const client = await this.connect();
    let broken: Error | undefined;
    try {
      await client.query(this.beginSql(options));
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection itself failed: make sure the pool discards it.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      // A connection lost mid-transaction (the server died, a failover cut it) is the database
      // being unavailable, not a fault of ours: 503 + Retry-After. If it was lost during COMMIT
      // the work may have committed; a retry with the same Idempotency-Key then replays it.
      throw fromDatabaseError(err) ?? (broken ? new AppError('DATABASE_UNAVAILABLE', undefined, { retryAfter: 2, cause: err }) : err);
    } finally {
      client.release(broken);
    }
  }

  /** One statement in its own transaction (with the same timeouts). */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    params: unknown[] = [],
    options: TransactionOptions = {},
  ): Promise<pg.QueryResult<R>> {
    return this.transaction((tx) => tx.query<R>(text, params), options);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      // A refused connection, a full pool past connectionTimeoutMillis, a server shutting down:
      // the client should retry, and nothing about the server's address belongs in the answer.
      throw fromDatabaseError(err) ?? new AppError('DATABASE_UNAVAILABLE', undefined, { retryAfter: 2, cause: err });
    }
  }

  private beginSql(options: TransactionOptions): string {
    const statementMs = timeoutMs(options.statementTimeoutMs ?? this.statementTimeoutMs, 'statementTimeoutMs');
    const lockMs = timeoutMs(options.lockTimeoutMs ?? this.lockTimeoutMs, 'lockTimeoutMs');
    const modes: string[] = [];
    if (options.isolation) modes.push(`ISOLATION LEVEL ${options.isolation.toUpperCase()}`);
    if (options.readOnly) modes.push('READ ONLY');
    // One round trip for all of it: the timeouts are integers checked above, setting names are
    // checked against a strict pattern, and setting values are quoted by the driver's
    // escapeLiteral (they are ids and labels made by the server, never raw client input).
    const settings = Object.entries(options.settings ?? {}).map(([name, value]) => {
      if (!SETTING_NAME.test(name)) throw new TypeError(`invalid setting name ${name}`);
      return `SELECT set_config('${name}', ${pg.escapeLiteral(value)}, true)`;
    });
    return [
      `BEGIN${modes.length ? ' ' + modes.join(' ') : ''}`,
      `SET LOCAL statement_timeout = ${statementMs}`,
      `SET LOCAL lock_timeout = ${lockMs}`,
      ...settings,
    ].join('; ');
  }
}

/** Quotes an identifier (schema, table, column, database name) for SQL. */
export const ident = (name: string): string => pg.escapeIdentifier(name);
