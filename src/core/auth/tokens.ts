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

const RANDOM_PART = 43; // base64url characters of newToken's 32 bytes

/**
 * A token that names its restaurant after the random part, `cmd_<kind>_<random>.<restaurantId>`
 * (the hash covers all of it), so it is found by ("restaurantId", token_hash) without knowing the
 * restaurant first (the keys of a table sharded by restaurant include it).
 */
export function newRestaurantToken(kind: string, restaurantId: string): string {
  return `${newToken(kind)}.${restaurantId}`;
}

/** The restaurant a token from newRestaurantToken names, or undefined when it is not one. */
export function restaurantOfToken(token: string, kind: string): string | undefined {
  const prefix = `cmd_${kind}_`;
  if (!token.startsWith(prefix) || token.length > 300) return undefined;
  const rest = token.slice(prefix.length + RANDOM_PART);
  return rest.length > 1 && rest.startsWith('.') ? rest.slice(1) : undefined;
}
