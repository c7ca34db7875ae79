// The operators' dashboard's view of the checks: each result with what the check measures, its
// thresholds and unit, why it matters (its description), what to do (its advice) and the exact
// commands or SQL to copy; and the capabilities the toolkit's role has or lacks, each missing one
// with its fix, so a page shows "pg_stat_statements is not loaded: do this" rather than an empty
// panel. Same checks, same thresholds as `comanda doctor`, `/metrics` and the monitor.
import { runChecks, type Check, type CheckResult, type Thresholds } from '../checks/check.js';
import type { ThresholdOverrides } from '../checks/thresholds.js';
import type { Queryable } from '../db/database.js';
import type { Database } from '../db/database.js';

export interface CheckView extends CheckResult {
  description: string;
  unit: string;
  thresholds: Thresholds;
  lowerIsWorse: boolean;
  /** Commands and SQL to copy, most specific first (the rows' own fixes, then the CLI's). */
  commands: string[];
}

const MAX_COMMANDS = 8;

/** What to copy for a result: the SQL its rows carry (`fix`), the safe action for it, the check itself. */
export function commandsFor(result: Pick<CheckResult, 'name' | 'status' | 'rows' | 'advice'>): string[] {
  const out: string[] = [];
  const add = (c: unknown) => {
    if (typeof c === 'string' && c && !out.includes(c)) out.push(c);
  };
  if (result.status !== 'ok') {
    for (const row of result.rows) add(row.fix);
    const tables = result.rows.map((r) => r.table).filter((t): t is string => typeof t === 'string');
    switch (result.name) {
      case 'dead-tuples':
      case 'bloat':
      case 'vacuum-age':
      case 'analyze-age':
      case 'table-maintenance':
        for (const t of tables) add(`comanda vacuum ${t.replace(/^"?restaurante"?\./, '')} --analyze`);
        break;
      case 'idle-in-transaction':
        add('comanda terminate --idle-in-transaction --older-than 5m');
        break;
      case 'invalid-indexes':
        add('comanda reindex --invalid');
        break;
      case 'pg-stat-statements':
      case 'missing-indexes':
        add('comanda queries --since 24h');
        break;
      case 'database-size':
      case 'table-size':
      case 'index-size':
        add('comanda space --growth 7d');
        break;
      case 'settings':
        // The advice names the machine's flags: copy that exact command.
        add(/comanda tune .*?--format sql/.exec(result.advice ?? '')?.[0] ?? 'comanda tune --format sql');
        break;
      default:
        break;
    }
  }
  add(`comanda check ${result.name}`);
  return out.slice(0, MAX_COMMANDS);
}

/** Runs `checks` (worst first) with the thresholds file's overrides, as the doctor does. */
export async function checkViews(db: Database, checks: Check[], overrides: ThresholdOverrides = {}): Promise<CheckView[]> {
  const results = await runChecks(db, checks, overrides);
  return results.map((r) => {
    const check = checks.find((c) => c.name === r.name)!;
    return {
      ...r,
      description: check.description,
      unit: check.unit,
      thresholds: { ...check.defaults, ...overrides[check.name] },
      lowerIsWorse: check.lowerIsWorse === true,
      commands: commandsFor(r),
    };
  });
}

export type CapabilityId = 'pg_monitor' | 'pg_stat_statements' | 'history' | 'signal_backend' | 'reset_statements';

export interface Capability {
  id: CapabilityId;
  ok: boolean;
  /** What it is for, and the state found. */
  detail: string;
  /** What to run to get it (missing ones only). */
  fix?: string;
}

/** What the connected role can see and do; each missing capability says how to get it. */
export async function capabilities(db: Queryable): Promise<Capability[]> {
  const { rows } = await db.query<{
    role: string; superuser: boolean; monitor: boolean; signal: boolean; preloaded: boolean; installed: boolean; history: boolean; captures: string | null; reset: boolean;
  }>(
    `SELECT current_user AS role, r.rolsuper AS superuser,
            pg_has_role(current_user, 'pg_monitor', 'USAGE') AS monitor,
            pg_has_role(current_user, 'pg_signal_backend', 'USAGE') AS signal,
            'pg_stat_statements' = ANY(string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')) AS preloaded,
            EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS installed,
            to_regclass('comanda.history_captures') IS NOT NULL AS history,
            NULL::text AS captures,
            EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE p.proname = 'pg_stat_statements_reset' AND has_function_privilege(p.oid, 'EXECUTE')) AS reset
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const r = rows[0]!;
  let captures = 0;
  if (r.history) {
    const { rows: c } = await db.query<{ n: string }>('SELECT count(*) AS n FROM comanda.history_captures');
    captures = Number(c[0]?.n ?? 0);
  }
  const role = r.role.replace(/"/g, '""');
  return [
    {
      id: 'pg_monitor',
      ok: r.superuser || r.monitor,
      detail: r.superuser ? `${r.role} is a superuser` : r.monitor ? `${r.role} has pg_monitor` : `${r.role} lacks pg_monitor: other roles' sessions and queries show as <insufficient privilege>, and some checks cannot run`,
      fix: r.superuser || r.monitor ? undefined : `GRANT pg_monitor TO "${role}";`,
    },
    {
      id: 'pg_stat_statements',
      ok: r.preloaded && r.installed,
      detail: !r.preloaded
        ? 'pg_stat_statements is not loaded: there are no per-statement times, so the Queries page and its history are empty'
        : !r.installed
          ? 'pg_stat_statements is loaded but not installed in this database'
          : 'pg_stat_statements is loaded and installed',
      fix: !r.preloaded
        ? "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'; -- then restart PostgreSQL, and CREATE EXTENSION pg_stat_statements;"
        : !r.installed
          ? 'CREATE EXTENSION pg_stat_statements; -- as a superuser, in this database'
          : undefined,
    },
    {
      id: 'history',
      ok: captures >= 2,
      detail: !r.history
        ? 'the history tables are missing (migration 0018 not applied)'
        : `${captures} capture${captures === 1 ? '' : 's'} in the history${captures < 2 ? ': charts and growth need at least two (one every HISTORY_INTERVAL_MINUTES)' : ''}`,
      fix: !r.history ? 'comanda migrate' : captures < 2 ? 'comanda history capture' : undefined,
    },
    {
      id: 'signal_backend',
      ok: r.superuser || r.signal,
      detail: r.superuser || r.signal ? 'may cancel and terminate other roles\' sessions' : `${r.role} may cancel and terminate only its own sessions`,
      fix: r.superuser || r.signal ? undefined : `GRANT pg_signal_backend TO "${role}";`,
    },
    {
      id: 'reset_statements',
      ok: r.installed && (r.superuser || r.reset),
      detail: !r.installed ? 'needs pg_stat_statements' : r.superuser || r.reset ? 'may reset the statement statistics' : `${r.role} may not run pg_stat_statements_reset()`,
      fix: r.installed && !(r.superuser || r.reset) ? `GRANT EXECUTE ON FUNCTION pg_stat_statements_reset TO "${role}";` : undefined,
    },
  ];
}
