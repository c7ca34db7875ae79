// Retention (30 days): archives older than `days` go, and beyond the newest `keep`
// when a count is set. The newest verified backup is never deleted, however old: a broken backup
// job must not end with no backup at all.
import { rm } from 'node:fs/promises';
import { listBackups, type BackupListEntry } from './manifest.js';
import { recordDeleted } from './record.js';

export interface BackupRetentionOptions {
  dir: string;
  days: number;
  keep?: number;
  /** Never delete these (e.g. the backup just made). */
  protect?: string[];
  now?: Date;
  /** Mark deleted archives in comanda.backups through this URL. */
  url?: string;
}

export interface BackupRetentionResult {
  deleted: string[];
  kept: string[];
  warnings: string[];
}

export async function pruneBackups(options: BackupRetentionOptions): Promise<BackupRetentionResult> {
  const now = options.now ?? new Date();
  const cutoff = now.getTime() - options.days * 86_400_000;
  const backups = await listBackups(options.dir); // newest first
  const newestVerified = backups.find((b) => b.verified);
  const protectedFiles = new Set([...(options.protect ?? []), ...(newestVerified ? [newestVerified.file] : [])]);
  const doomed: BackupListEntry[] = [];
  backups.forEach((b, index) => {
    if (protectedFiles.has(b.file)) return;
    const tooOld = Date.parse(b.createdAt) < cutoff;
    const beyondCount = options.keep !== undefined && index >= options.keep;
    if (tooOld || beyondCount) doomed.push(b);
  });
  const warnings: string[] = [];
  for (const b of doomed) {
    // The archive first: a manifest without its archive would be listed by nothing; an archive
    // without a manifest is still listed (and retention deletes it next time).
    await rm(b.file, { force: true });
    await rm(b.manifestFile, { force: true });
  }
  const deleted = doomed.map((b) => b.file);
  if (options.url) {
    const warning = await recordDeleted(options.url, deleted);
    if (warning) warnings.push(warning);
  }
  return { deleted, kept: backups.filter((b) => !deleted.includes(b.file)).map((b) => b.file), warnings };
}
