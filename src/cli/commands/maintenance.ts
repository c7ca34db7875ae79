// `comanda maintenance start --for 30m --reason …` / `status` / `end`: a window during which the
// monitor holds back its alerts (recorded, not delivered), ending by itself.
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { activeMaintenance, endMaintenance, MaintenanceInputError, recentMaintenance, startMaintenance } from '../../core/monitor/maintenance.js';
import { CliError, withDatabase } from '../connect.js';
import { durationFlag } from '../flags.js';
import { printJson, printTable } from '../output.js';
import { COMMAND_EXIT_CODES } from '../exit-codes.js';

const osUser = (): string | null => {
  try {
    return userInfo().username;
  } catch {
    return null;
  }
};

/** The monitor's tables may be missing on a database not migrated yet: say what to do. */
function explain(err: unknown): never {
  if (err instanceof MaintenanceInputError) throw new CliError(err.message, COMMAND_EXIT_CODES.usage);
  if ((err as { code?: string }).code === '42P01') throw new CliError('the maintenance table is missing (migration 0017): run `comanda migrate up`');
  throw err;
}

export function maintenanceCommand(program: Command): void {
  const maintenance = program.command('maintenance').description("maintenance windows: the monitor's alerts are held back (recorded, not sent) until the window ends");

  maintenance
    .command('start')
    .description('start a window now; it ends by itself after --for (a window already on is replaced)')
    .requiredOption('--for <duration>', 'how long, e.g. 30m or 2h (1m to 24h)')
    .requiredOption('--reason <text>', 'what the maintenance is; shown in every alert held back')
    .option('--json', 'print JSON')
    .action(async (options: { for: string; reason: string; json?: boolean }) => {
      const durationMs = durationFlag(options.for, '--for', COMMAND_EXIT_CODES.usage);
      const result = await withDatabase((db) => startMaintenance(db, { durationMs, reason: options.reason, osUser: osUser() })).catch(explain);
      if (options.json) return printJson(result);
      if (result.replaced) process.stdout.write(`ended the window that was on (until ${result.replaced.endsAt.toISOString()}: ${result.replaced.reason})\n`);
      process.stdout.write(`maintenance window ${result.window.id} on until ${result.window.endsAt.toISOString()}: the monitor's alerts are held back (recorded); \`comanda maintenance end\` ends it sooner\n`);
    });

  maintenance
    .command('status')
    .description('the window on now, if any, and the latest ones')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { active, recent } = await withDatabase(async (db) => ({ active: await activeMaintenance(db), recent: await recentMaintenance(db, 10) })).catch(explain);
      if (options.json) return printJson({ active: active ?? null, recent });
      process.stdout.write(active ? `ON until ${active.endsAt.toISOString()}: ${active.reason} (started by ${active.osUser ?? active.dbRole})\n` : 'no maintenance window is on: alerts are delivered\n');
      if (recent.length) {
        process.stdout.write('\nlatest windows:\n');
        printTable(recent, ['id', 'startedAt', 'endsAt', 'endedAt', 'reason', 'osUser']);
      }
    });

  maintenance
    .command('end')
    .description('end the window on now; alerts are delivered again from the next monitor run')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const ended = await withDatabase((db) => endMaintenance(db, { osUser: osUser() })).catch(explain);
      if (options.json) return printJson({ ended: ended ?? null });
      process.stdout.write(ended ? `ended maintenance window ${ended.id} (${ended.reason})\n` : 'no maintenance window was on\n');
    });
}
