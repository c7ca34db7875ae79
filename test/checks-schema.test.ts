// Checks that know the schema, each flagged by its condition created for real (with a superuser's
// means where the schema itself forbids it) and cleared once it is gone; the thresholds file and
// `check integrity --full` through the CLI.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runCheck } from '../src/core/checks/check.js';
import { emailQueue, qrScans } from '../src/core/checks/application.js';
import { integrity, integrityFull, reservationConflicts } from '../src/core/checks/integrity.js';
import { seedDemo } from '../src/core/seed.js';
import { useTestDatabase } from './helpers/db.js';
import { runCliSync } from './helpers/cli.js';

const { db, url } = await useTestDatabase();
await seedDemo(db);

const raw = new pg.Client({ connectionString: url });
await raw.connect();
const work = await mkdtemp(path.join(tmpdir(), 'comanda-checks-schema-'));
afterAll(async () => {
  await raw.end();
  await rm(work, { recursive: true, force: true });
});

const R = 'rest_enigma_001';
const cli = (...args: string[]) => runCliSync(args, { DATABASE_URL: url, COMANDA_CHECKS_FILE: undefined });

describe('integrity', () => {
  it('trusts validated keys, finds orphans behind them only with --full, and scans keys that are not validated', async () => {
    expect((await runCheck(db, integrity)).status).toBe('ok');
    expect((await runCheck(db, integrityFull)).status).toBe('ok');

    // A superuser can slip a row past a validated key (replica mode skips the key's triggers).
    await raw.query('BEGIN');
    await raw.query('SET LOCAL session_replication_role = replica');
    await raw.query(`INSERT INTO restaurante.qr_scans (id, "restaurantId", table_id) VALUES ('scan_orphan', $1, 'table_gone')`, [R]);
    await raw.query('COMMIT');
    expect((await runCheck(db, integrity)).status).toBe('ok'); // the doctor trusts the validated key
    const full = await runCheck(db, integrityFull);
    expect(full.status).toBe('critical');
    expect(full.rows).toEqual([expect.objectContaining({ constraint: 'qr_scans_table_id_fkey', table: 'restaurante.qr_scans', orphans: 1, problem: 'orphaned rows' })]);
    const viaCli = cli('check', 'integrity', '--full', '--json');
    expect(viaCli.status).toBe(2);
    expect((JSON.parse(viaCli.stdout) as { checks: Array<{ name: string }> }).checks[0]!.name).toBe('integrity-full');
    expect(cli('check', 'qr-scans', '--full').stderr).toContain('--full applies to: integrity, stock-ledger');

    // Once the key is NOT VALID, the quick check scans it too.
    await raw.query('ALTER TABLE restaurante.qr_scans DROP CONSTRAINT qr_scans_table_id_fkey');
    await raw.query(
      `ALTER TABLE restaurante.qr_scans ADD CONSTRAINT qr_scans_table_id_fkey FOREIGN KEY ("restaurantId", table_id)
         REFERENCES restaurante.tables ("restaurantId", id) ON DELETE RESTRICT NOT VALID`,
    );
    expect((await runCheck(db, integrity)).rows).toEqual([expect.objectContaining({ constraint: 'qr_scans_table_id_fkey', orphans: 1 })]);
    await raw.query(`DELETE FROM restaurante.qr_scans WHERE id = 'scan_orphan'`);
    const unvalidated = await runCheck(db, integrity);
    expect(unvalidated.status).toBe('warning');
    expect(unvalidated.rows).toEqual([expect.objectContaining({ constraint: 'qr_scans_table_id_fkey', orphans: 0, problem: 'not validated' })]);
    await raw.query('ALTER TABLE restaurante.qr_scans VALIDATE CONSTRAINT qr_scans_table_id_fkey');
    expect((await runCheck(db, integrity)).status).toBe('ok');

    // Disabled triggers mean an unenforced key.
    await raw.query('ALTER TABLE restaurante.qr_scans DISABLE TRIGGER ALL');
    expect((await runCheck(db, integrity)).rows).toEqual([
      expect.objectContaining({ constraint: 'qr_scans_session_id_fkey', problem: 'triggers disabled' }),
      expect.objectContaining({ constraint: 'qr_scans_table_id_fkey', problem: 'triggers disabled' }),
    ]);
    await raw.query('ALTER TABLE restaurante.qr_scans ENABLE TRIGGER ALL');
    expect((await runCheck(db, integrity)).status).toBe('ok');
  });

  it('finds reservations.table_ids naming tables that do not exist (the orphan query, done with unnest: there is no text[] - text[])', async () => {
    await raw.query(
      `INSERT INTO restaurante.reservations (id, "restaurantId", "customerName", "partySize", date, time, status, table_ids)
       VALUES ('res_ghost', $1, 'Ghost', 2, current_date, now() - interval '3 days', 'COMPLETED', '{table_01,table_ghost}')`,
      [R],
    );
    const flagged = await runCheck(db, integrity);
    expect(flagged.status).toBe('critical');
    expect(flagged.rows).toEqual([expect.objectContaining({ reservation: 'res_ghost', invalidTables: ['table_ghost'] })]);
    // table_ids also disagrees with the (absent) held tables.
    expect((await runCheck(db, reservationConflicts)).rows).toContainEqual(
      expect.objectContaining({ problem: 'table_ids differ from the held tables', reservation: 'res_ghost' }),
    );
    await raw.query(`DELETE FROM restaurante.reservations WHERE id = 'res_ghost'`);
    expect((await runCheck(db, integrity)).status).toBe('ok');
  });
});

