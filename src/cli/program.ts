// The `comanda` command tree, built apart from running it so that tests can read it (every
// command the docs mention must exist in it).
import { Command } from 'commander';
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
import { maintenanceCommand } from './commands/maintenance.js';
import { historyCommands } from './commands/history.js';

export function buildProgram(): Command {
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
  maintenanceCommand(program);
  historyCommands(program);
  return program;
}
