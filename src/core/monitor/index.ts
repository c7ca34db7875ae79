// The monitor's public face: the scheduler (monitor.ts), its jobs (jobs.ts), the alert channels
// (notifiers.ts) and the state store (store.ts). It takes its settings as arguments; the CLI
// (src/cli/commands/monitor.ts) assembles it from the configuration.
export { Monitor, type JobReport, type LogEntry, type MonitorOptions } from './monitor.js';
export { buildJobs, checksOf, DEFAULT_SCHEDULES, type BackupTask, type MonitorJob } from './jobs.js';
export { emailChannel, slackChannel, webhookChannel, type Channel } from './notifiers.js';
export { monitorStatus } from './store.js';
