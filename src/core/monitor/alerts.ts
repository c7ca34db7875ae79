// The alert state machine, one per check: people hear once when a check goes bad, again only
// when it gets worse or a reminder is due, and once when it clears. Pure functions: the monitor
// feeds them the stored state and a fresh result, and stores what they return.
import type { CheckStatus } from '../checks/check.js';

export type AlertKind = 'alert' | 'escalation' | 'reminder' | 'resolved' | 'report';

export interface AlertState {
  check: string;
  status: CheckStatus;
  /** When the check entered `status`. */
  since: Date;
  summary: string;
  /** The last status people were told about (undefined: never told anything). */
  notifiedStatus?: CheckStatus;
  notifiedAt?: Date;
}

/**
 * How bad a status is for alerting. `unknown` (a check that could not run) is alerted like a
 * warning: someone should know the monitor is blind there; a database that cannot be reached is
 * reported as `critical` by the synthetic `database` check, not as unknown.
 */
export const alertRank: Record<CheckStatus, number> = { ok: 0, warning: 1, unknown: 1, critical: 2 };

export const isBad = (status: CheckStatus): boolean => alertRank[status] > 0;

export interface Transition {
  next: AlertState;
  /** What to tell people, if anything. */
  kind?: AlertKind;
  /** The status before this result (undefined for a check seen for the first time). */
  previous?: CheckStatus;
}

/**
 * The next state of a check given its stored state (undefined: never seen) and a new result.
 *
 * - ok (or never seen) → bad: `alert`.
 * - bad → worse than what was last told (warning → critical): `escalation`.
 * - still bad, nothing new, `reminderMs` since the last message: `reminder` (0 disables).
 * - bad → ok: `resolved`, once.
 * - bad → less bad (critical → warning) and every other case: nothing is sent.
 */
export function transition(
  prev: AlertState | undefined,
  result: { name: string; status: CheckStatus; summary: string },
  now: Date,
  reminderMs: number,
): Transition {
  const previous = prev?.status;
  const changed = previous !== result.status;
  const base: AlertState = {
    check: result.name,
    status: result.status,
    since: changed || !prev ? now : prev.since,
    summary: result.summary,
    notifiedStatus: prev?.notifiedStatus,
    notifiedAt: prev?.notifiedAt,
  };
  const told = (kind: AlertKind): Transition => ({ next: { ...base, notifiedStatus: result.status, notifiedAt: now }, kind, previous });

  // Whether people currently believe the check is bad: a resolved (or never sent) alert means no.
  const toldBad = base.notifiedStatus !== undefined && isBad(base.notifiedStatus);
  if (!isBad(result.status)) return toldBad ? told('resolved') : { next: base, previous };
  if (!toldBad) return told('alert');
  if (alertRank[result.status] > alertRank[base.notifiedStatus!]) return told('escalation');
  if (reminderMs > 0 && base.notifiedAt && now.getTime() - base.notifiedAt.getTime() >= reminderMs) return told('reminder');
  return { next: base, previous };
}
