// `comanda tune` (the reference configuration of docs/design.md#tuning as a recommendation engine) and the doctor's settings check,
// which compares a live server with that advice. Server settings cannot be changed on the suite's
// shared server, so the check is cleared on a cluster of its own, started with tune's settings.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../src/core/checks/check.js';
import { allChecks } from '../src/core/checks/registry.js';
import { deviations, isLocalAddress, resolveMachine, settingsCheck } from '../src/core/checks/settings.js';
import { Database } from '../src/core/db/database.js';
import { recommend, toAlterSystem, toConf, TuneInputError, validateMachine, type Machine } from '../src/core/tuning/index.js';
import { machineFromEnv, parseCpus, parseRam } from '../src/core/tuning/machine.js';
import { parseSize, settingValue } from '../src/core/tuning/units.js';
import { startEmbeddedPostgres } from '../src/embedded/postgres.js';
import { useTestDatabase } from './helpers/db.js';
import { runCliSync } from './helpers/cli.js';

const GB = 1024 ** 3;
const MB = 1024 ** 2;
const reference: Machine = { ramBytes: 32 * GB, cpus: 8, storage: 'ssd', connections: 200 };
const valueOf = (machine: Machine) => Object.fromEntries(recommend(machine).map((s) => [s.name, s.value]));

const cli = (args: string[], env: Record<string, string> = {}) => runCliSync(args, env);

