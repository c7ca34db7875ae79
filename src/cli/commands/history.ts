// The history Comanda keeps (src/core/history): `comanda queries [--since 24h]` (top statements
// from the history, or `--live` from pg_stat_statements), `comanda queries reset`, `comanda space
// [--growth 7d]`, `comanda history capture|status`.
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { allChecks } from '../../core/checks/registry.js';
import { thresholdsFile } from '../../core/checks/thresholds.js';
import { captureHistory, historyCost, historyTopStatements, historyWindow, spaceGrowth, type HistoryOrder } from '../../core/history/index.js';
import { liveTopStatements, resetStatements } from '../../core/queries.js';
import { CliError, withDatabase } from '../connect.js';
import { durationFlag, integerFlag } from '../flags.js';
import { printJson, printTable } from '../output.js';
import { COMMAND_EXIT_CODES } from '../exit-codes.js';

const ORDERS = ['total', 'mean', 'calls'];

const osUser = (): string | null => {
  try {
    return userInfo().username;
  } catch {
    return null;
  }
};

const limitFlag = (value: string): number => integerFlag(value, '--limit', { min: 1, max: 1000 });

/** The history's tables are missing on a database not migrated yet: say what to do. */
function missingHistory(err: unknown): never {
  if ((err as { code?: string }).code === '42P01') throw new CliError("the history's tables are missing (migration 0018): run `comanda migrate up`");
  throw err;
}

const size = (bytes: number | null): string => {
  if (bytes === null) return '-';
  const abs = Math.abs(bytes);
  const [value, unit] = abs >= 1024 ** 3 ? [bytes / 1024 ** 3, 'GB'] : abs >= 1024 ** 2 ? [bytes / 1024 ** 2, 'MB'] : abs >= 1024 ? [bytes / 1024, 'kB'] : [bytes, 'B'];
  return `${Math.round(value * 10) / 10} ${unit}`;
};

