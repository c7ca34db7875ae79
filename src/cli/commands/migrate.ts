import type { Command } from 'commander';
import path from 'node:path';
import { loadConfig } from '../../config.js';
import { defaultMigrationsDir, MigrationRunner } from '../../core/migrations/runner.js';
import { formatFinding, lintDirectory, lintFiles, LintError, readBaseline, type LintReport } from '../../core/migrations/lint.js';
import { resolveTarget, CliError } from '../connect.js';
import { printJson, printTable } from '../output.js';
import { planMigrations, PlanError, type PlanResult } from '../../core/migrations/plan.js';
import { BackupError } from '../../core/backup/pg-tools.js';
import { MigrationError } from '../../core/migrations/runner.js';
import { COMMAND_EXIT_CODES } from '../exit-codes.js';

const positiveInt = (value: string, what: string): number => {
  if (!/^\d+$/.test(value)) throw new CliError(`${what} must be a whole number, got "${value}"`, COMMAND_EXIT_CODES.usage);
  return Number(value);
};

async function runner(dir?: string): Promise<MigrationRunner> {
  const target = await resolveTarget();
  return new MigrationRunner({
    connectionString: target.directUrl,
    dir,
    lockTimeoutMs: target.config.timeouts.migrationLockMs,
    log: (message) => process.stderr.write(`${message}\n`),
  });
}

const label = (m: { version: number; name: string }) => `${String(m.version).padStart(4, '0')}_${m.name}`;

const lintFailure = (err: unknown): never => {
  if (err instanceof LintError) throw new CliError(err.message, COMMAND_EXIT_CODES.usage);
  throw err;
};

