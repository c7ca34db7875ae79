// `comanda monitor`: the alerting scheduler (runs until SIGINT/SIGTERM), `--once [job]` for cron
// and on-demand runs (monitoring-plugin exit codes), and `status` (alert states, deliveries).
import type { Command } from 'commander';
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from '../../config.js';
import { thresholdsFile, type ThresholdOverrides } from '../../core/checks/thresholds.js';
import { worst } from '../../core/checks/check.js';
import { backupJobOutcome } from '../../core/backup/index.js';
import type { Database } from '../../core/db/database.js';
import {
  buildJobs, emailChannel, Monitor, monitorStatus, slackChannel, webhookChannel, type BackupTask, type Channel, type JobReport, type LogEntry,
} from '../../core/monitor/index.js';
import { CliError, openDatabase, resolveTarget, withDatabase } from '../connect.js';
import { printJson, printTable } from '../output.js';
import { integerFlag } from '../flags.js';
import { COMMAND_EXIT_CODES, STATUS_EXIT_CODES } from '../exit-codes.js';


const stateFileOf = (config: Config): string => path.join(config.dataDir, 'monitor-state.json');

/** The alert channels configured; e-mail needs SMTP_URL (alerts never go to the file outbox). */
function channelsFrom(config: Config): Channel[] {
  const m = config.monitor;
  const channels: Channel[] = [];
  if (m.slackWebhookUrl) channels.push(slackChannel(m.slackWebhookUrl));
  if (m.webhookUrl) channels.push(webhookChannel(m.webhookUrl));
  if (m.emailTo.length) {
    if (!config.email.smtpUrl) {
      throw new ConfigError(['ALERT_EMAIL_TO: is set but SMTP_URL is not; alerts are sent over SMTP (set SMTP_URL), never written to the outbox directory']);
    }
    channels.push(emailChannel({ smtpUrl: config.email.smtpUrl, from: config.email.from, to: m.emailTo }));
  }
  return channels;
}

/** The monitor assembled from the configuration: jobs from the schedules, channels from ALERT_*, the state file in the data directory. */
function monitorFromConfig(
  config: Config,
  parts: { db: Database; directUrl: string; databaseUrl: string; thresholds?: ThresholdOverrides; backup?: BackupTask; log?: (entry: LogEntry) => void },
): Monitor {
  return new Monitor({
    db: parts.db,
    directUrl: parts.directUrl,
    stateFile: stateFileOf(config),
    jobs: buildJobs({ schedules: config.monitor.schedules, backup: parts.backup }),
    channels: channelsFrom(config),
    thresholds: parts.thresholds ?? {},
    reminderMs: config.monitor.reminderMinutes * 60_000,
    timezone: config.monitor.timezone,
    secrets: [config.monitor.slackWebhookUrl, config.monitor.webhookUrl, config.email.smtpUrl, parts.databaseUrl, parts.directUrl].filter(
      (s): s is string => Boolean(s),
    ),
    log: parts.log,
  });
}

type LogFormat = 'json' | 'text';

function logger(format: LogFormat, out: NodeJS.WritableStream): (entry: LogEntry) => void {
  return (entry) => {
    const at = new Date().toISOString();
    if (format === 'json') {
      out.write(JSON.stringify({ time: at, ...entry }) + '\n');
      return;
    }
    const { level, msg, ...rest } = entry;
    const extra = Object.entries(rest)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    out.write(`${at} ${level.toUpperCase().padEnd(5)} ${msg}${extra ? `  ${extra}` : ''}\n`);
  };
}

function printReport(report: JobReport): void {
  process.stdout.write(`job ${report.job} (state kept in the ${report.store})\n`);
  for (const r of report.results) {
    process.stdout.write(`  ${r.status.toUpperCase().padEnd(9)} ${r.name.padEnd(22)} ${r.summary}\n`);
  }
  for (const n of report.notifications) process.stdout.write(`  → ${n.kind}: ${n.check} ${n.status}\n`);
  for (const d of report.deliveries) {
    process.stdout.write(`  ${d.ok ? 'sent' : 'NOT SENT'} by ${d.channel}: ${d.kind} ${d.check} (${d.attempts} attempt${d.attempts === 1 ? '' : 's'})${d.error ? `: ${d.error}` : ''}\n`);
  }
}

async function openMonitor(log: (entry: LogEntry) => void) {
  const target = await resolveTarget();
  const db = openDatabase(target, 'comanda-monitor');
  try {
    const thresholds = await thresholdsFile(target.config.checksFile);
    const monitor = monitorFromConfig(target.config, { db, directUrl: target.directUrl, databaseUrl: target.url, thresholds, backup: () => backupJobOutcome({ url: target.directUrl, settings: target.config.backup }), log });
    return { monitor, db };
  } catch (err) {
    await db.close();
    throw err;
  }
}

