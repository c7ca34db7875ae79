// `npm run topology -- up|down|status`: a local production topology from real parts, as local
// processes in one base directory, on free ports (docs/scaling.md):
//
//   clients ──HTTP──▶ HAProxy :http ──▶ 3 × Comanda (node dist/main.js), checked on GET /readyz
//                                          │ DATABASE_URL                │ DATABASE_DIRECT_URL
//                                          ▼                             │ (migrations, LISTEN)
//                                   PgBouncer (transaction mode)         │
//                                          │                             │
//                                          ▼                             ▼
//                               HAProxy :pg-primary (TCP; external check: "accepts writes?")
//                                     │                         │
//                           node1 (PostgreSQL 15)  ◀─sync─▶  node2 (PostgreSQL 15)
//                                     ▲      pg_auto_failover    ▲
//                                     └──────── monitor ─────────┘
//
// DATABASE_REPLICA_URL (the menu's reads) goes to HAProxy's pg-replica listener: the standby.
//
// How the service reaches the new primary after a failover: through HAProxy's `pg-primary`
// listener, whose external check (psql: `pg_is_in_recovery()` and `transaction_read_only`) passes
// on the node that accepts writes only; when a node is marked down its sessions are cut, so
// PgBouncer's server connections and the instances' LISTEN connections reconnect to the new
// primary. node-postgres has no multi-host connection strings (libpq's
// `target_session_attrs=read-write`), and PgBouncer does not follow a failover by itself, so one
// address that always leads to the primary serves both the pooled and the direct URL. libpq tools
// (psql, pg_dump, `comanda backup`) may use pg_auto_failover's multi-host URI instead, which
// `status` prints.
//
// PostgreSQL, pg_autoctl and PgBouncer refuse to run as root: run as root, they run as `postgres`.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, closeSync, existsSync } from 'node:fs';
import { appendFile, chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../src/embedded/postgres.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const PG_BIN_DIR = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
export const defaultBaseDir = path.join(tmpdir(), 'comanda-topology');
const DATABASE = 'comanda';

export interface TopologyOptions {
  /** Base directory of every process's data, configuration and logs (default: $TMPDIR/comanda-topology). */
  dir?: string;
  /** How many Comanda instances behind HAProxy (default 3). */
  instances?: number;
  /** The command that starts an instance (default: node dist/main.js, in the repository). */
  instanceCommand?: string[];
  /** SHUTDOWN_DRAIN_DELAY_MS of the instances: HAProxy's check (500 ms × 2) plus a margin. */
  drainDelayMs?: number;
  /** Extra environment of every instance (e.g. higher rate limits for a load test). */
  env?: Record<string, string>;
  log?: (message: string) => void;
}

export interface InstanceState {
  name: string;
  port: number;
  pid: number;
}

export interface NodeState {
  name: string;
  port: number;
  /** pg_autoctl run's pid; its process group holds the node's keeper and PostgreSQL. */
  pid: number;
  pgdata: string;
}

export interface TopologyState {
  dir: string;
  startedAt: string;
  ports: { http: number; pgPrimary: number; pgReplica: number; pgbouncer: number; monitor: number };
  monitor: NodeState;
  nodes: NodeState[];
  instances: InstanceState[];
  haproxy: { pid: number; socket: string };
  pgbouncer: { pid: number };
  instanceCommand: string[];
  instanceEnv: Record<string, string>;
  urls: {
    /** Through HAProxy to the instances. */
    http: string;
    /** DATABASE_URL of the instances: PgBouncer. */
    pooled: string;
    /** DATABASE_DIRECT_URL of the instances: HAProxy's pg-primary listener. */
    direct: string;
    /** DATABASE_REPLICA_URL of the instances: HAProxy's pg-replica listener (the standby). */
    replica: string;
    /** pg_auto_failover's multi-host URI, for libpq tools. */
    multiHost: string;
    monitor: string;
  };
}

// ── processes ───────────────────────────────────────────────────────────────────────────────

interface Ids {
  uid?: number;
  gid?: number;
}

/** As root, the ids of `postgres` (PostgreSQL and PgBouncer refuse to run as root). */
function postgresIds(): Ids {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

async function own(file: string, ids: Ids): Promise<void> {
  if (ids.uid !== undefined && ids.gid !== undefined) await chown(file, ids.uid, ids.gid);
}

/** Starts a long-running process in its own process group, its output appended to `log`. */
function daemon(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; log: string; ids?: Ids; cwd?: string }): number {
  const out = openSync(options.log, 'a');
  try {
    const child = spawn(command, args, {
      ...options.ids,
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', out, out],
    });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(out);
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, logFile?: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const tail = logFile ? (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-20).join('\n') : '';
      throw new Error(`timed out waiting for ${what}${tail ? `; last lines of ${logFile}:\n${tail}` : ''}`);
    }
    await sleep(200);
  }
}

