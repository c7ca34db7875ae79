// The record of backups in comanda.backups (migration 0008), for /metrics and the monitor. Best
// effort: the manifest is the source of truth, so a database that is down, older than 0008, or a
// role that may not write there turns into a warning, never into a failed backup.
import pg from 'pg';
import type { Manifest } from './manifest.js';
import { redact } from './pg-tools.js';

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'comanda-backup', connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`SET statement_timeout = '10s'; SET lock_timeout = '2s'`);
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const warningOf = (err: unknown): string =>
  `could not record the backup in comanda.backups (the manifest has it all): ${redact(err instanceof Error ? err.message : String(err))}`;

/** Inserts (or refreshes) the row of an archive; returns a warning instead of throwing. */
export async function recordBackup(url: string, file: string, manifest: Manifest): Promise<string | undefined> {
  try {
    await withClient(url, (client) =>
      client.query(
        `INSERT INTO comanda.backups (file, created_at, size_bytes, sha256, server_version, row_counts, verified_at, verify_error, verify_checked_at, copied_at, copy_error)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (file, sha256) DO UPDATE
            SET verified_at = EXCLUDED.verified_at, verify_error = EXCLUDED.verify_error, verify_checked_at = EXCLUDED.verify_checked_at,
                copied_at = EXCLUDED.copied_at, copy_error = EXCLUDED.copy_error, deleted_at = NULL`,
        [
          file,
          manifest.createdAt,
          manifest.sizeBytes,
          manifest.sha256,
          manifest.serverVersion,
          JSON.stringify(manifest.rowCounts),
          manifest.verification?.ok ? manifest.verification.verifiedAt : null,
          manifest.verification && !manifest.verification.ok ? (manifest.verification.error ?? 'failed') : null,
          manifest.verification?.checkedAt ?? null,
          manifest.copy?.ok ? manifest.copy.at : null,
          manifest.copy && !manifest.copy.ok ? (manifest.copy.error ?? 'failed') : null,
        ],
      ),
    );
    return undefined;
  } catch (err) {
    return warningOf(err);
  }
}

/** Marks archives removed by retention. */
export async function recordDeleted(url: string, files: string[]): Promise<string | undefined> {
  if (files.length === 0) return undefined;
  try {
    await withClient(url, (client) =>
      client.query('UPDATE comanda.backups SET deleted_at = now() WHERE file = ANY($1) AND deleted_at IS NULL', [files]),
    );
    return undefined;
  } catch (err) {
    return warningOf(err);
  }
}
