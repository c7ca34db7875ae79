// The deployment files under deploy/: Prometheus alert rules (promtool check rules, and
// promtool test rules with a quiet and a firing case for every alert), the Prometheus config, the
// Grafana dashboard and the alert rules against the metric names a live /metrics exposes, and the
// structure of docker-compose.yml, pgbouncer.ini and .env.example (there is no Docker engine here
// to run them, so they are parsed and checked).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { useTestApp } from './helpers/app.js';
import { itWith, promtoolTool } from './helpers/tools.js';

const promtool = promtoolTool();

const deploy = path.resolve(import.meta.dirname, '../deploy');
const read = (file: string) => readFileSync(path.join(deploy, file), 'utf8');
const yamlOf = <T>(file: string): T => parseYaml(read(file)) as T;

function run(command: string, args: string[], cwd = deploy): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: Record<string, string>;
}
interface RuleTest {
  name: string;
  alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }>;
}

const rules = yamlOf<{ groups: Array<{ name: string; rules: Rule[] }> }>('prometheus/alerts.yml').groups.flatMap((g) => g.rules);
const byName = new Map(rules.map((r) => [r.alert, r]));

/** comanda_* metric names an expression refers to. */
const metricNames = (expr: string): string[] => [...expr.matchAll(/\bcomanda_[a-z0-9_]+/g)].map((m) => m[0]);

describe('Prometheus alert rules', () => {
  itWith([promtool], 'pass promtool check rules', async () => {
    const { code, output } = await run('promtool', ['check', 'rules', 'prometheus/alerts.yml']);
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(code).toBe(0);
  });

  itWith([promtool], 'pass promtool test rules, with a quiet and a firing case for every alert', async () => {
    const { code, output } = await run('promtool', ['test', 'rules', 'prometheus/alerts.test.yml']);
    expect(output).toContain('SUCCESS');
    expect(code).toBe(0);
    const tests = yamlOf<{ rule_files: string[]; tests: RuleTest[] }>('prometheus/alerts.test.yml');
    expect(tests.rule_files).toEqual(['alerts.yml']);
    const cases = tests.tests.flatMap((t) => t.alert_rule_test);
    for (const rule of rules) {
      const own = cases.filter((c) => c.alertname === rule.alert);
      expect(own.some((c) => c.exp_alerts.length > 0), `${rule.alert} is tested firing`).toBe(true);
      expect(own.some((c) => c.exp_alerts.length === 0), `${rule.alert} is tested quiet`).toBe(true);
    }
    for (const c of cases) expect(byName.has(c.alertname), `test of unknown alert ${c.alertname}`).toBe(true);
  });

  it('use the default thresholds (docs/design.md#thresholds) and a severity and runbook each', () => {
    const expected: Record<string, RegExp> = {
      ComandaConnectionsCritical: /comanda_db_connection_utilization_ratio\) > 0\.8$/,
      ComandaConnectionsHigh: /comanda_db_connection_utilization_ratio\) > 0\.6$/,
      ComandaSlowQueries: /comanda_db_query_mean_seconds\) > 0\.5$/,
      ComandaDeadTuples: /comanda_db_dead_tuple_ratio\) > 0\.2$/,
      ComandaReplicationLag: /comanda_db_replication_lag_seconds\) > 60$/,
      ComandaCacheHitRatioLow: /comanda_db_cache_hit_ratio\) < 0\.9$/,
      ComandaRollbacksHigh: /rate\(comanda_db_transactions_rolled_back_total\[5m\]\)\) \* 60 > 100$/,
      ComandaLongRunningQueries: /comanda_db_long_running_queries\) > 5$/,
    };
    for (const [alert, expr] of Object.entries(expected)) expect(byName.get(alert)?.expr.trim(), alert).toMatch(expr);
    expect(byName.get('ComandaConnectionsCritical')?.labels.severity).toBe('critical');
    expect(byName.get('ComandaDeadTuples')?.labels.severity).toBe('info');
    for (const rule of rules) {
      expect(['critical', 'warning', 'info'], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
      expect(rule.annotations.runbook, rule.alert).toMatch(/^docs\/metrics\.md#[a-z]+$/);
    }
    // Every runbook anchor exists in docs/metrics.md.
    const doc = readFileSync(path.join(deploy, '../docs/metrics.md'), 'utf8');
    const anchors = new Set([...doc.matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
    for (const rule of rules) expect(anchors, rule.annotations.runbook).toContain(rule.annotations.runbook!.split('#')[1]);
  });
});

