// Least privilege: what each staff role may do, in one table. The HTTP routes and the core check
// it; docs/security.md shows it; test/abuse-roles.test.ts proves each cell against the API.
import { AppError } from '../errors.js';
import type { StaffRole } from './staff-tokens.js';

export const permissions = {
  /** Place an order for a table (a phone order, a walk-in). */
  'orders.place': ['admin', 'waiter'],
  /** Move a whole order forward in the kitchen: CONFIRMED, IN_PROGRESS, READY. */
  'orders.advance': ['admin', 'waiter', 'kitchen'],
  /** Mark a whole order SERVED. */
  'orders.serve': ['admin', 'waiter'],
  /** Cancel a whole order (its stock comes back). */
  'orders.cancel': ['admin', 'waiter'],
  /** Move one line, also cancel a line the kitchen cannot make. */
  'order-lines.move': ['admin', 'waiter', 'kitchen'],
  /** Read orders; the kitchen sees no guest e-mail addresses. */
  'orders.read': ['admin', 'waiter', 'kitchen'],
  'kitchen.queue': ['admin', 'kitchen'],
  'tables.close': ['admin', 'waiter'],
  'tables.qr': ['admin'],
  'menu.manage': ['admin'],
  /** The day's book; the kitchen sees no e-mail addresses or phone numbers. */
  'reservations.read': ['admin', 'waiter', 'kitchen'],
  /** Book for a guest without limits (CONFIRMED at once). */
  'reservations.book': ['admin', 'waiter'],
  /** Change a booking's status, time or party size. */
  'reservations.edit': ['admin', 'waiter'],
  /** Issue a guest's link token (it can view, confirm and cancel the booking). */
  'reservations.tokens': ['admin', 'waiter'],
  /** Find, export and erase customers (GDPR). */
  'customers.gdpr': ['admin'],
  /** Staff accounts and devices: create, change, disable, reset passwords, pair and revoke devices. */
  'staff.manage': ['admin'],
  /** The operators' dashboard (/ops): server-wide checks, sessions, statements; cancel, terminate, vacuum, reset statistics. */
  'ops.manage': ['admin'],
} as const satisfies Record<string, readonly StaffRole[]>;

export type Permission = keyof typeof permissions;

export function can(role: StaffRole, permission: Permission): boolean {
  return (permissions[permission] as readonly StaffRole[]).includes(role);
}

export function assertCan(role: StaffRole, permission: Permission, what: string): void {
  if (!can(role, permission)) {
    throw new AppError('FORBIDDEN', `${what} needs the role ${permissions[permission].join(' or ')}; the token has ${role}.`);
  }
}

/** What the kitchen sees of a guest's contact details: nothing. */
export const seesContactDetails = (role: StaffRole): boolean => role !== 'kitchen';
