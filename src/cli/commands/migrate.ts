import type { Command } from 'commander';
import { MigrationRunner } from '../../core/migrations/runner.js';
import { resolveTarget, CliError } from '../connect.js';
import { printJson, printTable } from '../output.js';

const positiveInt = (value: string, what: string): number => {
  if (!/^\d+$/.test(value)) throw new CliError(`${what} must be a whole number, got "${value}"`, 2);
  return Number(value);
};

async function runner(): Promise<MigrationRunner> {
  const target = await resolveTarget();
  return new MigrationRunner({
    connectionString: target.directUrl,
    lockTimeoutMs: target.config.timeouts.migrationLockMs,
    log: (message) => process.stderr.write(`${message}\n`),
  });
}

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
    .description('apply pending migrations (all, or N)')
    .argument('[steps]', 'how many to apply')
    .action(async (steps?: string) => {
      const applied = await (await runner()).up(steps === undefined ? Infinity : positiveInt(steps, 'steps'));
      process.stdout.write(applied.length ? `applied ${applied.join(', ')}\n` : 'nothing to apply\n');
    });

  migrate
    .command('down')
    .description('revert the last N applied migrations (default 1), or all newer than --to VERSION')
    .argument('[steps]', 'how many to revert')
    .option('--to <version>', 'revert every migration newer than this version (0 for all)')
    .action(async (steps: string | undefined, options: { to?: string }) => {
      if (steps !== undefined && options.to !== undefined) throw new CliError('give either a number of steps or --to, not both', 2);
      const r = await runner();
      const reverted =
        options.to !== undefined ? await r.downTo(positiveInt(options.to, '--to')) : await r.down(steps === undefined ? 1 : positiveInt(steps, 'steps'));
      process.stdout.write(reverted.length ? `reverted ${reverted.join(', ')}\n` : 'nothing to revert\n');
    });
}
