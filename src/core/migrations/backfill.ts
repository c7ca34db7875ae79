// The "migrate" step of expand → migrate → contract: a backfill in small batches, each in its own
// short transaction with lock_timeout, walking a table by its key, its progress recorded in
// comanda.backfills after every batch so that a stopped backfill resumes where it stopped.
// Never one long transaction (whose locks and snapshot would hold up traffic and vacuum), never
// an unbounded UPDATE.
import pg from 'pg';

export interface BackfillOptions {
  connectionString: string;
  /** Names the backfill: its progress row. */
  name: string;
  /**
   * One batch: a statement with $1 = the last key done ('' before the first batch) and $2 = the
   * batch size, that processes the next keys in order and returns one row per key it walked,
   * with that key as `key` (e.g. `WITH batch AS (SELECT id FROM t WHERE id > $1 ORDER BY id
   * LIMIT $2), done AS (INSERT … SELECT … FROM batch …) SELECT id AS key FROM batch`).
   */
  batchSql: string;
  batchSize?: number;
  /** Each batch's lock_timeout: a batch that cannot get its locks waits for nobody, and is retried. */
  lockTimeoutMs?: number;
  /** Each batch's statement_timeout. */
  statementTimeoutMs?: number;
  /** Pause between batches, leaving room for traffic. */
  pauseMs?: number;
  /** Stop after this many batches (the rest another time: it resumes). */
  maxBatches?: number;
  /** Attempts per batch that hit lock_timeout. */
  lockRetries?: number;
  onProgress?: (progress: BackfillProgress) => void;
}

export interface BackfillProgress {
  name: string;
  lastKey: string;
  rows: number;
  batches: number;
  finished: boolean;
}

const PROGRESS_TABLE = `CREATE SCHEMA IF NOT EXISTS comanda;
  CREATE TABLE IF NOT EXISTS comanda.backfills (
    name        text PRIMARY KEY,
    last_key    text NOT NULL DEFAULT '',
    rows_done   bigint NOT NULL DEFAULT 0,
    batches     integer NOT NULL DEFAULT 0,
    started_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
  )`;

/** Runs (or resumes) a backfill; resolves with its progress when it finished or hit maxBatches. */
export async function runBackfill(options: BackfillOptions): Promise<BackfillProgress> {
  const size = options.batchSize ?? 1_000;
  const client = new pg.Client({ connectionString: options.connectionString, application_name: `comanda-backfill` });
  await client.connect();
  try {
    await client.query(PROGRESS_TABLE);
    await client.query('INSERT INTO comanda.backfills (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [options.name]);
    const { rows } = await client.query<{ last_key: string; rows_done: string; batches: number; finished: boolean }>(
      'SELECT last_key, rows_done, batches, finished_at IS NOT NULL AS finished FROM comanda.backfills WHERE name = $1',
      [options.name],
    );
    const progress: BackfillProgress = { name: options.name, lastKey: rows[0]!.last_key, rows: Number(rows[0]!.rows_done), batches: rows[0]!.batches, finished: rows[0]!.finished };
    let thisRun = 0;
    while (!progress.finished && (options.maxBatches === undefined || thisRun < options.maxBatches)) {
      let keys: string[] = [];
      for (let attempt = 1; ; attempt++) {
        try {
          await client.query(
            `BEGIN; SET LOCAL lock_timeout = ${options.lockTimeoutMs ?? 2_000}; SET LOCAL statement_timeout = ${options.statementTimeoutMs ?? 30_000}`,
          );
          const batch = await client.query<{ key: string }>(options.batchSql, [progress.lastKey, size]);
          keys = batch.rows.map((r) => String(r.key));
          // The greatest key in the database's own ordering (the one `key > $1` uses), not JavaScript's.
          const last = keys.length ? (await client.query<{ last: string }>('SELECT max(k) AS last FROM unnest($1::text[]) k', [keys])).rows[0]!.last : progress.lastKey;
          await client.query(
            `UPDATE comanda.backfills SET last_key = $2, rows_done = rows_done + $3, batches = batches + 1, updated_at = now(),
                    finished_at = CASE WHEN $4 THEN now() END WHERE name = $1`,
            [options.name, last, keys.length, keys.length < size],
          );
          await client.query('COMMIT');
          progress.lastKey = last;
          break;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          if ((err as { code?: string }).code === '55P03' && attempt < (options.lockRetries ?? 5)) {
            await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
            continue;
          }
          throw err;
        }
      }
      progress.rows += keys.length;
      progress.batches++;
      progress.finished = keys.length < size;
      thisRun++;
      options.onProgress?.({ ...progress });
      if (!progress.finished && options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
    return progress;
  } finally {
    await client.end();
  }
}
