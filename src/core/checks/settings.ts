// The doctor's settings check: the live server's settings against `comanda tune`'s advice for the
// machine it runs on. Which machine: COMANDA_TUNE_RAM / COMANDA_TUNE_CPUS /
// COMANDA_TUNE_STORAGE when set; otherwise, when the server answers on a loopback address or a
// Unix socket (so it runs here), this machine's RAM and CPUs; otherwise `unknown`, saying what to
// set. Connections are the server's own max_connections (tune's advice is sized for them, and the
// connections check watches their use). Tuning is advice: deviations are a warning, never critical,
// and only meaningful ones count (each setting's `watch` in src/core/tuning says when).
import { describeMachine, LIMITS, recommend, settingValue, type Machine, type Recommendation, type Storage } from '../tuning/index.js';
import { localMachine, machineFromEnv, type MachineHint } from '../tuning/machine.js';
import type { Check, CheckOutcome } from './check.js';
import { grade } from './check.js';

interface LiveSetting {
  name: string;
  setting: string;
  unit: string | null;
  shown: string;
}

export interface Deviation {
  setting: string;
  current: string;
  recommended: string;
  problem: 'too low' | 'too high' | 'disabled' | 'different';
  reason: string;
}

/** True for a server reached over a Unix socket (no address) or a loopback address. */
export function isLocalAddress(address: string | null): boolean {
  if (address === null) return true;
  const bare = address.replace(/\/\d+$/, '');
  return bare === '::1' || bare.startsWith('127.') || bare === '::ffff:127.0.0.1';
}

/**
 * The machine to compare with: the hint's values, the rest from this machine when the server is
 * local; undefined when RAM or CPUs stay unknown.
 */
export function resolveMachine(
  hint: MachineHint,
  serverAddress: string | null,
  maxConnections: number,
  hintSource = 'COMANDA_TUNE_*',
): { machine: Machine; source: string } | undefined {
  let { ramBytes, cpus } = hint;
  let source = hintSource;
  if (ramBytes === undefined || cpus === undefined) {
    if (!isLocalAddress(serverAddress)) return undefined;
    const here = localMachine();
    ramBytes ??= here.ramBytes;
    cpus ??= here.cpus;
    source = 'RAM and CPUs of this machine, where the server runs';
  }
  const storage: Storage = hint.storage ?? 'ssd';
  const connections = Math.min(LIMITS.connections.max, Math.max(LIMITS.connections.min, maxConnections));
  return { machine: { ramBytes, cpus, storage, connections }, source };
}

/** Meaningful deviations of live settings from the advice (settings with a `watch`). */
export function deviations(advice: Recommendation[], live: LiveSetting[]): Deviation[] {
  const byName = new Map(live.map((s) => [s.name, s]));
  const found: Deviation[] = [];
  for (const rec of advice) {
    const watch = rec.watch;
    const current = byName.get(rec.name);
    if (!watch || !current) continue;
    let problem: Deviation['problem'] | undefined;
    if (watch.kind === 'equal') {
      if (current.setting !== rec.value) problem = 'different';
    } else {
      const have = settingValue(current.setting, current.unit);
      const want = settingValue(rec.value, current.unit);
      if (have === undefined || want === undefined) continue;
      if (watch.disabled !== undefined && have === watch.disabled) problem = 'disabled';
      else if (want > 0 && watch.below !== undefined && have < want * watch.below) problem = 'too low';
      else if (want > 0 && watch.above !== undefined && have > want * watch.above) problem = 'too high';
    }
    if (problem) found.push({ setting: rec.name, current: current.shown, recommended: rec.value, problem, reason: rec.reason });
  }
  return found;
}

const sizeFlag = (bytes: number) => {
  const mb = Math.floor(bytes / 1024 ** 2);
  return mb % 1024 === 0 ? `${mb / 1024}GB` : `${mb}MB`;
};

/** The check, comparing with `machine` (tests inject one) or the machine found as described above. */
export function settingsCheck(options: { machine?: MachineHint } = {}): Check {
  return {
    name: 'settings',
    description: "Live server settings against `comanda tune`'s advice for its machine; advice, so never critical by default",
    unit: 'settings off the advice',
    defaults: { warning: 0, critical: 1000 },
    async run(tx, t): Promise<CheckOutcome> {
      const { rows: server } = await tx.query<{ address: string | null; max_connections: string }>(
        `SELECT inet_server_addr()::text AS address, current_setting('max_connections') AS max_connections`,
      );
      const hint = options.machine ?? machineFromEnv();
      const resolved = resolveMachine(
        hint,
        server[0]?.address ?? null,
        Number(server[0]?.max_connections ?? 100),
        options.machine ? 'the machine given' : 'COMANDA_TUNE_*',
      );
      if (!resolved) {
        return {
          status: 'unknown',
          summary: "the database server is not on this machine, so its RAM and CPUs are unknown",
          rows: [],
          advice: "set COMANDA_TUNE_RAM and COMANDA_TUNE_CPUS (and COMANDA_TUNE_STORAGE=hdd for spinning disks) to the database server's, e.g. COMANDA_TUNE_RAM=32GB COMANDA_TUNE_CPUS=8",
        };
      }
      const { machine, source } = resolved;
      const advice = recommend(machine);
      // Only the settings watched (pg_settings shows a role only what it may read; pg_monitor
      // includes pg_read_all_settings).
      const { rows: live } = await tx.query<LiveSetting>(
        `SELECT name, setting, unit, current_setting(name) AS shown FROM pg_settings WHERE name = ANY($1)`,
        [advice.filter((s) => s.watch).map((s) => s.name)],
      );
      const found = deviations(advice, live);
      const status = grade(found.length, t);
      const restartNeeded = found.some((d) => ['shared_buffers', 'wal_buffers'].includes(d.setting));
      return {
        status,
        summary: found.length
          ? `${found.length} setting${found.length === 1 ? '' : 's'} off the advice for ${describeMachine(machine)} (${source}): ${found.map((d) => d.setting).join(', ')}`
          : `settings match the advice for ${describeMachine(machine)} (${source})`,
        rows: found.map((d) => ({ ...d })),
        advice:
          `comanda tune --ram ${sizeFlag(machine.ramBytes)} --cpus ${machine.cpus} --storage ${machine.storage} --connections ${machine.connections} --format sql ` +
          `prints the ALTER SYSTEM statements with the reason for each; then SELECT pg_reload_conf()${restartNeeded ? ' and a restart (shared_buffers, wal_buffers)' : ''}`,
      };
    },
  };
}

export const settings = settingsCheck();
