// `comanda backup`, `comanda backup verify`, `comanda backup list`, `comanda restore`: a thin
// shell over src/core/backup. Progress goes to stderr on a terminal; --json prints the result.
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import {
  pruneBackups,
  backupAndVerify,
  BackupError,
  createBackup,
  inspectTarget,
  listBackups,
  readManifest,
  restoreBackup,
  runCopyCommand,
  verifyBackup,
  type BackupProgress,
} from '../../core/backup/index.js';
import { CliError, resolveTarget } from '../connect.js';
import { printJson, printTable } from '../output.js';
import { COMMAND_EXIT_CODES } from '../exit-codes.js';

const tty = () => process.stderr.isTTY === true;

/** One status line on a terminal, rewritten in place; nothing when stderr is not a terminal. */
function progressLine(event: BackupProgress): void {
  if (!tty()) return;
  const text = event.phase === 'table' && event.total ? `[${event.done}/${event.total}] ${event.message}` : event.message;
  const width = process.stderr.columns || 100;
  process.stderr.write(`\r\u001b[2K${text.slice(0, width - 1)}`);
  if (event.phase === 'done' || event.phase === 'start') process.stderr.write('\n');
}

const say = (message: string) => {
  if (tty()) process.stderr.write(`\r\u001b[2K${message}\n`);
};

/** Library errors become CLI errors (exit 1, the message says what to do). */
async function cli<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (tty()) process.stderr.write('\r\u001b[2K');
    if (err instanceof BackupError) throw new CliError(err.message, COMMAND_EXIT_CODES.failed);
    throw err;
  }
}

function checkUrl(value: string, flag: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'postgres:' || url.protocol === 'postgresql:') return value;
  } catch {
    // fall through
  }
  throw new CliError(`${flag} must be a postgres:// URL, e.g. postgres://comanda_owner@db.internal:5432/comanda`, COMMAND_EXIT_CODES.usage);
}

/** The database's direct URL, or undefined when none is configured and `optional`. */
async function directUrl(optional = false): Promise<string | undefined> {
  try {
    return (await resolveTarget()).directUrl;
  } catch (err) {
    if (optional && err instanceof CliError) return undefined;
    throw err;
  }
}

