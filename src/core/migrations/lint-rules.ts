// Comanda's own migration rules, checked on the real PostgreSQL grammar (libpg-query: the
// server's parser compiled to WebAssembly), not with regular expressions. The general rules
// (CONCURRENTLY, NOT VALID, volatile defaults, type changes, renames, drops…) are squawk's: see
// lint.ts. Each rule here has a name, the line it points at and how to fix it.
import { loadModule, parseSync, scanSync } from 'libpg-query';

export type RuleName = 'syntax' | 'file-name' | 'restaurant-key' | 'bigint-key' | 'no-transaction-marker' | 'down-script' | 'lint-ignore-reason';

export interface RuleInfo {
  name: RuleName;
  summary: string;
  fix: string;
}

/** Tables of the `restaurante` schema that are not per-restaurant: reference tables, and the one keyed by the restaurant itself. */
export const REFERENCE_TABLES: readonly string[] = ['restaurants'];
/** The schema whose tables hold restaurants' data; `comanda` holds the toolkit's own bookkeeping. */
export const DATA_SCHEMA = 'restaurante';
export const RESTAURANT_KEY = 'restaurantId';

export const COMANDA_RULES: Record<RuleName, RuleInfo> = {
  syntax: { name: 'syntax', summary: 'the file does not parse as PostgreSQL', fix: 'correct the SQL; the message is the server parser’s' },
  'file-name': {
    name: 'file-name',
    summary: 'migration files are named NNNN_name.sql and NNNN_name.down.sql',
    fix: 'rename the file: four digits, an underscore, lower-case words joined by _, then .sql (or .down.sql for its down script)',
  },
  'restaurant-key': {
    name: 'restaurant-key',
    summary: `every per-restaurant table carries "${RESTAURANT_KEY}" and has it in its primary key and in every unique key`,
    fix:
      `add a "${RESTAURANT_KEY}" text NOT NULL column referencing ${DATA_SCHEMA}.restaurants (id) and lead the key with it, ` +
      `e.g. PRIMARY KEY ("${RESTAURANT_KEY}", id): rows are then found, joined and (later) sharded by restaurant. ` +
      `A reference table shared by all restaurants belongs in REFERENCE_TABLES (src/core/migrations/lint-rules.ts)`,
  },
  'bigint-key': {
    name: 'bigint-key',
    summary: 'a key column that grows (in a primary key, serial or identity) is bigint, not integer or smallint',
    fix: 'declare it bigint (bigserial, or bigint GENERATED ALWAYS AS IDENTITY): a 32-bit key runs out at 2,147,483,647 rows, and widening it later rewrites the table under ACCESS EXCLUSIVE. Counts and small numbers may stay integer',
  },
  'no-transaction-marker': {
    name: 'no-transaction-marker',
    summary: 'a statement that cannot run inside a transaction needs the runner’s `-- comanda:no-transaction` marker on the first line, alone in its file',
    fix: 'put `-- comanda:no-transaction` on the first line and keep that statement alone in its migration (the runner sends the file as one query; several statements would form an implicit transaction)',
  },
  'down-script': {
    name: 'down-script',
    summary: 'every migration has a down script that reverts it',
    fix: 'write NNNN_name.down.sql next to NNNN_name.sql with the statements that undo it (newest first)',
  },
  'lint-ignore-reason': {
    name: 'lint-ignore-reason',
    summary: 'a `-- comanda:lint-ignore RULE reason` comment names a rule and says why',
    fix: 'write `-- comanda:lint-ignore RULE why this exception is safe` on the line before the statement',
  },
};

export interface RawFinding {
  line: number;
  rule: string;
  message: string;
  fix: string;
}

export interface ParsedFile {
  /** Statements with their 1-based first and last lines. */
  statements: { node: Record<string, unknown>; startLine: number; endLine: number }[];
  /** `-- comanda:lint-ignore RULE reason` comments: their line and the statement they cover. */
  ignores: { line: number; rule: string; reason: string; coversFrom: number; coversTo: number }[];
  findings: RawFinding[];
}

let loaded: Promise<void> | undefined;
export const loadParser = (): Promise<void> => (loaded ??= loadModule());

const IGNORE = /^--\s*comanda:lint-ignore\b\s*(\S+)?\s*(.*)$/;
const NO_TRANSACTION = /^--\s*comanda:no-transaction\b/;

