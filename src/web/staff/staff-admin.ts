// /admin/staff (admins): staff accounts (create, disable and enable, a new password, a one-time
// sign-in link) and devices (issue a pairing code for a role, revoke). The page renders its forms;
// the script lists and acts through /api/staff/accounts and /api/staff/devices
// (docs/staff-sign-in.md). Passwords, links and codes are shown once, only in the page that asked.
import { staffRoles } from '../../core/auth/staff-tokens.js';
import { html } from '../html.js';
import { t, type Lang, type MessageKey } from '../i18n.js';
import { langOf } from '../respond.js';
import { staffLayout } from './layout.js';
import { type StaffPageContext, staffPage } from './routes.js';

const roleOptions = (lang: Lang, selected: string) =>
  staffRoles.map((role) => html`<option value="${role}"${role === selected ? html` selected` : ''}>${t(lang, `staff.role.${role}` as MessageKey)}</option>`);

export function registerStaffAdminPages(ctx: StaffPageContext): void {
  staffPage(ctx, '/admin/staff', 'staff', (request, reply, session) => {
    const lang = langOf(request, reply);
    return staffLayout(ctx.assets, {
      lang,
      session,
      section: 'staff',
      title: t(lang, 'staffAdmin.title'),
      script: 'staff-admin.js',
      style: 'staff-admin.css',
      strings: ['staffAdmin.'],
      data: { me: session.kind === 'account' ? session.accountId : null },
      body: html`<main id="main" class="staff-admin">
<h1>${t(lang, 'staffAdmin.title')}</h1>
<p id="status" class="flash" role="status" aria-live="polite"></p>
<p id="error" class="error" role="alert"></p>
<section id="secret" class="secret" tabindex="-1" hidden aria-labelledby="secret-text">
<p id="secret-text"></p>
<p><code id="secret-value"></code></p>
<button type="button" id="secret-done" class="small">${t(lang, 'staffAdmin.secretDone')}</button>
</section>
<div class="columns">
<section aria-labelledby="accounts-title">
<h2 id="accounts-title">${t(lang, 'staffAdmin.accounts')}</h2>
<ul id="accounts" class="entries"></ul>
<form id="create" class="panel-form" novalidate aria-labelledby="create-title">
<h3 id="create-title">${t(lang, 'staffAdmin.create')}</h3>
<label for="new-name">${t(lang, 'staffAdmin.name')}</label>
<input id="new-name" name="name" required maxlength="200" autocomplete="off">
<label for="new-login">${t(lang, 'staffAdmin.login')}</label>
<input id="new-login" name="login" required maxlength="254" autocomplete="off" autocapitalize="none" spellcheck="false" aria-describedby="new-login-help">
<p id="new-login-help" class="note">${t(lang, 'staffAdmin.loginHelp')}</p>
<label for="new-role">${t(lang, 'staffAdmin.role')}</label>
<select id="new-role" name="role">${roleOptions(lang, 'waiter')}</select>
<p id="create-error" class="error" role="alert"></p>
<button type="submit">${t(lang, 'staffAdmin.createSubmit')}</button>
</form>
</section>
<section aria-labelledby="devices-title">
<h2 id="devices-title">${t(lang, 'staffAdmin.devices')}</h2>
<ul id="devices" class="entries"></ul>
<form id="pair" class="panel-form" novalidate aria-labelledby="pair-title">
<h3 id="pair-title">${t(lang, 'staffAdmin.pair')}</h3>
<label for="pair-label">${t(lang, 'staffAdmin.label')}</label>
<input id="pair-label" name="label" required maxlength="200" autocomplete="off" placeholder="${t(lang, 'staffAdmin.labelPlaceholder')}">
<label for="pair-role">${t(lang, 'staffAdmin.role')}</label>
<select id="pair-role" name="role">${roleOptions(lang, 'kitchen')}</select>
<p id="pair-error" class="error" role="alert"></p>
<button type="submit">${t(lang, 'staffAdmin.pairSubmit')}</button>
</form>
</section>
</div>
</main>`,
    });
  });
}
