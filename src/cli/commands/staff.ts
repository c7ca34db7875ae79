import type { Command } from 'commander';
import { createStaffToken, isStaffRole, listStaffTokens, revokeStaffToken, staffRoles, type StaffRole } from '../../core/auth/staff-tokens.js';
import { createAccount, issueSignInToken, listAccounts, setAccountDisabled, setPassword } from '../../core/auth/staff-accounts.js';
import { issuePairingCode, listDevices, revokeDevice } from '../../core/auth/staff-devices.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../core/auth/passwords.js';
import { SignInThrottle } from '../../core/auth/sign-in-throttle.js';
import type { Database } from '../../core/db/database.js';
import { loadOrCreateSecret } from '../../embedded/data-dir.js';
import { resolveRestaurant } from '../../core/restaurants.js';
import { CliError, withDatabase } from '../connect.js';
import { printJson, printTable } from '../output.js';
import { COMMAND_EXIT_CODES } from '../exit-codes.js';

const restaurantFor = async (db: Database, given: string | undefined): Promise<string> => (await resolveRestaurant(db, given)).id;

function roleOf(value: string): StaffRole {
  if (!isStaffRole(value)) throw new CliError(`--role must be one of ${staffRoles.join(', ')}, got "${value}"`, COMMAND_EXIT_CODES.usage);
  return value;
}

/** A password piped on stdin (never on the command line, where `ps` and the shell history see it). */
async function passwordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new CliError('--password-stdin reads the password from a pipe, e.g. `pass show x | comanda staff account create … --password-stdin`', COMMAND_EXIT_CODES.usage);
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  const password = text.replace(/\r?\n$/, '');
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    throw new CliError(`the password must be ${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters`, COMMAND_EXIT_CODES.usage);
  }
  return password;
}

export function staffCommand(program: Command): void {
  const staff = program.command('staff').description('staff access: bearer tokens, accounts, devices');
  const token = staff.command('token').description('staff bearer tokens');

  token
    .command('create')
    .description('create a token; it is printed once and stored only as a hash')
    .requiredOption('--role <role>', `one of ${staffRoles.join(', ')}`)
    .option('--restaurant <id>', 'restaurant id (default: the only restaurant)')
    .option('--label <text>', 'who or what the token is for')
    .option('--json', 'print {id, role, token} as JSON')
    .action(async (options: { role: string; restaurant?: string; label?: string; json?: boolean }) => {
      if (!isStaffRole(options.role)) throw new CliError(`--role must be one of ${staffRoles.join(', ')}, got "${options.role}"`, COMMAND_EXIT_CODES.usage);
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
  accountCommands(staff);
  deviceCommands(staff);
}

function accountCommands(staff: Command): void {
  const account = staff.command('account').description('staff accounts: people who sign in with a password');

  account
    .command('create')
    .description('create an account; without --password-stdin a password is generated and printed once')
    .requiredOption('--name <name>', "the person's name")
    .requiredOption('--login <login>', 'sign-in name: an e-mail address or a user name (case-insensitive, unique in the restaurant)')
    .requiredOption('--role <role>', `one of ${staffRoles.join(', ')}`)
    .option('--restaurant <id>', 'restaurant id (default: the only restaurant)')
    .option('--password-stdin', 'read the password from stdin instead of generating one')
    .option('--json', 'print {account, password?} as JSON')
    .action(async (options: { name: string; login: string; role: string; restaurant?: string; passwordStdin?: boolean; json?: boolean }) => {
      const role = roleOf(options.role);
      const password = options.passwordStdin ? await passwordFromStdin() : undefined;
      await withDatabase(async (db) => {
        const restaurantId = await restaurantFor(db, options.restaurant);
        const created = await createAccount(db, { restaurantId, name: options.name, login: options.login, role, password });
        if (options.json) return printJson({ account: created.account, ...(created.generated ? { password: created.password } : {}) });
        if (created.generated) process.stdout.write(`${created.password}\n`);
        process.stderr.write(
          `created ${role} account ${created.account.id} "${created.account.login}" for ${restaurantId}` +
            (created.generated ? '; its password is above: hand it over now, it is not shown again\n' : '\n'),
        );
      });
    });

  account
    .command('list')
    .description('list accounts (never a password or its hash)')
    .option('--restaurant <id>', 'only this restaurant')
    .option('--json', 'print JSON')
    .action(async (options: { restaurant?: string; json?: boolean }) => {
      await withDatabase(async (db) => {
        const accounts = await listAccounts(db, options.restaurant);
        if (options.json) return printJson({ accounts });
        printTable(
          accounts.map((a) => ({ ...a, state: a.disabledAt ? 'disabled' : a.hasPassword ? 'active' : 'no password' })),
          ['id', 'restaurantId', 'login', 'name', 'role', 'state', 'lastSignInAt'],
        );
      });
    });

  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    account
      .command(action)
      .description(disabled ? 'disable an account: its sessions end at once, on every instance' : 'enable a disabled account')
      .argument('<id>', 'account id (from `comanda staff account list`)')
      .option('--json', 'print JSON')
      .action(async (id: string, options: { json?: boolean }) => {
        await withDatabase(async (db) => {
          const updated = await setAccountDisabled(db, id, disabled);
          if (options.json) return printJson({ account: updated });
          process.stdout.write(`${disabled ? 'disabled' : 'enabled'} ${updated.id} "${updated.login}"\n`);
        });
      });
  }

  account
    .command('reset-password')
    .description("give an account a new password (generated and printed once, or from stdin); its sessions end and its lockout is lifted")
    .argument('<id>', 'account id')
    .option('--password-stdin', 'read the new password from stdin instead of generating one')
    .option('--json', 'print {account, password?} as JSON')
    .action(async (id: string, options: { passwordStdin?: boolean; json?: boolean }) => {
      const password = options.passwordStdin ? await passwordFromStdin() : undefined;
      await withDatabase(async (db, target) => {
        const result = await setPassword(db, id, { password });
        // Lockouts are keyed by an HMAC under the service's secret: lifted when the CLI has it.
        const secret = target.config.secret ?? (target.config.databaseUrl ? undefined : await loadOrCreateSecret(target.config.dataDir));
        if (secret) await new SignInThrottle(db, secret).clear(result.account.login);
        if (options.json) return printJson({ account: result.account, ...(result.generated ? { password: result.password } : {}), lockoutLifted: Boolean(secret) });
        if (result.generated) process.stdout.write(`${result.password}\n`);
        process.stderr.write(
          `new password for ${result.account.id} "${result.account.login}"; its sessions ended` +
            (secret ? ' and any lockout was lifted\n' : '; a lockout (if any) ends by itself, as COMANDA_SECRET is not set here\n'),
        );
      });
    });

  account
    .command('link')
    .description('print a one-time sign-in token for an account (valid 1 hour, used once)')
    .argument('<id>', 'account id')
    .option('--json', 'print {accountId, token, expiresAt} as JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      await withDatabase(async (db) => {
        const issued = await issueSignInToken(db, id);
        if (options.json) return printJson({ accountId: issued.account.id, token: issued.token, expiresAt: issued.expiresAt });
        process.stdout.write(`${issued.token}\n`);
        process.stderr.write(`one-time sign-in token for "${issued.account.login}", valid until ${issued.expiresAt.toISOString()}: open <PUBLIC_URL>/staff/sign-in#token=<token>\n`);
      });
    });
}

