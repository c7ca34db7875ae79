// The reference configuration (docs/design.md#tuning) configuration tuning as a recommendation engine: a machine (RAM, CPUs,
// storage, connections) in, PostgreSQL settings out, each with a one-line reason. Pure functions:
// `comanda tune` prints them, and the doctor's settings check compares a live server with them.
//
// The reference case is the spec's own machine, 32 GB / 8 CPUs / SSD / 200 connections, for
// which every value below reproduces (test/tune.test.ts asserts it). The formulas are chosen
// so that they land on the spec's numbers there and scale by the usual rules (pgtune, the
// PostgreSQL wiki "Tuning Your PostgreSQL Server") elsewhere.
import { GB, MB, floorMb, formatSize } from './units.js';

export { parseSize, formatSize, floorMb, settingValue } from './units.js';

export type Storage = 'ssd' | 'hdd';

export interface Machine {
  /** RAM of the database server, in bytes. */
  ramBytes: number;
  cpus: number;
  storage: Storage;
  /** max_connections the server should allow. */
  connections: number;
}

export type Category = 'memory' | 'checkpoints' | 'planner' | 'connections' | 'parallelism' | 'logging' | 'autovacuum';

/**
 * When the doctor calls a live value off the advice: `ratio` compares live / recommended (numbers
 * in base units) against `below` / `above`, and a value equal to `disabled` (e.g. -1) is always
 * off; `equal` flags any other value. Settings without `watch` are advice only.
 */
export type Watch = { kind: 'ratio'; below?: number; above?: number; disabled?: number } | { kind: 'equal' };

export interface Recommendation {
  name: string;
  /** As postgresql.conf / ALTER SYSTEM takes it ("8GB", "15min", "0.9", "on"). */
  value: string;
  reason: string;
  category: Category;
  /** Takes effect only after a server restart (the others after a reload). */
  restart: boolean;
  watch?: Watch;
}

export const LIMITS = {
  ramBytes: { min: 256 * MB, max: 64 * 1024 * GB },
  cpus: { min: 1, max: 1024 },
  connections: { min: 5, max: 10_000 },
} as const;

export class TuneInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TuneInputError';
  }
}

/** Throws TuneInputError naming what is wrong and what is accepted. */
export function validateMachine(machine: Machine): Machine {
  const { ramBytes, cpus, storage, connections } = machine;
  if (!Number.isFinite(ramBytes) || ramBytes < LIMITS.ramBytes.min || ramBytes > LIMITS.ramBytes.max) {
    throw new TuneInputError('RAM must be between 256MB and 64TB, with a unit, e.g. --ram 32GB');
  }
  if (!Number.isInteger(cpus) || cpus < LIMITS.cpus.min || cpus > LIMITS.cpus.max) {
    throw new TuneInputError(`CPUs must be a whole number from ${LIMITS.cpus.min} to ${LIMITS.cpus.max}, e.g. --cpus 8`);
  }
  if (storage !== 'ssd' && storage !== 'hdd') throw new TuneInputError('storage must be ssd or hdd, e.g. --storage ssd');
  if (!Number.isInteger(connections) || connections < LIMITS.connections.min || connections > LIMITS.connections.max) {
    throw new TuneInputError(
      `connections must be a whole number from ${LIMITS.connections.min} to ${LIMITS.connections.max}, e.g. --connections 200`,
    );
  }
  return machine;
}

const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));
/** The power of two (in MB) nearest to `bytes`, at least `min`. */
const nearestPowerOfTwoMb = (bytes: number, min: number) => Math.max(min, 2 ** Math.round(Math.log2(Math.max(bytes, MB) / MB)) * MB);

