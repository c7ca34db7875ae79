// `comanda migrate lint`: checks migration files before they run.
//
// - General rules: squawk (npm `squawk-cli`, its binary shipped per platform inside the package),
//   the field's reference linter on PostgreSQL's grammar: index creation without CONCURRENTLY,
//   constraints without NOT VALID, volatile defaults, NOT NULL on an existing column, type
//   changes, renames, drops, int where bigint belongs, transaction nesting… Files are linted as
//   the runner runs them: inside a transaction unless they carry `-- comanda:no-transaction`.
//   Comanda's bigint-key replaces squawk's prefer-bigint-over-int (which flags every integer
//   column, counts included). Two squawk rules are left out because the runner does what they ask: it sets
//   `lock_timeout` on every migration (MIGRATION_LOCK_TIMEOUT_MS, retrying on timeout), and
//   leaves `statement_timeout` off on purpose (a long backfill is bounded by its locks, not its
//   duration).
// - Comanda's rules (lint-rules.ts) on libpg-query, the server's own parser.
// - `-- comanda:lint-ignore RULE reason` on the line before a statement accepts one finding of
//   that rule on that statement, for a stated reason.
// - A baseline (migrations/lint-baseline.json: file name → sha256) exempts migrations that were
//   released before the linter existed: they cannot be edited (the runner refuses an applied
//   migration whose checksum changed), so they are not linted unless asked. A baselined file
//   whose content changes is linted again.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { defaultMigrationsDir, NO_TRANSACTION } from './runner.js';
import { checkFile, COMANDA_RULES, loadParser, parseFile } from './lint-rules.js';

export interface LintFinding {
  file: string;
  line: number;
  rule: string;
  source: 'comanda' | 'squawk';
  message: string;
  fix: string;
  /** The reason of the `comanda:lint-ignore` comment that accepted it. */
  ignored?: string;
}

export interface LintReport {
  files: { file: string; state: 'linted' | 'baselined' }[];
  /** Findings not accepted by an ignore comment: any makes the lint fail. */
  findings: LintFinding[];
  /** Findings accepted by a `-- comanda:lint-ignore` comment, with its reason. */
  ignored: LintFinding[];
}

export interface Baseline {
  files: Record<string, string>;
}

export interface LintOptions {
  /** null: lint every file, baselined or not. Default: the baseline of the shipped migrations. */
  baseline?: Baseline | null;
  /** PostgreSQL version squawk assumes (the oldest Comanda supports). */
  pgVersion?: string;
}

export class LintError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LintError';
  }
}

/**
 * Squawk rules left out: two the runner makes moot (see the header), and prefer-bigint-over-int,
 * which flags every integer column, counts included; Comanda's bigint-key asks for bigint where
 * it belongs: keys that grow.
 */
export const SQUAWK_EXCLUDED = ['require-lock-timeout', 'require-statement-timeout', 'prefer-bigint-over-int'];
/** Also left out for down scripts: reverting a migration removes what it added, by definition. */
export const SQUAWK_EXCLUDED_DOWN = ['ban-drop-table', 'ban-drop-column'];
export const BASELINE_FILE = 'lint-baseline.json';
const SQUAWK_SYNTAX = 'syntax-error';

export const checksumOfFile = (text: string): string => createHash('sha256').update(text.replace(/\r\n/g, '\n')).digest('hex');

export async function readBaseline(dir = defaultMigrationsDir): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(path.join(dir, BASELINE_FILE), 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return { files: {} };
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<Baseline>;
  if (!parsed.files || typeof parsed.files !== 'object') throw new LintError(`${path.join(dir, BASELINE_FILE)}: expected {"files": {"NNNN_name.sql": "sha256"}}`);
  return { files: parsed.files };
}

/** The squawk binary of this platform, from its npm package. */
export function squawkBinary(): string {
  const pkg = `@squawk-cli/${process.platform}-${process.arch}`;
  try {
    const require = createRequire(import.meta.url);
    return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'bin', process.platform === 'win32' ? 'squawk.exe' : 'squawk');
  } catch {
    throw new LintError(`squawk is not installed for ${process.platform}-${process.arch} (npm package ${pkg}, an optional dependency of squawk-cli): run npm install`);
  }
}

interface SquawkViolation {
  file: string;
  line: number;
  column: number;
  level: string;
  message: string;
  help: string | null;
  rule_name: string;
}

