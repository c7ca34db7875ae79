// deploy/alertmanager/alertmanager.yml: valid for Alertmanager (`amtool check-config`, Debian's
// prometheus-alertmanager), every severity the Prometheus rules use routed to a receiver that
// delivers by webhook and e-mail, its secrets read from files Compose mounts, and Prometheus
// pointed at it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { describeWith, tool } from './helpers/tools.js';

const deploy = path.resolve(import.meta.dirname, '../deploy');
const read = (file: string) => readFileSync(path.join(deploy, file), 'utf8');
const amtool = tool('amtool', 'prometheus-alertmanager');

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(amtool.path ?? 'amtool', args, { cwd: deploy, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

interface Receiver {
  name: string;
  webhook_configs?: Array<{ url: string; http_config?: { authorization?: { credentials_file?: string } } }>;
  email_configs?: Array<{ to: string }>;
}

describeWith([amtool], 'Alertmanager configuration', () => {
  const config = parseYaml(read('alertmanager/alertmanager.yml')) as { global: Record<string, string>; receivers: Receiver[] };

  it('passes amtool check-config', async () => {
    const { code, output } = await run(['check-config', 'alertmanager/alertmanager.yml']);
    expect(output).toContain('SUCCESS');
    expect(code).toBe(0);
  });

  it('routes every severity of the Prometheus rules to a receiver with a webhook and e-mail', async () => {
    const rules = parseYaml(read('prometheus/alerts.yml')) as { groups: Array<{ rules: Array<{ alert: string; labels: { severity: string } }> }> };
    const alerts = rules.groups.flatMap((g) => g.rules);
    const severities = [...new Set(alerts.map((r) => r.labels.severity))].sort();
    expect(severities).toEqual(expect.arrayContaining(['critical', 'warning']));
    for (const rule of alerts) {
      const { code, output } = await run(['config', 'routes', 'test', '--config.file=alertmanager/alertmanager.yml', `alertname=${rule.alert}`, `severity=${rule.labels.severity}`]);
      expect(code, output).toBe(0);
      const receiver = config.receivers.find((r) => r.name === output.trim().split('\n').pop()!.trim());
      expect(receiver, `${rule.alert}: ${output}`).toBeDefined();
      expect(receiver!.webhook_configs?.length, rule.alert).toBeGreaterThan(0);
      expect(receiver!.email_configs?.length, rule.alert).toBeGreaterThan(0);
    }
  });

  it('reads its secrets from files Compose mounts, and Prometheus sends to it', () => {
    expect(config.global.smtp_auth_password_file).toBe('/run/secrets/alertmanager_smtp_password');
    expect(config.global).not.toHaveProperty('smtp_auth_password');
    const files = config.receivers.flatMap((r) => (r.webhook_configs ?? []).map((w) => w.http_config?.authorization?.credentials_file));
    expect(files).toEqual(['/run/secrets/alertmanager_webhook_token']);
    const compose = parseYaml(read('docker-compose.yml')) as { services: Record<string, { image: string; secrets?: string[]; volumes?: string[] }>; secrets: Record<string, { file: string }> };
    const am = compose.services.alertmanager!;
    expect(am.image).toMatch(/^prom\/alertmanager:v\d/);
    expect(am.secrets?.sort()).toEqual(['alertmanager_smtp_password', 'alertmanager_webhook_token']);
    for (const s of am.secrets!) expect(compose.secrets[s]!.file).toMatch(/^\.\/secrets\//);
    expect(am.volumes).toContain('./alertmanager:/etc/alertmanager:ro');
    const prometheus = parseYaml(read('prometheus/prometheus.yml')) as { alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> } };
    expect(prometheus.alerting.alertmanagers[0]!.static_configs[0]!.targets).toEqual(['alertmanager:9093']);
  });
});
