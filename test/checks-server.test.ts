// Checks that need a server of their own: prepared transactions (max_prepared_transactions is 0
// on the suite's server) and the time since the last checkpoint (WAL written by other test files
// would disturb it). A small embedded cluster, removed afterwards.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../src/core/checks/check.js';
import { checkpointAge } from '../src/core/checks/replication.js';
import { preparedTransactions } from '../src/core/checks/sessions.js';
import { Database } from '../src/core/db/database.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/embedded/postgres.js';
import { sleep } from './helpers/clients.js';

let work: string;
let server: EmbeddedPostgres;
let db: Database;
let admin: pg.Client;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'comanda-checks-server-'));
  await chmod(work, 0o711);
  server = await startEmbeddedPostgres({
    clusterDir: path.join(work, 'cluster'),
    password: randomBytes(12).toString('hex'),
    logFile: path.join(work, 'postgres.log'),
    settings: { max_prepared_transactions: '5', fsync: 'off', checkpoint_timeout: '1h', max_wal_size: '4GB' },
  });
  db = new Database({ connectionString: server.url, poolSize: 2 });
  admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
}, 60_000);

afterAll(async () => {
  await admin?.end().catch(() => undefined);
  await db?.close();
  await server?.stop();
  await rm(work, { recursive: true, force: true });
});

describe('server-level checks', () => {
  it('prepared-transactions flags a forgotten prepared transaction, and clears once it is rolled back', async () => {
    expect((await runCheck(db, preparedTransactions)).status).toBe('ok');
    await admin.query('CREATE TABLE prepared_probe (id int)');
    await admin.query('BEGIN');
    await admin.query('INSERT INTO prepared_probe VALUES (1)');
    await admin.query(`PREPARE TRANSACTION 'forgotten-by-a-coordinator'`);
    await sleep(1_200);
    const found = await runCheck(db, preparedTransactions, { warning: 1, critical: 3600 });
    expect(found.status).toBe('warning');
    expect(found.rows[0]).toMatchObject({ gid: 'forgotten-by-a-coordinator', database: 'comanda' });
    expect(found.advice).toContain('ROLLBACK PREPARED');
    await admin.query(`ROLLBACK PREPARED 'forgotten-by-a-coordinator'`);
    expect((await runCheck(db, preparedTransactions, { warning: 1, critical: 3600 })).status).toBe('ok');
  });

  it('checkpoint-age: WAL written and no checkpoint since is flagged (thresholds lowered); CHECKPOINT clears it', async () => {
    await admin.query('CHECKPOINT');
    // Idle since the checkpoint: fine however old it gets.
    expect((await runCheck(db, checkpointAge, { warning: -1, critical: 1e6 })).status).toBe('ok');
    await admin.query(`CREATE TABLE wal_probe AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 120000) g`);
    const busy = await runCheck(db, checkpointAge, { warning: -1, critical: 1e6 });
    expect(busy.status).toBe('warning');
    expect(Number(busy.rows[0]!.walSinceMb)).toBeGreaterThan(16);
    await admin.query('CHECKPOINT');
    const after = await runCheck(db, checkpointAge, { warning: -1, critical: 1e6 });
    expect(after.status).toBe('ok');
    expect(Number(after.rows[0]!.minutes)).toBeLessThan(1);
  });
});