/** Sends `signal` to a process group (or the process), then waits up to `timeoutMs` for it to end. */
export async function stopProcess(pid: number, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000, group = true): Promise<void> {
  const send = (s: NodeJS.Signals) => {
    try {
      process.kill(group ? -pid : pid, s);
    } catch {
      try {
        process.kill(pid, s);
      } catch {
        /* already gone */
      }
    }
  };
  if (!alive(pid)) return;
  send(signal);
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  if (alive(pid)) send('SIGKILL');
  while (alive(pid)) await sleep(50);
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function queryOnce<R extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

// ── pg_auto_failover ────────────────────────────────────────────────────────────────────────

function autoctlEnv(dir: string): NodeJS.ProcessEnv {
  // pg_autoctl keeps its configuration and state under XDG directories: inside the base directory.
  return {
    PATH: `${PG_BIN_DIR}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: dir,
    XDG_CONFIG_HOME: path.join(dir, 'xdg', 'config'),
    XDG_DATA_HOME: path.join(dir, 'xdg', 'data'),
    XDG_RUNTIME_DIR: path.join(dir, 'xdg', 'run'),
    PG_CONFIG: path.join(PG_BIN_DIR, 'pg_config'),
    LANG: 'C.UTF-8',
  };
}

async function autoctl(dir: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('pg_autoctl', args, { env: autoctlEnv(dir), ...postgresIds(), cwd: dir, maxBuffer: 10_000_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`pg_autoctl ${args.slice(0, 2).join(' ')} failed: ${(e.stderr ?? e.message).split('\n').slice(-10).join('\n')}`);
  }
}

/** The monitor's view: each node's name, port, reported and assigned state. */
export async function nodeStates(monitorUrl: string): Promise<{ name: string; port: number; reported: string; assigned: string }[]> {
  return queryOnce(
    monitorUrl,
    `SELECT nodename AS name, nodeport AS port, reportedstate::text AS reported, goalstate::text AS assigned
       FROM pgautofailover.node ORDER BY nodeid`,
  );
}

/** Waits until the formation is stable: one primary, the others secondaries, as assigned. */
export async function waitForStableFormation(state: Pick<TopologyState, 'urls'>, expectedNodes: number, timeoutMs = 60_000): Promise<string> {
  return waitUntil(
    'pg_auto_failover: a primary and its secondaries',
    async () => {
      const nodes = await nodeStates(state.urls.monitor);
      if (nodes.length !== expectedNodes) return undefined;
      if (!nodes.every((n) => n.reported === n.assigned)) return undefined;
      const primaries = nodes.filter((n) => n.reported === 'primary');
      if (primaries.length !== 1 || nodes.some((n) => n.reported !== 'primary' && n.reported !== 'secondary')) return undefined;
      return primaries[0]!.name;
    },
    timeoutMs,
  );
}

// Faster failure detection than pg_auto_failover's defaults (5 s checks, 20 s before a node is
// unhealthy, 30 s before an unreachable primary is taken as demoted): a failover in seconds.
const MONITOR_SETTINGS = {
  'pgautofailover.health_check_period': '1000',
  'pgautofailover.health_check_timeout': '1000',
  'pgautofailover.health_check_max_retries': '2',
  'pgautofailover.health_check_retry_delay': '500',
  'pgautofailover.node_considered_unhealthy_timeout': '4000',
  'pgautofailover.primary_demote_timeout': '4000',
};

function startNode(dir: string, node: NodeState): number {
  return daemon('pg_autoctl', ['run', '--pgdata', node.pgdata], {
    env: autoctlEnv(dir),
    log: path.join(dir, 'logs', `${node.name}.log`),
    ids: postgresIds(),
    cwd: dir,
  });
}

/** Starts a stopped (or killed) node again: it rejoins the formation in the state the monitor assigns. */
export async function restartNode(state: TopologyState, name: string): Promise<void> {
  const node = state.nodes.find((n) => n.name === name) ?? (state.monitor.name === name ? state.monitor : undefined);
  if (!node) throw new Error(`no node ${name}`);
  if (alive(node.pid)) throw new Error(`node ${name} is still running`);
  node.pid = startNode(state.dir, node);
  await saveState(state);
}

/** kill -9 of a node's pg_autoctl and PostgreSQL (the whole machine is lost). */
export async function killNode(state: TopologyState, name: string): Promise<void> {
  const node = state.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`no node ${name}`);
  const postmaster = Number((await readFile(path.join(node.pgdata, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  await stopProcess(node.pid, 'SIGKILL', 5_000);
  if (postmaster && alive(postmaster)) await stopProcess(postmaster, 'SIGKILL', 5_000, false);
}

// ── instances ───────────────────────────────────────────────────────────────────────────────

export function instanceEnvironment(state: TopologyState, instance: InstanceState): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...state.instanceEnv,
    PORT: String(instance.port),
    COMANDA_DATA_DIR: path.join(state.dir, instance.name),
  };
}

export async function startInstance(state: TopologyState, name: string, wait = true): Promise<void> {
  const instance = state.instances.find((i) => i.name === name);
  if (!instance) throw new Error(`no instance ${name}`);
  if (instance.pid && alive(instance.pid)) throw new Error(`instance ${name} is still running`);
  const [command, ...args] = state.instanceCommand;
  const log = path.join(state.dir, 'logs', `${name}.log`);
  instance.pid = daemon(command!, args, { env: instanceEnvironment(state, instance), log, cwd: repoRoot });
  await saveState(state);
  if (wait) await waitForInstance(instance, log);
}

async function waitForInstance(instance: InstanceState, log: string): Promise<void> {
  await waitUntil(
    `${instance.name} to be ready on port ${instance.port}`,
    async () => {
      if (!alive(instance.pid)) throw new Error('exited');
      const res = await fetch(`http://127.0.0.1:${instance.port}/readyz`);
      return res.status === 200 ? true : undefined;
    },
    90_000,
    log,
  ).catch((err: Error) => {
    if (!alive(instance.pid)) throw new Error(`${instance.name} exited during start-up; see ${log}`);
    throw err;
  });
}

