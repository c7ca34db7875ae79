// One statement for the dashboard's Queries page: its full normalised text (from the history, else
// pg_stat_statements) and its generic plan, through `comanda explain`'s rolled-back EXPLAIN.
import { TOOLKIT_TAG } from '../checks/check.js';
import type { Database } from '../db/database.js';
import { explain, ExplainRefused } from '../explain.js';

/** The statement's text by queryid (a decimal bigint), or undefined when neither source has it. */
export async function statementText(db: Database, queryid: string): Promise<string | undefined> {
  const { rows } = await db.query<{ query: string }>(`SELECT query FROM comanda.history_queries WHERE queryid = $1::bigint`, [queryid]);
  if (rows[0]) return rows[0].query;
  try {
    const { rows: live } = await db.query<{ query: string }>(
      TOOLKIT_TAG + `SELECT query FROM pg_stat_statements WHERE queryid = $1::bigint AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1`,
      [queryid],
    );
    return live[0]?.query;
  } catch {
    // pg_stat_statements is not there: only the history could have had it.
    return undefined;
  }
}

export type StatementPlan =
  | { query: string; refused: null; parameters: number; text: string; summary: { topNode: string; totalCost: number; estimatedRows: number; seqScansOnBigTables: Array<{ table: string; tableRows: number; filter?: string }> } }
  | { query: string; refused: string };

/** The generic plan of a recorded statement (EXPLAIN without ANALYZE: nothing runs). */
export async function statementPlan(db: Database, queryid: string): Promise<StatementPlan | undefined> {
  const query = await statementText(db, queryid);
  if (query === undefined) return undefined;
  try {
    const result = await explain(db, query, { timeoutMs: 5_000 });
    return { query, refused: null, parameters: result.parameters, text: result.text, summary: result.summary };
  } catch (err) {
    if (err instanceof ExplainRefused) return { query, refused: err.message };
    // A statement the planner cannot take as it was recorded (a text cut at 2,000 characters, an
    // object dropped since): said as the reason, not as a failure of the page.
    if (err instanceof Error && 'code' in err && typeof err.code === 'string') return { query, refused: `PostgreSQL cannot plan it as recorded: ${err.message}` };
    throw err;
  }
}
