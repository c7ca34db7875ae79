// Running a safe action on behalf of a signed-in operator (the dashboard's cancel, terminate,
// vacuum): planned and run on a session of its own, exactly as the CLI does, refused with the
// action's reason when it refuses (never autovacuum, replication or another database's sessions;
// only the restaurante schema's tables), and recorded in comanda.actions_log with who asked.
// The page's confirmation dialog stands for the CLI's "Run it? [y/N]"; VACUUM FULL, which needs
// --yes at a terminal, is not offered at all.
import { withSession, type ActionPlan, type ActionResult, type Session } from '../actions/action.js';
import { recordAction } from '../actions/log.js';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';

export interface ActionOutcome extends Pick<ActionResult, 'action' | 'status' | 'summary' | 'sql' | 'rows' | 'durationMs'> {
  targets: Array<Record<string, unknown>>;
  /** false when the action ran but its log row could not be written. */
  recorded: boolean;
}

/**
 * Plans with `makePlan`, runs, records. `actor` goes in the log's os_user column (for the
 * dashboard: "staff <via>:<id>", an id, never a name). A refusal is ACTION_REFUSED and changes nothing.
 */
export async function runAction(db: Database, actor: string, makePlan: (session: Session) => Promise<ActionPlan>): Promise<ActionOutcome> {
  return withSession(db, async (session) => {
    const plan = await makePlan(session);
    if (plan.refused) throw new AppError('ACTION_REFUSED', `${plan.action} refused: ${plan.refused}`);
    if (plan.requiresYesFlag) throw new AppError('ACTION_REFUSED', `${plan.action} refused: it needs the command line (comanda ${plan.action} … --yes)`);
    const result = await plan.run();
    const recorded = await recordAction(session, plan, result, actor).then(
      () => true,
      () => false,
    );
    // The query texts of terminated sessions stay out of the answer as they stay out of the log.
    const targets = plan.targets.map((t) => Object.fromEntries(Object.entries(t).filter(([k]) => k !== 'query')));
    return { action: result.action, status: result.status, summary: result.summary, sql: result.sql, rows: result.rows, durationMs: result.durationMs, targets, recorded };
  });
}