export function historyCommands(program: Command): void {
  const queries = program
    .command('queries')
    .description("the workload's top statements over a window, from the history Comanda keeps (or --live: pg_stat_statements since its last reset)")
    .option('--since <duration>', 'window, e.g. 1h, 24h, 7d', '24h')
    .option('--by <order>', 'total, mean or calls', 'total')
    .option('--limit <n>', 'statements to show', '20')
    .option('--live', 'read pg_stat_statements now instead of the history')
    .option('--json', 'print JSON')
    .action(async (options: { since: string; by: string; limit: string; live?: boolean; json?: boolean }) => {
      if (!ORDERS.includes(options.by)) throw new CliError('--by must be total, mean or calls', COMMAND_EXIT_CODES.usage);
      const sinceMs = durationFlag(options.since, '--since', COMMAND_EXIT_CODES.usage);
      const limit = limitFlag(options.limit);
      const by = options.by as HistoryOrder;
      if (options.live) {
        const top = await withDatabase((db) => liveTopStatements(db, { by, limit }));
        if (options.json) return printJson({ live: true, statements: top });
        return printTable(top, ['calls', 'totalMs', 'meanMs', 'maxMs', 'rows', 'hitPct', 'query']);
      }
      const { window, statements } = await withDatabase(async (db) => ({
        window: await historyWindow(db, sinceMs),
        statements: await historyTopStatements(db, { sinceMs, by, limit }),
      })).catch(missingHistory);
      if (options.json) return printJson({ since: options.since, window, statements });
      if (window.captures === 0) {
        process.stdout.write(`no history captured in the last ${options.since}: the service captures every HISTORY_INTERVAL_MINUTES (5) while it runs; \`comanda history capture\` captures now, \`comanda queries --live\` reads pg_stat_statements\n`);
        return;
      }
      process.stdout.write(
        `${window.captures} captures from ${window.from?.toISOString()} to ${window.to?.toISOString()}${window.countersReset ? ` (statistics reset ${window.countersReset} time(s) in between: counted from each reset)` : ''}, by ${by}\n`,
      );
      printTable(statements, ['calls', 'totalMs', 'meanMs', 'rows', 'hitPct', 'query']);
    });

  queries
    .command('reset')
    .description('pg_stat_statements_reset(): forget every statement statistic (the history keeps what it captured); recorded in comanda.actions_log')
    .option('--yes', 'do not ask')
    .option('--json', 'print JSON')
    .action(async (options: { yes?: boolean; json?: boolean }) => {
      if (!options.yes) {
        if (!process.stdin.isTTY) throw new CliError('resetting the statistics needs --yes when there is no terminal to ask', COMMAND_EXIT_CODES.usage);
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question('Reset pg_stat_statements for every statement? [y/N] ');
        rl.close();
        if (!/^(y|yes)$/i.test(answer.trim())) throw new CliError('declined; nothing was reset', COMMAND_EXIT_CODES.usage);
      }
      const result = await withDatabase((db) => resetStatements(db, { osUser: osUser() })).catch((err: unknown) => {
        if ((err as { code?: string }).code === '42501') throw new CliError('permission denied for pg_stat_statements_reset(): run it as a superuser, or GRANT EXECUTE ON FUNCTION pg_stat_statements_reset TO this role');
        throw err;
      });
      if (options.json) return printJson(result);
      process.stdout.write(`pg_stat_statements reset at ${result.at.toISOString()} (${result.statements} workload statements were recorded); see \`comanda actions --action queries.reset\`\n`);
    });

  program
    .command('space')
    .description('the database, its tables and indexes by size, with their growth over a window (from the history)')
    .option('--growth <duration>', 'window, e.g. 24h or 7d', '7d')
    .option('--kind <kind>', 'database, table or index')
    .option('--limit <n>', 'rows to show', '30')
    .option('--json', 'print JSON')
    .action(async (options: { growth: string; kind?: string; limit: string; json?: boolean }) => {
      if (options.kind && !['database', 'table', 'index'].includes(options.kind)) throw new CliError('--kind must be database, table or index', COMMAND_EXIT_CODES.usage);
      const sinceMs = durationFlag(options.growth, '--growth', COMMAND_EXIT_CODES.usage);
      const result = await withDatabase((db) => spaceGrowth(db, { sinceMs, kind: options.kind as 'table' | undefined, limit: limitFlag(options.limit) })).catch(missingHistory);
      if (options.json) return printJson(result);
      if (!result.to) {
        process.stdout.write('no history captured yet: the service captures every HISTORY_INTERVAL_MINUTES (5); `comanda history capture` captures now\n');
        return;
      }
      process.stdout.write(`sizes at ${result.to.toISOString()}, growth since ${result.from?.toISOString() ?? result.to.toISOString()}\n`);
      printTable(
        result.rows.map((r) => ({ ...r, size: size(r.bytes), growth: size(r.growthBytes), perDay: size(r.growthPerDayBytes) })),
        ['kind', 'name', 'size', 'growth', 'perDay', 'liveRows', 'deadRows'],
      );
    });

  const history = program.command('history').description('the history Comanda keeps: capture now, or what it holds and costs');
  history
    .command('capture')
    .description('capture now (statements, sizes, check statuses), as the service does every HISTORY_INTERVAL_MINUTES')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const config = loadConfig();
      const thresholds = await thresholdsFile(config.checksFile);
      const result = await withDatabase((db) => captureHistory(db, { ...config.history, intervalMinutes: 0, sizesEveryMinutes: 0, checks: allChecks, thresholds })).catch(missingHistory);
      if (options.json) return printJson(result);
      if (!result.captured) {
        const why = { locked: 'another instance is capturing right now', recent: 'captured moments ago', 'no-schema': "the history's tables are missing: run `comanda migrate up`" }[result.reason];
        throw new CliError(`not captured: ${why}`);
      }
      process.stdout.write(
        `captured ${result.baseline ? 'a baseline' : `${result.statements} statements`}${result.countersReset ? ' (counters had been reset)' : ''}, ${result.sizes} sizes, ${result.checks} checks in ${result.durationMs} ms${result.pruned ? `; ${result.pruned} old captures pruned` : ''}\n`,
      );
    });
  history
    .command('status')
    .description('captures, rows and bytes per table, capture time')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const cost = await withDatabase((db) => historyCost(db)).catch(missingHistory);
      if (options.json) return printJson(cost);
      process.stdout.write(`${cost.captures} captures${cost.first ? ` from ${cost.first.toISOString()} to ${cost.last?.toISOString()}` : ''}; capture time mean ${cost.meanCaptureMs} ms, max ${cost.maxCaptureMs} ms; ${size(cost.totalBytes)} on disk\n`);
      printTable(cost.tables.map((t) => ({ ...t, size: size(t.bytes) })), ['table', 'rows', 'size']);
    });
}
