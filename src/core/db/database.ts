// The database handle every part of Comanda uses. Each unit of work is a transaction that sets
// statement_timeout and lock_timeout with SET LOCAL, so nothing waits forever and nothing relies
// on session state: the app works unchanged behind PgBouncer in transaction mode.
//
// Whatever the server does, a unit of work is answered within its statement timeout + 1 s
// (DEADLINE_GRACE_MS): waiting for a connection and every statement count against one client-side
// deadline, and a connection that missed it is destroyed, never returned to the pool (a hung or
// stopped server may still answer it later, out of turn). TCP keepalive finds dead peers.
//
// On a direct connection (not through a transaction-mode pooler) the hot path's statements, marked
// with `prepared(text)`, are named prepared statements: parsed and planned once per connection.
import { createHash } from 'node:crypto';
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
  /** Called when announcements (see announce) could not be sent; default: nothing. */
  onAnnounceError?: (err: Error) => void;
  /**
   * Send the statements marked with `prepared(text)` as named prepared statements (default
   * false). Only on connections that keep a server session per client: straight to PostgreSQL,
   * or a pooler in session mode (PgBouncer before 1.21 in transaction mode loses them).
   */
  preparedStatements?: boolean;
}

/** What a transaction body receives: a client whose queries run inside the transaction. */
export type Tx = Pick<pg.PoolClient, 'query'>;

/** Either a Database (each query its own transaction) or a Tx (inside the caller's). */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** How far past its statement timeout a unit of work may run before the client gives up on it. */
export const DEADLINE_GRACE_MS = 1_000;

const SETTING_NAME = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/;

function timeoutMs(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`${name} must be a non-negative integer`);
  return value;
}

/** At most this many distinct statements are prepared (a guard against a text built per call). */
const PREPARED_LIMIT = 200;
const preparedNames = new Map<string, string>();

/**
 * Marks a statement of the hot path to be sent as a named prepared statement by a Database with
 * `preparedStatements`: the server parses, analyses and plans it once per connection, and each
 * use sends only its parameters. Returns the text unchanged. The text must be the same for every
 * call (parameters, never values, in it) and name its result columns (a `SELECT *` would fail
 * after a migration changes the table: "cached plan must not change result type").
 */
export function prepared(text: string): string {
  if (!preparedNames.has(text) && preparedNames.size < PREPARED_LIMIT) {
    preparedNames.set(text, `comanda_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`);
  }
  return text;
}

/** client.query(text, values), as a named statement when `text` is marked and naming is `on`. */
function sendQuery<R extends pg.QueryResultRow>(client: pg.PoolClient, on: boolean, text: string, values: unknown[] | undefined): Promise<pg.QueryResult<R>> {
  const name = on ? preparedNames.get(text) : undefined;
  return name ? client.query<R>({ name, text, values }) : client.query<R>(text, values);
}

/** What Database.transaction knows of a transaction: COMMIT sent with the last statement, and answered. */
interface TxState {
  commit?: Promise<pg.QueryResult>;
  ended?: boolean;
}
const transactions = new WeakMap<Tx, { client: pg.PoolClient; state: TxState; prepare: boolean }>();

/** The SQLSTATE of an error the server sent; undefined for anything else (a lost connection). */
const sqlStateOf = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
};

/** The promise, with its rejection marked handled until someone awaits it. */
function settled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * Runs `send` with the client's socket corked: the messages of the statements it sends leave in
 * one write (a system call each otherwise, the dearest part of a round trip on a small machine).
 */
function batched<T>(client: pg.PoolClient, send: () => T): T {
  const stream = (client as unknown as { connection?: { stream?: { cork?: () => void; uncork?: () => void } } }).connection?.stream;
  stream?.cork?.();
  try {
    return send();
  } finally {
    stream?.uncork?.();
  }
}

/**
 * The last statement of a transaction of Database.transaction, with COMMIT sent right behind it:
 * one round trip for both. Nothing may follow it (a statement after it is refused); the result
 * counts only once the transaction returns, which it does when the COMMIT was answered. Outside
 * such a transaction, just the statement.
 */
export function lastStatement<R extends pg.QueryResultRow = pg.QueryResultRow>(tx: Queryable, text: string, params: unknown[]): Promise<pg.QueryResult<R>> {
  const open = transactions.get(tx as Tx);
  if (!open || open.state.commit) return tx.query<R>(text, params);
  const { client, state, prepare } = open;
  return batched(client, () => {
    const result = sendQuery<R>(client, prepare, text, params);
    state.commit = settled(client.query('COMMIT'));
    return result;
  });
}

export class Database {
  readonly pool: pg.Pool;
  readonly statementTimeoutMs: number;
  readonly lockTimeoutMs: number;
  /** Statements marked with `prepared` go as named prepared statements. */
  readonly preparedStatements: boolean;
  private readonly onAnnounceError: (err: Error) => void;
  /** Announcements not sent yet (channel → keys), and the round sending them. */
  private readonly announcements = new Map<string, Set<string>>();
  private announcing: Promise<void> | undefined;

