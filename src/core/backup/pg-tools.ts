// pg_dump and pg_restore: found on PATH or in PG_BIN_DIR, checked against the server's major
// version (pg_dump refuses to dump a newer server, and a newer archive format is unreadable by
// an older pg_restore), and run with the password in the environment, never on the command line
// where `ps` would show it.
import { spawn } from 'node:child_process';
import path from 'node:path';

/** A backup failure with a message that says what happened and what to do. */
export class BackupError extends Error {
  /** What went wrong, for callers that treat one case apart (never the message's wording). */
  readonly reason: 'no-manifest' | undefined;
  constructor(message: string, options?: { cause?: unknown; reason?: 'no-manifest' }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BackupError';
    this.reason = options?.reason;
  }
}

export type PgTool = 'pg_dump' | 'pg_restore';

export interface PgToolInfo {
  path: string;
  /** e.g. "15.20" */
  version: string;
  major: number;
}

const INSTALL_HINT = 'install the PostgreSQL client of the server\'s major version (Debian/Ubuntu: apt-get install postgresql-client-15), or set PG_BIN_DIR to the directory holding it';

export function toolPath(tool: PgTool, binDir?: string): string {
  return binDir ? path.join(binDir, tool) : tool;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion, collecting its output (stderr lines also go to onStderrLine). */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; onStderrLine?: (line: string) => void; keepStdout?: boolean } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (options.keepStdout !== false) stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > 1_000_000) stderr = stderr.slice(-500_000);
      if (options.onStderrLine) {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) options.onStderrLine(line);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (partial && options.onStderrLine) options.onStderrLine(partial);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The tool's version, or a BackupError saying how to install it. */
export async function toolInfo(tool: PgTool, binDir?: string): Promise<PgToolInfo> {
  const file = toolPath(tool, binDir);
  let result: RunResult;
  try {
    result = await run(file, ['--version']);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES') {
      throw new BackupError(`${tool} was not found${binDir ? ` in PG_BIN_DIR (${binDir})` : ' on PATH'}: ${INSTALL_HINT}`, { cause: err });
    }
    throw err;
  }
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(result.stdout);
  if (result.code !== 0 || !match) {
    throw new BackupError(`${file} --version did not report a PostgreSQL version; ${INSTALL_HINT}`);
  }
  return { path: file, version: match[2] === undefined ? match[1]! : `${match[1]}.${match[2]}`, major: Number(match[1]) };
}

/** Refuses a tool older than the server: pg_dump would refuse anyway, with a less helpful message. */
export function assertNotOlder(tool: PgToolInfo, toolName: PgTool, serverVersionNum: number, serverVersion: string): void {
  const serverMajor = Math.floor(serverVersionNum / 10_000);
  if (tool.major < serverMajor) {
    throw new BackupError(
      `${toolName} ${tool.version} (${tool.path}) is older than the server (PostgreSQL ${serverVersion}): ` +
        `install postgresql-client-${serverMajor} (Debian/Ubuntu: apt-get install postgresql-client-${serverMajor}), or set PG_BIN_DIR to its bin directory`,
    );
  }
}

/**
 * A libpq connection for the child: the URL without its password (so it never appears in the
 * process list or in error messages) and the password in PGPASSWORD.
 */
export function libpqConnection(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  const env: NodeJS.ProcessEnv = { ...process.env };
  // A PGPASSWORD/PGDATABASE left in the caller's environment must not win over the URL.
  delete env.PGPASSWORD;
  if (password) env.PGPASSWORD = password;
  return { dbname: parsed.toString(), env };
}

/** The same server and credentials, another database. */
export function withDatabaseName(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = '/' + encodeURIComponent(database);
  return parsed.toString();
}

/** The database name in a URL, for messages (never the URL: it may carry a password). */
export function databaseNameOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  return name || '(default)';
}

/** Anything that looks like credentials in a URL, blanked for messages. */
export function redact(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/\s@]*):[^@\s]*@/gi, '$1:***@').replace(/(PGPASSWORD=)\S+/g, '$1***');
}

/** The meaningful stderr lines of a failed tool (its errors, else its last lines), for a message. */
export function tail(stderr: string, lines = 6): string {
  const all = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const errors = all.filter((l) => /error|fatal|warning|detail:|hint:|command was/i.test(l));
  return redact((errors.length ? errors : all).slice(-lines).join('\n'));
}
