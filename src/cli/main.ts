#!/usr/bin/env node
// `comanda`: the command-line shell over the library core.
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { AppError } from '../core/errors.js';
import { MigrationError } from '../core/migrations/runner.js';
import { CliError } from './connect.js';
import { migrateCommand } from './commands/migrate.js';
import { seedCommand } from './commands/seed.js';
import { staffCommand } from './commands/staff.js';
import { reservationCommand } from './commands/reservation.js';
import { emailCommand } from './commands/email.js';
import { customerCommand } from './commands/customer.js';
import { checkCommands } from './commands/checks.js';
import { backupCommands } from './commands/backup.js';
import { monitorCommand } from './commands/monitor.js';
import { tuneCommand } from './commands/tune.js';
import { explainCommand } from './commands/explain.js';
import { diagnoseCommand } from './commands/diagnose.js';
import { actionCommands } from './commands/actions.js';
import { chaosCommand } from './commands/chaos.js';

const program = new Command('comanda')
  .description('Comanda: QR ordering and bookings on PostgreSQL, with its reliability toolkit')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

migrateCommand(program);
staffCommand(program);
seedCommand(program);
reservationCommand(program);
emailCommand(program);
customerCommand(program);
checkCommands(program);
backupCommands(program);
monitorCommand(program);
tuneCommand(program);
explainCommand(program);
diagnoseCommand(program);
actionCommands(program);
chaosCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  const known = err instanceof CliError || err instanceof ConfigError || err instanceof MigrationError || err instanceof AppError;
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`comanda: ${known ? message : `unexpected error: ${message}`}\n`);
  process.exit(err instanceof CliError ? err.exitCode : err instanceof ConfigError ? 2 : 1);
}
