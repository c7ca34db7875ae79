import type { Command } from 'commander';
import { retryFailedEmails } from '../../core/email/outbox.js';
import { withDatabase } from '../connect.js';
import { printJson, printTable } from '../output.js';

export function emailCommand(program: Command): void {
  const email = program.command('email').description('the e-mail outbox');

  email
    .command('status')
    .description('e-mails by type and status, and the failed ones (the retry queue)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withDatabase(async (db) => {
        const summary = await db.query<{ type: string; status: string; count: string }>(
          `SELECT email_type AS type, status, count(*) AS count FROM restaurante.email_logs GROUP BY 1, 2 ORDER BY 1, 2`,
        );
        const failed = await db.query<{ id: string; type: string; recipient: string; retries: number; error: string | null; lastAttempt: Date | null }>(
          `SELECT id, email_type AS type, recipient_email AS recipient, retry_count AS retries, error_message AS error, sent_at AS "lastAttempt"
             FROM restaurante.email_logs WHERE status = 'failed' ORDER BY sent_at DESC NULLS LAST LIMIT 100`,
        );
        if (options.json) return printJson({ summary: summary.rows.map((r) => ({ ...r, count: Number(r.count) })), failed: failed.rows });
        printTable(summary.rows, ['type', 'status', 'count']);
        process.stdout.write('\nfailed (retry with `comanda email retry`):\n');
        printTable(failed.rows, ['id', 'type', 'recipient', 'retries', 'lastAttempt', 'error']);
      });
    });

  email
    .command('retry')
    .description('put failed e-mails (all, or one) back in the queue with fresh attempts')
    .option('--id <id>', 'only this e-mail')
    .action(async (options: { id?: string }) => {
      const count = await withDatabase((db) => retryFailedEmails(db, options.id));
      process.stdout.write(`${count} e-mail${count === 1 ? '' : 's'} queued again; the service's e-mail worker sends ${count === 1 ? 'it' : 'them'}\n`);
    });
}
