// `comanda diagnose stock|reservation|token`: the spec's diagnostics. Exit codes follow
// the checks' monitoring-plugin convention: 0 ok, 1 warning, 2 critical, 3 unknown (including
// "could not find what to diagnose").
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { LookupError, type Diagnosis } from '../../core/diagnose/diagnosis.js';
import { diagnoseReservation, diagnoseSlot } from '../../core/diagnose/reservation.js';
import { diagnoseStock } from '../../core/diagnose/stock.js';
import { diagnoseToken } from '../../core/diagnose/token.js';
import type { Database } from '../../core/db/database.js';
import { AppError } from '../../core/errors.js';
import { dataPaths } from '../../embedded/data-dir.js';
import { durationFlag } from '../flags.js';
import { CliError, withDatabase, type Target } from '../connect.js';
import { printJson } from '../output.js';
import { exitWithStatus, paint, printResult } from '../status.js';
import { STATUS_EXIT_CODES } from '../exit-codes.js';

function report(d: Diagnosis, json: boolean | undefined): void {
  if (json) {
    printJson({ subject: d.subject, status: d.status, checks: d.findings.map(({ name, status, summary, rows, advice }) => ({ name, status, summary, rows, advice })) });
  } else {
    process.stdout.write(`${d.subject}: ${paint(d.status)}\n`);
    for (const f of d.findings) printResult(f, { nameWidth: 13, rows: true, blankBefore: true });
  }
  exitWithStatus(d.status);
}

const positive = (value: string | undefined, flag: string, max = 1_000_000): number | undefined => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new CliError(`${flag} must be a whole number from 1 to ${max}, got "${value}"`, STATUS_EXIT_CODES.unknown);
  return Number(value);
};

async function run(fn: (db: Database, target: Target) => Promise<Diagnosis>, json: boolean | undefined): Promise<void> {
  try {
    report(await withDatabase(fn), json);
  } catch (err) {
    if (err instanceof LookupError) throw new CliError(err.message, STATUS_EXIT_CODES.unknown);
    // The database could not answer (down, busy, timed out): nothing is known — unknown, like a check.
    if (err instanceof AppError) throw new CliError(`could not diagnose: ${err.message}`, STATUS_EXIT_CODES.unknown);
    throw err;
  }
}

/** The service's secret, to check link tokens against it; never created here, never printed. */
async function serviceSecret(target: Target): Promise<string | undefined> {
  if (target.config.secret) return target.config.secret;
  if (target.config.databaseUrl) return undefined;
  try {
    return (await readFile(dataPaths(target.config.dataDir).secret, 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function diagnoseCommand(program: Command): void {
  const diagnose = program
    .command('diagnose')
    .description("the spec's diagnostics: why a dish is out of stock, a table taken, a guest's link failing; exit 0 ok, 1 warning, 2 critical, 3 unknown");

  diagnose
    .command('stock')
    .description('a dish: stock against the stock ledger, recent movements, open orders holding it, and why a guest would be told "out of stock"')
    .argument('<item>', 'menu item id, or its name (exact, or a unique part of it) within the restaurant')
    .option('--restaurant <id>', 'restaurant to look the name up in (default: the only one)')
    .option('--quantity <n>', 'quantity a guest tries to order', '1')
    .option('--stale-after <duration>', 'an open order older than this holds its stock suspiciously long (30m, 4h)', '4h')
    .option('--json', 'print {subject, status, checks: [{name, status, summary, rows, advice}]}')
    .action(async (item: string, options: { restaurant?: string; quantity: string; staleAfter: string; json?: boolean }) => {
      const quantity = positive(options.quantity, '--quantity');
      const staleMs = durationFlag(options.staleAfter, '--stale-after', STATUS_EXIT_CODES.unknown);
      await run((db) => diagnoseStock(db, item, { restaurantId: options.restaurant, quantity, staleOrderMinutes: staleMs / 60_000 }), options.json);
    });

  diagnose
    .command('reservation')
    .description('a booking (by id): its tables under the no-overlap constraint, overlapping bookings, service hours, history, e-mails; or a table at a time (--table, --time): why it is or is not bookable')
    .argument('[id]', 'reservation id')
    .option('--table <table>', 'table id or number (with --time, instead of a reservation id)')
    .option('--time <iso>', 'start time, ISO 8601; without an offset, the restaurant\'s local time')
    .option('--party <n>', 'party size for --table/--time (default 2, at most the table\'s seats)')
    .option('--restaurant <id>', 'restaurant of a table number (default: the only one)')
    .option('--json', 'print {subject, status, checks: [{name, status, summary, rows, advice}]}')
    .action(async (id: string | undefined, options: { table?: string; time?: string; party?: string; restaurant?: string; json?: boolean }) => {
      if (id !== undefined && (options.table !== undefined || options.time !== undefined)) {
        throw new CliError('give a reservation id, or --table and --time, not both', STATUS_EXIT_CODES.unknown);
      }
      if (id !== undefined) return run((db) => diagnoseReservation(db, id), options.json);
      if (options.table === undefined || options.time === undefined) {
        throw new CliError('say what to diagnose: comanda diagnose reservation ID, or comanda diagnose reservation --table 5 --time 2026-03-10T20:00 [--party 4]', STATUS_EXIT_CODES.unknown);
      }
      const party = positive(options.party, '--party', 50);
      const { table, time } = options;
      return run((db) => diagnoseSlot(db, { table, time, party, restaurantId: options.restaurant }), options.json);
    });

  diagnose
    .command('token')
    .description("a booking's guest link tokens: live, used or expired, which e-mail carried which, and whether they match the server secret (never printed)")
    .argument('<reservation>', 'reservation id')
    .option('--json', 'print {subject, status, checks: [{name, status, summary, rows, advice}]}')
    .action(async (reservation: string, options: { json?: boolean }) => {
      await run(async (db, target) => diagnoseToken(db, reservation, { secret: await serviceSecret(target) }), options.json);
    });
}
