// External programs some tests need (PgBouncer, pg_dump, promtool, a browser…). A test file that
// needs one declares it with `tool(…)` and wraps its suites in `describeWith([tools…], …)`:
// - found: the suite runs as written;
// - missing and COMANDA_TEST_REQUIRE_TOOLS unset (a developer's machine with Node alone): every
//   test of the suite is reported as skipped, its name saying which Debian package to install;
// - missing and COMANDA_TEST_REQUIRE_TOOLS set (CI): the file fails, naming the tool, so CI never
//   skips silently.
// Everything that needs the tool (starting it, module-level setup) belongs inside the suite.
import { spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';

export interface Tool {
  /** The command, as a person would type it. */
  name: string;
  /** The Debian package that provides it. */
  debianPackage: string;
  /** Absolute path or command name that ran, if found. */
  path?: string;
}

export const toolsRequired = (): boolean => !!process.env.COMANDA_TEST_REQUIRE_TOOLS && process.env.COMANDA_TEST_REQUIRE_TOOLS !== '0';

/**
 * Finds a program: the first candidate (a path or a name on PATH) that runs with `versionArgs`
 * (default `--version`) and exits 0. Throws when it is missing and tools are required.
 */
export function tool(name: string, debianPackage: string, options: { candidates?: string[]; versionArgs?: string[] } = {}): Tool {
  const candidates = options.candidates ?? [name];
  const found = candidates.find((candidate) => {
    const run = spawnSync(candidate, options.versionArgs ?? ['--version'], { stdio: 'ignore', timeout: 20_000 });
    return run.status === 0;
  });
  if (!found && toolsRequired()) {
    throw new Error(`${name} is required (COMANDA_TEST_REQUIRE_TOOLS is set) but was not found: apt-get install ${debianPackage}`);
  }
  return { name, debianPackage, path: found };
}

/** Why a suite cannot run, or undefined when every tool was found. */
export function missingReason(tools: Tool[]): string | undefined {
  const missing = tools.filter((t) => !t.path);
  if (missing.length === 0) return undefined;
  return `needs ${missing.map((t) => `${t.name} (apt-get install ${t.debianPackage})`).join(', ')}`;
}

/** `describe`, or a skipped `describe` whose name gives the reason when a tool is missing. */
export function describeWith(tools: Tool[], name: string, body: () => void): void {
  const reason = missingReason(tools);
  if (reason === undefined) describe(name, body);
  else describe.skip(`${name} [skipped: ${reason}]`, body);
}

/** `it`, or a skipped `it` whose name gives the reason when a tool is missing. */
export function itWith(tools: Tool[], name: string, body: () => Promise<void> | void, timeout?: number): void {
  const reason = missingReason(tools);
  if (reason === undefined) it(name, body, timeout);
  else it.skip(`${name} [skipped: ${reason}]`, body);
}

export const pgbouncerTool = () => tool('pgbouncer', 'pgbouncer', { candidates: ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', 'pgbouncer'] });
export const pgDumpTools = () => [tool('pg_dump', 'postgresql-client-15'), tool('pg_restore', 'postgresql-client-15')];
export const pgBasebackupTool = () => tool('pg_basebackup', 'postgresql-client-15');
export const promtoolTool = () => tool('promtool', 'prometheus');
export const checkPostgresTool = () => tool('check_postgres', 'check-postgres');
