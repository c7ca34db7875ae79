// The staff's sections: where each lives and which roles may open it. The roles are those of the
// API the page uses (src/core/auth/roles.ts): a page never offers what its role cannot do.
import type { StaffRole } from '../../core/auth/staff-tokens.js';
import type { MessageKey } from '../i18n.js';

export type StaffSection = 'kitchen' | 'kitchenSettings' | 'floor' | 'menu' | 'reservations' | 'staff' | 'ops';

export interface SectionInfo {
  id: StaffSection;
  path: string;
  label: MessageKey;
  roles: readonly StaffRole[];
  /** A page inside another section (linked from it, not in the navigation bar). */
  parent?: StaffSection;
}

export const staffSections: readonly SectionInfo[] = [
  { id: 'kitchen', path: '/kitchen', label: 'staff.nav.kitchen', roles: ['admin', 'kitchen'] },
  { id: 'kitchenSettings', path: '/kitchen/settings', label: 'kitchenSettings.title', roles: ['admin'], parent: 'kitchen' },
  { id: 'floor', path: '/floor', label: 'staff.nav.floor', roles: ['admin', 'waiter'] },
  { id: 'reservations', path: '/admin/reservations', label: 'staff.nav.reservations', roles: ['admin', 'waiter'] },
  { id: 'menu', path: '/admin/menu', label: 'staff.nav.menu', roles: ['admin'] },
  { id: 'staff', path: '/admin/staff', label: 'staff.nav.staff', roles: ['admin'] },
  { id: 'ops', path: '/ops', label: 'staff.nav.ops', roles: ['admin'] },
];

/** Where a role lands after signing in. */
export function homeOf(role: StaffRole): string {
  return role === 'kitchen' ? '/kitchen' : role === 'waiter' ? '/floor' : '/floor';
}

export function sectionInfo(id: StaffSection): SectionInfo {
  return staffSections.find((s) => s.id === id)!;
}
