// The operators' dashboard (/ops, admins only): one page per area — overview, connections,
// queries, space, maintenance, indexes, system — each a server-rendered shell behind the staff
// session and the `ops` section's role, filled by src/web/client/ops.ts from /api/ops/… (which
// refuses anyone else anyway). The same checks, thresholds and safe actions as the CLI.
import { html } from '../html.js';
import { t, type MessageKey } from '../i18n.js';
import { langOf } from '../respond.js';
import { staffLayout } from './layout.js';
import { staffPage, type StaffPageContext } from './routes.js';

export const opsPages = ['overview', 'connections', 'queries', 'space', 'maintenance', 'indexes', 'system'] as const;
export type OpsPage = (typeof opsPages)[number];

const pathOf = (page: OpsPage): string => (page === 'overview' ? '/ops' : `/ops/${page}`);

export function registerOpsPages(ctx: StaffPageContext): void {
  for (const page of opsPages) {
    staffPage(ctx, pathOf(page), 'ops', (request, reply, session) => {
      const lang = langOf(request, reply);
      const title = `${t(lang, `ops.page.${page}` as MessageKey)} · ${t(lang, 'ops.title')}`;
      const tabs = html`<nav class="ops-tabs" aria-label="${t(lang, 'ops.nav')}"><ul>${opsPages.map(
        (p) => html`<li><a href="${pathOf(p)}"${p === page ? html` aria-current="page"` : ''}>${t(lang, `ops.page.${p}` as MessageKey)}</a></li>`,
      )}</ul></nav>`;
      return staffLayout(ctx.assets, {
        lang,
        session,
        section: 'ops',
        title,
        style: 'ops.css',
        script: 'ops.js',
        strings: ['ops.'],
        data: { page },
        className: `ops ops-${page}`,
        body: html`${tabs}
<main id="main" class="ops-main">
<div class="ops-head"><h1>${t(lang, `ops.page.${page}` as MessageKey)}</h1>
<p class="ops-tools"><span id="updated" class="note"></span> <button type="button" id="refresh" class="secondary small">${t(lang, 'ops.refresh')}</button></p></div>
<p id="status" class="ops-status" role="status" aria-live="polite">${t(lang, 'ops.loading')}</p>
<div id="content"></div>
</main>
<dialog id="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-text">
<h2 id="confirm-title">${t(lang, 'ops.confirm.title')}</h2>
<p id="confirm-text"></p>
<pre id="confirm-sql" class="sql" hidden></pre>
<div class="row"><button type="button" id="confirm-yes" class="danger">${t(lang, 'ops.confirm.yes')}</button> <button type="button" id="confirm-no" class="secondary">${t(lang, 'ops.confirm.no')}</button></div>
</dialog>`,
      });
    });
  }
}
