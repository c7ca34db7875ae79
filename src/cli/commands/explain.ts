// `comanda explain "<sql>"`: the plan of one statement, in a transaction that is rolled back.
import type { Command } from 'commander';
import pg from 'pg';
import { explain, ExplainRefused, type ExplainResult } from '../../core/explain.js';
import { CliError, withDatabase } from '../connect.js';
import { printJson } from '../output.js';
import { COMMAND_EXIT_CODES } from '../exit-codes.js';

interface ExplainFlags {
  analyze?: boolean;
  yes?: boolean;
  json?: boolean;
  timeoutMs: string;
}

function printSummary(result: ExplainResult): void {
  const s = result.summary;
  const out: string[] = [result.text, ''];
  out.push(`Top node:   ${s.topNode}, cost ${s.totalCost.toFixed(2)}`);
  out.push(`Rows:       ${s.estimatedRows} estimated${s.actualRows !== undefined ? `, ${s.actualRows} actual` : ''}`);
  if (s.executionMs !== undefined) out.push(`Time:       ${s.planningMs?.toFixed(1)} ms planning, ${s.executionMs.toFixed(1)} ms execution`);
  for (const scan of s.seqScansOnBigTables) {
    out.push(`Seq scan:   ${scan.table} (${Math.round(scan.tableRows)} rows)${scan.filter ? ` filtered by ${scan.filter}: an index may help` : ''}`);
  }
  for (const m of s.misestimates) out.push(`Estimate:   ${m.node}: ${m.estimated} rows estimated, ${m.actual} actual (ANALYZE the table, or raise its statistics target)`);
  if (result.parameters > 0) {
    out.push(`Generic plan: the plan for any values of $1…$${result.parameters}; with values in their place the planner may choose differently.`);
    out.push('Plan only: nothing ran (put values in place of the parameters to use --analyze).');
  } else out.push(result.analyzed ? 'The statement ran and was rolled back.' : 'Plan only: nothing ran (--analyze runs it, then rolls it back).');
  process.stdout.write(out.join('\n') + '\n');
}

export function explainCommand(program: Command): void {
  program
    .command('explain')
    .description('the plan of one statement, in a transaction that is rolled back, with a timeout')
    .argument('<sql>', 'one SELECT, WITH, VALUES, TABLE, INSERT, UPDATE, DELETE or MERGE statement; with $1-style parameters, its generic plan')
    .option('--analyze', 'EXPLAIN ANALYZE: run the statement (read-only for reads), then roll back')
    .option('--yes', 'with --analyze: allow a statement that writes or locks rows (still rolled back)')
    .option('--timeout-ms <ms>', 'statement_timeout of the EXPLAIN', '10000')
    .option('--json', 'print {kind, analyzed, parameters, rolledBack, summary, plan}')
    .action(async (sql: string, flags: ExplainFlags) => {
      if (!/^\d+$/.test(flags.timeoutMs) || Number(flags.timeoutMs) < 1) throw new CliError('--timeout-ms must be a whole number of milliseconds, e.g. 30000', COMMAND_EXIT_CODES.usage);
      const timeoutMs = Number(flags.timeoutMs);
      let result: ExplainResult;
      try {
        result = await withDatabase((db) => explain(db, sql, { analyze: flags.analyze, allowWrites: flags.yes, timeoutMs }));
      } catch (err) {
        if (err instanceof ExplainRefused) throw new CliError(err.message, COMMAND_EXIT_CODES.usage);
        if (err instanceof pg.DatabaseError) {
          const hint = err.code === '57014' ? ` (the timeout is ${timeoutMs} ms: raise --timeout-ms, or drop --analyze)` : '';
          throw new CliError(`PostgreSQL refused the statement: ${err.message}${hint}`, COMMAND_EXIT_CODES.failed);
        }
        throw err;
      }
      if (flags.json) {
        const { text: _text, ...rest } = result;
        printJson(rest);
      } else printSummary(result);
    });
}
