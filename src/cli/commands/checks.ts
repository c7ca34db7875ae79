// `comanda doctor` and `comanda check`: exit codes follow the monitoring-plugin convention
// (0 ok, 1 warning, 2 critical, 3 unknown), so cron and Nagios-style systems can use them.
import type { Command } from 'commander';
import { runChecks, worst, type CheckResult, type Thresholds } from '../../core/checks/check.js';
import { allChecks, fullChecks } from '../../core/checks/registry.js';
import { thresholdsFile, ThresholdsFileError, type ThresholdOverrides } from '../../core/checks/thresholds.js';
import { loadConfig } from '../../config.js';
import { CliError, withDatabase } from '../connect.js';
import { printJson, printTable } from '../output.js';
import { exitWithStatus, printResult } from '../status.js';
import { STATUS_EXIT_CODES } from '../exit-codes.js';

function report(results: CheckResult[], json: boolean | undefined): void {
  const overall = worst(results.map((r) => r.status));
  if (json) {
    printJson({ status: overall, checks: results.map(({ name, status, summary, rows, advice, durationMs }) => ({ name, status, summary, rows, advice, durationMs })) });
  } else {
    for (const r of results) printResult(r, { nameWidth: 22 });
  }
  exitWithStatus(overall);
}

const number = (value: string, flag: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new CliError(`${flag} must be a number, got "${value}"`, STATUS_EXIT_CODES.unknown);
  return n;
};

/** Thresholds from --config, else COMANDA_CHECKS_FILE, else none; a bad file is exit 3 (unknown), as plugins do. */
async function thresholdsFrom(file: string | undefined): Promise<ThresholdOverrides> {
  try {
    return await (file ? thresholdsFile(file, '--config') : thresholdsFile(loadConfig().checksFile));
  } catch (err) {
    if (err instanceof ThresholdsFileError) throw new CliError(err.message, STATUS_EXIT_CODES.unknown);
    throw err;
  }
}

export function checkCommands(program: Command): void {
  program
    .command('doctor')
    .description('run every check; worst first; exit 0 ok, 1 warning, 2 critical, 3 unknown')
    .option('--json', 'print {status, checks: [{name, status, summary, rows, advice}]}')
    .option('--config <file>', 'thresholds file (default: COMANDA_CHECKS_FILE)')
    .action(async (options: { json?: boolean; config?: string }) => {
      const overrides = await thresholdsFrom(options.config);
      report(await withDatabase((db) => runChecks(db, allChecks, overrides)), options.json);
    });

  program
    .command('check')
    .description('comanda check list: the checks and their thresholds; comanda check <name> [--warning N] [--critical N]: run one')
    .argument('<name>', 'a check name, or "list"')
    .option('--warning <n>', 'warning threshold')
    .option('--critical <n>', 'critical threshold')
    .option('--full', `the scan outside the doctor's time budget (${Object.keys(fullChecks).join(', ')})`)
    .option('--config <file>', 'thresholds file (default: COMANDA_CHECKS_FILE)')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { warning?: string; critical?: string; full?: boolean; config?: string; json?: boolean }) => {
      if (name === 'list') {
        const rows = allChecks.map((c) => ({ name: c.name, warning: c.defaults.warning, critical: c.defaults.critical, unit: c.unit, description: c.description }));
        if (options.json) return printJson({ checks: rows });
        return printTable(rows, ['name', 'warning', 'critical', 'unit', 'description']);
      }
      const found = options.full ? fullChecks[name] : allChecks.find((c) => c.name === name);
      if (!found) {
        throw new CliError(
          options.full ? `no full scan of "${name}"; --full applies to: ${Object.keys(fullChecks).join(', ')}` : `no check "${name}"; see comanda check list`,
          STATUS_EXIT_CODES.unknown,
        );
      }
      const overrides: Partial<Thresholds> = { ...(await thresholdsFrom(options.config))[found.name] };
      if (options.warning !== undefined) overrides.warning = number(options.warning, '--warning');
      if (options.critical !== undefined) overrides.critical = number(options.critical, '--critical');
      report(await withDatabase((db) => runChecks(db, [found], { [found.name]: overrides })), options.json);
    });
}