/** SIGTERM (graceful: drain, finish, exit) or SIGKILL; waits until the process is gone. */
export async function stopInstance(state: TopologyState, name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const instance = state.instances.find((i) => i.name === name);
  if (!instance) throw new Error(`no instance ${name}`);
  await stopProcess(instance.pid, signal, 30_000);
}

// ── HAProxy ─────────────────────────────────────────────────────────────────────────────────

/** HAProxy's view of a server: UP, DOWN, MAINT… (`show stat` on its admin socket). */
export async function haproxyServers(state: Pick<TopologyState, 'haproxy'>): Promise<{ backend: string; server: string; status: string }[]> {
  const csv = await new Promise<string>((resolve, reject) => {
    let data = '';
    const socket = net.connect(state.haproxy.socket, () => socket.write('show stat\n'));
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
  const [header, ...lines] = csv.replace(/^# /, '').trim().split('\n');
  const columns = header!.split(',');
  const at = (name: string) => columns.indexOf(name);
  return lines
    .map((line) => line.split(','))
    .filter((f) => f[at('svname')] !== 'FRONTEND' && f[at('svname')] !== 'BACKEND')
    .map((f) => ({ backend: f[at('pxname')]!, server: f[at('svname')]!, status: f[at('status')]! }));
}

function haproxyConfig(dir: string, ports: TopologyState['ports'], nodes: NodeState[], instances: InstanceState[]): string {
  return `# Generated by scripts/topology.ts
global
  maxconn 4000
  # The pg-primary check runs psql: HAProxy forks for external checks only when told it may.
  external-check
  insecure-fork-wanted
  stats socket ${path.join(dir, 'haproxy.sock')} mode 600 level admin

defaults
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  timeout check 2s

# The Comanda instances. An instance is taken out when /readyz fails twice (it fails first thing
# on SIGTERM, while the instance keeps serving for SHUTDOWN_DRAIN_DELAY_MS), and back in when it
# passes twice. A request that could not be delivered (connection refused, or closed without an
# answer) is sent to another instance: orders carry an Idempotency-Key, so that is safe.
listen comanda
  mode http
  bind 127.0.0.1:${ports.http}
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  option forwardfor
  # Which instance answered (for the proofs and for people debugging a request).
  http-response set-header x-comanda-instance %[srv_name]
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response
  errorfile 503 ${path.join(dir, 'haproxy-503.http')}
  default-server inter 500ms fastinter 250ms downinter 500ms fall 2 rise 2
${instances.map((i) => `  server ${i.name} 127.0.0.1:${i.port} check`).join('\n')}

# The current primary, whichever node it is: the external check passes only on a PostgreSQL that
# accepts writes. When a node goes down its sessions are cut, so clients reconnect to the primary.
listen pg-primary
  mode tcp
  bind 127.0.0.1:${ports.pgPrimary}
  timeout client 24h
  timeout server 24h
  option external-check
  external-check path "/usr/bin:/bin"
  external-check command ${path.join(dir, 'check-primary.sh')}
  default-server inter 500ms fall 1 rise 1 on-marked-down shutdown-sessions
${nodes.map((n) => `  server ${n.name} 127.0.0.1:${n.port} check`).join('\n')}

# A standby for reads (DATABASE_REPLICA_URL): the check passes on a node in recovery. With none
# (during a failover, or alone on the new primary) connections fail and the instances read from
# the primary.
listen pg-replica
  mode tcp
  bind 127.0.0.1:${ports.pgReplica}
  timeout client 24h
  timeout server 24h
  option external-check
  external-check path "/usr/bin:/bin"
  external-check command ${path.join(dir, 'check-replica.sh')}
  default-server inter 500ms fall 1 rise 1 on-marked-down shutdown-sessions
${nodes.map((n) => `  server ${n.name} 127.0.0.1:${n.port} check`).join('\n')}
`;
}

const CHECK_REPLICA = `#!/bin/sh
# HAProxy external check: succeeds only on a PostgreSQL in recovery (a standby).
r=$(PGCONNECT_TIMEOUT=1 ${PG_BIN_DIR}/psql -X -At -h "$3" -p "$4" -U postgres -d postgres -c "SELECT pg_is_in_recovery()" 2>/dev/null)
[ "$r" = t ]
`;

const CHECK_PRIMARY = `#!/bin/sh
# HAProxy external check (arguments: proxy address, proxy port, server address, server port):
# succeeds only on a PostgreSQL that is not in recovery and accepts writes.
r=$(PGCONNECT_TIMEOUT=1 ${PG_BIN_DIR}/psql -X -At -h "$3" -p "$4" -U postgres -d postgres \\
  -c "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only')::bool" 2>/dev/null)
[ "$r" = f ]
`;

// What HAProxy answers when no instance is ready (e.g. while the database fails over): the same
// problem document and Retry-After as the service's own 503s.
const HAPROXY_503 = [
  'HTTP/1.1 503 Service Unavailable',
  'content-type: application/problem+json; charset=utf-8',
  'retry-after: 2',
  'cache-control: no-store',
  'connection: close',
  '',
  JSON.stringify({
    type: 'https://comanda.dev/errors/not-ready',
    title: 'The service is not ready.',
    status: 503,
    code: 'NOT_READY',
    detail: 'No instance is ready to answer; retry shortly.',
  }),
].join('\r\n');

// ── up / down / status ──────────────────────────────────────────────────────────────────────

const stateFile = (dir: string) => path.join(dir, 'topology.json');

async function saveState(state: TopologyState): Promise<void> {
  await writeFile(stateFile(state.dir), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
}

export async function loadState(dir = defaultBaseDir): Promise<TopologyState | undefined> {
  const text = await readFile(stateFile(dir), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as TopologyState);
}

export async function up(options: TopologyOptions = {}): Promise<TopologyState> {
  const dir = path.resolve(options.dir ?? defaultBaseDir);
  const log = options.log ?? (() => undefined);
  if (await loadState(dir)) throw new Error(`a topology is already in ${dir}; run \`npm run topology -- down\` first`);
  if (existsSync(path.join(dir, 'monitor'))) {
    throw new Error(`${dir} holds the data of a topology that failed to start (its logs are in ${path.join(dir, 'logs')}); remove it, or use --dir`);
  }
  const ids = postgresIds();
  await mkdir(path.join(dir, 'logs'), { recursive: true });
  await mkdir(path.join(dir, 'xdg', 'run'), { recursive: true, mode: 0o700 });
  // The base directory is reachable by `postgres`; secrets in it are owner-only files.
  await chmod(dir, 0o755);
  for (const sub of ['', 'logs', 'xdg', 'xdg/run']) await own(path.join(dir, sub), ids);

  const [monitorPort, port1, port2, pgPrimary, pgReplica, pgbouncerPort, http] = await Promise.all(Array.from({ length: 7 }, () => freePort()));
  const instancePorts = await Promise.all(Array.from({ length: options.instances ?? 3 }, () => freePort()));
  const ports = { http: http!, pgPrimary: pgPrimary!, pgReplica: pgReplica!, pgbouncer: pgbouncerPort!, monitor: monitorPort! };
  const monitor: NodeState = { name: 'monitor', port: monitorPort!, pid: 0, pgdata: path.join(dir, 'monitor') };
  const nodes: NodeState[] = [
    { name: 'node1', port: port1!, pid: 0, pgdata: path.join(dir, 'node1') },
    { name: 'node2', port: port2!, pid: 0, pgdata: path.join(dir, 'node2') },
  ];
  const monitorUrl = `postgres://autoctl_node@127.0.0.1:${monitorPort}/pg_auto_failover?sslmode=disable`;
  const secret = randomBytes(32).toString('hex');
  const state: TopologyState = {
    dir,
    startedAt: new Date().toISOString(),
    ports,
    monitor,
    nodes,
    instances: instancePorts.map((port, i) => ({ name: `comanda${i + 1}`, port, pid: 0 })),
    haproxy: { pid: 0, socket: path.join(dir, 'haproxy.sock') },
    pgbouncer: { pid: 0 },
    instanceCommand: options.instanceCommand ?? [process.execPath, 'dist/main.js'],
    instanceEnv: {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${ports.pgbouncer}/${DATABASE}`,
      DATABASE_DIRECT_URL: `postgres://postgres@127.0.0.1:${ports.pgPrimary}/${DATABASE}`,
      DATABASE_REPLICA_URL: `postgres://postgres@127.0.0.1:${ports.pgReplica}/${DATABASE}`,
      DATABASE_REPLICA_MAX_LAG_MS: '1000',
      DATABASE_POOL_SIZE: '8',
      DATABASE_POOL_MIN: '2',
      COMANDA_SECRET: secret,
      HOST: '127.0.0.1',
      TRUST_PROXY: '127.0.0.1', // HAProxy, the one proxy in front
      PUBLIC_URL: `http://127.0.0.1:${ports.http}`,
      SEED_DEMO: 'true',
      LOG_LEVEL: 'warn',
      SHUTDOWN_DRAIN_DELAY_MS: String(options.drainDelayMs ?? 1_500),
      ...options.env,
    },
    urls: {
      http: `http://127.0.0.1:${ports.http}`,
      pooled: `postgres://postgres@127.0.0.1:${ports.pgbouncer}/${DATABASE}`,
      direct: `postgres://postgres@127.0.0.1:${ports.pgPrimary}/${DATABASE}`,
      replica: `postgres://postgres@127.0.0.1:${ports.pgReplica}/${DATABASE}`,
      multiHost: '',
      monitor: monitorUrl,
    },
  };
  await saveState(state);
  try {
    log(`pg_auto_failover monitor on ${monitorPort}`);
    await autoctl(dir, [
      'create', 'monitor', '--pgdata', monitor.pgdata, '--pgport', String(monitorPort), '--hostname', '127.0.0.1',
      '--auth', 'trust', '--no-ssl', '--pgctl', path.join(PG_BIN_DIR, 'pg_ctl'),
    ]);
    await appendFile(
      path.join(monitor.pgdata, 'postgresql.conf'),
      `\n# scripts/topology.ts: fail over in seconds\nlisten_addresses = '127.0.0.1'\n` +
        Object.entries(MONITOR_SETTINGS).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n',
    );
    monitor.pid = startNode(dir, monitor);
    await saveState(state);
    await waitUntil('the monitor', () => queryOnce(monitorUrl, 'SELECT 1').then(() => true), 60_000, path.join(dir, 'logs', 'monitor.log'));

    for (const node of nodes) {
      log(`PostgreSQL ${node.name} on ${node.port}`);
      await autoctl(dir, [
        'create', 'postgres', '--pgdata', node.pgdata, '--pgport', String(node.port), '--listen', '127.0.0.1',
        '--hostname', '127.0.0.1', '--auth', 'trust', '--no-ssl', '--pgctl', path.join(PG_BIN_DIR, 'pg_ctl'),
        '--monitor', monitorUrl, '--name', node.name, '--dbname', DATABASE,
      ]);
      node.pid = startNode(dir, node);
      await saveState(state);
      await waitUntil(
        `${node.name} to join`,
        async () => {
          const states = await nodeStates(monitorUrl);
          const me = states.find((n) => n.name === node.name);
          return me && me.reported === me.assigned && ['single', 'primary', 'secondary'].includes(me.reported) ? true : undefined;
        },
        90_000,
        path.join(dir, 'logs', `${node.name}.log`),
      );
    }
    await waitForStableFormation(state, nodes.length, 90_000);
    state.urls.multiHost = (await autoctl(dir, ['show', 'uri', '--pgdata', monitor.pgdata, '--formation', 'default'])).trim();

    log(`HAProxy: HTTP on ${ports.http}, the primary on ${ports.pgPrimary}`);
    await writeFile(path.join(dir, 'check-primary.sh'), CHECK_PRIMARY, { mode: 0o755 });
    await writeFile(path.join(dir, 'check-replica.sh'), CHECK_REPLICA, { mode: 0o755 });
    await writeFile(path.join(dir, 'haproxy-503.http'), HAPROXY_503 + '\r\n');
    await writeFile(path.join(dir, 'haproxy.cfg'), haproxyConfig(dir, ports, nodes, state.instances));
    state.haproxy.pid = daemon('haproxy', ['-db', '-f', path.join(dir, 'haproxy.cfg')], { log: path.join(dir, 'logs', 'haproxy.log') });
    await saveState(state);
    await waitUntil(
      'HAProxy to find the primary',
      async () => ((await haproxyServers(state)).some((s) => s.backend === 'pg-primary' && s.status === 'UP') ? true : undefined),
      30_000,
      path.join(dir, 'logs', 'haproxy.log'),
    );

    log(`PgBouncer (transaction mode) on ${ports.pgbouncer}`);
    await writePgBouncerConfig(dir, ports, ids);
    state.pgbouncer.pid = daemon(pgbouncerBinary(), [path.join(dir, 'pgbouncer.ini')], { log: path.join(dir, 'logs', 'pgbouncer.log'), ids });
    await saveState(state);
    await waitUntil('PgBouncer', async () => ((await portOpen(ports.pgbouncer)) ? true : undefined), 20_000, path.join(dir, 'logs', 'pgbouncer.log'));

    // The first instance migrates and seeds; the others start when it is ready.
    const [first, ...rest] = state.instances;
    log(`Comanda ${first!.name} on ${first!.port} (migrates, seeds the demo restaurant)`);
    await startInstance(state, first!.name);
    log(`Comanda ${rest.map((i) => `${i.name} on ${i.port}`).join(', ')}`);
    await Promise.all(rest.map((i) => startInstance(state, i.name)));
    await waitForBalancer(state);
    log(`ready: ${state.urls.http}`);
    return state;
  } catch (err) {
    await down(dir, { keep: true }).catch(() => undefined);
    throw err;
  }
}

/** Waits until HAProxy sends to every running instance. */
export async function waitForBalancer(state: TopologyState, timeoutMs = 60_000): Promise<void> {
  const running = new Set(state.instances.filter((i) => alive(i.pid)).map((i) => i.name));
  await waitUntil(
    'HAProxy to mark the instances up',
    async () => {
      const servers = (await haproxyServers(state)).filter((s) => s.backend === 'comanda' && running.has(s.server));
      return servers.length === running.size && servers.every((s) => s.status === 'UP') ? true : undefined;
    },
    timeoutMs,
  );
}

function pgbouncerBinary(): string {
  return ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((p) => existsSync(p)) ?? 'pgbouncer';
}

async function writePgBouncerConfig(dir: string, ports: TopologyState['ports'], ids: Ids): Promise<void> {
  const userlist = path.join(dir, 'pgbouncer-users.txt');
  await writeFile(userlist, '"postgres" ""\n', { mode: 0o600 });
  const ini = path.join(dir, 'pgbouncer.ini');
  await writeFile(
    ini,
    [
      '; Generated by scripts/topology.ts. The server is HAProxy\'s pg-primary listener: whichever',
      '; node is the primary. A request waits at most query_wait_timeout for a server connection',
      '; (e.g. during a failover), then fails with 08P01, which the service answers as 503 + Retry-After.',
      '[databases]',
      `${DATABASE} = host=127.0.0.1 port=${ports.pgPrimary} dbname=${DATABASE}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${ports.pgbouncer}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${userlist}`,
      'pool_mode = transaction',
      'max_client_conn = 500',
      'default_pool_size = 20',
      'server_reset_query =',
      'ignore_startup_parameters = extra_float_digits,options',
      'server_login_retry = 1',
      'server_connect_timeout = 2',
      'query_wait_timeout = 4',
      'server_idle_timeout = 60',
      'log_connections = 0',
      'log_disconnections = 0',
    ].join('\n') + '\n',
    { mode: 0o644 },
  );
  await own(userlist, ids);
  await own(ini, ids);
}

export async function down(dir = defaultBaseDir, options: { keep?: boolean; log?: (message: string) => void } = {}): Promise<boolean> {
  const log = options.log ?? (() => undefined);
  const state = await loadState(dir);
  if (!state) return false;
  // Front to back: the balancer and the instances, the pooler, then the database nodes.
  if (state.haproxy.pid) await stopProcess(state.haproxy.pid, 'SIGTERM', 5_000);
  await Promise.all(state.instances.filter((i) => i.pid).map((i) => stopProcess(i.pid, 'SIGTERM', 20_000)));
  if (state.pgbouncer.pid) await stopProcess(state.pgbouncer.pid, 'SIGTERM', 5_000);
  // pg_autoctl stops its PostgreSQL on SIGTERM (fast shutdown); secondaries first.
  for (const node of [...state.nodes].reverse()) if (node.pid) await stopProcess(node.pid, 'SIGTERM', 20_000);
  if (state.monitor.pid) await stopProcess(state.monitor.pid, 'SIGTERM', 20_000);
  // A PostgreSQL left behind (its keeper killed with kill -9) is stopped by its data directory.
  for (const node of [state.monitor, ...state.nodes]) {
    const postmaster = Number((await readFile(path.join(node.pgdata, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
    if (postmaster && alive(postmaster)) await stopProcess(postmaster, 'SIGTERM', 20_000, false);
  }
  log(`stopped the topology in ${dir}`);
  if (!options.keep) await rm(dir, { recursive: true, force: true });
  else await rm(stateFile(dir), { force: true });
  return true;
}

export interface TopologyStatus {
  dir: string;
  urls: TopologyState['urls'];
  processes: { name: string; pid: number; running: boolean }[];
  database: { name: string; port: number; reported: string; assigned: string }[] | { error: string };
  balancer: { backend: string; server: string; status: string }[] | { error: string };
}

export async function status(dir = defaultBaseDir): Promise<TopologyStatus | undefined> {
  const state = await loadState(dir);
  if (!state) return undefined;
  const processes = [
    { name: 'haproxy', pid: state.haproxy.pid },
    { name: 'pgbouncer', pid: state.pgbouncer.pid },
    ...[state.monitor, ...state.nodes].map((n) => ({ name: `pg_autoctl ${n.name}`, pid: n.pid })),
    ...state.instances.map((i) => ({ name: i.name, pid: i.pid })),
  ].map((p) => ({ ...p, running: p.pid > 0 && alive(p.pid) }));
  const database = await nodeStates(state.urls.monitor).catch((err: Error) => ({ error: err.message }));
  const balancer = await haproxyServers(state).catch((err: Error) => ({ error: err.message }));
  return { dir: state.dir, urls: state.urls, processes, database, balancer };
}

// ── command line ────────────────────────────────────────────────────────────────────────────

async function cli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const dirAt = rest.indexOf('--dir');
  const dir = dirAt >= 0 ? rest[dirAt + 1] : undefined;
  const say = (m: string) => process.stdout.write(`topology: ${m}\n`);
  switch (command) {
    case 'up': {
      if (!rest.includes('--no-build')) {
        say('building (npm run build)');
        execFileSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, stdio: 'inherit' });
      }
      const state = await up({ dir, log: say });
      say(`HTTP (HAProxy)     ${state.urls.http}  ·  ${state.urls.http}/api/menu?restaurantId=rest_enigma_001`);
      say(`DATABASE_URL       ${state.urls.pooled}  (PgBouncer, transaction mode)`);
      say(`DIRECT             ${state.urls.direct}  (HAProxy → the current primary)`);
      say(`REPLICA            ${state.urls.replica}  (HAProxy → the standby, for the menu)`);
      say(`libpq multi-host   ${state.urls.multiHost}`);
      say(`logs               ${path.join(state.dir, 'logs')}`);
      say('stop it with: npm run topology -- down' + (dir ? ` --dir ${dir}` : ''));
      return 0;
    }
    case 'down': {
      const stopped = await down(dir, { keep: rest.includes('--keep'), log: say });
      if (!stopped) say(`no topology in ${dir ?? defaultBaseDir}`);
      return 0;
    }
    case 'status': {
      const report = await status(dir);
      if (!report) {
        say(`no topology in ${dir ?? defaultBaseDir}; start one with: npm run topology -- up`);
        return 3;
      }
      if (rest.includes('--json')) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      } else {
        say(`in ${report.dir}: ${report.urls.http}`);
        for (const p of report.processes) say(`  ${p.name.padEnd(20)} pid ${String(p.pid).padEnd(8)} ${p.running ? 'running' : 'STOPPED'}`);
        if ('error' in report.database) say(`  database: the monitor did not answer (${report.database.error})`);
        else for (const n of report.database) say(`  ${n.name.padEnd(8)} :${n.port} ${n.reported} (assigned ${n.assigned})`);
        if ('error' in report.balancer) say(`  HAProxy did not answer (${report.balancer.error})`);
        else for (const s of report.balancer) say(`  HAProxy ${s.backend}/${s.server}: ${s.status}`);
        say(`  libpq multi-host URI: ${report.urls.multiHost}`);
      }
      const ok = report.processes.every((p) => p.running) && !('error' in report.database) && !('error' in report.balancer);
      return ok ? 0 : 1;
    }
    default:
      process.stderr.write('usage: npm run topology -- up [--dir DIR] [--no-build] | down [--dir DIR] [--keep] | status [--dir DIR] [--json]\n');
      return 2;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`topology: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
