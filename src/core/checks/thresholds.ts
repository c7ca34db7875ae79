// Check thresholds from a file (COMANDA_CHECKS_FILE or `--config`), so an operator tunes them once
// for the doctor, `comanda check`, the monitor and /metrics alike:
//   {"thresholds": {"long-queries": {"warning": 10, "critical": 60}}}
// Unknown check names and non-numbers are refused with the path of the problem, never ignored.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError } from '../config-error.js';
import type { Thresholds } from './check.js';
import { allChecks, fullChecks } from './registry.js';

/** A configuration error (start-up and the CLI report it as one, exit 2) naming where the file came from. */
export class ThresholdsFileError extends ConfigError {
  constructor(source: string, problem: string) {
    super([`${source}: ${problem}`]);
    this.name = 'ThresholdsFileError';
  }
}

export type ThresholdOverrides = Record<string, Partial<Thresholds>>;

/** The thresholds of COMANDA_CHECKS_FILE (or a --config path: `source`) for every check; none when unset. */
export async function thresholdsFile(file: string | undefined, source = 'COMANDA_CHECKS_FILE'): Promise<ThresholdOverrides> {
  if (!file) return {};
  const fail = (problem: string) => new ThresholdsFileError(source, problem);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw fail(`cannot read the thresholds file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw fail(`the thresholds file ${file} is not JSON: ${(err as Error).message}`);
  }
  const names = new Set([...allChecks, ...Object.values(fullChecks)].map((c) => c.name));
  const schema = z.strictObject({
    thresholds: z.record(z.string(), z.strictObject({ warning: z.number().optional(), critical: z.number().optional() })),
  });
  const parsed = schema.safeParse(json);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
  if (json && typeof json === 'object' && 'thresholds' in json && json.thresholds && typeof json.thresholds === 'object') {
    for (const name of Object.keys(json.thresholds)) {
      if (!names.has(name)) problems.unshift(`thresholds.${name}: no such check (see comanda check list)`);
    }
  }
  if (!parsed.success || problems.length) {
    throw fail(`the thresholds file ${file} is not valid:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data.thresholds;
}

