// Sizes as PostgreSQL writes them (kB, MB, GB, TB: powers of 1024) and the parsing of what people
// type for a machine's RAM ("32GB", "32 GiB", "4g", "512MB").

export const KB = 1024;
export const MB = 1024 * KB;
export const GB = 1024 * MB;
export const TB = 1024 * GB;

const UNITS: Record<string, number> = {
  b: 1,
  k: KB,
  kb: KB,
  kib: KB,
  m: MB,
  mb: MB,
  mib: MB,
  g: GB,
  gb: GB,
  gib: GB,
  t: TB,
  tb: TB,
  tib: TB,
};

/** "32GB" → bytes; undefined when it is not a positive size with a unit. */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*$/.exec(text);
  if (!match) return undefined;
  const factor = UNITS[match[2]!.toLowerCase()];
  const value = Number(match[1]);
  if (factor === undefined || !(value > 0)) return undefined;
  return Math.round(value * factor);
}

/** Bytes as PostgreSQL writes a memory setting: the largest unit that divides it exactly. */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ['TB', TB],
    ['GB', GB],
    ['MB', MB],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${Math.max(1, Math.floor(bytes / KB))}kB`;
}

/** Bytes rounded down to whole megabytes (PostgreSQL's memory settings need no finer grain). */
export const floorMb = (bytes: number): number => Math.floor(bytes / MB) * MB;

const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1_000, min: 60_000, h: 3_600_000, d: 86_400_000 };
const MEMORY_UNITS: Record<string, number> = { B: 1, kB: KB, MB, GB, TB };

/**
 * A setting's value in base units (bytes for memory, milliseconds for time, the number itself
 * otherwise). `unit` is the setting's own unit from pg_settings ("8kB", "ms", "s", "min", ...), used
 * when the value carries none, as PostgreSQL does. Undefined when it is not a number.
 */
export function settingValue(value: string, unit: string | null): number | undefined {
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!match) return undefined;
  const n = Number(match[1]);
  const suffix = match[2]!;
  if (suffix) {
    const factor = MEMORY_UNITS[suffix] ?? TIME_UNITS[suffix];
    return factor === undefined ? undefined : n * factor;
  }
  if (!unit || n < 0) return n; // -1 and the like are sentinels, not quantities
  const own = /^(\d*)\s*([a-zA-Z]+)$/.exec(unit);
  if (!own) return n;
  const multiple = own[1] ? Number(own[1]) : 1;
  const factor = MEMORY_UNITS[own[2]!] ?? TIME_UNITS[own[2]!];
  return factor === undefined ? n : n * multiple * factor;
}