describe('Prometheus configuration', () => {
  itWith([promtool], 'passes promtool check config (with its rule file and a token file in place)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'comanda-prometheus-'));
    try {
      const tokenFile = path.join(dir, 'metrics_token');
      await writeFile(tokenFile, 'placeholder-token-for-the-check', { mode: 0o600 });
      const config = read('prometheus/prometheus.yml');
      expect(config).toContain('credentials_file: /run/secrets/metrics_token');
      await writeFile(path.join(dir, 'prometheus.yml'), config.replace('/run/secrets/metrics_token', tokenFile));
      await copyFile(path.join(deploy, 'prometheus/alerts.yml'), path.join(dir, 'alerts.yml'));
      const { code, output } = await run('promtool', ['check', 'config', 'prometheus.yml'], dir);
      expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
      expect(code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Metric names: what the rules and the dashboard query must be what /metrics exposes.
// ---------------------------------------------------------------------------------------------
const t = await useTestApp();

interface Panel {
  id: number;
  title: string;
  datasource: { uid: string };
  targets: Array<{ expr: string; datasource: { uid: string } }>;
}

describe('metric names', async () => {
  const res = await t.app.inject({ method: 'GET', url: '/metrics' });
  // Every family is declared (# TYPE) even while it has no sample (e.g. no verified backup yet).
  const exposed = new Set<string>();
  for (const m of res.body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    exposed.add(m[1]!);
    if (m[2] === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) exposed.add(m[1]! + suffix);
  }

  it('used by the alert rules are all exposed by /metrics', () => {
    expect(exposed.size).toBeGreaterThan(20);
    const used = new Set(rules.flatMap((r) => metricNames(r.expr)));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(exposed, name).toContain(name);
  });

  it('used by every panel of the Grafana dashboard are all exposed by /metrics', () => {
    const dashboard = JSON.parse(read('grafana/dashboards/comanda.json')) as { uid: string; panels: Panel[] };
    const datasource = yamlOf<{ datasources: Array<{ uid: string; url: string }> }>('grafana/provisioning/datasources/prometheus.yml').datasources[0]!;
    expect(datasource.url).toBe('http://prometheus:9090');
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const panel of dashboard.panels) {
      expect(panel.datasource.uid, panel.title).toBe(datasource.uid);
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) {
        const names = metricNames(target.expr);
        expect(names.length, `${panel.title}: ${target.expr}`).toBeGreaterThan(0);
        for (const name of names) expect(exposed, `${panel.title}: ${name}`).toContain(name);
      }
    }
    // The six database metrics each have a panel.
    const all = dashboard.panels.flatMap((p) => p.targets.map((x) => x.expr)).join('\n');
    for (const name of [
      'comanda_db_connection_utilization_ratio',
      'comanda_db_query_mean_seconds',
      'comanda_db_dead_tuple_ratio',
      'comanda_db_replication_lag_seconds',
      'comanda_db_cache_hit_ratio',
      'comanda_db_transactions_rolled_back_total',
    ]) {
      expect(all).toContain(name);
    }
    const provider = yamlOf<{ providers: Array<{ options: { path: string } }> }>('grafana/provisioning/dashboards/comanda.yml').providers[0]!;
    expect(provider.options.path).toBe('/var/lib/grafana/dashboards');
  });
});

// ---------------------------------------------------------------------------------------------
// docker-compose.yml, pgbouncer.ini, .env.example
// ---------------------------------------------------------------------------------------------
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  env_file?: string[];
  volumes?: string[];
  secrets?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  command?: string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { file: string }>;
}

const compose = yamlOf<Compose>('docker-compose.yml');
const ignored = read('.gitignore').split('\n').filter((l) => l && !l.startsWith('#'));
const envExample = Object.fromEntries(
  read('.env.example')
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

/** A file the operator creates from an example (git-ignored): it must have its example or a recipe. */
function operatorFile(relative: string): boolean {
  const clean = relative.replace(/^\.\//, '');
  return ignored.some((pattern) => clean === pattern || (pattern.endsWith('/') && clean.startsWith(pattern)));
}

describe('docker-compose.yml', () => {
  it('has PostgreSQL 15, PgBouncer, Comanda, its monitor, Prometheus and Grafana, each image pinned to a version', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['alertmanager', 'comanda', 'grafana', 'monitor', 'pgbouncer', 'postgres', 'prometheus']);
    expect(compose.services.monitor!.image).toBe(compose.services.comanda!.image);
    expect(new URL(compose.services.monitor!.environment!.DATABASE_DIRECT_URL!.replace(/\$\{[^}]+\}/g, 'x')).host).toBe('postgres:5432');
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.image, name).toMatch(/^[a-z0-9./_-]+:[A-Za-z0-9._-]*\d[A-Za-z0-9._-]*$/);
      expect(service.image, name).not.toMatch(/:latest$/);
    }
    expect(compose.services.postgres!.image).toMatch(/^postgres:15\./);
    expect(compose.services.postgres!.command).toContain('shared_preload_libraries=pg_stat_statements');
    const build = compose.services.comanda!.build!;
    expect(existsSync(path.join(deploy, build.context, build.dockerfile))).toBe(true);
  });

  it('points DATABASE_URL through PgBouncer and DATABASE_DIRECT_URL straight at PostgreSQL', () => {
    const env = compose.services.comanda!.environment!;
    expect(new URL(env.DATABASE_URL!.replace(/\$\{[^}]+\}/g, 'x')).host).toBe('pgbouncer:6432');
    expect(new URL(env.DATABASE_DIRECT_URL!.replace(/\$\{[^}]+\}/g, 'x')).host).toBe('postgres:5432');
    expect(compose.services.comanda!.env_file).toEqual(['.env']);
  });

  it('resolves every depends_on, named volume, bind mount and secret', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const deps = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
      for (const dep of deps) expect(Object.keys(compose.services), `${name} depends on ${dep}`).toContain(dep);
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.') || source.startsWith('/')) {
          const file = path.join(deploy, source);
          const present = existsSync(file) || (operatorFile(source) && existsSync(`${file}.example`));
          expect(present, `${name}: bind mount ${source}`).toBe(true);
        } else {
          expect(Object.keys(compose.volumes), `${name}: volume ${source}`).toContain(source);
        }
      }
      for (const secret of service.secrets ?? []) expect(Object.keys(compose.secrets), `${name}: secret ${secret}`).toContain(secret);
    }
    for (const { file } of Object.values(compose.secrets)) expect(operatorFile(file), `${file} is git-ignored`).toBe(true);
    // Prometheus reads the token where the secret is mounted.
    expect(read('prometheus/prometheus.yml')).toContain(`/run/secrets/${Object.keys(compose.secrets)[0]}`);
  });

  it('holds no literal secret: passwords and credentials come from deploy/.env', () => {
    const text = read('docker-compose.yml')
      .split('\n')
      .filter((l) => !l.trim().startsWith('#'))
      .join('\n');
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|SECRET|TOKEN|KEY/.test(key)) expect(value, `${name}.${key}`).toMatch(/^\$\{[A-Z_]+(:\?[^}]*)?\}$/);
        // Credentials inside URLs are substitutions too.
        for (const m of String(value).matchAll(/:\/\/[^:/@\s]+:([^@\s]+)@/g)) expect(m[1], `${name}.${key}`).toMatch(/^\$\{[A-Z_]+(:\?[^}]*)?\}$/);
      }
    }
    // Every variable compose substitutes is in .env.example, with a placeholder rather than a value.
    const vars = new Set([...text.matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1]!));
    expect(vars.size).toBeGreaterThan(3);
    for (const name of vars) expect(Object.keys(envExample), name).toContain(name);
    for (const [name, value] of Object.entries(envExample)) {
      if (/PASSWORD|SECRET|TOKEN/.test(name)) expect(value, name).toMatch(/^<generate: openssl rand -hex \d+>$/);
    }
    expect(envExample.SMTP_URL).toMatch(/<password>/);
    expect(operatorFile('.env')).toBe(true);
  });
});