/** Byte offset → 1-based line (the parser's locations are byte offsets into UTF-8). */
function lineIndex(text: string): (offset: number) => number {
  const bytes = Buffer.from(text, 'utf8');
  const starts = [0];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

type Node = Record<string, unknown>;
const str = (n: unknown): string | undefined => ((n as { String?: { sval?: string } })?.String?.sval ?? undefined);

/** Parses a file; its findings are only syntax and ignore-comment ones, the rules run in `checkFile`. */
export function parseFile(text: string): ParsedFile {
  const lineOf = lineIndex(text);
  const findings: RawFinding[] = [];
  let tokens: { start: number; end: number; text: string; tokenName: string }[] = [];
  try {
    tokens = scanSync(text).tokens;
  } catch {
    // A scanner error is reported by the parser below with its position.
  }
  let stmts: { stmt: Node; stmt_location?: number; stmt_len?: number }[] = [];
  try {
    stmts = (parseSync(text) as unknown as { stmts?: typeof stmts }).stmts ?? [];
  } catch (err) {
    const details = (err as { sqlDetails?: { message: string; cursorPosition: number } }).sqlDetails;
    findings.push({
      line: details ? lineOf(Math.max(0, details.cursorPosition)) : 1,
      rule: 'syntax',
      message: details?.message ?? (err instanceof Error ? err.message : String(err)),
      fix: COMANDA_RULES.syntax.fix,
    });
  }
  const code = tokens.filter((t) => t.tokenName !== 'SQL_COMMENT' && t.tokenName !== 'C_COMMENT');
  const statements = stmts.map((s) => {
    const from = s.stmt_location ?? 0;
    const to = s.stmt_len ? from + s.stmt_len : Buffer.byteLength(text);
    const first = code.find((t) => t.start >= from);
    const last = [...code].reverse().find((t) => t.end <= to);
    return { node: s.stmt, startLine: lineOf(first?.start ?? from), endLine: lineOf(Math.max(from, (last?.end ?? to) - 1)) };
  });
  const ignores: ParsedFile['ignores'] = [];
  for (const token of tokens) {
    if (token.tokenName !== 'SQL_COMMENT') continue;
    const match = IGNORE.exec(token.text);
    if (!match) continue;
    const line = lineOf(token.start);
    const [, rule, reason] = match;
    if (!rule || !reason?.trim()) {
      findings.push({
        line,
        rule: 'lint-ignore-reason',
        message: rule ? `lint-ignore of ${rule} gives no reason` : 'lint-ignore names no rule',
        fix: COMANDA_RULES['lint-ignore-reason'].fix,
      });
      continue;
    }
    // It covers the statement that follows it (or the one it sits in); before any statement, the
    // file-level findings (line 1) too.
    const next = statements.find((s) => s.endLine >= line);
    const beforeAll = !statements[0] || line < statements[0].startLine;
    ignores.push({
      line,
      rule,
      reason: reason.trim(),
      coversFrom: beforeAll ? 1 : (next?.startLine ?? line),
      coversTo: next?.endLine ?? line,
    });
  }
  return { statements, ignores, findings };
}

const relationOf = (node: Node | undefined): { schema?: string; table: string } | undefined => {
  const r = node as { schemaname?: string; relname?: string } | undefined;
  return r?.relname ? { schema: r.schemaname, table: r.relname } : undefined;
};

/** A table of restaurants' data that is not a reference table. Unqualified names are not assumed to be (the project always qualifies). */
const perRestaurant = (rel: { schema?: string; table: string } | undefined): rel is { schema: string; table: string } =>
  !!rel && rel.schema === DATA_SCHEMA && !REFERENCE_TABLES.includes(rel.table);

const NEEDS_NO_TRANSACTION: { test: (kind: string, node: Node) => boolean; what: string }[] = [
  { test: (k, n) => k === 'IndexStmt' && n.concurrent === true, what: 'CREATE INDEX CONCURRENTLY' },
  { test: (k, n) => k === 'DropStmt' && n.concurrent === true, what: 'DROP INDEX CONCURRENTLY' },
  {
    test: (k, n) => k === 'ReindexStmt' && ((n.params as Node[] | undefined) ?? []).some((p) => (p.DefElem as Node | undefined)?.defname === 'concurrently'),
    what: 'REINDEX CONCURRENTLY',
  },
  { test: (k) => k === 'VacuumStmt', what: 'VACUUM' },
  { test: (k) => k === 'CreatedbStmt' || k === 'DropdbStmt', what: 'CREATE/DROP DATABASE' },
  { test: (k) => k === 'AlterSystemStmt', what: 'ALTER SYSTEM' },
  {
    test: (k, n) =>
      k === 'AlterTableStmt' &&
      ((n.cmds as Node[] | undefined) ?? []).some((c) => ((c.AlterTableCmd as Node | undefined)?.def as Node | undefined)?.PartitionCmd && ((c.AlterTableCmd as Node).def as { PartitionCmd: { concurrent?: boolean } }).PartitionCmd.concurrent),
    what: 'DETACH PARTITION CONCURRENTLY',
  },
];

/**
 * Comanda's rules on one file. `downText` is the down script's text for an up file (undefined:
 * it is missing), null when the file is itself a down script.
 */
export function checkFile(fileName: string, text: string, parsed: ParsedFile, downText: string | undefined | null): RawFinding[] {
  const findings: RawFinding[] = [];
  const named = /^(\d{4})_([a-z0-9_]+?)(\.down)?\.sql$/.exec(fileName);
  if (!named) findings.push({ line: 1, rule: 'file-name', message: `${fileName} is not named NNNN_name.sql or NNNN_name.down.sql`, fix: COMANDA_RULES['file-name'].fix });

  if (downText === undefined && named) {
    findings.push({ line: 1, rule: 'down-script', message: `${fileName} has no down script ${fileName.replace(/\.sql$/, '.down.sql')}`, fix: COMANDA_RULES['down-script'].fix });
  } else if (typeof downText === 'string' && named) {
    const down = parseFile(downText);
    if (down.findings.every((f) => f.rule !== 'syntax') && down.statements.length === 0) {
      findings.push({ line: 1, rule: 'down-script', message: `the down script of ${fileName} has no statement`, fix: COMANDA_RULES['down-script'].fix });
    }
  }

  // Statements that must run outside a transaction, and the marker.
  const marked = NO_TRANSACTION.test(text);
  const markerElsewhere = !marked && text.split('\n').some((l) => NO_TRANSACTION.test(l.trim()));
  const outside = parsed.statements.filter((s) => {
    const [kind, node] = Object.entries(s.node)[0] ?? ['', {}];
    return NEEDS_NO_TRANSACTION.some((r) => r.test(kind, node as Node));
  });
  for (const s of outside) {
    const [kind, node] = Object.entries(s.node)[0]!;
    const what = NEEDS_NO_TRANSACTION.find((r) => r.test(kind, node as Node))!.what;
    if (!marked) {
      findings.push({
        line: s.startLine,
        rule: 'no-transaction-marker',
        message: `${what} cannot run inside a transaction, and the runner wraps this file in one${markerElsewhere ? ' (the marker is only read on the first line)' : ''}`,
        fix: COMANDA_RULES['no-transaction-marker'].fix,
      });
    }
  }
  if (marked && parsed.statements.length > 1) {
    findings.push({
      line: parsed.statements[1]!.startLine,
      rule: 'no-transaction-marker',
      message: `a -- comanda:no-transaction file runs as one query string: its ${parsed.statements.length} statements would form an implicit transaction (and a failure half-way is not rolled back)`,
      fix: 'keep one statement per no-transaction migration; split the others into migrations of their own',
    });
  }

  // Keys that grow are bigint.
  const SMALL = new Set(['int4', 'int2', 'int', 'integer', 'smallint']);
  const SMALL_SERIAL = new Set(['serial', 'serial4', 'smallserial', 'serial2']);
  // Grows: serial, identity, a sequence default, or the whole primary key (a member of a
  // composite key, such as a party size, is a natural key that does not).
  const checkColumn = (c: Node, inPrimaryKey: boolean, line: number, table: string) => {
    const names = (((c.typeName as Node | undefined)?.names as unknown[]) ?? []).map(str);
    const type = names.at(-1);
    if (!type) return;
    const constraints = ((c.constraints as Node[] | undefined) ?? []).map((k) => (k.Constraint as Node | undefined)?.contype);
    const serial = SMALL_SERIAL.has(type);
    const identity = constraints.includes('CONSTR_IDENTITY');
    const primary = inPrimaryKey || constraints.includes('CONSTR_PRIMARY');
    const sequence = JSON.stringify(c.constraints ?? []).includes('"sval":"nextval"');
    if (serial || (SMALL.has(type) && (identity || primary || sequence))) {
      const small = type === 'int2' ? 'smallint' : 'integer';
      const why = serial ? `is ${type}` : identity ? `is an ${small} identity` : sequence ? `is an ${small} filled from a sequence` : `is an ${small} primary key`;
      findings.push({ line, rule: 'bigint-key', message: `${table}.${String(c.colname)} ${why}`, fix: COMANDA_RULES['bigint-key'].fix });
    }
  };
  for (const s of parsed.statements) {
    const [kind, node] = Object.entries(s.node)[0] as [string, Node];
    if (kind === 'CreateStmt') {
      const rel = relationOf(node.relation as Node);
      const name = rel ? `${rel.schema ? `${rel.schema}.` : ''}${rel.table}` : 'the table';
      const elements = (node.tableElts as Node[] | undefined) ?? [];
      const pkKeys = elements
        .map((e) => e.Constraint as Node | undefined)
        .filter((con) => con?.contype === 'CONSTR_PRIMARY')
        .flatMap((con) => ((con!.keys as unknown[]) ?? []).map(str));
      const pk = new Set(pkKeys.length === 1 ? pkKeys : []);
      for (const e of elements) if (e.ColumnDef) checkColumn(e.ColumnDef as Node, pk.has((e.ColumnDef as Node).colname as string), s.startLine, name);
    } else if (kind === 'AlterTableStmt') {
      const rel = relationOf(node.relation as Node);
      const name = rel ? `${rel.schema ? `${rel.schema}.` : ''}${rel.table}` : 'the table';
      for (const c of (node.cmds as Node[] | undefined) ?? []) {
        const cmd = c.AlterTableCmd as Node | undefined;
        if (cmd?.subtype === 'AT_AddColumn' && (cmd.def as Node | undefined)?.ColumnDef) checkColumn((cmd.def as Node).ColumnDef as Node, false, s.startLine, name);
      }
    }
  }

  // The restaurant key.
  for (const s of parsed.statements) {
    const [kind, node] = Object.entries(s.node)[0] as [string, Node];
    const push = (message: string) => findings.push({ line: s.startLine, rule: 'restaurant-key', message, fix: COMANDA_RULES['restaurant-key'].fix });
    if (kind === 'CreateStmt') {
      const rel = relationOf(node.relation as Node);
      if (!perRestaurant(rel)) continue;
      const name = `${rel.schema}.${rel.table}`;
      const elements = (node.tableElts as Node[] | undefined) ?? [];
      const columns = elements.map((e) => e.ColumnDef as Node | undefined).filter((c): c is Node => !!c);
      if (!columns.some((c) => c.colname === RESTAURANT_KEY)) {
        push(`${name} is a per-restaurant table without a "${RESTAURANT_KEY}" column`);
        continue;
      }
      const keys: { kind: 'PRIMARY KEY' | 'UNIQUE'; columns: string[] }[] = [];
      for (const c of columns) {
        for (const con of (c.constraints as Node[] | undefined) ?? []) {
          const type = (con.Constraint as Node | undefined)?.contype;
          if (type === 'CONSTR_PRIMARY') keys.push({ kind: 'PRIMARY KEY', columns: [c.colname as string] });
          if (type === 'CONSTR_UNIQUE') keys.push({ kind: 'UNIQUE', columns: [c.colname as string] });
        }
      }
      for (const e of elements) {
        const con = e.Constraint as Node | undefined;
        if (con?.contype === 'CONSTR_PRIMARY' || con?.contype === 'CONSTR_UNIQUE') {
          keys.push({ kind: con.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE', columns: ((con.keys as unknown[]) ?? []).map(str).filter((k): k is string => !!k) });
        }
      }
      if (!keys.some((k) => k.kind === 'PRIMARY KEY')) push(`${name} has no primary key; it needs one that includes "${RESTAURANT_KEY}"`);
      for (const k of keys) {
        if (!k.columns.includes(RESTAURANT_KEY)) push(`${name}: ${k.kind} (${k.columns.join(', ')}) does not include "${RESTAURANT_KEY}"`);
      }
    } else if (kind === 'IndexStmt' && node.unique === true) {
      const rel = relationOf(node.relation as Node);
      if (!perRestaurant(rel)) continue;
      const params = ((node.indexParams as Node[] | undefined) ?? []).map((p) => p.IndexElem as Node);
      if (!params.some((p) => p?.name === RESTAURANT_KEY)) {
        const index = typeof node.idxname === 'string' ? `unique index ${node.idxname}` : 'a unique index';
        push(`${index} on ${rel.schema}.${rel.table} does not include "${RESTAURANT_KEY}"`);
      }
    } else if (kind === 'AlterTableStmt') {
      const rel = relationOf(node.relation as Node);
      if (!perRestaurant(rel)) continue;
      for (const c of (node.cmds as Node[] | undefined) ?? []) {
        const cmd = c.AlterTableCmd as Node | undefined;
        const con = (cmd?.def as Node | undefined)?.Constraint as Node | undefined;
        if (cmd?.subtype !== 'AT_AddConstraint' || !con) continue;
        if ((con.contype === 'CONSTR_PRIMARY' || con.contype === 'CONSTR_UNIQUE') && con.keys) {
          const cols = (con.keys as unknown[]).map(str).filter((k): k is string => !!k);
          if (!cols.includes(RESTAURANT_KEY)) {
            push(`${rel.schema}.${rel.table}: ${con.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE'} (${cols.join(', ')}) does not include "${RESTAURANT_KEY}"`);
          }
        }
      }
    }
  }
  return findings;
}
