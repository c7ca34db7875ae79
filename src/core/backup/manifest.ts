// The manifest beside each archive (`<name>.dump` → `<name>.manifest.json`): what was dumped,
// its checksum and size, the row count of every table in the dump's snapshot, and what happened
// to it since (verification, off-site copy). It is the source of truth: `comanda backup list`
// reads the directory, so it works while the database is down.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BackupError } from './pg-tools.js';

export const MANIFEST_FORMAT = 'comanda-backup/1';
export const ARCHIVE_SUFFIX = '.dump';
export const MANIFEST_SUFFIX = '.manifest.json';
/** Archives this code writes: comanda-20250102T020000Z.dump (or …Z-2.dump on a clash). */
const ARCHIVE_NAME = /^comanda-\d{8}T\d{6}Z(-\d+)?\.dump$/;

export interface Verification {
  ok: boolean;
  /** When the verification finished. */
  checkedAt: string;
  /** Set only when it succeeded (= checkedAt). */
  verifiedAt?: string;
  error?: string;
  durationMs: number;
  /** Integrity checks run on the restored copy: name → status. */
  checks?: Record<string, string>;
}

export interface CopyRecord {
  ok: boolean;
  at: string;
  error?: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  /** The archive's file name (in the same directory as the manifest). */
  file: string;
  createdAt: string;
  durationMs: number;
  /** Name of the database dumped (never its URL). */
  database: string;
  serverVersion: string;
  pgDumpVersion: string;
  sizeBytes: number;
  sha256: string;
  schemas: string[];
  extensions: string[];
  /** Tables whose definition is in the archive but not their rows. */
  excludedTableData: string[];
  /** The newest migration applied when the backup was taken. */
  schemaVersion: number | null;
  /** "schema.table" → rows, counted in the same snapshot pg_dump used. */
  rowCounts: Record<string, number>;
  verification?: Verification;
  copy?: CopyRecord;
}

export const manifestPathOf = (archive: string): string =>
  archive.endsWith(ARCHIVE_SUFFIX) ? archive.slice(0, -ARCHIVE_SUFFIX.length) + MANIFEST_SUFFIX : archive + MANIFEST_SUFFIX;

/** A new archive name for `at` in `dir` (UTC, to the second). */
export function archiveNameFor(at: Date, attempt = 1): string {
  const stamp = at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  return `comanda-${stamp}${attempt > 1 ? `-${attempt}` : ''}${ARCHIVE_SUFFIX}`;
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function readManifest(archive: string): Promise<Manifest | undefined> {
  let text: string;
  try {
    text = await readFile(manifestPathOf(archive), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BackupError(`the manifest ${manifestPathOf(archive)} is not valid JSON; it was edited or damaged`);
  }
  const m = value as Partial<Manifest> | null;
  if (!m || m.format !== MANIFEST_FORMAT || typeof m.sha256 !== 'string' || typeof m.sizeBytes !== 'number' || typeof m.rowCounts !== 'object') {
    throw new BackupError(`the manifest ${manifestPathOf(archive)} is not a Comanda backup manifest (${MANIFEST_FORMAT})`);
  }
  return m as Manifest;
}

/** Writes the manifest atomically (a reader sees the old one or the new one, never half). */
export async function writeManifest(archive: string, manifest: Manifest): Promise<string> {
  const file = manifestPathOf(archive);
  const partial = `${file}.partial`;
  await writeFile(partial, JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
  await rename(partial, file);
  return file;
}

export interface BackupListEntry {
  file: string;
  manifestFile: string;
  /** Undefined when the archive has no (readable) manifest. */
  manifest?: Manifest;
  problem?: string;
  sizeBytes: number;
  createdAt: string;
  verified: boolean;
}

/** Comanda's archives in `dir`, newest first, from the files alone (no database needed). */
export async function listBackups(dir: string): Promise<BackupListEntry[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const entries: BackupListEntry[] = [];
  for (const name of names.filter((n) => ARCHIVE_NAME.test(n))) {
    const file = path.join(dir, name);
    const info = await stat(file);
    let manifest: Manifest | undefined;
    let problem: string | undefined;
    try {
      manifest = await readManifest(file);
      if (!manifest) problem = 'no manifest';
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
    }
    entries.push({
      file,
      manifestFile: manifestPathOf(file),
      manifest,
      problem,
      sizeBytes: info.size,
      createdAt: manifest?.createdAt ?? info.mtime.toISOString(),
      verified: manifest?.verification?.ok === true,
    });
  }
  return entries.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : b.file.localeCompare(a.file)));
}