async function runSquawk(files: string[], inTransaction: boolean, down: boolean, pgVersion: string): Promise<SquawkViolation[]> {
  if (files.length === 0) return [];
  const excluded = down ? [...SQUAWK_EXCLUDED, ...SQUAWK_EXCLUDED_DOWN] : SQUAWK_EXCLUDED;
  const args = ['--reporter', 'json', `--pg-version=${pgVersion}`, `--exclude=${excluded.join(',')}`, ...(inTransaction ? ['--assume-in-transaction'] : ['--no-assume-in-transaction']), ...files];
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(squawkBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
  });
  try {
    return JSON.parse(stdout || '[]') as SquawkViolation[];
  } catch {
    throw new LintError(`squawk failed (exit ${code}): ${stderr.trim() || stdout.trim()}`);
  }
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The migration files of a directory (up and down scripts), sorted. */
export async function migrationFiles(dir = defaultMigrationsDir): Promise<string[]> {
  return (await readdir(dir))
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Lints migration files (up or down scripts). Paths are reported as given. */
export async function lintFiles(paths: string[], options: LintOptions = {}): Promise<LintReport> {
  await loadParser();
  const baseline = options.baseline === undefined ? await readBaseline() : options.baseline;
  const report: LintReport = { files: [], findings: [], ignored: [] };
  const texts = new Map<string, string>();
  for (const file of paths) {
    const text = await readIfExists(file);
    if (text === undefined) throw new LintError(`${file}: no such file`);
    const base = path.basename(file);
    if (baseline && baseline.files[base] === checksumOfFile(text)) report.files.push({ file, state: 'baselined' });
    else {
      report.files.push({ file, state: 'linted' });
      texts.set(file, text);
    }
  }
  const linted = [...texts.keys()];
  const parsed = new Map(linted.map((f) => [f, parseFile(texts.get(f)!)]));
  const all: LintFinding[] = [];
  for (const file of linted) {
    const text = texts.get(file)!;
    const p = parsed.get(file)!;
    const isDown = file.endsWith('.down.sql');
    const downText = isDown ? null : await readIfExists(file.replace(/\.sql$/, '.down.sql'));
    for (const f of [...p.findings, ...checkFile(path.basename(file), text, p, downText)]) all.push({ file, source: 'comanda', ...f });
  }
  const pgVersion = options.pgVersion ?? '15.0';
  const violations: SquawkViolation[] = [];
  for (const down of [false, true]) {
    for (const inTransaction of [true, false]) {
      const group = linted.filter((f) => f.endsWith('.down.sql') === down && NO_TRANSACTION.test(texts.get(f)!) !== inTransaction);
      violations.push(...(await runSquawk(group, inTransaction, down, pgVersion)));
    }
  }
  for (const v of violations) {
    if (v.rule_name === SQUAWK_SYNTAX) continue; // reported by the parser, as `syntax`
    all.push({
      file: v.file,
      line: v.line + 1, // squawk counts lines from 0
      rule: v.rule_name,
      source: 'squawk',
      message: v.message,
      fix: `${v.help ? `${v.help} ` : ''}(https://squawkhq.com/docs/${v.rule_name})`,
    });
  }
  for (const finding of all) {
    const ignore = parsed.get(finding.file)?.ignores.find((i) => i.rule === finding.rule && finding.line >= i.coversFrom && finding.line <= i.coversTo);
    if (ignore && finding.rule !== 'lint-ignore-reason') report.ignored.push({ ...finding, ignored: ignore.reason });
    else report.findings.push(finding);
  }
  const order = (a: LintFinding, b: LintFinding) => a.file.localeCompare(b.file) || a.line - b.line || a.rule.localeCompare(b.rule);
  report.findings.sort(order);
  report.ignored.sort(order);
  return report;
}

/** Every migration of a directory. */
export async function lintDirectory(dir = defaultMigrationsDir, options: LintOptions = {}): Promise<LintReport> {
  const baseline = options.baseline === undefined ? await readBaseline(dir) : options.baseline;
  return lintFiles(await migrationFiles(dir), { ...options, baseline });
}

/** `file:line rule message` and, indented, how to fix it. */
export function formatFinding(f: LintFinding): string {
  return `${f.file}:${f.line} ${f.rule} ${f.message}\n    fix: ${f.fix}`;
}

export const ruleDocs = COMANDA_RULES;
