// The staff pages' shell: the shared layout with a navigation bar of the sections the role may
// see, who is signed in, the Live indicator and the sign-out button; the staff stylesheet and
// the page's own are linked (same origin, allowed by the CSP's style-src 'self').
import type { StaffSessionInfo } from '../../core/auth/staff-sessions.js';
import type { Assets } from '../assets.js';
import { html, type SafeHtml } from '../html.js';
import { stringsFor, t, type Lang, type MessageKey } from '../i18n.js';
import { layout } from '../layout.js';
import { staffSections, type StaffSection } from './sections.js';

export interface StaffPageOptions {
  lang: Lang;
  session: StaffSessionInfo;
  /** The section this page is (highlighted in the navigation). */
  section: StaffSection;
  title: string;
  body: SafeHtml;
  /** The page's script in src/web/client (e.g. "kitchen.js"). */
  script?: string;
  /** The page's own stylesheet in src/web/styles (e.g. "kitchen.css"). */
  style?: string;
  /** Prefixes of the message keys the page's script needs (staff.* is always sent). */
  strings?: string[];
  /** More data for the script (read with pageData()). */
  data?: Record<string, unknown>;
  className?: string;
}

/** What the staff page scripts get in #page-data (see client/staff-common.ts). */
export function staffPageData(options: StaffPageOptions): Record<string, unknown> {
  const { session, lang } = options;
  return {
    lang,
    strings: stringsFor(lang, ['staff.', ...(options.strings ?? [])]),
    session: { role: session.role, restaurantId: session.restaurantId, kind: session.kind, name: session.name ?? '' },
    ...options.data,
  };
}

export function staffLayout(assets: Assets, options: StaffPageOptions): string {
  const { lang, session } = options;
  const sections = staffSections.filter((s) => !s.parent && s.roles.includes(session.role));
  const who =
    session.kind === 'device'
      ? t(lang, 'staff.device', { name: session.name ?? '' })
      : t(lang, 'staff.signedInAs', { name: session.name ?? session.login ?? '', role: t(lang, `staff.role.${session.role}` as MessageKey) });
  const header = html`<nav class="staff-nav" aria-label="${t(lang, 'staff.nav')}"><ul>${sections.map(
    (s) => html`<li><a href="${s.path}"${s.id === options.section ? html` aria-current="page"` : ''}>${t(lang, s.label)}</a></li>`,
  )}</ul></nav>
<p class="staff-who"><span>${who}</span> <span id="live" class="live off" role="status" aria-live="polite"></span>
<button type="button" id="sign-out" class="secondary small">${t(lang, 'staff.signOut')}</button></p>`;
  return layout(assets, {
    lang,
    title: options.title,
    header,
    styles: ['staff.css', ...(options.style ? [options.style] : [])],
    body: options.body,
    script: options.script,
    data: staffPageData(options),
    className: `staff ${options.className ?? ''}`.trim(),
  });
}