describe('reservation-conflicts', () => {
  it('flags an upcoming booking without a table, one whose tables seat too few, and a double booking once the constraint is gone', async () => {
    expect((await runCheck(db, reservationConflicts)).status).toBe('ok');
    const book = (id: string, party: number, hours: number) =>
      raw.query(
        `INSERT INTO restaurante.reservations (id, "restaurantId", "customerName", "partySize", date, time, status)
         VALUES ($1, $2, 'Guest', $3, current_date, now() + make_interval(hours => $4), 'CONFIRMED')`,
        [id, R, party, hours],
      );
    const hold = (id: string, table: string, hours: number) =>
      raw.query(
        `INSERT INTO restaurante.reservation_tables ("restaurantId", "reservationId", "tableId", occupied)
         VALUES ($1, $2, $3, tstzrange(now() + make_interval(hours => $4), now() + make_interval(hours => $4 + 2)))`,
        [R, id, table, hours],
      );
    await book('res_a', 2, 48);
    let result = await runCheck(db, reservationConflicts);
    expect(result.status).toBe('critical');
    expect(result.rows).toEqual([expect.objectContaining({ problem: 'upcoming booking without a table', reservation: 'res_a' })]);
    await hold('res_a', 'table_01', 48);
    expect((await runCheck(db, reservationConflicts)).status).toBe('ok');

    await book('res_b', 6, 72);
    await hold('res_b', 'table_02', 72); // seats 2
    result = await runCheck(db, reservationConflicts);
    expect(result.rows).toEqual([expect.objectContaining({ problem: 'tables seat fewer than the party', reservation: 'res_b' })]);
    await raw.query(`DELETE FROM restaurante.reservations WHERE id = 'res_b'`);

    // The exclusion constraint makes a double booking impossible; without it, the check sees one.
    await raw.query('ALTER TABLE restaurante.reservation_tables DROP CONSTRAINT reservation_tables_no_overlap');
    await book('res_c', 2, 48);
    await hold('res_c', 'table_01', 48);
    result = await runCheck(db, reservationConflicts);
    expect(result.rows).toEqual([expect.objectContaining({ problem: 'double booked', reservation: 'res_a', other: 'res_c', table: 'table_01' })]);
    expect(result.summary).toContain('double booked');
    await raw.query(`DELETE FROM restaurante.reservations WHERE id IN ('res_a', 'res_c')`);
    await raw.query(
      `ALTER TABLE restaurante.reservation_tables ADD CONSTRAINT reservation_tables_no_overlap
         EXCLUDE USING gist ("restaurantId" WITH =, "tableId" WITH =, occupied WITH &&) WHERE (active)`,
    );
    expect((await runCheck(db, reservationConflicts)).status).toBe('ok');
  });
});

