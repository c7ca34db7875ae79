// The spec's diagnostics ("Stock insuficiente o item no encontrado", "Table already
// reserved", "Failed to create reservation token"), done against what this schema really holds:
// the stock ledger, the reservation_tables rows under their exclusion constraint, the hashed link
// tokens and the e-mail outbox. Each diagnosis is a list of findings shaped like the checks'
// outcomes ({name, status, summary, rows, advice}), so the CLI renders them the same way and
// `--json` prints the issue's {checks: [...]} shape. Diagnoses only read, in a read-only
// transaction with short timeouts, like the checks.
import type { Database, Tx } from '../db/database.js';
import { LookupError } from '../restaurants.js';

export { LookupError, resolveRestaurant } from '../restaurants.js';
import { worst, type CheckOutcome, type CheckStatus } from '../checks/check.js';

export interface Finding extends CheckOutcome {
  name: string;
}

export interface Diagnosis {
  /** What was diagnosed, for people (e.g. `menu item item_tarta_queso "Tarta de queso"`). */
  subject: string;
  /** The worst status of the findings. */
  status: CheckStatus;
  findings: Finding[];
}


export const DIAGNOSE_TIMEOUTS = { statementTimeoutMs: 5_000, lockTimeoutMs: 1_000 };

/** Runs a diagnosis read-only with short timeouts; findings keep advice only when not ok. */
export async function diagnose(db: Database, fn: (tx: Tx) => Promise<{ subject: string; findings: Finding[] }>): Promise<Diagnosis> {
  const { subject, findings } = await db.transaction(fn, { readOnly: true, ...DIAGNOSE_TIMEOUTS });
  const cleaned = findings.map((f) => ({ ...f, advice: f.status === 'ok' ? undefined : f.advice }));
  return { subject, status: worst(cleaned.map((f) => f.status)), findings: cleaned };
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;


/** An ISO 8601 time; without an offset it is the restaurant's local time. */
export function parseTime(value: string): { text: string; local: boolean } {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(:\d{2}(\.\d+)?)?)([zZ]|[+-]\d{2}(:?\d{2})?)?$/.exec(value.trim());
  if (!m) throw new LookupError(`"${value}" is not a time: give an ISO 8601 time such as 2026-03-10T20:00 (restaurant's local time) or 2026-03-10T20:00+01:00`);
  return { text: `${m[1]}T${m[2]}${m[5] ?? ''}`, local: m[5] === undefined };
}
