import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { applyDataRetention, eraseCustomer, exportCustomer, findCustomers } from '../../core/customers/gdpr.js';
import type { Database } from '../../core/db/database.js';
import { DATA_RETENTION_MAX_DAYS, DATA_RETENTION_MIN_DAYS, loadConfig } from '../../config.js';
import { resolveRestaurant } from '../../core/restaurants.js';
import { CliError, withDatabase } from '../connect.js';
import { integerFlag } from '../flags.js';
import { printJson, printTable } from '../output.js';
import { COMMAND_EXIT_CODES } from '../exit-codes.js';

async function restaurantOf(db: Database, customerId: string): Promise<string> {
  const { rows } = await db.query<{ restaurantId: string }>('SELECT "restaurantId" FROM restaurante.customers WHERE id = $1', [customerId]);
  if (!rows[0]) throw new CliError(`no customer ${customerId}; find one with \`comanda customer find --email ADDRESS\``);
  return rows[0].restaurantId;
}

export function customerCommand(program: Command): void {
  const customer = program.command('customer').description('customers and their personal data (GDPR)');

  customer
    .command('find')
    .description('find customers by e-mail address')
    .requiredOption('--email <address>', 'e-mail address')
    .option('--restaurant <id>', 'restaurant id (default: the only restaurant)')
    .option('--json', 'print JSON')
    .action(async (options: { email: string; restaurant?: string; json?: boolean }) => {
      await withDatabase(async (db) => {
        const found = await findCustomers(db, (await resolveRestaurant(db, options.restaurant)).id, options.email);
        if (options.json) return printJson({ customers: found });
        printTable(found, ['id', 'name', 'email', 'phone', 'createdAt', 'anonymizedAt']);
      });
    });

  customer
    .command('export')
    .description('all personal data held about a customer, as JSON (recorded in the audit log)')
    .argument('<id>', 'customer id')
    .option('--out <file>', 'write to this file (mode 0600) instead of stdout')
    .action(async (id: string, options: { out?: string }) => {
      await withDatabase(async (db) => {
        const data = await exportCustomer(db, await restaurantOf(db, id), id, 'cli');
        if (!options.out) return printJson(data);
        await writeFile(options.out, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
        process.stderr.write(`wrote ${options.out}\n`);
      });
    });

  customer
    .command('erase')
    .description("erase a customer's personal data (anonymised everywhere; financial records kept)")
    .argument('<id>', 'customer id')
    .option('--yes', 'do it (without --yes, only says what it would do)')
    .action(async (id: string, options: { yes?: boolean }) => {
      await withDatabase(async (db) => {
        const restaurantId = await restaurantOf(db, id);
        if (!options.yes) {
          throw new CliError(`this anonymises customer ${id} of ${restaurantId} everywhere and cannot be undone; run again with --yes`, COMMAND_EXIT_CODES.usage);
        }
        printJson({ erased: await eraseCustomer(db, restaurantId, id, 'cli') });
      });
    });

  program
    .command('retention')
    .description('anonymise customers inactive for DAYS and clear old QR-scan IPs (the service runs this daily)')
    .option('--days <n>', `days of inactivity (default: the service's DATA_RETENTION_DAYS; at least ${DATA_RETENTION_MIN_DAYS})`)
    .action(async (options: { days?: string }) => {
      const days =
        options.days === undefined
          ? loadConfig().retentionDays
          : integerFlag(options.days, '--days', { min: DATA_RETENTION_MIN_DAYS, max: DATA_RETENTION_MAX_DAYS, unit: 'days' });
      printJson(await withDatabase((db) => applyDataRetention(db, days, 'cli')));
    });
}