  constructor(options: DatabaseOptions) {
    this.preparedStatements = options.preparedStatements ?? false;
    this.statementTimeoutMs = timeoutMs(options.statementTimeoutMs ?? 5_000, 'statementTimeoutMs');
    this.lockTimeoutMs = timeoutMs(options.lockTimeoutMs ?? 2_000, 'lockTimeoutMs');
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      min: options.minConnections ?? 0,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      application_name: options.applicationName ?? 'comanda',
      // A peer that vanished (host down, network cut) is noticed by the kernel, not by a request.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      // Statements sent without waiting for the previous one's answer (see transaction).
      pipeline: true,
    });
    const onIdleError = options.onIdleError ?? (() => undefined);
    this.onAnnounceError = options.onAnnounceError ?? (() => undefined);
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

  /**
   * Runs `fn` in a transaction with per-transaction timeouts; commits, or rolls back on error.
   *
   * The connection is pipelined (node-postgres' `pipeline`): BEGIN and the settings go out with
   * the body's first statement, in one round trip, and a body that ends with `lastStatement`
   * sends COMMIT with it. A statement that fails aborts the transaction, so the server refuses
   * whatever was sent behind it and answers the COMMIT with a ROLLBACK: nothing after a failure
   * takes effect.
   */
  async transaction<T>(fn: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const statementMs = timeoutMs(options.statementTimeoutMs ?? this.statementTimeoutMs, 'statementTimeoutMs');
    const begin = this.beginSql(options);
    const settings = this.settingsQuery(options.settings);
    // Sent with the last statement, an answered COMMIT has ended the transaction either way (a
    // ROLLBACK after a failure): no ROLLBACK of our own then.
    const state: TxState = {};
    return this.withClient(statementMs, async (client, guard) => {
      const tx: Tx = {
        query: ((...args: unknown[]) => {
          if (state.commit) throw new Error("a statement after the transaction's last statement");
          const [text, values] = args;
          if (typeof text === 'string' && args.length <= 2 && (values === undefined || Array.isArray(values))) {
            return sendQuery(client, this.preparedStatements, text, values);
          }
          return (client.query as (...a: unknown[]) => unknown)(...args);
        }) as Tx['query'],
      };
      transactions.set(tx, { client, state, prepare: this.preparedStatements });
      // BEGIN, the settings and the body's first statement (sent before the body's first await)
      // leave together.
      const { opening, running } = batched(client, () => ({
        opening: [settled(client.query(begin)), ...(settings ? [settled(sendQuery(client, this.preparedStatements, settings.text, settings.values))] : [])],
        running: fn(tx),
      }));
      try {
        const result = await guard(running);
        for (const step of opening) await guard(step);
        const done = await guard(state.commit ?? client.query('COMMIT'));
        // Never expected (the body awaits its statements, so a failure is its error), kept as a
        // guard, never as a silent loss: a COMMIT answered ROLLBACK.
        if (done.command !== 'COMMIT') throw new Error(`COMMIT was answered ${done.command}`);
        return result;
      } catch (err) {
        // COMMIT answered, or refused by the server (a deferred constraint): the transaction is over.
        if (state.commit) state.ended = await guard(state.commit).then(() => true, (e: unknown) => sqlStateOf(e) !== undefined);
        // A failed BEGIN or settings statement is the cause (the body's statements behind it were
        // refused as "current transaction is aborted").
        for (const step of opening) {
          const cause = await guard(step).then(() => undefined, (e: unknown) => (e instanceof Error ? e : new Error(String(e))));
          if (cause) throw cause;
        }
        throw err;
      }
    }, () => (state.ended ? 'ended' : 'rollback'));
  }

  /** One statement in its own transaction (with the same timeouts). */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    params: unknown[] = [],
    options: TransactionOptions = {},
  ): Promise<pg.QueryResult<R>> {
    return this.transaction((tx) => tx.query<R>(text, params), options);
  }

  /**
   * One statement on its own, autocommitted, in one round trip (no BEGIN / SET LOCAL): for tiny
   * statements on the hot path (rate limits). Bounded by the client-side deadline only.
   */
  async statement<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.withClient(this.statementTimeoutMs, (client, guard) => guard(sendQuery<R>(client, this.preparedStatements, text, params)), () => 'statement');
  }

  /**
   * A pooled client for `work`, everything within statementMs + DEADLINE_GRACE_MS (no deadline
   * when statementMs is 0). `guard` races a promise against the deadline. A failed transaction
   * rolls back (unless it has ended); a client that missed the deadline or broke is destroyed.
   */
  private async withClient<T>(
    statementMs: number,
    work: (client: pg.PoolClient, guard: <U>(p: Promise<U>) => Promise<U>) => Promise<T>,
    /** After an error: roll the transaction back, nothing (it has ended), or a lone statement's check. */
    afterError: () => 'rollback' | 'ended' | 'statement',
  ): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    let expired = false;
    const deadline =
      statementMs === 0
        ? undefined
        : new Promise<never>((_resolve, reject) => {
            timer = setTimeout(() => {
              expired = true;
              reject(new AppError('DATABASE_TIMEOUT', 'The database did not answer in time; retry shortly.', { retryAfter: 2 }));
            }, statementMs + DEADLINE_GRACE_MS);
          });
    deadline?.catch(() => undefined);
    const guard = <U>(p: Promise<U>): Promise<U> => (deadline ? Promise.race([p, deadline]) : p);
    let client: pg.PoolClient;
    try {
      const connecting = this.connect();
      // A connection that arrives after the deadline goes straight back (it is healthy).
      connecting.then((c) => expired && c.release(), () => undefined);
      client = await guard(connecting);
    } catch (err) {
      clearTimeout(timer);
      throw expired ? new AppError('DATABASE_UNAVAILABLE', 'No database connection in time; retry shortly.', { retryAfter: 2, cause: err }) : err;
    }
    let broken: Error | undefined;
    try {
      return await work(client, guard);
    } catch (err) {
      if (expired) {
        // The server may be hung: never reuse this connection, do not wait for a ROLLBACK.
        broken = err instanceof Error ? err : new Error(String(err));
        throw err;
      }
      const after = afterError();
      if (after === 'rollback') {
        try {
          await guard(client.query('ROLLBACK'));
        } catch (rollbackError) {
          // The connection itself failed: make sure the pool discards it.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
      } else if (after === 'statement' && sqlStateOf(err) === undefined) {
        broken = err instanceof Error ? err : new Error(String(err));
      }
      // A connection lost mid-transaction (the server died, a failover cut it) is the database
      // being unavailable, not a fault of ours: 503 + Retry-After. If it was lost during COMMIT
      // the work may have committed; a retry with the same Idempotency-Key then replays it.
      throw fromDatabaseError(err) ?? (broken ? new AppError('DATABASE_UNAVAILABLE', undefined, { retryAfter: 2, cause: err }) : err);
    } finally {
      clearTimeout(timer);
      client.release(broken);
    }
  }

  /**
   * Announces a change (NOTIFY `channel` with `key`) that a transaction of the caller's has
   * committed — for writers that keep NOTIFY out of their transaction, whose commit would
   * otherwise take PostgreSQL's database-wide notification lock and hold it through its WAL
   * flush, one committing transaction after another. Announcements are coalesced: those made
   * while one is on its way go out together, each channel and key once, in one autocommitted
   * statement (a transaction without writes, so the lock is held for no flush). Listeners
   * re-read on a nudge, so one stands for many; a lost one (the database was unreachable)
   * costs freshness only, and `onAnnounceError` hears of it.
   */
  announce(channel: string, key: string): void {
    const keys = this.announcements.get(channel) ?? new Set<string>();
    this.announcements.set(channel, keys.add(key));
    this.announcing ??= this.sendAnnouncements();
  }

  private async sendAnnouncements(): Promise<void> {
    // Whatever else this turn of the event loop announces goes in the same statement.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.announcements.size > 0) {
      const pairs = [...this.announcements].flatMap(([channel, keys]) => [...keys].map((key) => [channel, key] as const));
      this.announcements.clear();
      try {
        await this.statement(prepared('SELECT pg_notify(c, k) FROM unnest($1::text[], $2::text[]) AS n(c, k)'), [
          pairs.map(([channel]) => channel),
          pairs.map(([, key]) => key),
        ]);
      } catch (err) {
        try {
          this.onAnnounceError(err instanceof Error ? err : new Error(String(err)));
        } catch {
          // A failing reporter must not stop the announcements that follow.
        }
      }
    }
    // In the same turn as the last check: an announcement made from now on starts a new round.
    this.announcing = undefined;
  }

  /** Resolves once the announcements made so far have been sent (or reported as not sent). */
  async announced(): Promise<void> {
    while (this.announcing) await this.announcing;
  }

  async close(): Promise<void> {
    await this.announced();
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
    // One round trip: the timeouts are integers checked above; nothing else goes in the text.
    return [`BEGIN${modes.length ? ' ' + modes.join(' ') : ''}`, `SET LOCAL statement_timeout = ${statementMs}`, `SET LOCAL lock_timeout = ${lockMs}`].join('; ');
  }

  /**
   * Transaction-local settings as one statement with bind parameters (values such as a stock
   * note come from clients: they never enter the SQL text). Names are checked against a pattern.
   */
  private settingsQuery(settings: Record<string, string> | undefined): { text: string; values: string[] } | undefined {
    const entries = Object.entries(settings ?? {});
    if (entries.length === 0) return undefined;
    const values: string[] = [];
    const calls = entries.map(([name, value]) => {
      if (!SETTING_NAME.test(name)) throw new TypeError(`invalid setting name ${name}`);
      values.push(name, value);
      return `set_config($${values.length - 1}, $${values.length}, true)`;
    });
    // Marked prepared: the text depends only on how many settings there are.
    return { text: prepared(`SELECT ${calls.join(', ')}`), values };
  }
}

/** Quotes an identifier (schema, table, column, database name) for SQL. */
export const ident = (name: string): string => pg.escapeIdentifier(name);
