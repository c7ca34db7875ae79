// The embedded default's first start: a new cluster gets `comanda tune`'s settings for this
// machine (so the doctor's settings check is ok from the start), pg_stat_statements remembers
// 10,000 statements, and an existing cluster keeps what it has.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCheck } from '../src/core/checks/check.js';
import { settings } from '../src/core/checks/settings.js';
import { Database } from '../src/core/db/database.js';
import { thisMachineConf } from '../src/core/tuning/machine.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/embedded/postgres.js';

const work = await mkdtemp(path.join(tmpdir(), 'comanda-embedded-tuning-'));
await chmod(work, 0o711);
let server: EmbeddedPostgres | undefined;
afterAll(async () => {
  await server?.stop().catch(() => undefined);
  await rm(work, { recursive: true, force: true });
});

describe('the embedded cluster at first start', () => {
  it("starts with tune's advice for this machine: the settings check is ok, pg_stat_statements.max is 10000", async () => {
    // The doctor's check reads COMANDA_TUNE_* when set; this test compares with this machine.
    for (const name of ['COMANDA_TUNE_RAM', 'COMANDA_TUNE_CPUS', 'COMANDA_TUNE_STORAGE']) delete process.env[name];
    const clusterDir = path.join(work, 'cluster');
    const options = { clusterDir, password: randomBytes(12).toString('hex'), logFile: path.join(work, 'postgres.log'), initialConf: () => thisMachineConf({}) };
    server = await startEmbeddedPostgres(options);
    const db = new Database({ connectionString: server.url, poolSize: 2 });
    try {
      const result = await runCheck(db, settings);
      expect(result.status, JSON.stringify(result.rows)).toBe('ok');
      expect(result.summary).toMatch(/^settings match the advice for .* 100 connections/);
      const { rows } = await db.query<{ max: string; shared: string; stats: string }>(
        `SELECT current_setting('pg_stat_statements.max') AS max, current_setting('shared_buffers') AS shared, current_setting('default_statistics_target') AS stats`,
      );
      expect(rows[0]).toMatchObject({ max: '10000', stats: '500' });
    } finally {
      await db.close();
    }
    const conf = await readFile(path.join(clusterDir, 'postgresql.conf'), 'utf8');
    expect(conf).toContain('# comanda tune:');

    // A restart with the cluster in place does not append the advice again.
    await server.stop();
    server = await startEmbeddedPostgres({ ...options, initialConf: () => '# appended twice' });
    expect(await readFile(path.join(clusterDir, 'postgresql.conf'), 'utf8')).toBe(conf);
  });
});