describe('tune: the recommendation engine', () => {
  it('reproduces every value of the reference configuration for a 32 GB / 8 CPU / SSD / 200-connection machine', () => {
    // The reference postgresql.conf block (docs/design.md#tuning), as written there.
    const planned: Record<string, string> = {
      shared_buffers: '8GB',
      effective_cache_size: '24GB',
      maintenance_work_mem: '2GB',
      work_mem: '64MB',
      checkpoint_completion_target: '0.9',
      wal_buffers: '16MB',
      checkpoint_timeout: '15min',
      default_statistics_target: '500',
      random_page_cost: '1.1',
      max_connections: '200',
      log_min_duration_statement: '1000',
      log_line_prefix: '%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ',
      log_checkpoints: 'on',
      log_connections: 'on',
      log_disconnections: 'on',
      log_lock_waits: 'on',
      log_temp_files: '0',
      autovacuum_max_workers: '4',
      autovacuum_naptime: '30s',
      autovacuum_vacuum_threshold: '50',
      autovacuum_analyze_threshold: '50',
    };
    const values = valueOf(reference);
    for (const [name, value] of Object.entries(planned)) expect(values[name], name).toBe(value);
    for (const s of recommend(reference)) {
      expect(s.reason.length, s.name).toBeGreaterThan(10);
      expect(s.reason, s.name).not.toContain('\n');
    }
  });

  it('scales for a small machine on spinning disks', () => {
    const small = valueOf({ ramBytes: 4 * GB, cpus: 2, storage: 'hdd', connections: 100 });
    expect(small).toMatchObject({
      shared_buffers: '1GB',
      effective_cache_size: '3GB',
      maintenance_work_mem: '256MB',
      work_mem: '16MB', // (4GB − 1GB) / 200 = 15.4MB
      wal_buffers: '16MB',
      max_wal_size: '2GB',
      random_page_cost: '4',
      effective_io_concurrency: '2',
      max_connections: '100',
      max_parallel_workers: '2',
      max_parallel_workers_per_gather: '1',
      autovacuum_max_workers: '3',
    });
    const tiny = valueOf({ ramBytes: 512 * MB, cpus: 1, storage: 'ssd', connections: 50 });
    expect(tiny).toMatchObject({ shared_buffers: '128MB', work_mem: '4MB', wal_buffers: '4MB', max_parallel_workers_per_gather: '0' });
    const big = valueOf({ ramBytes: 256 * GB, cpus: 64, storage: 'ssd', connections: 400 });
    expect(big).toMatchObject({ shared_buffers: '64GB', maintenance_work_mem: '2GB', max_parallel_workers_per_gather: '4', autovacuum_max_workers: '8' });
  });

  it('refuses impossible machines with what it accepts', () => {
    expect(() => parseRam('banana')).toThrow(/--ram must be a size with a unit, e.g. 32GB/);
    expect(() => parseRam('32')).toThrow(TuneInputError);
    expect(parseRam('32GB')).toBe(32 * GB);
    expect(parseRam('4 gib')).toBe(4 * GB);
    expect(parseRam('1.5GB')).toBe(1.5 * GB);
    expect(() => parseCpus('0')).toThrow(/at least 1/);
    expect(() => parseCpus('2.5')).toThrow(TuneInputError);
    expect(() => validateMachine({ ...reference, ramBytes: 100 * MB })).toThrow(/between 256MB and 64TB/);
    expect(() => validateMachine({ ...reference, connections: 0 })).toThrow(/connections/);
    expect(() => machineFromEnv({ COMANDA_TUNE_RAM: 'lots' })).toThrow(/COMANDA_TUNE_RAM/);
    expect(machineFromEnv({ COMANDA_TUNE_RAM: '16GB', COMANDA_TUNE_CPUS: '4', COMANDA_TUNE_STORAGE: 'hdd' })).toEqual({ ramBytes: 16 * GB, cpus: 4, storage: 'hdd' });
  });

  it('prints postgresql.conf lines and ALTER SYSTEM statements', () => {
    const settings = recommend(reference);
    const conf = toConf(reference, settings);
    expect(conf).toMatch(/^shared_buffers = 8GB +# \(restart\) 25 %/m);
    expect(conf).toContain(`log_line_prefix = '%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h '`);
    const sql = toAlterSystem(reference, settings);
    expect(sql).toContain(`ALTER SYSTEM SET work_mem = '64MB';`);
    expect(sql).toContain(`ALTER SYSTEM SET shared_buffers = '8GB'; -- needs a restart`);
    expect(sql.trim().endsWith('SELECT pg_reload_conf();')).toBe(true);
  });

  it('reads settings the way PostgreSQL does', () => {
    expect(parseSize('8GB')).toBe(8 * GB);
    expect(settingValue('16384', '8kB')).toBe(128 * MB); // shared_buffers in pages
    expect(settingValue('8GB', '8kB')).toBe(8 * GB);
    expect(settingValue('300', 's')).toBe(300_000);
    expect(settingValue('15min', 's')).toBe(900_000);
    expect(settingValue('-1', 'ms')).toBe(-1);
    expect(settingValue('on', null)).toBeUndefined();
  });
});

describe('comanda tune', () => {
  it('prints the table, JSON, conf and SQL for the reference machine', () => {
    const table = cli(['tune', '--ram', '32GB', '--cpus', '8', '--storage', 'ssd', '--connections', '200']);
    expect(table.status).toBe(0);
    expect(table.stdout).toContain('Settings for 32GB RAM, 8 CPUs, ssd, 200 connections');
    expect(table.stdout).toMatch(/^shared_buffers +8GB +yes +25 %/m);
    const json = cli(['tune', '--ram', '32GB', '--cpus', '8', '--connections', '200', '--json']);
    expect(json.status).toBe(0);
    const parsed = JSON.parse(json.stdout) as { machine: { ram: string }; settings: Array<{ name: string; value: string; reason: string }> };
    expect(parsed.machine.ram).toBe('32GB');
    expect(parsed.settings.find((s) => s.name === 'effective_cache_size')?.value).toBe('24GB');
    const conf = cli(['tune', '--ram', '4GB', '--cpus', '2', '--storage', 'hdd', '--format', 'conf']);
    expect(conf.stdout).toMatch(/^random_page_cost = 4 /m);
    const sql = cli(['tune', '--ram', '4GB', '--cpus', '2', '--format', 'sql']);
    expect(sql.stdout).toContain(`ALTER SYSTEM SET shared_buffers = '1GB';`);
  });

  it('refuses bad input with a message and exit code 2', () => {
    const banana = cli(['tune', '--ram', 'banana', '--cpus', '8']);
    expect(banana.status).toBe(2);
    expect(banana.stderr).toContain('--ram must be a size with a unit, e.g. 32GB');
    const zero = cli(['tune', '--ram', '32GB', '--cpus', '0']);
    expect(zero.status).toBe(2);
    expect(zero.stderr).toContain('--cpus must be a whole number');
    expect(cli(['tune', '--ram', '32GB', '--cpus', '8', '--storage', 'nvme']).status).toBe(2);
    expect(cli(['tune', '--ram', '32GB', '--cpus', '8', '--format', 'yaml']).status).toBe(2);
    expect(cli(['tune', '--ram', '32GB', '--cpus', '8', '--connections', 'many']).status).toBe(2);
  });
});

describe('the settings check', () => {
  it('knows the machine only from COMANDA_TUNE_* or when the server is local', () => {
    expect(isLocalAddress(null)).toBe(true);
    expect(isLocalAddress('127.0.0.1/32')).toBe(true);
    expect(isLocalAddress('::1/128')).toBe(true);
    expect(isLocalAddress('10.0.0.5/32')).toBe(false);
    expect(resolveMachine({}, '10.0.0.5/32', 100)).toBeUndefined();
    expect(resolveMachine({ ramBytes: 32 * GB, cpus: 8 }, '10.0.0.5/32', 200)).toEqual({
      machine: reference,
      source: 'COMANDA_TUNE_*',
    });
    expect(resolveMachine({ storage: 'hdd' }, null, 100)?.machine.storage).toBe('hdd');
  });

  it('flags only meaningful deviations', () => {
    const advice = recommend(reference);
    const live = (name: string, setting: string, unit: string | null) => ({ name, setting, unit, shown: setting });
    const found = deviations(advice, [
      live('shared_buffers', String((6 * GB) / 8192), '8kB'), // 6GB of 8GB: close enough
      live('work_mem', '4096', 'kB'), // 4MB of 64MB: too low
      live('log_min_duration_statement', '-1', 'ms'), // disabled
      live('log_connections', 'off', null), // advice only, never flagged
      live('autovacuum', 'off', null),
      live('random_page_cost', '4', null),
      live('checkpoint_completion_target', '0.9', null),
    ]);
    expect(found.map((d) => [d.setting, d.problem])).toEqual([
      ['work_mem', 'too low'],
      ['random_page_cost', 'too high'],
      ['log_min_duration_statement', 'disabled'],
      ['autovacuum', 'different'],
    ]);
    expect(deviations(advice, [live('work_mem', String(1024 * 1024), 'kB')])[0]).toMatchObject({ problem: 'too high', recommended: '64MB' });
  });

  it('flags a default server against the advice for a 32 GB machine (a warning, never critical)', async () => {
    const { db } = await useTestDatabase();
    const flagged = await runCheck(db, settingsCheck({ machine: { ramBytes: 32 * GB, cpus: 8, storage: 'ssd' } }));
    expect(flagged.status).toBe('warning');
    expect(flagged.summary).toMatch(/^\d+ settings? off the advice for 32GB RAM, 8 CPUs, ssd/);
    expect(flagged.rows).toContainEqual(expect.objectContaining({ setting: 'shared_buffers', problem: 'too low', recommended: '8GB' }));
    expect(flagged.advice).toContain('comanda tune --ram 32GB --cpus 8 --storage ssd');
    expect(allChecks.map((c) => c.name)).toContain('settings');
  });

  it('reads COMANDA_TUNE_* through the CLI, and a bad value stops it with the variable named', async () => {
    const { url } = await useTestDatabase();
    const run = cli(['check', 'settings', '--json'], { DATABASE_URL: url, COMANDA_TUNE_RAM: '64GB', COMANDA_TUNE_CPUS: '16' });
    const report = JSON.parse(run.stdout) as { checks: Array<{ name: string; status: string; summary: string }> };
    expect(report.checks[0]).toMatchObject({ name: 'settings', status: 'warning' });
    expect(report.checks[0]!.summary).toContain('64GB RAM, 16 CPUs');
    expect(run.status).toBe(1);
    const bad = cli(['check', 'settings'], { DATABASE_URL: url, COMANDA_TUNE_RAM: 'banana' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('COMANDA_TUNE_RAM');
  });

  it("clears on a server running tune's settings, and flags a setting changed away from them", async () => {
    const machine: Machine = { ramBytes: 1 * GB, cpus: 2, storage: 'ssd', connections: 20 };
    // All of tune's settings on the command line but log_lock_waits, left at its default (off):
    // command-line settings outrank ALTER SYSTEM, which must be able to fix that one below.
    const settings = Object.fromEntries(recommend(machine).filter((s) => s.name !== 'log_lock_waits').map((s) => [s.name, s.value]));
    const root = await mkdtemp(path.join(tmpdir(), 'comanda-tune-'));
    await chmod(root, 0o711);
    // Every other recommended value is accepted by a real PostgreSQL 15 at start.
    const cluster = await startEmbeddedPostgres({
      clusterDir: path.join(root, 'c'),
      password: randomBytes(8).toString('hex'),
      settings,
    });
    const own = new Database({ connectionString: cluster.url, poolSize: 2 });
    const check = settingsCheck({ machine: { ramBytes: machine.ramBytes, cpus: machine.cpus, storage: machine.storage } });
    try {
      const flagged = await runCheck(own, check);
      expect(flagged.status).toBe('warning');
      expect(flagged.rows).toEqual([expect.objectContaining({ setting: 'log_lock_waits', current: 'off', recommended: 'on', problem: 'different' })]);
      const admin = new pg.Client({ connectionString: cluster.adminUrl });
      await admin.connect();
      try {
        await admin.query('ALTER SYSTEM SET log_lock_waits = on');
        await admin.query('SELECT pg_reload_conf()');
        // The reload is asynchronous: wait until a new session sees it.
        for (let i = 0; i < 50 && (await own.query<{ v: string }>(`SELECT current_setting('log_lock_waits') AS v`)).rows[0]!.v !== 'on'; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      } finally {
        await admin.end();
      }
      const cleared = await runCheck(own, check);
      expect(cleared.rows).toEqual([]);
      expect(cleared.status).toBe('ok');
      expect(cleared.summary).toBe('settings match the advice for 1GB RAM, 2 CPUs, ssd, 20 connections (the machine given)');
    } finally {
      await own.close();
      await cluster.stop();
      await rm(root, { recursive: true, force: true });
    }
  });
});