describe('pgbouncer.ini', () => {
  const ini: Record<string, Record<string, string>> = {};
  let section = '';
  for (const raw of read('pgbouncer/pgbouncer.ini').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      ini[section] = {};
      continue;
    }
    const eq = line.indexOf('=');
    ini[section]![line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }

  it('runs in transaction mode with the documented pool sizes (docs/design.md#pooling)', () => {
    expect(ini.pgbouncer).toMatchObject({
      pool_mode: 'transaction',
      max_client_conn: '500',
      default_pool_size: '25',
      min_pool_size: '10',
      reserve_pool_size: '5',
      max_db_connections: '100',
      listen_port: '6432',
      auth_type: 'scram-sha-256',
    });
    // PostgreSQL must have room for PgBouncer's connections plus the direct ones.
    const maxConnections = Number(compose.services.postgres!.command!.find((c) => c.startsWith('max_connections='))!.split('=')[1]);
    expect(maxConnections).toBeGreaterThan(Number(ini.pgbouncer!.max_db_connections));
  });

  it('points at the compose PostgreSQL and keeps passwords out (userlist.txt is the operator’s, from its example)', () => {
    expect(ini.databases!.comanda).toMatch(/host=postgres port=5432 dbname=comanda/);
    expect(read('pgbouncer/pgbouncer.ini')).not.toMatch(/password\s*=/i);
    expect(operatorFile('pgbouncer/userlist.txt')).toBe(true);
    const example = read('pgbouncer/userlist.txt.example');
    for (const line of example.split('\n').filter((l) => l.startsWith('"'))) expect(line).toMatch(/^"[a-z_]+" "<[^>]+>"$/);
  });
});