function deviceCommands(staff: Command): void {
  const device = staff.command('device').description('devices (a kitchen tablet): paired once with a code, signed in for a role');

  device
    .command('pair')
    .description('issue a pairing code (valid 10 minutes, used once) that the device enters to sign in for the role')
    .requiredOption('--role <role>', `one of ${staffRoles.join(', ')}`)
    .option('--label <text>', 'which device it is, e.g. "kitchen tablet"')
    .option('--restaurant <id>', 'restaurant id (default: the only restaurant)')
    .option('--json', 'print {device, code, expiresAt} as JSON')
    .action(async (options: { role: string; label?: string; restaurant?: string; json?: boolean }) => {
      const role = roleOf(options.role);
      await withDatabase(async (db) => {
        const restaurantId = await restaurantFor(db, options.restaurant);
        const { code, device: created } = await issuePairingCode(db, { restaurantId, role, label: options.label, createdBy: 'cli' });
        if (options.json) return printJson({ device: created, code, expiresAt: created.pairingExpiresAt });
        process.stdout.write(`${code}\n`);
        process.stderr.write(`pairing code for a ${role} device (${created.id}), valid until ${created.pairingExpiresAt.toISOString()}; enter it once on the device\n`);
      });
    });

  device
    .command('list')
    .description('list devices: pending codes, paired, revoked (never a code)')
    .option('--restaurant <id>', 'only this restaurant')
    .option('--json', 'print JSON')
    .action(async (options: { restaurant?: string; json?: boolean }) => {
      await withDatabase(async (db) => {
        const devices = await listDevices(db, options.restaurant);
        if (options.json) return printJson({ devices });
        printTable(devices, ['id', 'restaurantId', 'role', 'label', 'state', 'pairedAt', 'lastSeenAt']);
      });
    });

  device
    .command('revoke')
    .description('revoke a device (or its unused code): signed out at its next request, on every instance')
    .argument('<id>', 'device id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      await withDatabase(async (db) => {
        const revoked = await revokeDevice(db, id);
        if (options.json) return printJson({ device: revoked });
        process.stdout.write(`revoked ${revoked.id} (${revoked.role}${revoked.label ? `, ${revoked.label}` : ''})\n`);
      });
    });
}