const fmtBytes = (n: number) => (n < 1024 ? `${n} B` : n < 1_048_576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1_048_576).toFixed(1)} MiB`);

export function backupCommands(program: Command): void {
  const backup = program
    .command('backup')
    .description('write a pg_dump archive and its manifest, then apply retention; `backup verify`, `backup list`')
    .option('--dir <dir>', 'backup directory (default COMANDA_BACKUP_DIR, else COMANDA_DATA_DIR/backups)')
    .option('--verify', 'also verify it (restore into a scratch database), run COMANDA_BACKUP_COPY_COMMAND: the daily routine')
    .option('--scratch-url <url>', 'with --verify: a database URL on a server where its role may CREATE DATABASE')
    .option('--no-retention', 'do not delete old backups this time')
    .option('--json', 'print the result as JSON')
    .action(async (options: { dir?: string; verify?: boolean; scratchUrl?: string; retention: boolean; json?: boolean }) => {
      const config = loadConfig();
      const dir = path.resolve(options.dir ?? config.backup.dir);
      if (options.scratchUrl) checkUrl(options.scratchUrl, '--scratch-url');
      const url = (await directUrl())!;
      await cli(async () => {
        if (options.verify) {
          const result = await backupAndVerify({ url, settings: config.backup, dir, scratchUrl: options.scratchUrl, retention: options.retention, onProgress: progressLine });
          if (options.json) {
            printJson({
              ok: result.ok,
              file: result.backup.file,
              manifestFile: result.backup.manifestFile,
              manifest: result.backup.manifest,
              verified: result.verification !== undefined,
              verifyError: result.verifyError,
              copy: result.copy,
              deleted: result.retention?.deleted ?? [],
              problems: result.problems,
              warnings: result.warnings,
            });
          } else {
            if (tty()) process.stderr.write('\r\u001b[2K');
            process.stdout.write(`${result.backup.file}\n`);
            for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
          }
          if (!result.ok) throw new BackupError(result.problems.join('\n'));
          say(`verified${result.copy ? ', copied off-site' : ''}; ${result.retention?.deleted.length ?? 0} old backup(s) deleted`);
          return;
        }
        const created = await createBackup({ url, dir, pgBinDir: config.backup.pgBinDir, onProgress: progressLine });
        const retention = options.retention
          ? await pruneBackups({ dir, days: config.backup.retentionDays, keep: config.backup.retentionKeep, protect: [created.file], url })
          : undefined;
        const warnings = [...created.warnings, ...(retention?.warnings ?? [])];
        if (options.json) {
          return printJson({ file: created.file, manifestFile: created.manifestFile, manifest: created.manifest, deleted: retention?.deleted ?? [], warnings });
        }
        process.stdout.write(`${created.file}\n`);
        for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
        say(`${fmtBytes(created.manifest.sizeBytes)}, not verified yet: run \`comanda backup verify\`; ${retention?.deleted.length ?? 0} old backup(s) deleted`);
      });
    });

  backup
    .command('verify')
    .description('prove a backup (default: the newest): checksum, restore into a scratch database, row counts, integrity checks')
    .argument('[file]', 'archive to verify')
    .option('--dir <dir>', 'backup directory to take the newest archive from')
    .option('--scratch-url <url>', 'a database URL on a server where its role may CREATE DATABASE (default: this database\'s server)')
    .option('--no-copy', 'do not run COMANDA_BACKUP_COPY_COMMAND after a successful verification')
    .option('--json', 'print the result as JSON')
    .action(async (file: string | undefined, _options: unknown, command: Command) => {
      // optsWithGlobals: commander hands `--dir`/`--json` after the subcommand to `backup` too.
      const options = command.optsWithGlobals<{ dir?: string; scratchUrl?: string; copy: boolean; json?: boolean }>();
      const config = loadConfig();
      if (options.scratchUrl) checkUrl(options.scratchUrl, '--scratch-url');
      let archive = file;
      if (!archive) {
        const dir = path.resolve(options.dir ?? config.backup.dir);
        const newest = (await listBackups(dir))[0];
        if (!newest) throw new CliError(`no backups in ${dir}; make one with \`comanda backup\` (or name the file)`);
        archive = newest.file;
      }
      const url = await directUrl(options.scratchUrl !== undefined);
      await cli(async () => {
        const result = await verifyBackup({
          file: archive,
          url,
          scratchUrl: options.scratchUrl,
          pgBinDir: config.backup.pgBinDir,
          onProgress: (message) => progressLine({ phase: 'verify', message }),
        });
        const manifest = await readManifest(result.file);
        const copy =
          options.copy && config.backup.copyCommand && !manifest?.copy?.ok
            ? await runCopyCommand({ command: config.backup.copyCommand, file: result.file, url })
            : undefined;
        const warnings = [...result.warnings, ...(copy?.warnings ?? [])];
        if (options.json) {
          printJson({ ok: true, file: result.file, verification: result.verification, checks: result.checks.map(({ name, status, summary }) => ({ name, status, summary })), copy, warnings });
        } else {
          const tables = Object.keys(result.manifest.rowCounts).length;
          const rows = Object.values(result.manifest.rowCounts).reduce((a, b) => a + b, 0);
          if (tty()) process.stderr.write('\r\u001b[2K');
          process.stdout.write(`OK ${result.file}: checksum, restore, ${tables} tables / ${rows} rows and ${result.checks.length} integrity checks (${result.verification.durationMs} ms)\n`);
          for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
        }
        if (copy && !copy.ok) throw new BackupError(`verified, but the off-site copy failed: ${copy.error}`);
      });
    });

  backup
    .command('list')
    .description('the backups in the directory, newest first, and which were verified (reads the files; no database needed)')
    .option('--dir <dir>', 'backup directory')
    .option('--json', 'print JSON')
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<{ dir?: string; json?: boolean }>();
      const config = loadConfig();
      const dir = path.resolve(options.dir ?? config.backup.dir);
      const entries = await listBackups(dir);
      if (options.json) {
        return printJson({
          dir,
          backups: entries.map((e) => ({
            file: e.file,
            createdAt: e.createdAt,
            sizeBytes: e.sizeBytes,
            verified: e.verified,
            verification: e.manifest?.verification,
            copy: e.manifest?.copy,
            problem: e.problem,
          })),
        });
      }
      printTable(
        entries.map((e) => ({
          file: path.basename(e.file),
          created: e.createdAt.replace(/\.\d{3}Z$/, 'Z'),
          size: fmtBytes(e.sizeBytes),
          verified: e.problem ?? (e.manifest?.verification ? (e.manifest.verification.ok ? `yes ${e.manifest.verification.checkedAt.replace(/\.\d{3}Z$/, 'Z')}` : 'FAILED') : 'not yet'),
          copied: e.manifest?.copy ? (e.manifest.copy.ok ? 'yes' : 'FAILED') : '-',
        })),
        ['file', 'created', 'size', 'verified', 'copied'],
      );
    });

  program
    .command('restore')
    .description('restore an archive into a database (one transaction: all or nothing); asks before replacing data')
    .argument('<file>', 'archive to restore')
    .requiredOption('--target <database-url>', 'the database to restore into (restore as its owner role)')
    .option('--yes', 'replace the data the target holds without asking')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, options: { target: string; yes?: boolean; json?: boolean }) => {
      const config = loadConfig();
      const target = checkUrl(options.target, '--target');
      await cli(async () => {
        const state = await inspectTarget(target);
        let replace = options.yes === true;
        if (state.hasData && !replace) {
          const rows = state.estimatedRows > 0 ? `, about ${state.estimatedRows} rows` : '';
          const what = `the database ${state.database} holds Comanda's data (${state.schemas.join(', ')}: ${state.tables} tables${rows})`;
          if (!process.stdin.isTTY || !process.stderr.isTTY) {
            throw new CliError(`${what}; restoring replaces it. Nothing was changed: run again with --yes to replace it`, COMMAND_EXIT_CODES.failed);
          }
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          try {
            const answer = await rl.question(`${what}.\nReplace it with ${path.basename(file)}? Type the database name (${state.database}) to confirm: `);
            replace = answer.trim() === state.database;
          } finally {
            rl.close();
          }
          if (!replace) throw new CliError('not confirmed; nothing was changed', COMMAND_EXIT_CODES.failed);
        }
        const result = await restoreBackup({ file, targetUrl: target, replace, pgBinDir: config.backup.pgBinDir, onProgress: say });
        if (options.json) return printJson(result);
        process.stdout.write(`restored ${result.file} into ${result.database}${result.replaced ? ' (replacing its data)' : ''}\n`);
        for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
      });
    });
}
