// PgBouncer's pools (SHOW POOLS on its admin console), when PGBOUNCER_ADMIN_URL names it: clients
// waiting for a server connection and how long the longest has waited (maxwait). Waiting clients
// mean the pool is too small for the load, or server connections are held too long. Without the
// URL the check is ok and says it is not configured (PgBouncer is optional).
import pg from 'pg';
import type { Check } from './check.js';
import { grade, num } from './check.js';

export interface PoolRow {
  database: string;
  user: string;
  clientsActive: number;
  clientsWaiting: number;
  serversActive: number;
  serversIdle: number;
  maxWaitSeconds: number;
  mode: string;
}

/** SHOW POOLS on PgBouncer's admin console (simple query protocol, as the console requires). */
export async function showPools(adminUrl: string, timeoutMs = 5_000): Promise<PoolRow[]> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, string>>('SHOW POOLS');
    return rows
      .filter((r) => r.database !== 'pgbouncer')
      .map((r) => ({
        database: r.database ?? '',
        user: r.user ?? '',
        clientsActive: num(r.cl_active),
        clientsWaiting: num(r.cl_waiting),
        serversActive: num(r.sv_active),
        serversIdle: num(r.sv_idle),
        maxWaitSeconds: num(r.maxwait) + num(r.maxwait_us) / 1e6,
        mode: r.pool_mode ?? '',
      }));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The check, against `adminUrl` (default: PGBOUNCER_ADMIN_URL, validated by src/config.ts). */
export function pgbouncerPoolsCheck(options: { adminUrl?: () => string | undefined } = {}): Check {
  const urlOf = options.adminUrl ?? (() => process.env.PGBOUNCER_ADMIN_URL || undefined);
  return {
    name: 'pgbouncer-pools',
    description: "PgBouncer's pools (SHOW POOLS, when PGBOUNCER_ADMIN_URL is set): clients waiting for a server connection and the longest wait",
    unit: 'seconds the longest client has waited',
    defaults: { warning: 1, critical: 5 },
    async run(_tx, t) {
      const url = urlOf();
      if (!url) return { status: 'ok', summary: 'no PgBouncer configured (PGBOUNCER_ADMIN_URL is not set)', rows: [] };
      const pools = await showPools(url);
      const waiting = pools.reduce((s, p) => s + p.clientsWaiting, 0);
      const longest = Math.max(0, ...pools.map((p) => p.maxWaitSeconds));
      const rounded = Math.round(longest * 1000) / 1000;
      return {
        status: grade(rounded, t),
        summary: `${pools.length} pool${pools.length === 1 ? '' : 's'}, ${waiting} client${waiting === 1 ? '' : 's'} waiting, longest wait ${rounded} s`,
        rows: pools.map((p) => ({ ...p, maxWaitSeconds: Math.round(p.maxWaitSeconds * 1000) / 1000 })),
        advice:
          'clients queue for a server connection: raise default_pool_size (within max_connections), look for transactions held open (comanda check oldest-transaction, idle-in-transaction), or slow statements (comanda queries)',
      };
    },
  };
}

export const pgbouncerPools = pgbouncerPoolsCheck();
