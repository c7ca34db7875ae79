// Who is calling: a staff token, or a guest holding a table session token.
import { prepared, type Queryable } from '../db/database.js';
import { AppError } from '../errors.js';
import { claimSql, type Claim } from '../idempotency.js';
import { authenticateGuest } from '../ordering/table-sessions.js';
import { authenticateStaff, type StaffPrincipal, type StaffRole } from './staff-tokens.js';
import { hashToken } from './tokens.js';

export interface GuestPrincipal {
  kind: 'guest';
  sessionId: string;
  tableId: string;
  restaurantId: string;
  /** The phone's own token row, and its number within the session (shown to the table). */
  tokenId: string;
  phone: number;
}

export type Principal = StaffPrincipal | GuestPrincipal;

/** What the schema's triggers record as the author of a change (comanda.actor). */
export function actorOf(principal: Principal): string {
  return principal.kind === 'staff' ? `staff:${principal.role}:${principal.tokenId}` : `guest:${principal.sessionId}`;
}

/** The scope an Idempotency-Key belongs to: the table session for guests, the token for staff. */
export function idempotencyScopeOf(principal: Principal): string {
  return principal.kind === 'staff' ? `staff:${principal.tokenId}` : `session:${principal.sessionId}`;
}

const unauthenticated = () => new AppError('UNAUTHENTICATED', 'The token is unknown, revoked or expired, or its table session was closed.');

/** The principal behind a bearer token (staff or guest session), or UNAUTHENTICATED. */
export async function authenticate(db: Queryable, token: string): Promise<Principal> {
  const principal = (await authenticateStaff(db, token)) ?? (await authenticateGuest(db, token));
  if (!principal) throw unauthenticated();
  return principal;
}

/** A row of restaurante.caller_of (migration 0062). */
interface CallerRow {
  kind: 'staff' | 'guest';
  restaurantId: string;
  tokenId: string;
  role: StaffRole | null;
  sessionId: string | null;
  tableId: string | null;
  phone: number | null;
}

function principalOfCaller(row: CallerRow): Principal {
  return row.kind === 'staff'
    ? { kind: 'staff', tokenId: row.tokenId, restaurantId: row.restaurantId, role: row.role! }
    : { kind: 'guest', sessionId: row.sessionId!, tableId: row.tableId!, restaurantId: row.restaurantId, tokenId: row.tokenId, phone: row.phone! };
}

const CALLER_CLAIMING = prepared(
  `SELECT p.kind, p."restaurantId", p."tokenId", p.role, p."sessionId", p."tableId", p.phone,
          ${claimSql('p."restaurantId"', 'p."idempotencyScope"', '$2')} AS claim
     FROM restaurante.caller_of($1) p`,
);

/**
 * authenticate, and the claim of an idempotency key in the caller's scope, in one statement (one
 * round trip where they took three). The claim holds until the transaction ends.
 */
export async function authenticateClaiming(db: Queryable, token: string, key: string): Promise<{ principal: Principal; claim: Claim }> {
  if (!token.startsWith('cmd_staff_') && !token.startsWith('cmd_guest_')) throw unauthenticated();
  const { rows } = await db.query<CallerRow & { claim: Claim }>(CALLER_CLAIMING, [hashToken(token), key]);
  const row = rows[0];
  if (!row) throw unauthenticated();
  return { principal: principalOfCaller(row), claim: row.claim };
}
