// Every exit code of `comanda`, one table per command family (docs/cli.md#exit-codes). Errors are
// classified by their class, never by their message.
import { CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import type { ActionResult } from '../core/actions/action.js';
import type { CheckStatus } from '../core/checks/check.js';
import { LookupError } from '../core/restaurants.js';
import { CliError } from './connect.js';

/** Every command: 0 done, 1 it failed, 2 what was asked for is wrong (usage, a setting, a reference) and nothing ran. */
export const COMMAND_EXIT_CODES = { ok: 0, failed: 1, usage: 2 } as const;

/** Commands that grade something (doctor, check, diagnose, monitor --once): the monitoring-plugin convention. */
export const STATUS_EXIT_CODES: Record<CheckStatus, number> = { ok: 0, warning: 1, critical: 2, unknown: 3 };

/** The safe actions (vacuum, terminate, reindex). */
export const ACTION_EXIT_CODES: Record<ActionResult['status'], number> = { done: 0, 'nothing-to-do': 0, partial: 1, failed: 2 };

/** The exit code of an error that ended a command, by its class. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? COMMAND_EXIT_CODES.ok : COMMAND_EXIT_CODES.usage;
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof ConfigError || err instanceof LookupError) return COMMAND_EXIT_CODES.usage;
  return COMMAND_EXIT_CODES.failed;
}
