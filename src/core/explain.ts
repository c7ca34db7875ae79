// `comanda explain`: the plan of one statement, inside a transaction that is always rolled back,
// with a statement timeout. Plain EXPLAIN (nothing runs) by default; EXPLAIN ANALYZE runs the
// statement, so it is allowed for reads (in a READ ONLY transaction: a function that would write
// fails instead), and for statements that write or lock rows (INSERT, UPDATE, DELETE, MERGE, a
// data-modifying WITH, SELECT … FOR UPDATE) only when the caller says yes — and even then every
// change is rolled back. One statement at a time; DDL and utility statements are refused.
// A statement with $1-style parameters (as pg_stat_statements and the logs show them) gets its
// generic plan: PostgreSQL 15 has no EXPLAIN (GENERIC_PLAN), so it is prepared, planned with
// plan_cache_mode = force_generic_plan and explained as EXECUTE with NULLs (which a generic plan
// does not look at); ANALYZE of it is refused, as there are no values to run it with.
import type pg from 'pg';
import type { Database } from './db/database.js';

export class ExplainRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExplainRefused';
  }
}

export interface ExplainOptions {
  /** EXPLAIN ANALYZE: runs the statement (then rolls it back). */
  analyze?: boolean;
  /** Allow ANALYZE of a statement that writes or locks rows. */
  allowWrites?: boolean;
  /** statement_timeout of the EXPLAIN; default 10 s. */
  timeoutMs?: number;
  /** A sequential scan of a table with at least this many rows is pointed out; default 10,000. */
  bigTableRows?: number;
}

/** A node of PostgreSQL's JSON plan (the fields used here). */
export interface PlanNode {
  'Node Type': string;
  Operation?: string;
  Strategy?: string;
  'Join Type'?: string;
  'Relation Name'?: string;
  Schema?: string;
  Alias?: string;
  'Index Name'?: string;
  'CTE Name'?: string;
  'Function Name'?: string;
  'Startup Cost': number;
  'Total Cost': number;
  'Plan Rows': number;
  'Plan Width': number;
  'Actual Startup Time'?: number;
  'Actual Total Time'?: number;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  Filter?: string;
  'Index Cond'?: string;
  'Hash Cond'?: string;
  'Merge Cond'?: string;
  'Join Filter'?: string;
  'Rows Removed by Filter'?: number;
  'Sort Key'?: string[];
  Plans?: PlanNode[];
}

interface ExplainJson {
  Plan: PlanNode;
  'Planning Time'?: number;
  'Execution Time'?: number;
}

export interface SeqScan {
  table: string;
  /** Rows of the table according to its statistics (pg_class.reltuples). */
  tableRows: number;
  filter?: string;
}

export interface Misestimate {
  node: string;
  estimated: number;
  actual: number;
}

export interface ExplainSummary {
  topNode: string;
  estimatedRows: number;
  actualRows?: number;
  totalCost: number;
  planningMs?: number;
  executionMs?: number;
  seqScansOnBigTables: SeqScan[];
  /** With ANALYZE: nodes whose row estimate is off by 10× or more (and 100 rows or more). */
  misestimates: Misestimate[];
}

export interface ExplainResult {
  /** `read`, or `write` for statements that write or lock rows. */
  kind: 'read' | 'write';
  analyzed: boolean;
  /** How many $n parameters the statement has; when any, the plan is the generic one. */
  parameters: number;
  /** Always true: whatever ran was rolled back. */
  rolledBack: true;
  summary: ExplainSummary;
  /** The plan as PostgreSQL's EXPLAIN (FORMAT JSON, VERBOSE) gives it. */
  plan: unknown;
  /** The plan as an indented tree, close to EXPLAIN's text format. */
  text: string;
}

const EXPLAINABLE = new Set(['select', 'with', 'values', 'table', 'insert', 'update', 'delete', 'merge']);

/**
 * Skips what cannot hold a statement separator: strings ('…', E'…' with backslash escapes,
 * $tag$…$tag$), quoted identifiers and comments (nested block comments too). Returns the index
 * of the first top-level `;` followed by anything but whitespace and comments, or -1.
 */
