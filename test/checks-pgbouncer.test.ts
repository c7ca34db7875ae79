// The pgbouncer-pools check against a real PgBouncer (transaction mode, a pool of one server
// connection): a transaction held open makes the next client wait; SHOW POOLS on the admin
// console shows it waiting and for how long; once the transaction ends, the wait clears.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCheck } from '../src/core/checks/check.js';
import { pgbouncerPools, pgbouncerPoolsCheck } from '../src/core/checks/sessions.js';
import { useClients, sleep } from './helpers/clients.js';
import { useTestDatabase } from './helpers/db.js';
import { startPgBouncer, type PgBouncer } from './helpers/pgbouncer.js';
import { describeWith, tool } from './helpers/tools.js';

const pgbouncer = tool('pgbouncer', 'pgbouncer', { candidates: ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'] });

describeWith([pgbouncer], 'pgbouncer-pools', () => {
  let bouncer: PgBouncer;
  let db: Awaited<ReturnType<typeof useTestDatabase>>['db'];
  let url: string;
  const client = useClients();
  beforeAll(async () => {
    ({ db, url } = await useTestDatabase());
    bouncer = await startPgBouncer(url, { poolSize: 1 });
  });
  afterAll(async () => {
    await bouncer?.stop();
  });

  it('is ok and says so when no PgBouncer is configured', async () => {
    const result = await runCheck(db, pgbouncerPoolsCheck({ adminUrl: () => undefined }));
    expect(result).toMatchObject({ status: 'ok', summary: 'no PgBouncer configured (PGBOUNCER_ADMIN_URL is not set)' });
    expect(pgbouncerPools.name).toBe('pgbouncer-pools');
  });

  it('flags clients waiting for a server connection, and clears when the pool frees', async () => {
    const check = pgbouncerPoolsCheck({ adminUrl: () => bouncer.adminUrl });
    const holder = await client(bouncer.via(url));
    await holder.query('BEGIN');
    await holder.query('SELECT 1');
    const waiter = await client(bouncer.via(url));
    const waiting = waiter.query('SELECT 2 AS waited');
    await sleep(1_500);
    const busy = await runCheck(db, check, { warning: 1, critical: 60 });
    expect(busy.status, busy.summary).toBe('warning');
    const pool = busy.rows.find((r) => r.clientsWaiting === 1)!;
    expect(pool).toBeDefined();
    expect(Number(pool.maxWaitSeconds)).toBeGreaterThanOrEqual(1);
    expect(busy.summary).toMatch(/1 client waiting/);
    await holder.query('COMMIT');
    expect((await waiting).rows).toEqual([{ waited: 2 }]);
    const clear = await runCheck(db, check, { warning: 1, critical: 60 });
    expect(clear.status).toBe('ok');
    expect(clear.rows.reduce((s, r) => s + Number(r.clientsWaiting), 0)).toBe(0);
  });

  it('is unknown with the reason when the admin console cannot be reached', async () => {
    const wrong = new URL(bouncer.adminUrl);
    wrong.port = '1';
    const result = await runCheck(db, pgbouncerPoolsCheck({ adminUrl: () => wrong.toString() }));
    expect(result.status).toBe('unknown');
    expect(result.summary).toMatch(/could not run/);
  });
});