/** The recommended settings for a machine, in the spec's order, each with its reason. */
export function recommend(input: Machine): Recommendation[] {
  const m = validateMachine(input);
  const ram = m.ramBytes;
  const ssd = m.storage === 'ssd';
  const sharedBuffers = floorMb(ram / 4);
  const effectiveCache = floorMb((ram * 3) / 4);
  const maintenance = Math.min(2 * GB, floorMb(ram / 16));
  // Each sort or hash step of a query may use work_mem; with two such steps in every allowed
  // connection at once, what shared_buffers leaves must still suffice: 24GB / (2 × 200) = 61MB,
  // rounded to the nearest power of two → the spec's 64MB.
  const workMem = nearestPowerOfTwoMb((ram - sharedBuffers) / (2 * m.connections), 4 * MB);
  const walBuffers = clamp(floorMb(sharedBuffers / 32), MB, 16 * MB);
  const maxWal = ram >= 8 * GB ? 4 * GB : 2 * GB;
  const gather = Math.min(4, Math.floor(m.cpus / 2));
  const ramText = formatSize(floorMb(ram));

  return [
    // Memory
    {
      name: 'shared_buffers',
      value: formatSize(sharedBuffers),
      category: 'memory',
      restart: true,
      reason: `25 % of ${ramText} RAM: PostgreSQL's own cache; the OS page cache holds the rest (default 128MB is for tiny machines)`,
      watch: { kind: 'ratio', below: 0.5, above: 1.6 },
    },
    {
      name: 'effective_cache_size',
      value: formatSize(effectiveCache),
      category: 'memory',
      restart: false,
      reason: `75 % of ${ramText} RAM: tells the planner how much data the OS and PostgreSQL cache together (allocates nothing)`,
      watch: { kind: 'ratio', below: 0.5, above: 1.5 },
    },
    {
      name: 'maintenance_work_mem',
      value: formatSize(maintenance),
      category: 'memory',
      restart: false,
      reason: 'RAM / 16, at most 2GB: faster VACUUM and CREATE INDEX (autovacuum workers each take this much too)',
      watch: { kind: 'ratio', below: 0.25, above: 4 },
    },
    {
      name: 'work_mem',
      value: formatSize(workMem),
      category: 'memory',
      restart: false,
      reason: `(RAM − shared_buffers) / (2 × ${m.connections} connections), nearest power of two: sorts and hashes in memory without risking OOM`,
      watch: { kind: 'ratio', below: 0.25, above: 4 },
    },
    // Checkpoints and WAL
    {
      name: 'checkpoint_completion_target',
      value: '0.9',
      category: 'checkpoints',
      restart: false,
      reason: 'spread checkpoint writes over 90 % of the interval to avoid I/O spikes (PostgreSQL 14+ default; older servers had 0.5)',
      watch: { kind: 'ratio', below: 0.85 },
    },
    {
      name: 'wal_buffers',
      value: formatSize(walBuffers),
      category: 'checkpoints',
      restart: true,
      reason: 'shared_buffers / 32, at most 16MB (what PostgreSQL picks itself with -1): fewer WAL writes under concurrent commits',
      watch: { kind: 'ratio', below: 0.5 },
    },
    {
      name: 'checkpoint_timeout',
      value: '15min',
      category: 'checkpoints',
      restart: false,
      reason: 'fewer checkpoints (default 5min) means fewer full-page writes; crash recovery stays within minutes',
      watch: { kind: 'ratio', below: 0.5, above: 4 },
    },
    {
      name: 'max_wal_size',
      value: formatSize(maxWal),
      category: 'checkpoints',
      restart: false,
      reason: 'room for 15 minutes of WAL so checkpoints follow checkpoint_timeout, not WAL volume (needs that much disk in pg_wal)',
      watch: { kind: 'ratio', below: 0.5 },
    },
    // Query planner
    {
      name: 'default_statistics_target',
      value: '500',
      category: 'planner',
      restart: false,
      reason: 'finer column statistics (default 100) for better row estimates on skewed data; ANALYZE takes a little longer',
      watch: { kind: 'ratio', below: 0.5 },
    },
    {
      name: 'random_page_cost',
      value: ssd ? '1.1' : '4',
      category: 'planner',
      restart: false,
      reason: ssd
        ? 'SSD: random reads cost almost what sequential ones do (default 4.0 is for spinning disks), so indexes get used'
        : 'HDD: random reads really are about 4× a sequential one (the default)',
      watch: ssd ? { kind: 'ratio', above: 1.8 } : { kind: 'ratio', below: 0.5 },
    },
    {
      name: 'effective_io_concurrency',
      value: ssd ? '200' : '2',
      category: 'planner',
      restart: false,
      reason: ssd ? 'SSD: many concurrent reads in flight for bitmap heap scans' : 'HDD: few concurrent reads per disk',
      watch: ssd ? { kind: 'ratio', below: 0.1 } : undefined,
    },
    // Connections
    {
      name: 'max_connections',
      value: String(m.connections),
      category: 'connections',
      restart: true,
      reason: 'the connections asked for; each costs memory (work_mem above is sized for it), so put PgBouncer in front rather than raising it',
    },
    // Parallelism: what the CPUs allow.
    {
      name: 'max_worker_processes',
      value: String(Math.max(8, m.cpus)),
      category: 'parallelism',
      restart: true,
      reason: `background workers: at least 8 (the default), one per CPU (${m.cpus})`,
    },
    {
      name: 'max_parallel_workers',
      value: String(m.cpus),
      category: 'parallelism',
      restart: false,
      reason: `parallel query workers in all: one per CPU (${m.cpus})`,
    },
    {
      name: 'max_parallel_workers_per_gather',
      value: String(gather),
      category: 'parallelism',
      restart: false,
      reason: gather === 0 ? 'one CPU: parallel query would only add overhead' : 'half the CPUs, at most 4, for one query, leaving the rest to other sessions',
    },
    {
      name: 'max_parallel_maintenance_workers',
      value: String(gather),
      category: 'parallelism',
      restart: false,
      reason: gather === 0 ? 'one CPU: no parallel index builds' : 'half the CPUs, at most 4, for CREATE INDEX and VACUUM',
    },
    // Logging (spec: production monitoring)
    {
      name: 'log_min_duration_statement',
      value: '1000',
      category: 'logging',
      restart: false,
      reason: 'log statements slower than 1 s (milliseconds) with their duration, for slow-query analysis',
      watch: { kind: 'ratio', above: 10, disabled: -1 },
    },
    {
      name: 'log_line_prefix',
      value: '%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ',
      category: 'logging',
      restart: false,
      reason: 'time, pid, user, database, application and client on every line, so log analysers (pgBadger) can group them',
    },
    { name: 'log_checkpoints', value: 'on', category: 'logging', restart: false, reason: 'see how often and why checkpoints happen and how long they write (default on since PostgreSQL 15)' },
    { name: 'log_connections', value: 'on', category: 'logging', restart: false, reason: 'trace connection storms and leaks to a client and application' },
    { name: 'log_disconnections', value: 'on', category: 'logging', restart: false, reason: 'session durations: spot clients that connect per request instead of pooling' },
    {
      name: 'log_lock_waits',
      value: 'on',
      category: 'logging',
      restart: false,
      reason: 'log waits longer than deadlock_timeout (1 s) with who holds the lock: the trail of lock contention',
      watch: { kind: 'equal' },
    },
    {
      name: 'log_temp_files',
      value: '0',
      category: 'logging',
      restart: false,
      reason: 'log every temporary file: sorts and hashes spilling to disk mean work_mem is too small for them',
      watch: { kind: 'ratio', disabled: -1 },
    },
    // Autovacuum
    {
      name: 'autovacuum',
      value: 'on',
      category: 'autovacuum',
      restart: false,
      reason: 'never off: without it dead rows pile up and transaction-ID wraparound eventually stops writes',
      watch: { kind: 'equal' },
    },
    {
      name: 'autovacuum_max_workers',
      value: String(clamp(Math.floor(m.cpus / 2), 3, 8)),
      category: 'autovacuum',
      restart: true,
      reason: 'half the CPUs, 3 (the default) to 8: more tables vacuumed at once',
    },
    {
      name: 'autovacuum_naptime',
      value: '30s',
      category: 'autovacuum',
      restart: false,
      reason: 'look for tables to vacuum every 30 s instead of every minute',
      watch: { kind: 'ratio', above: 4 },
    },
    {
      name: 'autovacuum_vacuum_threshold',
      value: '50',
      category: 'autovacuum',
      restart: false,
      reason: "the spec's value (also PostgreSQL's default): dead rows, plus the scale factor's share, before a table is vacuumed",
    },
    {
      name: 'autovacuum_analyze_threshold',
      value: '50',
      category: 'autovacuum',
      restart: false,
      reason: "the spec's value (also PostgreSQL's default): changed rows, plus the scale factor's share, before a table is analyzed",
    },
  ];
}

