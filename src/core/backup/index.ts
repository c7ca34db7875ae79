// Backups: pg_dump archives with a manifest, proven by restoring them (docs/backups.md).
// backupAndVerify() is the daily routine the monitor runs: backup → verify → off-site copy →
// retention, each step's outcome in the result, never a silent failure.
import type { CheckOutcome } from '../checks/check.js';
import { createBackup, type BackupProgress, type CreateBackupResult } from './create.js';
import { runCopyCommand, type CopyResult } from './copy.js';
import { pruneBackups, type BackupRetentionResult } from './retention.js';
import { verifyBackup, type VerifyBackupResult } from './verify.js';
import { BackupError } from './pg-tools.js';

export { createBackup, countRows, BACKUP_SCHEMAS, EXCLUDED_TABLE_DATA, type BackupProgress, type CreateBackupOptions, type CreateBackupResult } from './create.js';
export { verifyBackup, checkArchive, VERIFY_CHECKS, type VerifyBackupOptions, type VerifyBackupResult } from './verify.js';
export { restoreBackup, inspectTarget, type RestoreBackupOptions, type RestoreBackupResult, type TargetState } from './restore.js';
export { pruneBackups, type BackupRetentionOptions, type BackupRetentionResult } from './retention.js';
export { runCopyCommand, type CopyOptions, type CopyResult } from './copy.js';
export { listBackups, readManifest, manifestPathOf, sha256Of, type BackupListEntry, type Manifest, type Verification } from './manifest.js';
export { BackupError, toolInfo } from './pg-tools.js';

/** The backup settings (COMANDA_BACKUP_*, read by src/config.ts). */
export interface BackupSettings {
  /** Where archives and their manifests go (COMANDA_BACKUP_DIR, else COMANDA_DATA_DIR/backups). */
  dir: string;
  retentionDays: number;
  /** Keep at most this many newest backups (unset: no count limit). */
  retentionKeep: number | undefined;
  /** Shell command run on each verified backup for the off-site copy. */
  copyCommand: string | undefined;
  /** Directory holding pg_dump / pg_restore (unset: PATH). */
  pgBinDir: string | undefined;
}

export interface BackupAndVerifyOptions {
  /** Direct URL of the database (DATABASE_DIRECT_URL). */
  url: string;
  settings: BackupSettings;
  /** Override settings.dir. */
  dir?: string;
  scratchUrl?: string;
  /** Skip the verification (then no copy either: only verified backups are copied). */
  verify?: boolean;
  retention?: boolean;
  onProgress?: (event: BackupProgress) => void;
}

export interface BackupAndVerifyResult {
  /** true when the backup was made, verified, and copied (if a copy command is set). */
  ok: boolean;
  backup: CreateBackupResult;
  verification?: VerifyBackupResult;
  verifyError?: string;
  copy?: CopyResult;
  retention?: BackupRetentionResult;
  retentionError?: string;
  /** Everything that went wrong or needs a look, one sentence each. */
  problems: string[];
  warnings: string[];
}

/**
 * The daily routine. Throws (BackupError) only when no archive could be made at all; a failed
 * verification, copy or retention is in the result (ok false, problems) so the caller alerts.
 */
export async function backupAndVerify(options: BackupAndVerifyOptions): Promise<BackupAndVerifyResult> {
  const dir = options.dir ?? options.settings.dir;
  const backup = await createBackup({ url: options.url, dir, pgBinDir: options.settings.pgBinDir, onProgress: options.onProgress });
  const problems: string[] = [];
  const warnings = [...backup.warnings];
  const result: BackupAndVerifyResult = { ok: false, backup, problems, warnings };
  if (options.verify !== false) {
    try {
      result.verification = await verifyBackup({
        file: backup.file,
        url: options.url,
        scratchUrl: options.scratchUrl,
        pgBinDir: options.settings.pgBinDir,
        onProgress: (message) => options.onProgress?.({ phase: 'verify', message }),
      });
      warnings.push(...result.verification.warnings);
    } catch (err) {
      result.verifyError = err instanceof Error ? err.message : String(err);
      problems.push(`verification of ${backup.file} failed: ${result.verifyError}`);
    }
  }
  if (result.verification && options.settings.copyCommand) {
    result.copy = await runCopyCommand({ command: options.settings.copyCommand, file: backup.file, url: options.url });
    warnings.push(...result.copy.warnings);
    if (!result.copy.ok) problems.push(`off-site copy of ${backup.file} failed: ${result.copy.error}`);
  }
  if (options.retention !== false) {
    try {
      result.retention = await pruneBackups({
        dir,
        days: options.settings.retentionDays,
        keep: options.settings.retentionKeep,
        protect: [backup.file],
        url: options.url,
      });
      warnings.push(...result.retention.warnings);
    } catch (err) {
      result.retentionError = err instanceof Error ? err.message : String(err);
      problems.push(`retention failed: ${result.retentionError}`);
    }
  }
  result.ok = problems.length === 0 && (options.verify === false || result.verification !== undefined);
  return result;
}

export const isBackupError = (err: unknown): err is BackupError => err instanceof BackupError;

/**
 * The daily routine as a check outcome for the monitor's backup job: ok when the backup was made,
 * verified and copied; critical when it could not be made or did not verify; warning when only
 * the copy or retention failed. A backup that cannot be made at all throws (the monitor reports it).
 */
export async function backupJobOutcome(options: BackupAndVerifyOptions): Promise<CheckOutcome> {
  const result = await backupAndVerify(options);
  const row = {
    file: result.backup.file,
    sizeBytes: result.backup.manifest.sizeBytes,
    verified: result.verification !== undefined,
    copied: result.copy?.ok ?? null,
    deleted: result.retention?.deleted.length ?? 0,
  };
  if (result.ok) {
    return {
      status: 'ok',
      summary: `backup ${row.file} (${row.sizeBytes} bytes) verified by a restore${result.copy ? ', copied off-site' : ''}; ${row.deleted} old backup(s) deleted`,
      rows: [row],
    };
  }
  const unverified = result.verification === undefined;
  return {
    status: unverified ? 'critical' : 'warning',
    summary: result.problems.join('; '),
    rows: [row],
    advice: unverified
      ? 'the newest backup does not restore: run `comanda backup verify` to see why, fix it, and make a new one (`comanda backup --verify`); the last verified backup is still in `comanda backup list`'
      : 'the backup is good but its off-site copy or retention failed: check COMANDA_BACKUP_COPY_COMMAND (run it by hand) and the backup directory',
  };
}