export function monitorCommand(program: Command): void {
  const monitor = program
    .command('monitor')
    .description('run the checks on their schedules and send alerts (until Ctrl-C); --once [job]: run now and exit 0 ok, 1 warning, 2 critical, 3 unknown')
    .option('--once [job]', 'run one job (health, slow-queries, integrity, backup) or, without a name, every job once, then exit')
    .option('--json', 'with --once: print the report as JSON')
    .option('--log-format <format>', 'json (JSON lines) or text; default: text on a terminal, else json')
    .action(async (options: { once?: string | boolean; json?: boolean; logFormat?: string }) => {
      const format = options.logFormat ?? (process.stdout.isTTY ? 'text' : 'json');
      if (format !== 'json' && format !== 'text') throw new CliError(`--log-format must be json or text, got "${format}"`, COMMAND_EXIT_CODES.usage);
      // With --once the report is the output (stdout) and the log goes to stderr.
      const { monitor: m, db } = await openMonitor(options.once !== undefined ? logger(options.json ? 'json' : 'text', process.stderr) : logger(format, process.stdout));
      if (options.once !== undefined) {
        try {
          const jobs = typeof options.once === 'string' ? [options.once] : jobNames(m);
          if (typeof options.once === 'string' && !jobNames(m).includes(options.once)) {
            const why = options.once === 'backup' ? ' (the backup job is not available in this build or MONITOR_SCHEDULE_BACKUP is off)' : '';
            throw new CliError(`no job "${options.once}"${why}; jobs: ${jobNames(m).join(', ')}`, COMMAND_EXIT_CODES.usage);
          }
          if (!(await m.acquire())) {
            throw new CliError('another monitor is active (it holds the monitor lock): it already runs these jobs; see `comanda monitor status`', STATUS_EXIT_CODES.unknown);
          }
          const reports: JobReport[] = [];
          for (const job of jobs) {
            reports.push(
              await m.runJob(job).catch((err: unknown) => {
                throw new CliError(err instanceof Error ? err.message : String(err));
              }),
            );
          }
          if (options.json) printJson({ reports });
          else reports.forEach(printReport);
          process.exitCode = STATUS_EXIT_CODES[worst(reports.map((r) => r.status))];
        } finally {
          await m.stop();
          await db.close();
        }
        return;
      }
      await m.start();
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await m.stop();
      await db.close();
    });

  monitor
    .command('status')
    .description('alert state of every check and the latest deliveries (failed ones are retried on the next run)')
    .option('--json', 'print JSON')
    .option('--limit <n>', 'deliveries to show', '20')
    .action(async (options: { json?: boolean; limit: string }) => {
      // `--json` after `status` is parsed by `monitor` itself (commander gives parent options precedence).
      const json = options.json ?? (monitor.opts<{ json?: boolean }>().json === true);
      const limit = integerFlag(options.limit, '--limit', { min: 1, max: 1000 });
      const config = loadConfig();
      const status = await withDatabase((db) => monitorStatus(db, limit)).catch((err: unknown) => {
        if ((err as { code?: unknown }).code === '42P01') {
          // undefined_table: the only tables this reads are the monitor's.
          throw new CliError('the monitor\'s tables are missing (migration 0009): run `comanda migrate up`');
        }
        throw err;
      });
      const channels = [config.monitor.slackWebhookUrl && 'slack', config.monitor.webhookUrl && 'webhook', config.monitor.emailTo.length && 'email'].filter(Boolean);
      if (json) return printJson({ ...status, channels });
      printTable(
        status.states.map((s) => ({ check: s.check, status: s.status, since: s.since, told: s.notifiedStatus ?? '-', toldAt: s.notifiedAt, summary: s.summary })),
        ['check', 'status', 'since', 'told', 'toldAt', 'summary'],
      );
      process.stdout.write(`\nchannels configured here: ${channels.length ? channels.join(', ') : 'none (set ALERT_SLACK_WEBHOOK_URL, ALERT_WEBHOOK_URL or ALERT_EMAIL_TO)'}\n`);
      process.stdout.write(`latest deliveries (${status.undelivered} waiting to be retried on the next run):\n`);
      printTable(status.deliveries, ['id', 'at', 'check', 'kind', 'status', 'channel', 'state', 'attempts', 'error']);
    });
}

const jobNames = (m: { jobs: Array<{ name: string }> }) => m.jobs.map((j) => j.name);