export function secondStatementAt(sql: string): number {
  let i = 0;
  let separator = -1;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
    } else if (c === "'") {
      const escapes = i > 0 && /[eE]/.test(sql[i - 1]!) && (i < 2 || !/[\w$]/.test(sql[i - 2]!));
      i++;
      while (i < n) {
        if (escapes && sql[i] === '\\') i += 2;
        else if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
        else if (sql[i] === "'") break;
        else i++;
      }
      i++;
    } else if (c === '"') {
      const end = sql.indexOf('"', i + 1);
      i = end === -1 ? n : end + 1;
    } else if (c === '$' && (i === 0 || !/[\w$]/.test(sql[i - 1]!))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        i = end === -1 ? n : end + tag[0].length;
      } else i++;
    } else if (c === ';') {
      if (separator === -1) separator = i;
      i++;
    } else {
      if (separator !== -1 && !/\s/.test(c)) return separator;
      i++;
    }
  }
  return -1;
}

/** The statement's first keyword, past comments, whitespace and opening parentheses. */
export function leadingKeyword(sql: string): string {
  const stripped = sql.replace(/^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/|\()*/, '');
  return (/^[A-Za-z_]+/.exec(stripped)?.[0] ?? '').toLowerCase();
}

/** Refuses what cannot be explained safely; returns the statement without a trailing `;`. */
export function checkStatement(sql: string): string {
  const statement = sql.trim().replace(/;\s*$/, '');
  const keyword = leadingKeyword(statement);
  if (!keyword) throw new ExplainRefused('no statement to explain: give one SQL statement, e.g. comanda explain "SELECT * FROM restaurante.orders"');
  if (secondStatementAt(sql) !== -1) throw new ExplainRefused('one statement at a time: the text holds more than one (separated by ";")');
  if (keyword === 'explain') throw new ExplainRefused('give the statement without EXPLAIN: comanda explain adds it (use --analyze for EXPLAIN ANALYZE)');
  if (!EXPLAINABLE.has(keyword)) {
    throw new ExplainRefused(
      `"${keyword.toUpperCase()}" cannot be explained: only SELECT, WITH, VALUES, TABLE, INSERT, UPDATE, DELETE and MERGE; ` +
        'DDL and utility statements (CREATE, ALTER, DROP, VACUUM, COPY, …) are refused',
    );
  }
  return statement;
}

const walk = (node: PlanNode, visit: (n: PlanNode, depth: number) => void, depth = 0): void => {
  visit(node, depth);
  for (const child of node.Plans ?? []) walk(child, visit, depth + 1);
};

const relationOf = (n: PlanNode) => (n['Relation Name'] ? `${n.Schema ? `${n.Schema}.` : ''}${n['Relation Name']}` : undefined);

/** "Seq Scan on restaurante.orders o", "Index Scan using idx on …", "Hash Left Join", "Delete on …". */
export function nodeLabel(n: PlanNode): string {
  let type = n['Node Type'];
  if (type === 'ModifyTable' && n.Operation) type = n.Operation;
  if (type === 'Aggregate' && n.Strategy === 'Hashed') type = 'HashAggregate';
  if (type === 'Aggregate' && n.Strategy === 'Sorted') type = 'GroupAggregate';
  if (n['Join Type'] && n['Join Type'] !== 'Inner' && /Join|Nested Loop/.test(type)) {
    type = type === 'Nested Loop' ? `Nested Loop ${n['Join Type']} Join` : type.replace(/ Join$/, ` ${n['Join Type']} Join`);
  }
  const relation = relationOf(n);
  const alias = n.Alias && n.Alias !== n['Relation Name'] ? ` ${n.Alias}` : '';
  const index = n['Index Name'] ? ` using ${n['Index Name']}` : '';
  if (relation) return `${type}${index} on ${relation}${alias}`;
  if (n['CTE Name']) return `${type} on ${n['CTE Name']}`;
  if (n['Function Name']) return `${type} on ${n['Function Name']}`;
  return `${type}${index}`;
}

