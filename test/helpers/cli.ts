// Running the `comanda` CLI as operators do, in a process of its own: from the sources through
// tsx (what the tests change), or the built bin (dist/cli/main.js, what `npm install` builds).
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '../..');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Standard input (default: none, i.e. closed). */
  input?: string;
  /** 'src' (default): src/cli/main.ts through tsx; 'dist': the built bin. */
  bin?: 'src' | 'dist';
  /** Start from the test process's environment (default) or from `env` alone (PATH kept). */
  inherit?: boolean;
}

/** The environment: the test process's (or PATH alone), NO_COLOR, then `env`; a key set to undefined is removed. */
function environment(env: Record<string, string | undefined>, inherit = true): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...(inherit ? process.env : { PATH: process.env.PATH }), NO_COLOR: '1', ...env };
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  return merged;
}

const argv = (args: string[], bin: CliOptions['bin']) =>
  bin === 'dist' ? [path.join(root, 'dist/cli/main.js'), ...args] : ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args];

/** Runs `comanda ARGS…` and resolves with its exit status and output; never rejects on a non-zero exit. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv(args, options.bin), { cwd: root, env: environment(env, options.inherit) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** `runCli`, blocking: for tests with nothing else running in their process. */
export function runCliSync(args: string[], env: Record<string, string | undefined> = {}, options: CliOptions = {}): CliResult {
  const run = spawnSync(process.execPath, argv(args, options.bin), { cwd: root, env: environment(env, options.inherit), encoding: 'utf8', input: options.input ?? '' });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
