import type { Command } from 'commander';
import { createStaffToken, isStaffRole, listStaffTokens, revokeStaffToken, staffRoles } from '../../core/auth/staff-tokens.js';
import type { Database } from '../../core/db/database.js';
import { CliError, withDatabase } from '../connect.js';
import { printJson, printTable } from '../output.js';

/** The restaurant a command is for: --restaurant, or the only one there is. */
async function restaurantFor(db: Database, given: string | undefined): Promise<string> {
  if (given) return given;
  const { rows } = await db.query<{ id: string }>('SELECT id FROM restaurante.restaurants ORDER BY id LIMIT 2');
  if (rows.length === 1) return rows[0]!.id;
  throw new CliError(rows.length === 0 ? 'there is no restaurant yet' : 'there are several restaurants: say which with --restaurant ID', 2);
}

export function staffCommand(program: Command): void {
  const token = program.command('staff').description('staff access').command('token').description('staff bearer tokens');

  token
    .command('create')
    .description('create a token; it is printed once and stored only as a hash')
    .requiredOption('--role <role>', `one of ${staffRoles.join(', ')}`)
    .option('--restaurant <id>', 'restaurant id (default: the only restaurant)')
    .option('--label <text>', 'who or what the token is for')
    .option('--json', 'print {id, role, token} as JSON')
    .action(async (options: { role: string; restaurant?: string; label?: string; json?: boolean }) => {
      if (!isStaffRole(options.role)) throw new CliError(`--role must be one of ${staffRoles.join(', ')}, got "${options.role}"`, 2);
      const role = options.role;
      await withDatabase(async (db) => {
        const restaurantId = await restaurantFor(db, options.restaurant);
        const { token: secret, info } = await createStaffToken(db, { restaurantId, role, label: options.label });
        if (options.json) return printJson({ id: info.id, role: info.role, restaurantId, token: secret });
        process.stdout.write(`${secret}\n`);
        process.stderr.write(`created ${info.role} token ${info.id} for ${restaurantId}; store it now, it is not shown again\n`);
      });
    });

  token
    .command('list')
    .description('list tokens (never the tokens themselves)')
    .option('--restaurant <id>', 'only this restaurant')
    .option('--json', 'print JSON')
    .action(async (options: { restaurant?: string; json?: boolean }) => {
      await withDatabase(async (db) => {
        const tokens = await listStaffTokens(db, options.restaurant);
        if (options.json) return printJson({ tokens });
        printTable(
          tokens.map((t) => ({ ...t, state: t.revokedAt ? 'revoked' : t.expiresAt && t.expiresAt < new Date() ? 'expired' : 'active' })),
          ['id', 'restaurantId', 'role', 'state', 'label', 'createdAt', 'lastUsedAt'],
        );
      });
    });

  token
    .command('revoke')
    .description('revoke a token by id; it stops working at once')
    .argument('<id>', 'token id (from `comanda staff token list`)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      await withDatabase(async (db) => {
        const info = await revokeStaffToken(db, id);
        if (options.json) return printJson({ token: info });
        process.stdout.write(`revoked ${info.id} (${info.role}, ${info.restaurantId})\n`);
      });
    });
}
