// `comanda chaos SCENARIO --target URL`: rehearsed failure against a staging deployment. An order
// load with idempotency keys runs against the service while ONE fault is injected (on its
// database side, or, for instance-kill, one instance behind the balancer killed while staff live
// streams are held open through it), then the invariants are checked in the database:
// - acknowledged orders lost: every 201 names an order that must exist (must be 0);
// - duplicates: orders sharing one idempotency key (must be 0);
// - oversold units: units of a dish sold to this run beyond the stock it had at the start, and
//   dishes whose stock went negative or no longer matches its stock ledger (must be 0);
// - 5xx answers, and the time to recover: from the fault's end (for db-restart: when the restart
//   command returned) to the first acknowledged order sent after it.
// Refused unless the database says it is a test environment: `comanda.environment` set to
// `staging` or `test` (ALTER DATABASE … SET comanda.environment = 'staging'). Everything is
// bounded: the load stops after its duration (plus a grace for retries), every fault after its
// own, and the database ends the held sessions by itself (idle_session_timeout,
// idle_in_transaction_session_timeout) should this process die.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { runLoad, type LoadResult } from './load.js';
import { streamsReport, watchStreams, type StreamsReport, type StreamWatcher } from './streams.js';

export const SCENARIOS = ['db-restart', 'connection-exhaustion', 'lock-storm', 'slow-network', 'network-cut', 'instance-kill'] as const;
export type Scenario = (typeof SCENARIOS)[number];
export const TEST_ENVIRONMENTS = ['staging', 'test'];

export class ChaosError extends Error {
  constructor(
    message: string,
    readonly refused = false,
  ) {
    super(message);
    this.name = 'ChaosError';
  }
}

export interface ChaosOptions {
  scenario: Scenario;
  /** The service's base URL. */
  target: string;
  /** A staff token (admin or waiter) of the restaurant the load orders from. */
  token: string;
  /** Direct URL of the deployment's database: the environment mark, the faults, the invariants. */
  databaseUrl: string;
  /** Load duration (default 20 s); the fault starts at a quarter of it. */
  durationMs?: number;
  /** Fault duration (default 40 % of the load). */
  faultMs?: number;
  /** Orders per second (default 10). */
  rate?: number;
  /** Dishes to order (default: the three of the restaurant with the most stock). */
  dishes?: string[];
  /** db-restart: restarts the database server and resolves when it was told to (or is back). */
  restart?: () => Promise<void>;
  /** slow-network, network-cut: sets a fault on the proxy between the service and its database. */
  proxy?: { inject(fault: { latencyMs?: number; cut?: boolean; durationMs: number }): Promise<void>; heal(): Promise<void> };
  /** slow-network: added latency per packet and direction (default 300 ms). */
  latencyMs?: number;
  /** instance-kill: kills one instance of the service behind the target (the load balancer); resolves once it is dead. */
  kill?: () => Promise<void>;
  /** instance-kill: staff event streams held open through the target during the run (default 6). */
  streams?: number;
  onProgress?: (message: string) => void;
}

