// Check thresholds from a file (COMANDA_CHECKS_FILE or `--config`), so an operator tunes them once
// for the doctor, `comanda check`, the monitor and /metrics alike:
//   {"thresholds": {"long-queries": {"warning": 10, "critical": 60}}}
// Unknown check names and non-numbers are refused with the path of the problem, never ignored.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Check, Thresholds } from './check.js';
import { allChecks, fullChecks } from './index.js';

export class ThresholdsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ThresholdsFileError';
  }
}

export type ThresholdOverrides = Record<string, Partial<Thresholds>>;

export async function loadThresholds(file: string, checks: Check[]): Promise<ThresholdOverrides> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ThresholdsFileError(`cannot read the thresholds file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ThresholdsFileError(`the thresholds file ${file} is not JSON: ${(err as Error).message}`);
  }
  const names = new Set(checks.map((c) => c.name));
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
    throw new ThresholdsFileError(`the thresholds file ${file} is not valid:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data.thresholds;
}

/** The thresholds of COMANDA_CHECKS_FILE (or a --config path) for every check; none when unset. */
export async function thresholdsFile(file: string | undefined): Promise<ThresholdOverrides> {
  return file ? loadThresholds(file, [...allChecks, ...Object.values(fullChecks)]) : {};
}
