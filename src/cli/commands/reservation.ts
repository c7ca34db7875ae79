import type { Command } from 'commander';
import { regenerateToken } from '../../core/reservations/reservations.js';
import { loadOrCreateSecret } from '../../embedded/data-dir.js';
import { CliError, withDatabase } from '../connect.js';
import { printJson } from '../output.js';
import { integerFlag } from '../flags.js';
import { COMMAND_EXIT_CODES } from '../exit-codes.js';

export function reservationCommand(program: Command): void {
  const reservation = program.command('reservation').description('reservations');
  reservation
    .command('token')
    .description("issue a new link token for a reservation's guest (the spec's \"Failed to create reservation token\")")
    .argument('<id>', 'reservation id')
    .option('--days <n>', 'days the link works', '7')
    .option('--json', 'print {reservationId, token, expiresAt} as JSON')
    .action(async (id: string, options: { days: string; json?: boolean }) => {
      const days = integerFlag(options.days, '--days', { min: 1, max: 999, unit: 'days' });
      await withDatabase(async (db, target) => {
        // The token is derived from the server secret: the service's own, so its links verify.
        const secret = target.config.secret ?? (target.config.databaseUrl ? undefined : await loadOrCreateSecret(target.config.dataDir));
        if (!secret) throw new CliError('COMANDA_SECRET must be set (the same as the service) to issue reservation tokens', COMMAND_EXIT_CODES.usage);
        const issued = await regenerateToken(db, undefined, id, { secret, tokenTtlDays: days }, 'cli');
        if (options.json) return printJson({ reservationId: issued.reservationId, token: issued.token, expiresAt: issued.expiresAt });
        process.stdout.write(`${issued.token}\n`);
        process.stderr.write(`new link token for reservation ${issued.reservationId}, valid until ${issued.expiresAt.toISOString()}\n`);
      });
    });
}
