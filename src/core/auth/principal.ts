// Who is calling: a staff token, or a guest holding a table session token.
import type { Queryable } from '../db/database.js';
import { AppError } from '../errors.js';
import { authenticateGuest } from '../ordering/table-sessions.js';
import { authenticateStaff, type StaffPrincipal } from './staff-tokens.js';

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

/** The principal behind a bearer token (staff or guest session), or UNAUTHENTICATED. */
export async function authenticate(db: Queryable, token: string): Promise<Principal> {
  const principal = (await authenticateStaff(db, token)) ?? (await authenticateGuest(db, token));
  if (!principal) throw new AppError('UNAUTHENTICATED', 'The token is unknown, revoked or expired, or its table session was closed.');
  return principal;
}