export function migrateCommand(program: Command): void {
  const migrate = program.command('migrate').description('apply, revert and inspect schema migrations');

  migrate
    .command('status')
    .description('list migrations: applied, pending, changed since applied, or unknown to this code')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const rows = await (await runner()).status();
      if (options.json) return printJson({ migrations: rows });
      printTable(rows, ['version', 'name', 'state', 'appliedAt']);
      const pending = rows.filter((r) => r.state === 'pending').length;
      process.stdout.write(pending ? `${pending} pending: run \`comanda migrate up\`\n` : 'up to date\n');
      if (rows.some((r) => r.state === 'changed' || r.state === 'unknown')) process.exitCode = 1;
    });

  migrate
    .command('up')
    .description('apply pending migrations (all, or N); each must pass `comanda migrate lint` first')
    .argument('[steps]', 'how many to apply')
    .option('--force', 'apply migrations that fail the lint (their findings are still printed)')
    .option('--dir <dir>', 'migrations directory (default: the shipped migrations)')
    .action(async (steps: string | undefined, options: { force?: boolean; dir?: string }) => {
      const r = await runner(options.dir);
      const count = steps === undefined ? Infinity : positiveInt(steps, 'steps');
      const dir = options.dir ?? defaultMigrationsDir;
      const pending = (await r.status()).filter((row) => row.state === 'pending').slice(0, count);
      const files = pending.flatMap((m) => {
        const base = path.join(dir, `${String(m.version).padStart(4, '0')}_${m.name}`);
        return [`${base}.sql`, `${base}.down.sql`];
      });
      const report = await lintFiles(files, { baseline: await readBaseline(dir) }).catch(lintFailure);
      if (report.findings.length > 0) {
        process.stderr.write(`${report.findings.map(formatFinding).join('\n')}\n`);
        if (!options.force) {
          throw new CliError(
            `${report.findings.length} lint finding${report.findings.length > 1 ? 's' : ''} in the pending migrations: nothing applied. ` +
              'Fix them, accept a justified one with `-- comanda:lint-ignore RULE reason`, or apply anyway with --force.',
            COMMAND_EXIT_CODES.failed,
          );
        }
        process.stderr.write(`--force: applying despite ${report.findings.length} lint finding(s)\n`);
      }
      const applied = await r.up(count);
      process.stdout.write(applied.length ? `applied ${applied.join(', ')}\n` : 'nothing to apply\n');
    });

  migrate
    .command('lint')
    .description('lint migrations (default: every shipped one newer than the baseline): squawk\'s rules and Comanda\'s; exit 0 clean, 1 findings, 2 usage error')
    .argument('[files...]', 'migration files (NNNN_name.sql or NNNN_name.down.sql)')
    .option('--dir <dir>', 'lint every migration of this directory (default: the shipped migrations)')
    .option('--no-baseline', 'also lint the migrations listed in lint-baseline.json')
    .option('--json', 'print JSON')
    .action(async (files: string[], options: { dir?: string; baseline: boolean; json?: boolean }) => {
      if (files.length > 0 && options.dir) throw new CliError('give files or --dir, not both', COMMAND_EXIT_CODES.usage);
      const report: LintReport = await (
        files.length > 0
          ? lintFiles(files, options.baseline ? {} : { baseline: null })
          : lintDirectory(options.dir ?? defaultMigrationsDir, options.baseline ? {} : { baseline: null })
      ).catch(lintFailure);
      if (report.findings.length > 0) process.exitCode = 1;
      if (options.json) return printJson({ ok: report.findings.length === 0, ...report });
      for (const f of report.findings) process.stdout.write(`${formatFinding(f)}\n`);
      for (const f of report.ignored) process.stderr.write(`${f.file}:${f.line} ${f.rule} accepted: ${f.ignored}\n`);
      const linted = report.files.filter((f) => f.state === 'linted').length;
      const baselined = report.files.length - linted;
      process.stderr.write(
        `${linted} file${linted === 1 ? '' : 's'} linted${baselined ? `, ${baselined} in the baseline skipped` : ''}: ` +
          `${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}${report.ignored.length ? `, ${report.ignored.length} accepted by lint-ignore` : ''}\n`,
      );
    });

  migrate
    .command('plan')
    .description('dry run: restore the newest verified backup (or --from-backup FILE) into a scratch database, apply the pending migrations there and report each one\'s duration, strongest lock, table rewrites and rows touched; the scratch database is dropped')
    .option('--from-backup <file>', 'the backup to restore (default: the newest verified one in COMANDA_BACKUP_DIR)')
    .option('--backup-dir <dir>', 'where to find the newest verified backup (default COMANDA_BACKUP_DIR)')
    .option('--scratch-url <url>', 'a database URL on a server where its role may CREATE DATABASE (default: the database server itself)')
    .option('--dir <dir>', 'migrations directory (default: the shipped migrations)')
    .option('--json', 'print JSON')
    .action(async (options: { fromBackup?: string; backupDir?: string; scratchUrl?: string; dir?: string; json?: boolean }) => {
      const target = options.scratchUrl ? undefined : await resolveTarget();
      const config = target?.config ?? loadConfig();
      let result: PlanResult;
      try {
        result = await planMigrations({
          file: options.fromBackup,
          backupDir: options.backupDir ?? config.backup.dir,
          url: target?.directUrl,
          scratchUrl: options.scratchUrl,
          dir: options.dir,
          pgBinDir: config.backup.pgBinDir,
          lockTimeoutMs: config.timeouts.migrationLockMs,
          onProgress: (message) => {
            if (process.stderr.isTTY) process.stderr.write(`${message}\n`);
          },
        });
      } catch (err) {
        if (err instanceof PlanError || err instanceof BackupError || err instanceof MigrationError) throw new CliError(err.message, COMMAND_EXIT_CODES.failed);
        throw err;
      }
      if (!result.ok) process.exitCode = 1;
      if (options.json) return printJson(result);
      process.stdout.write(`backup ${result.backup}${result.backupCreatedAt ? ` (${result.backupCreatedAt})` : ''}: restored in ${result.restoreMs} ms, ${result.appliedBefore} migrations already applied\n`);
      printTable(
        result.migrations.map((m) => ({
          migration: label(m),
          result: m.ok ? 'ok' : 'FAILED',
          ms: m.durationMs,
          lock: m.strongestLock?.mode ?? '-',
          on: m.strongestLock?.relations.join(', ') ?? '-',
          rewrites: m.rewrites.map((r) => `${r.relation} (${r.sizeBytes} B)`).join(', ') || '-',
          rows: m.rowsTouched,
        })),
        ['migration', 'result', 'ms', 'lock', 'on', 'rewrites', 'rows'],
      );
      for (const m of result.migrations) {
        if (m.strongestLock) process.stdout.write(`${label(m)}: ${m.strongestLock.mode} blocks ${m.strongestLock.blocks}\n`);
        if (m.error) process.stdout.write(`${label(m)} failed on the copy: ${m.error}\n`);
      }
      for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
    });

  migrate
    .command('down')
    .description('revert the last N applied migrations (default 1), or all newer than --to VERSION')
    .argument('[steps]', 'how many to revert')
    .option('--to <version>', 'revert every migration newer than this version (0 for all)')
    .action(async (steps: string | undefined, options: { to?: string }) => {
      if (steps !== undefined && options.to !== undefined) throw new CliError('give either a number of steps or --to, not both', COMMAND_EXIT_CODES.usage);
      const r = await runner();
      const reverted =
        options.to !== undefined ? await r.downTo(positiveInt(options.to, '--to')) : await r.down(steps === undefined ? 1 : positiveInt(steps, 'steps'));
      process.stdout.write(reverted.length ? `reverted ${reverted.join(', ')}\n` : 'nothing to revert\n');
    });
}