/** "32GB RAM, 8 CPUs, ssd, 200 connections". */
export function describeMachine(m: Machine): string {
  const ram = m.ramBytes % GB === 0 || m.ramBytes < GB ? formatSize(floorMb(m.ramBytes)) : `${(m.ramBytes / GB).toFixed(1)}GB`;
  return `${ram} RAM, ${m.cpus} CPU${m.cpus === 1 ? '' : 's'}, ${m.storage}, ${m.connections} connections`;
}

const bare = (value: string) => /^(-?\d+(\.\d+)?[a-zA-Z]*|on|off)$/.test(value);
const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** postgresql.conf lines, each with its reason as a comment. */
export function toConf(machine: Machine, settings: Recommendation[]): string {
  const width = Math.max(...settings.map((s) => `${s.name} = ${bare(s.value) ? s.value : literal(s.value)}`.length));
  return [
    `# comanda tune: ${describeMachine(machine)}`,
    '# settings marked (restart) take effect after a restart, the others after SELECT pg_reload_conf()',
    ...settings.map((s) => {
      const line = `${s.name} = ${bare(s.value) ? s.value : literal(s.value)}`;
      return `${line.padEnd(width)}  # ${s.restart ? '(restart) ' : ''}${s.reason}`;
    }),
  ].join('\n');
}

/** ALTER SYSTEM statements (written to postgresql.auto.conf), then the reload. */
export function toAlterSystem(machine: Machine, settings: Recommendation[]): string {
  return [
    `-- comanda tune: ${describeMachine(machine)}`,
    ...settings.map((s) => `ALTER SYSTEM SET ${s.name} = ${literal(s.value)};${s.restart ? ' -- needs a restart' : ''}`),
    'SELECT pg_reload_conf();',
  ].join('\n');
}
