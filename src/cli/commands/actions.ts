// Safe actions: `comanda vacuum`, `comanda terminate`, `comanda reindex --invalid`. Each shows
// what it will touch and the exact SQL, asks for confirmation at a terminal unless --yes (and
// refuses without --yes when there is no terminal to ask), then runs and logs what it did: a row
// in comanda.actions_log (listed by `comanda actions`) and one line on stderr. Exit codes: 0 done
// (or nothing to do), 1 partly done, 2 refused, declined or failed.
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { errorText, withSession, type ActionPlan, type Session } from '../../core/actions/action.js';
import { listActions, recordAction } from '../../core/actions/log.js';
import { planReindexInvalid } from '../../core/actions/reindex.js';
import { planTerminate } from '../../core/actions/terminate.js';
import { planVacuum } from '../../core/actions/vacuum.js';
import { Database } from '../../core/db/database.js';
import { CliError, resolveTarget, withDatabase } from '../connect.js';
import { ACTION_EXIT_CODES, COMMAND_EXIT_CODES } from '../exit-codes.js';
import { durationFlag, integerFlag } from '../flags.js';
import { printJson, printTable } from '../output.js';

interface ActionFlags {
  yes?: boolean;
  json?: boolean;
}


async function confirmed(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^(y|yes)$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

function showPlan(plan: ActionPlan, out: NodeJS.WritableStream): void {
  if (plan.targets.length) {
    const columns = [...new Set(plan.targets.flatMap((t) => Object.keys(t)))];
    // printTable writes to stdout; in --json mode the plan goes to stderr instead.
    if (out === process.stdout) printTable(plan.targets, columns);
    else out.write(plan.targets.map((t) => JSON.stringify(t)).join('\n') + '\n');
  }
  for (const w of plan.warnings) out.write(`! ${w}\n`);
  if (plan.sql.length) out.write(`SQL to run:\n${plan.sql.map((s) => `  ${s};`).join('\n')}\n`);
}

/** Plans on a session of its own (the direct URL: no pooler), confirms, runs, logs. */
async function act(flags: ActionFlags, makePlan: (session: Session) => Promise<ActionPlan>): Promise<void> {
  const target = await resolveTarget();
  const db = new Database({ connectionString: target.directUrl, poolSize: 1, connectTimeoutMs: target.config.pool.connectTimeoutMs, applicationName: 'comanda-action' });
  const out = flags.json ? process.stderr : process.stdout;
  try {
    await withSession(db, async (session) => {
      const plan = await makePlan(session);
      if (plan.refused) {
        if (flags.json) printJson({ action: plan.action, status: 'refused', reason: plan.refused, targets: plan.targets });
        throw new CliError(`${plan.action} refused: ${plan.refused}`, COMMAND_EXIT_CODES.usage);
      }
      showPlan(plan, out);
      if (plan.sql.length) {
        if (plan.requiresYesFlag && !flags.yes) {
          throw new CliError(`${plan.action} refused: this one needs --yes on the command line (read the warning above); nothing done`, COMMAND_EXIT_CODES.usage);
        }
        if (!flags.yes) {
          if (!process.stdin.isTTY) throw new CliError(`${plan.action} refused: no terminal to ask for confirmation; pass --yes to run the SQL above. Nothing done.`, COMMAND_EXIT_CODES.usage);
          if (!(await confirmed('Run it? [y/N] '))) throw new CliError(`${plan.action}: declined; nothing done`, COMMAND_EXIT_CODES.usage);
        }
      }
      const { rows: who } = await session.query<{ database: string; role: string }>('SELECT current_database() AS database, current_user AS role');
      const result = await plan.run();
      // What ran is done whether or not it can be recorded: a failed record is a warning.
      await recordAction(session, plan, result, userInfo().username).catch((err: unknown) =>
        process.stderr.write(`comanda: warning: ${result.action} ran but could not be recorded in comanda.actions_log: ${errorText(err)}\n`),
      );
      process.stderr.write(
        `comanda: ${new Date().toISOString()} action=${result.action} status=${result.status} database=${who[0]?.database} role=${who[0]?.role} ` +
          `os_user=${userInfo().username} duration_ms=${result.durationMs}${result.sql.length ? ` sql=${JSON.stringify(result.sql.join('; '))}` : ''}\n`,
      );
      if (flags.json) {
        printJson({ action: result.action, status: result.status, summary: result.summary, sql: result.sql, targets: plan.targets, rows: result.rows, durationMs: result.durationMs });
      } else {
        process.stdout.write(`${result.summary}\n`);
        if (result.rows.length) printTable(result.rows, [...new Set(result.rows.flatMap((r) => Object.keys(r)))]);
      }
      process.exitCode = ACTION_EXIT_CODES[result.status];
    });
  } finally {
    await db.close();
  }
}

export function actionCommands(program: Command): void {
  program
    .command('vacuum')
    .description('VACUUM a table of the restaurante schema (shows the SQL, asks unless --yes); --full needs --yes and locks the table')
    .argument('<table>', 'table name, e.g. orders or restaurante.orders')
    .option('--analyze', 'also refresh the planner statistics (VACUUM (ANALYZE))')
    .option('--full', 'VACUUM FULL: rewrites the table under an ACCESS EXCLUSIVE lock (blocks every read and write); refused without --yes')
    .option('--yes', 'run without asking')
    .option('--json', 'print {action, status, summary, sql, targets, rows} as JSON')
    .action(async (table: string, options: ActionFlags & { analyze?: boolean; full?: boolean }) => {
      await act(options, (s) => planVacuum(s, table, { analyze: options.analyze, full: options.full }));
    });

  program
    .command('terminate')
    .description("end a client session of this database (never autovacuum, replication, other databases' sessions or its own): a pid, or every session idle in a transaction for longer than --older-than")
    .argument('[pid]', 'process id of the session (pg_stat_activity.pid)')
    .option('--idle-in-transaction', 'every session of this database idle in a transaction')
    .option('--older-than <duration>', 'with --idle-in-transaction: idle for longer than this (30s, 5m, 1h)', '5m')
    .option('--yes', 'run without asking')
    .option('--json', 'print {action, status, summary, sql, targets, rows} as JSON')
    .action(async (pid: string | undefined, options: ActionFlags & { idleInTransaction?: boolean; olderThan: string }) => {
      if ((pid === undefined) === (options.idleInTransaction !== true)) {
        throw new CliError('say which sessions: comanda terminate PID, or comanda terminate --idle-in-transaction [--older-than 5m]', COMMAND_EXIT_CODES.usage);
      }
      if (pid !== undefined) {
        if (!/^\d{1,10}$/.test(pid)) throw new CliError(`"${pid}" is not a process id (a whole number from pg_stat_activity.pid)`, COMMAND_EXIT_CODES.usage);
        return act(options, (s) => planTerminate(s, { pid: Number(pid) }));
      }
      const ms = durationFlag(options.olderThan, '--older-than', COMMAND_EXIT_CODES.usage);
      return act(options, (s) => planTerminate(s, { idleInTransactionOlderThanMs: ms }));
    });

  program
    .command('reindex')
    .description('REINDEX INDEX CONCURRENTLY every invalid index (not those being built now), one at a time, reporting each failure')
    .option('--invalid', 'the invalid indexes (the only selection there is)')
    .option('--yes', 'run without asking')
    .option('--json', 'print {action, status, summary, sql, targets, rows} as JSON')
    .action(async (options: ActionFlags & { invalid?: boolean }) => {
      if (!options.invalid) throw new CliError('say which indexes: comanda reindex --invalid (rebuilds the invalid ones)', COMMAND_EXIT_CODES.usage);
      await act(options, (s) => planReindexInvalid(s));
    });

  program
    .command('actions')
    .description('the safe actions run on this database (vacuum, terminate, reindex), newest first, from comanda.actions_log')
    .option('--limit <n>', 'how many', '20')
    .option('--action <name>', 'only this action: vacuum, terminate or reindex')
    .option('--json', 'print {actions: [{id, at, action, status, summary, sql, targets, dbRole, osUser, durationMs}]}')
    .action(async (options: { limit: string; action?: string; json?: boolean }) => {
      const limit = integerFlag(options.limit, '--limit', { min: 1, max: 100_000 });
      if (options.action !== undefined && !['vacuum', 'terminate', 'reindex'].includes(options.action)) {
        throw new CliError(`--action: "${options.action}" is not an action; use vacuum, terminate or reindex`, COMMAND_EXIT_CODES.usage);
      }
      await withDatabase(async (db) => {
        const actions = await listActions(db, { limit, action: options.action });
        if (options.json) return printJson({ actions });
        if (!actions.length) return void process.stdout.write('no action recorded\n');
        printTable(
          actions.map((a) => ({ ...a, sql: a.sql.join('; '), targets: a.targets.length })),
          ['id', 'at', 'action', 'status', 'summary', 'dbRole', 'osUser', 'durationMs', 'targets', 'sql'],
        );
      });
    });
}
