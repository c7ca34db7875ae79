// Only one monitor acts at a time: a session advisory lock held on a dedicated connection. It
// must be a direct connection (DATABASE_DIRECT_URL): behind PgBouncer in transaction mode a
// session lock would be taken on whichever server connection the statement happened to get.
// The lock goes away with the connection, so a monitor that dies frees it at once.
import pg from 'pg';

export type LockResult = 'acquired' | 'busy' | 'unreachable';

export class MonitorLock {
  private client: pg.Client | undefined;
  private readonly key: string;
  private readonly applicationName: string;

  /** `name`: which lock (`comanda:monitor`; `comanda:jobs` is the service's periodic jobs, src/core/jobs.ts). */
  constructor(
    private readonly url: string,
    private readonly connectTimeoutMs = 5_000,
    name = 'comanda:monitor',
  ) {
    this.key = `hashtextextended(${pg.escapeLiteral(name)}, 0)`;
    this.applicationName = name.replace(/:/g, '-');
  }

  get held(): boolean {
    return this.client !== undefined;
  }

  /** Takes the lock if free. Never throws: an unreachable database is a result. */
  async tryAcquire(): Promise<LockResult> {
    if (this.client) return 'acquired';
    const client = new pg.Client({ connectionString: this.url, application_name: this.applicationName, connectionTimeoutMillis: this.connectTimeoutMs });
    const lost = () => {
      if (this.client === client) this.client = undefined;
    };
    client.on('error', lost);
    client.on('end', lost);
    try {
      await client.connect();
      const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${this.key}) AS locked`);
      if (rows[0]?.locked) {
        this.client = client;
        return 'acquired';
      }
      await client.end();
      return 'busy';
    } catch {
      await client.end().catch(() => undefined);
      return 'unreachable';
    }
  }

  /** Who holds the lock (for the standby's log), if this role may see it. */
  async holder(): Promise<{ pid: number; applicationName: string; clientAddr: string | null } | undefined> {
    const client = new pg.Client({ connectionString: this.url, application_name: this.applicationName, connectionTimeoutMillis: this.connectTimeoutMs });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ pid: number; application_name: string; client_addr: string | null }>(
        `SELECT l.pid, a.application_name, host(a.client_addr) AS client_addr
           FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND ((l.classid::bigint << 32) | l.objid::bigint) = ${this.key}`,
      );
      const row = rows[0];
      return row ? { pid: row.pid, applicationName: row.application_name, clientAddr: row.client_addr } : undefined;
    } catch {
      return undefined;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    // Ending the session releases the lock; an explicit unlock first is only politeness.
    await client.query(`SELECT pg_advisory_unlock(${this.key})`).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
