// The off-site copy: COMANDA_BACKUP_COPY_COMMAND, run by /bin/sh on each verified backup with the
// archive as $1 and in COMANDA_BACKUP_FILE, its manifest as $2 and in COMANDA_BACKUP_MANIFEST.
// Comanda does not talk to S3 or B2 itself: rclone and the AWS CLI already do that well, e.g.
//   rclone copy "$COMANDA_BACKUP_FILE" offsite:comanda/ && rclone copy "$COMANDA_BACKUP_MANIFEST" offsite:comanda/
//   aws s3 cp "$1" s3://my-bucket/comanda/ && aws s3 cp "$2" s3://my-bucket/comanda/
// A failure (non-zero exit, or the time limit) is reported and recorded, never silent.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { manifestPathOf, readManifest, writeManifest, type CopyRecord } from './manifest.js';
import { redact, tail } from './pg-tools.js';
import { recordBackup } from './record.js';

export interface CopyOptions {
  command: string;
  file: string;
  timeoutMs?: number;
  /** Record the outcome in comanda.backups through this URL. */
  url?: string;
}

export interface CopyResult extends CopyRecord {
  exitCode: number | null;
  durationMs: number;
  warnings: string[];
}

export async function runCopyCommand(options: CopyOptions): Promise<CopyResult> {
  const file = path.resolve(options.file);
  const manifestFile = manifestPathOf(file);
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 3_600_000;
  const outcome = await new Promise<{ code: number | null; stderr: string; error?: string }>((resolve) => {
    const child = spawn('/bin/sh', ['-c', options.command, 'comanda-backup-copy', file, manifestFile], {
      env: { ...process.env, COMANDA_BACKUP_FILE: file, COMANDA_BACKUP_MANIFEST: manifestFile },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-20_000);
    });
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      resolve({ code: null, stderr, error: `did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped` });
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, stderr, error: err.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
  const at = new Date().toISOString();
  const ok = outcome.error === undefined && outcome.code === 0;
  const detail = tail(outcome.stderr, 4);
  const error = ok
    ? undefined
    : `the copy command ${outcome.error ?? `exited with code ${outcome.code}`}${detail ? `: ${detail}` : ''}`;
  const record: CopyRecord = { ok, at, ...(error ? { error: redact(error) } : {}) };
  const warnings: string[] = [];
  const manifest = await readManifest(file).catch(() => undefined);
  if (manifest) {
    const updated = { ...manifest, copy: record };
    await writeManifest(file, updated);
    if (options.url) {
      const warning = await recordBackup(options.url, file, updated);
      if (warning) warnings.push(warning);
    }
  }
  return { ...record, exitCode: outcome.code, durationMs: Date.now() - started, warnings };
}
