// The dashboard's "verify backup now": `comanda backup verify` on the newest archive of the
// configured backup directory (never a path from the request or the database), run on behalf of a
// signed-in operator. The verification restores into a scratch database that is dropped whatever
// happens, updates the manifest and comanda.backups as the CLI does, and is recorded in
// comanda.actions_log with who asked. One at a time per process: a second request while one runs
// is refused. The caller waits for it up to a limit; past it the verification goes on and is
// recorded when it ends (the system page shows it then).
import { withSession } from '../actions/action.js';
import { recordAction } from '../actions/log.js';
import { listBackups, verifyBackup } from '../backup/index.js';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';

export interface VerifyNowOptions {
  /** The backup directory (COMANDA_BACKUP_DIR): the newest archive there is verified. */
  dir: string;
  /** Direct URL of the database: its server hosts the scratch database, comanda.backups is updated there. */
  url: string;
  pgBinDir?: string;
  /** Who asked, for the actions log (an id, never a name). */
  actor: string;
}

export interface VerifyNowOutcome {
  /** verified: restored and checked; failed: it does not verify (the summary says why). */
  status: 'verified' | 'failed';
  /** The archive's file name (the directory says nothing the page needs). */
  file: string;
  summary: string;
  durationMs: number;
  /** false when the verification ran but its log row could not be written. */
  recorded: boolean;
}

export class BackupVerifier {
  private current: Promise<VerifyNowOutcome> | undefined;

  constructor(private readonly db: Database) {}

  get running(): boolean {
    return this.current !== undefined;
  }

  /**
   * Starts verifying the newest archive; `done` never rejects (a failed verification is an
   * outcome). ACTION_REFUSED when one is already running or there is no archive.
   */
  async start(options: VerifyNowOptions): Promise<{ file: string; done: Promise<VerifyNowOutcome> }> {
    if (this.current) throw new AppError('ACTION_REFUSED', 'backup verify refused: a verification is already running; its result will be in the actions log');
    const newest = (await listBackups(options.dir))[0];
    if (!newest) throw new AppError('ACTION_REFUSED', 'backup verify refused: there is no backup to verify yet; make one with `comanda backup --verify`');
    if (this.current) throw new AppError('ACTION_REFUSED', 'backup verify refused: a verification is already running; its result will be in the actions log');
    const run = this.verify(newest.file, options).finally(() => {
      this.current = undefined;
    });
    this.current = run;
    return { file: newest.file.split('/').pop() ?? newest.file, done: run };
  }

  private async verify(file: string, options: VerifyNowOptions): Promise<VerifyNowOutcome> {
    const name = file.split('/').pop() ?? file;
    const started = Date.now();
    let status: VerifyNowOutcome['status'];
    let summary: string;
    try {
      const result = await verifyBackup({ file, url: options.url, pgBinDir: options.pgBinDir });
      const tables = Object.keys(result.manifest.rowCounts).length;
      const rows = Object.values(result.manifest.rowCounts).reduce((a, b) => a + b, 0);
      status = 'verified';
      summary = `${name} verified: checksum, restore into a scratch database, ${tables} tables / ${rows} rows and ${result.checks.length} integrity checks`;
    } catch (err) {
      status = 'failed';
      summary = `${name} does not verify: ${err instanceof Error ? err.message : String(err)}`;
    }
    const durationMs = Date.now() - started;
    const recorded = await withSession(this.db, (session) =>
      recordAction(
        session,
        { targets: [{ file: name }] },
        { action: 'backup.verify', status: status === 'verified' ? 'done' : 'failed', summary, sql: [], rows: [], durationMs },
        options.actor,
      ),
    ).then(
      () => true,
      () => false,
    );
    return { status, file: name, summary, durationMs, recorded };
  }
}
