// The monitor assembled from configuration: jobs from the schedules, channels from the ALERT_*
// variables, the state file in the data directory.
import path from 'node:path';
import { ConfigError, type Config } from '../../config.js';
import type { ThresholdOverrides } from '../checks/thresholds.js';
import type { Database } from '../db/database.js';
import { buildJobs, type BackupTask } from './jobs.js';
import { Monitor, type LogEntry, type MonitorOptions } from './monitor.js';
import { emailChannel, slackChannel, webhookChannel, type Channel } from './notifiers.js';

export { Monitor, type JobReport, type LogEntry, type MonitorOptions } from './monitor.js';
export { buildJobs, checksOf, DEFAULT_SCHEDULES, type BackupTask, type MonitorJob } from './jobs.js';
export { monitorStatus } from './store.js';

export const stateFileOf = (config: Config): string => path.join(config.dataDir, 'monitor-state.json');

/** The alert channels configured; e-mail needs SMTP_URL (alerts never go to the file outbox). */
export function channelsFrom(config: Config): Channel[] {
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

export function monitorFromConfig(
  config: Config,
  parts: { db: Database; directUrl: string; databaseUrl: string; thresholds?: ThresholdOverrides; backup?: BackupTask; log?: (entry: LogEntry) => void },
): Monitor {
  const options: MonitorOptions = {
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
  };
  return new Monitor(options);
}
