// Flag values the CLI parses itself, refused with a message naming the flag.
import { CliError } from './connect.js';
import { COMMAND_EXIT_CODES } from './exit-codes.js';

/** "5m", "30s", "1h", "7d", "1500ms" → milliseconds; anything else is an error saying what to write. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|min|h|d)$/.exec(value.trim());
  if (!m) throw new TypeError(`"${value}" is not a duration: write it like 30s, 5m or 1h (or 7d)`);
  const factor = { ms: 1, s: 1_000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'min' | 'h' | 'd'];
  return Math.round(Number(m[1]) * factor);
}

/** A duration flag's value in milliseconds, or a CliError naming the flag (exit `exitCode`). */
export function durationFlag(value: string, flag: string, exitCode: number): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new CliError(`${flag}: ${(err as Error).message}`, exitCode);
  }
}

/**
 * A whole-number flag from `min` to `max`, or a CliError naming the flag, the range and an
 * example (exit 2: the command line is wrong, nothing ran).
 */
export function integerFlag(value: string, flag: string, range: { min: number; max: number; unit?: string }): number {
  const n = /^\s*\d{1,9}\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < range.min || n > range.max) {
    const unit = range.unit ? ` ${range.unit}` : '';
    throw new CliError(`${flag}: "${value}" is not a whole number from ${range.min} to ${range.max}${unit}; e.g. ${flag} ${range.min}`, COMMAND_EXIT_CODES.usage);
  }
  return n;
}