/** The plan as an indented tree in the manner of EXPLAIN's text format. */
export function renderPlan(explained: ExplainJson): string {
  const lines: string[] = [];
  walk(explained.Plan, (n, depth) => {
    const pad = depth === 0 ? '' : '  '.repeat(depth * 2 - 1) + '->  ';
    const detailPad = depth === 0 ? '  ' : '  '.repeat(depth * 2 + 1);
    let line = `${pad}${nodeLabel(n)}  (cost=${n['Startup Cost'].toFixed(2)}..${n['Total Cost'].toFixed(2)} rows=${n['Plan Rows']} width=${n['Plan Width']})`;
    if (n['Actual Loops'] !== undefined) {
      line +=
        n['Actual Loops'] === 0
          ? ' (never executed)'
          : ` (actual time=${n['Actual Startup Time']!.toFixed(3)}..${n['Actual Total Time']!.toFixed(3)} rows=${n['Actual Rows']} loops=${n['Actual Loops']})`;
    }
    lines.push(line);
    for (const key of ['Index Cond', 'Hash Cond', 'Merge Cond', 'Join Filter', 'Filter'] as const) {
      if (n[key]) lines.push(`${detailPad}${key}: ${n[key]}`);
    }
    if (n['Rows Removed by Filter'] !== undefined) lines.push(`${detailPad}Rows Removed by Filter: ${n['Rows Removed by Filter']}`);
    if (n['Sort Key']) lines.push(`${detailPad}Sort Key: ${n['Sort Key'].join(', ')}`);
  });
  if (explained['Planning Time'] !== undefined) lines.push(`Planning Time: ${explained['Planning Time'].toFixed(3)} ms`);
  if (explained['Execution Time'] !== undefined) lines.push(`Execution Time: ${explained['Execution Time'].toFixed(3)} ms`);
  return lines.join('\n');
}

function writesOrLocks(plan: PlanNode): boolean {
  let found = false;
  walk(plan, (n) => {
    if (n['Node Type'] === 'ModifyTable' || n['Node Type'] === 'LockRows') found = true;
  });
  return found;
}

type Client = Pick<pg.PoolClient, 'query'>;

async function explainJson(client: Client, statement: string, analyze: boolean): Promise<ExplainJson> {
  const options = analyze ? 'ANALYZE, BUFFERS, VERBOSE, FORMAT JSON' : 'VERBOSE, FORMAT JSON';
  // The extended protocol refuses several statements in one text: a second guard behind
  // checkStatement's, by PostgreSQL's own parser.
  const query = { text: `EXPLAIN (${options}) ${statement}`, queryMode: 'extended' } as pg.QueryConfig;
  const { rows } = await client.query<{ 'QUERY PLAN': ExplainJson[] }>(query);
  return rows[0]!['QUERY PLAN'][0]!;
}

const PREPARED = 'comanda_explain';

/**
 * Prepares a statement that may hold $n parameters; returns how many it has. A parameter whose
 * type the statement does not tell is refused with what to write instead.
 */
async function prepare(client: Client, statement: string): Promise<number> {
  try {
    await client.query({ text: `PREPARE ${PREPARED} AS ${statement}`, queryMode: 'extended' } as pg.QueryConfig);
  } catch (err) {
    if ((err as { code?: string }).code === '42P18') {
      throw new ExplainRefused(`${(err as Error).message}: give it a type with a cast, e.g. $1::bigint or $1::text`);
    }
    throw err;
  }
  const { rows } = await client.query<{ n: number }>(`SELECT cardinality(parameter_types) AS n FROM pg_prepared_statements WHERE name = '${PREPARED}'`);
  return rows[0]!.n;
}

