// Bearer tokens: random, shown once, stored only as their SHA-256 hash. A token carries 256 bits
// of randomness, so a fast hash is the right one (no password-style stretching is needed) and
// lookups by hash are a plain index probe.
import { createHash, randomBytes } from 'node:crypto';

/** A new random token like `cmd_staff_<43 base64url characters>`; the prefix helps secret scanners. */
export function newToken(kind: string): string {
  return `cmd_${kind}_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A short random id for rows that are referenced by people (e.g. `stf_k3j9x2m1qa`). */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(8).toString('base64url').replace(/[-_]/g, '').slice(0, 10).toLowerCase()}`;
}
