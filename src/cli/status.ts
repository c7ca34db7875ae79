// The one status renderer of the commands that grade something (doctor, check, diagnose): the
// coloured status word, one line per result with its advice, and the exit code of the
// monitoring-plugin convention (docs/cli.md#exit-codes).
import type { CheckOutcome, CheckStatus } from '../core/checks/check.js';
import { STATUS_EXIT_CODES } from './exit-codes.js';
import { printTable } from './output.js';

const colours: Record<CheckStatus, string> = { ok: '32', warning: '33', critical: '31', unknown: '35' };

/** The status in capitals, coloured on a terminal (unless NO_COLOR). */
export const paint = (status: CheckStatus): string =>
  process.stdout.isTTY && !process.env.NO_COLOR ? `\u001b[${colours[status]}m${status.toUpperCase()}\u001b[0m` : status.toUpperCase();

/** One graded result: status, name and summary on a line, the advice under it; `rows` adds its table. */
export function printResult(result: CheckOutcome & { name: string }, options: { nameWidth: number; rows?: boolean; blankBefore?: boolean }): void {
  process.stdout.write(`${options.blankBefore ? '\n' : ''}${paint(result.status).padEnd(10)} ${result.name.padEnd(options.nameWidth)} ${result.summary}\n`);
  if (result.advice) process.stdout.write(`${''.padEnd(options.nameWidth + 12)}→ ${result.advice}\n`);
  if (options.rows && result.rows.length) printTable(result.rows, [...new Set(result.rows.flatMap((r) => Object.keys(r)))]);
}

/** Ends the command with the exit code of `status`. */
export function exitWithStatus(status: CheckStatus): void {
  process.exitCode = STATUS_EXIT_CODES[status];
}