/** Explains one statement; always rolls back. Throws ExplainRefused for what it will not run. */
export async function explain(db: Database, sql: string, options: ExplainOptions = {}): Promise<ExplainResult> {
  const statement = checkStatement(sql);
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new ExplainRefused('the timeout must be a whole number of milliseconds, at least 1');
  const bigTableRows = options.bigTableRows ?? 10_000;
  const client = await db.pool.connect();
  let broken: Error | undefined;
  let prepared = false;
  try {
    await client.query(`BEGIN; SET LOCAL statement_timeout = ${timeoutMs}; SET LOCAL lock_timeout = ${Math.min(timeoutMs, 2_000)}`);
    // "$1" may also sit in a string literal: the prepared statement's parameter count decides.
    let parameters = 0;
    if (/\$\d/.test(statement)) {
      parameters = await prepare(client, statement);
      prepared = true;
    }
    // Plain EXPLAIN first: it runs nothing, and its plan tells whether the statement writes
    // (a ModifyTable node, also inside WITH) or locks rows (LockRows).
    let explained: ExplainJson;
    if (parameters > 0) {
      if (options.analyze) {
        throw new ExplainRefused(
          `the statement has ${parameters} parameter${parameters === 1 ? '' : 's'} ($1…) and no values to run with: drop --analyze for its generic plan, or put values in their place`,
        );
      }
      await client.query('SET LOCAL plan_cache_mode = force_generic_plan');
      explained = await explainJson(client, `EXECUTE ${PREPARED}(${Array<string>(parameters).fill('NULL').join(', ')})`, false);
    } else explained = await explainJson(client, statement, false);
    if (prepared) {
      await client.query(`DEALLOCATE ${PREPARED}`);
      prepared = false;
    }
    const kind = writesOrLocks(explained.Plan) ? 'write' : 'read';
    if (options.analyze) {
      if (kind === 'write' && !options.allowWrites) {
        throw new ExplainRefused(
          'this statement writes or locks rows: EXPLAIN ANALYZE would run it (then roll it back); add --yes to go ahead, or drop --analyze for the plan alone',
        );
      }
      // A read runs read-only: a function called by it that would write fails instead.
      if (kind === 'read') await client.query('SET LOCAL transaction_read_only = on');
      explained = await explainJson(client, statement, true);
    }
    const summary = summarise(explained, Boolean(options.analyze));
    const seqScans: Array<{ table: string; filter?: string }> = [];
    walk(explained.Plan, (n) => {
      const table = relationOf(n);
      if (n['Node Type'] === 'Seq Scan' && table) seqScans.push({ table, filter: n.Filter });
    });
    if (seqScans.length) {
      const { rows } = await client.query<{ name: string; rows: number }>(
        `SELECT format('%s.%s', n.nspname, c.relname) AS name, c.reltuples::float8 AS rows
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE format('%s.%s', n.nspname, c.relname) = ANY($1)`,
        [seqScans.map((s) => s.table)],
      );
      const sizes = new Map(rows.map((r) => [r.name, r.rows]));
      summary.seqScansOnBigTables = seqScans
        .map((s) => ({ ...s, tableRows: Math.max(0, sizes.get(s.table) ?? 0) }))
        .filter((s) => s.tableRows >= bigTableRows)
        .map(({ table, tableRows, filter }) => (filter ? { table, tableRows, filter } : { table, tableRows }));
    }
    return { kind, analyzed: Boolean(options.analyze), parameters, rolledBack: true, summary, plan: [explained], text: renderPlan(explained) };
  } finally {
    try {
      await client.query('ROLLBACK');
      // A prepared statement outlives the transaction: never hand it on with the connection.
      if (prepared) await client.query(`DEALLOCATE ${PREPARED}`);
    } catch (err) {
      broken = err instanceof Error ? err : new Error(String(err));
    }
    client.release(broken);
  }
}

function summarise(explained: ExplainJson, analyzed: boolean): ExplainSummary {
  const top = explained.Plan;
  const misestimates: Misestimate[] = [];
  if (analyzed) {
    walk(top, (n) => {
      if (!n['Actual Loops']) return;
      const estimated = n['Plan Rows'];
      const actual = n['Actual Rows'] ?? 0;
      const high = Math.max(estimated, actual);
      if (high >= 100 && high / Math.max(1, Math.min(estimated, actual)) >= 10) misestimates.push({ node: nodeLabel(n), estimated, actual });
    });
  }
  return {
    topNode: nodeLabel(top),
    estimatedRows: top['Plan Rows'],
    actualRows: analyzed ? (top['Actual Rows'] ?? 0) * (top['Actual Loops'] ?? 1) : undefined,
    totalCost: top['Total Cost'],
    planningMs: explained['Planning Time'],
    executionMs: explained['Execution Time'],
    seqScansOnBigTables: [],
    misestimates,
  };
}