export interface ChaosReport {
  scenario: Scenario;
  target: string;
  runId: string;
  environment: string;
  fault: { description: string; detail?: string; startedAtMs: number; endedAtMs: number };
  load: { durationMs: number; rate: number; dishes: string[]; sent: number; acknowledged: number; refused: number; gaveUp: number; retries: number; byStatus: Record<string, number> };
  invariants: { acknowledgedLost: number; duplicates: number; oversoldUnits: number; stockLedgerMismatches: number };
  fiveXx: number;
  recoveryMs: number | null;
  /** instance-kill: what became of the live streams. */
  streams?: StreamsReport;
  ok: boolean;
  problems: string[];
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>, applicationName = 'comanda-chaos'): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The database's environment mark; throws (refused) unless it is a test environment. */
export async function assertTestEnvironment(databaseUrl: string): Promise<string> {
  const value = await withClient(databaseUrl, async (c) => (await c.query<{ env: string | null }>(`SELECT current_setting('comanda.environment', true) AS env`)).rows[0]?.env ?? null);
  if (!value || !TEST_ENVIRONMENTS.includes(value)) {
    throw new ChaosError(
      `refused: the target's database is not marked as a test environment (comanda.environment is ${value ? `'${value}'` : 'not set'}). ` +
        `Chaos runs only against staging: mark its database with ALTER DATABASE <name> SET comanda.environment = 'staging' (new sessions see it).`,
      true,
    );
  }
  return value;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Fault {
  description: string;
  /** What it did, once started (e.g. how many connections it held). */
  detail?: string;
  /** The fault is over when start() returns (a restart): no waiting for faultMs. */
  instant?: boolean;
  /** Starts the fault; resolves with its end (heal), called after faultMs. */
  start(): Promise<() => Promise<void>>;
}

function faultOf(options: ChaosOptions, faultMs: number, dishes: string[]): Fault {
  const url = options.databaseUrl;
  // Sessions the fault holds end on the server by themselves a little after the fault.
  const serverBound = faultMs + 5_000;
  switch (options.scenario) {
    case 'db-restart': {
      const restart = options.restart;
      if (!restart) throw new ChaosError('db-restart needs the database restart command (--restart-command)');
      return {
        description: 'database restart',
        instant: true,
        async start() {
          await restart();
          return () => Promise.resolve();
        },
      };
    }
    case 'connection-exhaustion': {
      const fault: Fault = {
        description: 'every free connection slot of the server held idle',
        async start() {
          const held: pg.Client[] = [];
          const { max, used } = await withClient(url, async (c) => {
            const { rows } = await c.query<{ max: number; reserved: number; used: number }>(
              `SELECT current_setting('max_connections')::int AS max, current_setting('superuser_reserved_connections')::int AS reserved,
                      (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS used`,
            );
            return { max: rows[0]!.max - rows[0]!.reserved, used: rows[0]!.used };
          });
          const want = Math.min(Math.max(0, max - used), 1_000);
          for (let i = 0; i < want; i++) {
            const c = new pg.Client({ connectionString: url, application_name: 'comanda-chaos-hold', connectionTimeoutMillis: 2_000 });
            c.on('error', () => undefined);
            try {
              await c.connect();
              await c.query(`SET idle_session_timeout = ${serverBound}`);
              held.push(c);
            } catch {
              await c.end().catch(() => undefined);
              break; // the server is full: that was the point
            }
          }
          fault.detail = `${held.length} connections held (the server allows ${max} for ordinary roles, ${used} were in use)`;
          options.onProgress?.(fault.detail);
          return async () => {
            await Promise.all(held.map((c) => c.end().catch(() => undefined)));
          };
        },
      };
      return fault;
    }
    case 'lock-storm':
      return {
        description: `row locks on the ordered dishes and a SHARE lock on restaurante.menu_items, held in turns`,
        start() {
          let stop = false;
          // Rows: the hot dishes locked FOR UPDATE by a session that lets go every second for a moment.
          const rows = (async () => {
            await withClient(url, async (c) => {
              await c.query(`SET idle_in_transaction_session_timeout = ${serverBound}`);
              while (!stop) {
                await c.query('BEGIN');
                await c.query('SELECT id FROM restaurante.menu_items WHERE id = ANY($1) FOR UPDATE', [dishes]);
                await sleep(1_000);
                await c.query('COMMIT');
                await sleep(20);
              }
            }, 'comanda-chaos-lock');
          })();
          // Table: SHARE on menu_items (blocks every stock update) for the middle third.
          const table = (async () => {
            await sleep(faultMs / 3);
            if (stop) return;
            await withClient(url, async (c) => {
              await c.query(`SET idle_in_transaction_session_timeout = ${serverBound}`);
              await c.query('BEGIN');
              await c.query(`SET LOCAL lock_timeout = ${Math.round(faultMs / 3)}`);
              await c.query('LOCK TABLE restaurante.menu_items IN SHARE MODE').catch(() => undefined);
              await sleep(faultMs / 3);
              await c.query('ROLLBACK');
            }, 'comanda-chaos-lock');
          })();
          return Promise.resolve(async () => {
            stop = true;
            await Promise.allSettled([rows, table]);
          });
        },
      };
    case 'instance-kill': {
      const kill = options.kill;
      if (!kill) throw new ChaosError('instance-kill needs the command that kills one instance of the service (--kill-command)');
      return {
        description: 'one instance of the service killed (behind the load balancer)',
        instant: true,
        async start() {
          await kill();
          return () => Promise.resolve();
        },
      };
    }
    case 'slow-network':
    case 'network-cut': {
      const proxy = options.proxy;
      if (!proxy) throw new ChaosError(`${options.scenario} needs the fault proxy between the service and its database (--proxy URL of \`comanda chaos proxy\`'s control)`);
      const cut = options.scenario === 'network-cut';
      const latencyMs = options.latencyMs ?? 300;
      return {
        description: cut ? 'network between the service and its database cut' : `${latencyMs} ms added each way between the service and its database`,
        async start() {
          // The proxy ends the fault by itself a little after faultMs, should this process die.
          await proxy.inject(cut ? { cut: true, durationMs: serverBound } : { latencyMs, durationMs: serverBound });
          return () => proxy.heal();
        },
      };
    }
  }
}

async function pickDishes(databaseUrl: string, target: string, token: string): Promise<string[]> {
  const res = await fetch(new URL('/api/staff/me', target), { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) }).catch((err: unknown) => {
    throw new ChaosError(`the target does not answer: ${err instanceof Error ? err.message : String(err)}`);
  });
  if (res.status !== 200) throw new ChaosError(`the token is not accepted by the target (GET /api/staff/me: ${res.status}); give a staff token of the restaurant (COMANDA_CHAOS_TOKEN)`);
  const me = (await res.json()) as { restaurantId?: string; staff?: { restaurantId?: string } };
  const restaurantId = me.restaurantId ?? me.staff?.restaurantId;
  return withClient(databaseUrl, async (c) => {
    const { rows } = await c.query<{ id: string }>(
      `SELECT mi.id FROM restaurante.menu_items mi JOIN restaurante.menu_categories mc ON mc."restaurantId" = mi."restaurantId" AND mc.id = mi."categoryId"
        WHERE ($1::text IS NULL OR mi."restaurantId" = $1) AND mi."isAvailable" AND mc."isActive" AND mi.stock > 0
        ORDER BY mi.stock DESC, mi.id LIMIT 3`,
      [restaurantId ?? null],
    );
    if (rows.length === 0) throw new ChaosError('the restaurant has no available dish with stock to order');
    return rows.map((r) => r.id);
  });
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const progress = options.onProgress ?? (() => undefined);
  const environment = await assertTestEnvironment(options.databaseUrl);
  const durationMs = Math.min(options.durationMs ?? 20_000, 10 * 60_000);
  const faultMs = Math.min(options.faultMs ?? Math.round(durationMs * 0.4), durationMs);
  const rate = options.rate ?? 10;
  const dishes = options.dishes?.length ? options.dishes : await pickDishes(options.databaseUrl, options.target, options.token);
  const fault = faultOf(options, faultMs, dishes);
  const runId = `chaos-${options.scenario}-${randomBytes(4).toString('hex')}`;
  const initialStock = await withClient(options.databaseUrl, async (c) => {
    const { rows } = await c.query<{ id: string; stock: number }>('SELECT id, stock FROM restaurante.menu_items WHERE id = ANY($1)', [dishes]);
    return new Map(rows.map((r) => [r.id, r.stock]));
  });
  const unknown = dishes.filter((d) => !initialStock.has(d));
  if (unknown.length) throw new ChaosError(`no such dish: ${unknown.join(', ')} (give menu item ids of the token's restaurant)`);

  let watcher: StreamWatcher | undefined;
  if (options.scenario === 'instance-kill') {
    const count = Math.min(Math.max(1, options.streams ?? 6), 100);
    watcher = await watchStreams({ target: options.target, token: options.token, count });
    progress(`${count} live streams open: ${watcher.streams.map((s) => s.instances[0] ?? 'not connected').join(', ')}`);
  }
  progress(`${runId}: ${rate} orders/s for ${durationMs} ms; fault "${fault.description}" at ${Math.round(durationMs / 4)} ms for ${faultMs} ms`);
  const load = runLoad({ target: options.target, token: options.token, dishes, rate, durationMs, graceMs: Math.max(10_000, faultMs), runId });
  const started = Date.now();
  await sleep(durationMs / 4);
  const faultStart = Date.now() - started;
  progress(`fault: ${fault.description}`);
  const problems: string[] = [];
  let heal: () => Promise<void> = () => Promise.resolve();
  try {
    heal = await fault.start();
  } catch (err) {
    problems.push(`the fault could not be injected: ${err instanceof Error ? err.message : String(err)}`);
  }
  const remaining = faultMs - (Date.now() - started - faultStart);
  if (remaining > 0 && !fault.instant) await sleep(remaining);
  await heal();
  const faultEnd = Date.now() - started;
  progress('fault healed; waiting for the load to finish');
  const result: LoadResult = await load;
  await watcher?.close();
  // Align the load's clock with ours (both started together, within a tick).
  const offset = result.startedAt - started;

  const invariants = await withClient(options.databaseUrl, async (c) => {
    const acked = result.orders.filter((o) => o.orderId).map((o) => o.orderId!);
    const found = (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM restaurante.orders WHERE id = ANY($1)', [acked])).rows[0]!.n;
    const dup = (
      await c.query<{ n: number }>(
        `SELECT coalesce(sum(n - 1), 0)::int AS n FROM (SELECT count(*) AS n FROM restaurante.orders WHERE idempotency_key LIKE $1 OR notes LIKE $1 GROUP BY coalesce(idempotency_key, notes) HAVING count(*) > 1) d`,
        [`${runId}-%`],
      )
    ).rows[0]!.n;
    const { rows: sold } = await c.query<{ dish: string; units: number; stock: number; ledger: number | null }>(
      `SELECT mi.id AS dish, coalesce(s.units, 0)::int AS units, mi.stock,
              (SELECT sm."stockAfter" FROM restaurante.stock_movements sm WHERE sm."menuItemId" = mi.id ORDER BY sm."createdAt" DESC LIMIT 1) AS ledger
         FROM restaurante.menu_items mi
         LEFT JOIN (SELECT oi."menuItemId", sum(oi.quantity) AS units FROM restaurante.order_items oi JOIN restaurante.orders o ON o.id = oi."orderId"
                     WHERE o.notes LIKE $2 AND o.status <> 'CANCELLED' GROUP BY 1) s ON s."menuItemId" = mi.id
        WHERE mi.id = ANY($1)`,
      [dishes, `${runId}-%`],
    );
    let oversold = 0;
    let ledger = 0;
    for (const row of sold) {
      oversold += Math.max(0, row.units - (initialStock.get(row.dish) ?? 0)) + Math.max(0, -row.stock);
      if (row.ledger !== null && row.ledger !== row.stock) ledger++;
    }
    return { acknowledgedLost: acked.length - found, duplicates: dup, oversoldUnits: oversold, stockLedgerMismatches: ledger };
  });

  // Time to recover: the first acknowledged attempt sent after the fault ended.
  let recoveryMs: number | null = null;
  for (const order of result.orders) {
    for (const a of order.attempts) {
      if ((a.status === 201 || a.status === 200) && a.sentAt + offset >= faultEnd) {
        const t = a.answeredAt + offset - faultEnd;
        if (recoveryMs === null || t < recoveryMs) recoveryMs = t;
      }
    }
  }
  const count = (outcome: string) => result.orders.filter((o) => o.outcome === outcome).length;
  if (invariants.acknowledgedLost) problems.push(`${invariants.acknowledgedLost} acknowledged order(s) lost`);
  if (invariants.duplicates) problems.push(`${invariants.duplicates} duplicate order(s) for one idempotency key`);
  if (invariants.oversoldUnits) problems.push(`${invariants.oversoldUnits} unit(s) oversold`);
  if (invariants.stockLedgerMismatches) problems.push(`${invariants.stockLedgerMismatches} dish(es) whose stock differs from the stock ledger`);
  if (recoveryMs === null) problems.push('the service did not acknowledge any order sent after the fault ended: it did not recover within the run');
  const streams = watcher ? streamsReport(watcher.streams) : undefined;
  if (streams) problems.push(...streams.problems);
  // The other instances were there all along: every order retried with its key must get through.
  if (options.scenario === 'instance-kill' && count('gave-up')) problems.push(`${count('gave-up')} order(s) never acknowledged although other instances were up`);
  return {
    scenario: options.scenario,
    target: options.target,
    runId,
    environment,
    fault: { description: fault.description, detail: fault.detail, startedAtMs: faultStart, endedAtMs: faultEnd },
    load: {
      durationMs,
      rate,
      dishes,
      sent: result.orders.length,
      acknowledged: count('acknowledged'),
      refused: count('refused'),
      gaveUp: count('gave-up'),
      retries: result.retries,
      byStatus: result.byStatus,
    },
    invariants,
    fiveXx: result.fiveXx,
    recoveryMs,
    ...(streams ? { streams } : {}),
    ok: problems.length === 0,
    problems,
  };
}

/** The report for people. */
export function formatReport(r: ChaosReport): string {
  const mark = (n: number) => (n === 0 ? '0 ✓' : `${n} ✗`);
  return [
    `chaos ${r.scenario} against ${r.target} (${r.environment}), run ${r.runId}`,
    `fault: ${r.fault.description}${r.fault.detail ? ` (${r.fault.detail})` : ''}, from ${r.fault.startedAtMs} ms to ${r.fault.endedAtMs} ms into the load`,
    `load: ${r.load.sent} orders in ${r.load.durationMs} ms at ${r.load.rate}/s on ${r.load.dishes.length} dish(es): ${r.load.acknowledged} acknowledged, ${r.load.refused} refused, ${r.load.gaveUp} gave up; ${r.load.retries} retries`,
    `answers: ${Object.entries(r.load.byStatus).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}: ${v}`).join(', ')}`,
    `acknowledged orders lost: ${mark(r.invariants.acknowledgedLost)}`,
    `duplicates: ${mark(r.invariants.duplicates)}`,
    `oversold units: ${mark(r.invariants.oversoldUnits)}`,
    `stock vs ledger mismatches: ${mark(r.invariants.stockLedgerMismatches)}`,
    `5xx answers: ${r.fiveXx}`,
    `time to recover: ${r.recoveryMs === null ? 'did not recover' : `${r.recoveryMs} ms`}`,
    ...(r.streams
      ? [
          `live streams: ${r.streams.opened} open, ${r.streams.cut} cut (on ${r.streams.from.join(', ') || '-'}), ${r.streams.moved} moved to ${r.streams.to.join(', ') || '-'}` +
            (r.streams.maxReconnectMs === null ? '' : `; reconnected within ${r.streams.maxReconnectMs} ms`) +
            (r.streams.maxFirstNudgeMs === null ? '' : `, first change received within ${r.streams.maxFirstNudgeMs} ms of the cut`),
        ]
      : []),
    r.ok ? 'PASS' : `FAIL: ${r.problems.join('; ')}`,
  ].join('\n');
}
