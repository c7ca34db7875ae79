// Staff passwords: scrypt from node:crypto (memory-hard), stored as
// `scrypt$<log2 N>$<r>$<p>$<salt>$<key>` (base64url), so the parameters can be raised later and
// old hashes still verify (and are re-hashed at the next sign-in).
//
// Parameters: N = 2^16, r = 8, p = 1: 128 · N · r = 64 MiB of memory per hash, ~0.15–0.5 s of
// one core (0.5 s on a loaded 2-core test machine). Memory is what makes scrypt expensive on GPUs
// and ASICs; 64 MiB is the middle of OWASP's equivalent scrypt settings (2^17/8/1 at 128 MiB,
// 2^16/8/2, 2^15/8/3 at 32 MiB) at half the CPU time of its first line, which a small restaurant
// server can afford for every sign-in. At most two hashes run at once in a process (128 MiB peak),
// so a burst of sign-ins queues instead of exhausting memory or libuv's thread pool; the sign-in
// rate limits keep the queue short.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  log2N: number;
  r: number;
  p: number;
}

export const passwordParams: ScryptParams = { log2N: 16, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 200;

function scrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.log2N;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 128 * N * params.r * params.p + 16 * 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCallback(password.normalize('NFKC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

// At most two hashes at a time per process (see above).
let running = 0;
const waiting: Array<() => void> = [];
async function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

export async function hashPassword(password: string, params: ScryptParams = passwordParams): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await limited(() => scrypt(password, salt, params));
  return `scrypt$${params.log2N}$${params.r}$${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

function parse(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [log2N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![log2N, r, p].every((n) => Number.isInteger(n) && n > 0) || log2N > 24) return undefined;
  return { params: { log2N, r, p }, salt: Buffer.from(parts[4]!, 'base64url'), key: Buffer.from(parts[5]!, 'base64url') };
}

// A hash nobody's password matches, verified when the account is unknown (or has no password),
// so that such an answer takes as long as a wrong password.
let decoy: Promise<string> | undefined;
function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(32).toString('base64url'));
  return decoy;
}

/**
 * Whether `password` matches `stored` (constant-time comparison of the derived keys). With no
 * stored hash it still does the same work and answers false.
 */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const parsed = parse(stored ?? '') ?? parse(await decoyHash())!;
  const key = await limited(() => scrypt(password, parsed.salt, parsed.params));
  const matches = key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
  return matches && stored !== null && stored !== undefined && parse(stored) !== undefined;
}

/** Whether a stored hash uses weaker parameters than today's (re-hash it at the next sign-in). */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  if (!parsed) return true;
  const { log2N, r, p } = parsed.params;
  return log2N < passwordParams.log2N || r < passwordParams.r || p < passwordParams.p;
}

/** A random password for a new account or a reset: 20 characters of base32 in groups of 4 (100 bits). */
export function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz023456789'; // 32 characters: no i, l, o or 1
  const bytes = randomBytes(20);
  let out = '';
  for (let i = 0; i < 20; i++) {
    if (i > 0 && i % 4 === 0) out += '-';
    out += alphabet[bytes[i]! % alphabet.length];
  }
  return out;
}