describe('email-queue', () => {
  it('grades how long due e-mails have waited, flags e-mails that failed for good, and clears once sent', async () => {
    expect((await runCheck(db, emailQueue)).status).toBe('ok');
    const queue = (id: string, status: string, minutesAgo: number) =>
      raw.query(
        `INSERT INTO restaurante.email_logs (id, "restaurantId", email_type, recipient_email, status, message_id, next_attempt_at, created_at, sent_at, error_message)
         VALUES ($1, $2, 'alert', 'ops@example.com', $3, $1 || '@test', now() - make_interval(mins => $4), now() - make_interval(mins => $4),
                 CASE WHEN $3 = 'failed' THEN now() END, CASE WHEN $3 = 'failed' THEN 'SMTP 550 mailbox unavailable' END)`,
        [id, R, status, minutesAgo],
      );
    await queue('mail_late', 'pending', 30);
    let result = await runCheck(db, emailQueue);
    expect(result.status).toBe('warning');
    expect(result.rows[0]).toMatchObject({ due: 1 });
    expect(Number(result.rows[0]!.dueMinutes)).toBeGreaterThanOrEqual(30);
    await raw.query(`UPDATE restaurante.email_logs SET next_attempt_at = now() - interval '2 hours' WHERE id = 'mail_late'`);
    expect((await runCheck(db, emailQueue)).status).toBe('critical');
    await raw.query(`UPDATE restaurante.email_logs SET status = 'sent', sent_at = now() WHERE id = 'mail_late'`);
    result = await runCheck(db, emailQueue);
    expect(result.status).toBe('ok');
    expect(result.rows[0]).toMatchObject({ due: 0, sent24h: 1 });

    await queue('mail_failed', 'failed', 5);
    result = await runCheck(db, emailQueue);
    expect(result.status).toBe('warning');
    expect(result.rows[0]).toMatchObject({ failed24h: 1, lastError: 'SMTP 550 mailbox unavailable' });
    await raw.query(`DELETE FROM restaurante.email_logs WHERE id IN ('mail_late', 'mail_failed')`);
    expect((await runCheck(db, emailQueue)).status).toBe('ok');
  });
});

describe('qr-scans', () => {
  it('flags a table scanned more than 10 times in an hour and one address scanning several tables', async () => {
    expect((await runCheck(db, qrScans)).status).toBe('ok');
    await raw.query(
      `INSERT INTO restaurante.qr_scans ("restaurantId", table_id, client_ip, scanned_at)
       SELECT $1, 'table_03', ('10.0.0.' || g)::inet, now() - make_interval(mins => g) FROM generate_series(1, 12) g`,
      [R],
    );
    let result = await runCheck(db, qrScans);
    expect(result.status).toBe('warning');
    expect(result.rows).toEqual([expect.objectContaining({ pattern: 'table scanned often', table: 3, scans: 12, addresses: 12 })]);
    expect((await runCheck(db, qrScans, { warning: 10, critical: 11 })).status).toBe('critical');
    // Scans older than an hour do not count.
    await raw.query(`UPDATE restaurante.qr_scans SET scanned_at = now() - interval '2 hours' WHERE table_id = 'table_03'`);
    expect((await runCheck(db, qrScans)).status).toBe('ok');

    await raw.query(
      `INSERT INTO restaurante.qr_scans ("restaurantId", table_id, client_ip)
       SELECT $1, t, '203.0.113.9'::inet FROM unnest('{table_04,table_05,table_06}'::text[]) t`,
      [R],
    );
    result = await runCheck(db, qrScans);
    expect(result.status).toBe('warning');
    expect(result.rows).toEqual([expect.objectContaining({ pattern: 'address scanning many tables', address: '203.0.113.9', tables: 3 })]);
    await raw.query(`DELETE FROM restaurante.qr_scans`);
    expect((await runCheck(db, qrScans)).status).toBe('ok');
  });
});

describe('thresholds file', () => {
  it('overrides the defaults for the doctor and check, flags win over it, and a bad file is refused with exit 3', async () => {
    await raw.query(
      `INSERT INTO restaurante.qr_scans ("restaurantId", table_id, client_ip)
       SELECT $1, 'table_07', ('10.1.0.' || g)::inet FROM generate_series(1, 4) g`,
      [R],
    );
    const file = path.join(work, 'thresholds.json');
    await writeFile(file, JSON.stringify({ thresholds: { 'qr-scans': { warning: 2, critical: 3 } } }));
    expect(cli('check', 'qr-scans').status).toBe(0); // 4 scans: fine by the defaults
    expect(cli('check', 'qr-scans', '--config', file).status).toBe(2);
    expect(cli('check', 'qr-scans', '--config', file, '--critical', '10').status).toBe(1);
    const doctor = runCliSync(['doctor', '--json'], { DATABASE_URL: url, COMANDA_CHECKS_FILE: file });
    const report = JSON.parse(doctor.stdout) as { checks: Array<{ name: string; status: string }> };
    expect(report.checks.find((c) => c.name === 'qr-scans')!.status).toBe('critical');

    await writeFile(file, JSON.stringify({ thresholds: { 'no-such-check': { warning: 1 }, 'qr-scans': { warning: 'soon' } } }));
    const bad = cli('check', 'qr-scans', '--config', file);
    expect(bad.status).toBe(3);
    expect(bad.stderr).toContain('thresholds.no-such-check: no such check');
    expect(bad.stderr).toMatch(/thresholds\.qr-scans\.warning: .*number/);
    expect(cli('doctor', '--config', path.join(work, 'missing.json')).stderr).toContain('cannot read the thresholds file');
    await raw.query(`DELETE FROM restaurante.qr_scans`);
  }, 60_000);
});
