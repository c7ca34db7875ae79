// The operators' dashboard (/ops) in Chromium, against a database with data: orders placed through
// the API, a probe statement run many times and captured twice by the history, dead rows in a
// table autovacuum may not touch. Each page renders what the core reports (and a missing
// capability as missing, with its fix); a real idle backend is terminated from the page and shows
// up in the actions log; a waiter and a kitchen account are refused; axe-core is clean; screenshots
// at 1280×800 and phone size go to test-artifacts/.
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBackup } from '../src/core/backup/index.js';
import { allChecks } from '../src/core/checks/registry.js';
import { captureHistory } from '../src/core/history/index.js';
import { loadMigrations } from '../src/core/migrations/runner.js';
import { build, defaultOrderingSettings } from '../src/http/app.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { chromiumTool } from './helpers/browser.js';
import { expectAccessible, useStaffBrowserApp, type StaffBrowserApp } from './helpers/staff-browser.js';
import { describeWith, itWith, pgDumpTools } from './helpers/tools.js';

const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

describeWith([chromiumTool], "the operators' dashboard (/ops)", () => {
  let t: StaffBrowserApp;
  let url: string;
  /** Whether this server has pg_stat_statements loaded (the page must say which). */
  let statStatements = false;
  const clients: pg.Client[] = [];
  let backupDir: string;

  const connect = async (application: string) => {
    const c = new pg.Client({ connectionString: url, application_name: application });
    c.on('error', () => undefined);
    await c.connect();
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    backupDir = await mkdtemp(path.join(tmpdir(), 'comanda-ops-backups-'));
    t = await useStaffBrowserApp({ backupDir });
    url = (t.db.pool as unknown as { options: { connectionString: string } }).options.connectionString;
    const { rows } = await t.db.query<{ loaded: boolean }>(
      `SELECT 'pg_stat_statements' = ANY(string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')) AS loaded`,
    );
    statStatements = rows[0]!.loaded;
    if (statStatements) {
      await t.db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await t.db.query('SELECT pg_stat_statements_reset()');
    }
    const history = { intervalMinutes: 0, retentionDays: 14, maxMb: 256, maxStatements: 500, sizesEveryMinutes: 0, checks: allChecks.slice(0, 5) };
    await captureHistory(t.db, history);
    // Load: orders through the API, a probe statement many times, dead rows autovacuum leaves alone.
    for (let i = 0; i < 6; i++) {
      const res = await t.api('POST', '/api/orders', t.tokens.waiter, { tableId: `table_0${(i % 5) + 1}`, items: [{ menuItemId: 'item_agua_mineral', quantity: 1 }] });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    const worker = await connect('ops-test-load');
    for (let i = 0; i < 40; i++) await worker.query('SELECT count(*) AS ops_probe FROM restaurante.menu_items m JOIN restaurante.menu_categories c ON c.id = m."categoryId" WHERE m.stock > $1', [i]);
    await worker.query('ALTER TABLE restaurante.qr_scans SET (autovacuum_enabled = false)');
    await worker.query(
      `INSERT INTO restaurante.qr_scans ("restaurantId", table_id, user_agent) SELECT $1, 'table_01', 'ops-test' FROM generate_series(1, 3000)`,
      [DEMO_RESTAURANT_ID],
    );
    await worker.query(`DELETE FROM restaurante.qr_scans WHERE user_agent = 'ops-test' AND ctid IN (SELECT ctid FROM restaurante.qr_scans WHERE user_agent = 'ops-test' LIMIT 2500)`);
    await worker.query('SELECT pg_stat_force_next_flush()').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1_200));
    await captureHistory(t.db, history);
  }, 240_000);

  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    if (backupDir) await rm(backupDir, { recursive: true, force: true });
  });

  /** Signs in as the admin at a viewport and opens an /ops page, waiting for its content. */
  async function open(path: string, viewport = LAPTOP): Promise<Page> {
    const { page } = await t.signedIn(t.logins.admin, { viewport });
    await page.goto(`${t.base}${path}`);
    await page.locator('#content > *').first().waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('#status').textContent()).toBe('');
    return page;
  }

  it('overview: every check worst first, with value, threshold, why, what to do and what to copy; capabilities as they are', async () => {
    const page = await open('/ops');
    const names = await page.locator('details.ops-check .check-name').allTextContents();
    expect(names.sort()).toEqual(allChecks.map((c) => c.name).sort());
    // Worst first: no critical after a warning, no warning after an ok.
    const rank: Record<string, number> = { 'st-critical': 0, 'st-warning': 1, 'st-unknown': 2, 'st-ok': 3 };
    const classes = await page.locator('details.ops-check').evaluateAll((els: Array<{ className: string }>) => els.map((e) => e.className));
    const order = classes.map((c) => c.split(' ').find((x) => x.startsWith('st-')) ?? '');
    expect(order.map((c) => rank[c])).toEqual([...order.map((c) => rank[c]!)].sort((a, b) => a - b));
    // A check with a problem is open with its advice and something to copy; here the table-maintenance
    // check sees autovacuum off for qr_scans.
    const maintenance = page.locator('#check-table-maintenance');
    await expect.poll(() => maintenance.getAttribute('open')).not.toBeNull();
    expect(await maintenance.locator('dt').allTextContents()).toEqual(['Umbral', 'Por qué importa', 'Qué hacer', 'Para copiar']);
    expect(await maintenance.locator('.copy code').allTextContents()).toContain('comanda check table-maintenance');
    // The capability is shown as it is on this server, with its fix when missing.
    const cap = page.locator('[data-capability="pg_stat_statements"]');
    expect(await cap.getAttribute('class')).toBe(statStatements ? 'cap cap-ok' : 'cap cap-missing');
    if (!statStatements) expect(await cap.locator('.copy code').textContent()).toContain('shared_preload_libraries');
    // The check statuses over the last day: the two captures, drawn and as a table.
    const timeline = page.locator('section', { hasText: 'Estado de las comprobaciones en el último día' });
    await timeline.locator('canvas').first().waitFor();
    expect(await timeline.locator('.plot').getAttribute('aria-label')).toMatch(/^Gráfico de 2 capturas; en la última, \d+ críticas/);
    expect(await timeline.locator('.chart-data tbody tr').count()).toBe(2);
    await expectAccessible(page, 'staff-ops-overview');
    const phone = await open('/ops', PHONE);
    await expectAccessible(phone, 'staff-ops-overview-phone');
  }, 120_000);

  it('connections: sessions counted by state, application, user and client, the blocking tree, and only client sessions offered actions', async () => {
    await connect('ops-test-idle');
    // A real lock wait: one session holds an advisory lock, another waits for it.
    const holder = await connect('ops-test-holder');
    const waiter = await connect('ops-test-waiter');
    const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const waiterPid = (await waiter.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await holder.query('SELECT pg_advisory_lock(4242)');
    const waiting = waiter.query('SELECT pg_advisory_lock(4242)');
    await expect.poll(async () => (await t.db.query('SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted', [waiterPid])).rows.length).toBe(1);
    const page = await open('/ops/connections');
    await expect.poll(() => page.locator('.count-table').count()).toBe(4);
    expect(await page.locator('.count-table').nth(1).textContent()).toContain('ops-test-idle');
    const tree = await page.locator('.blocking-tree li').allTextContents();
    expect(tree[0]).toBe(`sesión ${holderPid} bloquea a otras`);
    expect(tree[1]).toMatch(new RegExp(`^sesión ${waiterPid} espera [\\d,.]+ s a ${holderPid}$`));
    expect(await page.locator('#check-blocking .check-summary').textContent()).toMatch(/^1 session waiting on locks/);
    // The waiter runs a statement: it can be cancelled as well as terminated.
    expect(await page.getByRole('button', { name: `Cancelar consulta de la sesión ${waiterPid}` }).count()).toBe(1);
    // Server processes (checkpointer, autovacuum launcher…) get no button.
    const serverRow = page.locator('table.sessions tr', { hasText: 'checkpointer' });
    expect(await serverRow.locator('button').count()).toBe(0);
    await expectAccessible(page, 'staff-ops-connections');
    const phone = await open('/ops/connections', PHONE);
    await expectAccessible(phone, 'staff-ops-connections-phone');
    await holder.query('SELECT pg_advisory_unlock(4242)');
    await waiting;
    await waiter.query('SELECT pg_advisory_unlock(4242)');
  }, 120_000);

  it('connections refresh themselves every few seconds while the tab is visible, keeping what was opened and focused, and pause while it is hidden', async () => {
    const page = await open('/ops/connections');
    expect(await page.locator('#updated').textContent()).toMatch(/se actualiza solo cada 5 s$/);
    const reads: number[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/api/ops/connections')) reads.push(Date.now());
    });
    // A check the person closed stays closed, the focused control keeps the focus.
    const blocking = page.locator('#check-blocking');
    await blocking.locator('> summary').click();
    const openedBefore = await blocking.getAttribute('open');
    await page.locator('#check-connections > summary').focus();
    // A session that opens now appears without touching the page.
    await connect('ops-test-live');
    await expect.poll(() => page.locator('.count-table').nth(1).textContent(), { timeout: 15_000 }).toContain('ops-test-live');
    expect(reads.length).toBeGreaterThan(0);
    expect(await blocking.getAttribute('open')).toBe(openedBefore);
    expect(await page.evaluate('document.activeElement?.parentElement?.id')).toBe('check-connections');
    // Hidden: no reads at all; visible again: one at once, then the rhythm again.
    const setHidden = (hidden: boolean) =>
      page.evaluate(`Object.defineProperty(document, 'hidden', { value: ${hidden}, configurable: true }); document.dispatchEvent(new Event('visibilitychange'))`);
    await setHidden(true);
    const hiddenAt = Date.now();
    await new Promise((r) => setTimeout(r, 7_000));
    expect(reads.filter((at) => at > hiddenAt + 500)).toEqual([]);
    const shownAt = Date.now();
    await setHidden(false);
    await expect.poll(() => reads.filter((at) => at >= shownAt).length, { timeout: 2_000 }).toBeGreaterThan(0);
    // The overview too (every 10 s); the other pages read once and on Refresh.
    const overview = await open('/ops');
    expect(await overview.locator('#updated').textContent()).toMatch(/se actualiza solo cada 10 s$/);
    const system = await open('/ops/system');
    expect(await system.locator('#updated').textContent()).toMatch(/^Actualizado a las [\d:]+$/);
  }, 120_000);

  it('terminating an idle session from the page ends it and records it in the actions log', async () => {
    const victim = await connect('ops-test-victim');
    const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const page = await open('/ops/connections');
    await page.getByRole('button', { name: `Terminar la sesión ${pid}` }).click();
    const dialog = page.locator('dialog#confirm');
    await expect.poll(() => dialog.getAttribute('open')).not.toBeNull();
    expect(await dialog.locator('#confirm-text').textContent()).toContain(String(pid));
    await expectAccessible(page, 'staff-ops-confirm');
    await dialog.getByRole('button', { name: 'Sí, hazlo' }).click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 15_000 }).toContain('historial de acciones');
    const { rows } = await t.db.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
    expect(rows).toEqual([]);
    expect(await page.getByRole('button', { name: `Terminar la sesión ${pid}` }).count()).toBe(0);
    const { rows: log } = await t.db.query<{ action: string; status: string; os_user: string; targets: Array<{ pid: number; application: string }> }>(
      `SELECT action, status, os_user, targets FROM comanda.actions_log WHERE action = 'terminate' ORDER BY id DESC LIMIT 1`,
    );
    expect(log[0]).toMatchObject({ action: 'terminate', status: 'done', targets: [{ pid, application: 'ops-test-victim' }] });
    expect(log[0]!.os_user).toMatch(/^staff account:/);
    const system = await open('/ops/system');
    expect(await system.locator('table.actions-log').textContent()).toContain(`terminated 1 of 1 session (${pid}: terminated)`);
    await expectAccessible(system, 'staff-ops-system');
  }, 120_000);

  itWith(pgDumpTools(), 'system: "verify the newest backup" restores it into a scratch database from the page, says how it went and records it; a damaged archive is reported as failed', async () => {
    // No archive yet: no button, only the command.
    let page = await open('/ops/system');
    expect(await page.getByRole('button', { name: 'Verificar la copia más reciente' }).count()).toBe(0);
    const made = await createBackup({ url, dir: backupDir });
    const file = path.basename(made.file);
    page = await open('/ops/system');
    await page.getByRole('button', { name: 'Verificar la copia más reciente' }).click();
    const dialog = page.locator('dialog#confirm');
    expect(await dialog.locator('#confirm-text').textContent()).toContain(file);
    const scratchBefore = (await t.db.query(`SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'comanda_verify%'`)).rows[0];
    await dialog.getByRole('button', { name: 'Sí, hazlo' }).click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 90_000 }).toMatch(/verified: checksum, restore into a scratch database, \d+ tables .* Queda registrado en el historial de acciones\.$/);
    expect(await page.locator('#status').getAttribute('class')).not.toContain('error');
    // The scratch database is gone, the archive is marked verified, the actions log says who asked.
    expect((await t.db.query(`SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'comanda_verify%'`)).rows[0]).toEqual(scratchBefore);
    const { rows: backups } = await t.db.query<{ verified_at: Date | null }>(`SELECT verified_at FROM comanda.backups WHERE file LIKE $1`, [`%${file}`]);
    expect(backups[0]!.verified_at).toBeInstanceOf(Date);
    const { rows: log } = await t.db.query<{ status: string; os_user: string; targets: unknown }>(
      `SELECT status, os_user, targets FROM comanda.actions_log WHERE action = 'backup.verify' ORDER BY id DESC LIMIT 1`,
    );
    expect(log[0]).toMatchObject({ status: 'done', targets: [{ file }] });
    expect(log[0]!.os_user).toMatch(/^staff account:/);
    expect(await page.locator('table.actions-log').textContent()).toContain(`${file} verified`);
    await expectAccessible(page, 'staff-ops-system-verified');
    // One at a time: of two requests together, one verifies and the other is refused.
    const both = await Promise.all([0, 1].map(() => t.api('POST', '/api/ops/backups/verify', t.tokens.admin, {})));
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(both.find((r) => r.status === 409)!.body).toMatchObject({ code: 'ACTION_REFUSED', detail: expect.stringContaining('already running') as unknown });
    expect(both.find((r) => r.status === 200)!.body).toMatchObject({ status: 'verified', file, recorded: true });
    // A damaged archive: 200 with status failed (a result, not an error), recorded as failed.
    await appendFile(made.file, 'damage');
    const failed = await t.api('POST', '/api/ops/backups/verify', t.tokens.admin, {});
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ status: 'failed', file, recorded: true, summary: expect.stringContaining(`${file} does not verify`) as unknown });
    // Longer than the request waits: 202 running, and the result reaches the actions log when it ends.
    const impatient = await build({
      db: t.db,
      secret: 'staff-ops-impatient-0123456789abcdefghij',
      directUrl: url,
      expectedMigrations: (await loadMigrations()).map((m) => m.version),
      logLevel: 'silent',
      ordering: defaultOrderingSettings,
      backup: { dir: backupDir, pgBinDir: undefined },
      backupVerifyWaitMs: 0,
    });
    try {
      const logged = async () => (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM comanda.actions_log WHERE action = 'backup.verify'`)).rows[0]!.n;
      const before = await logged();
      const running = await impatient.inject({ method: 'POST', url: '/api/ops/backups/verify', headers: { authorization: `Bearer ${t.tokens.admin}` }, payload: {} });
      expect(running.statusCode).toBe(202);
      expect(running.json()).toMatchObject({ status: 'running', file });
      await expect.poll(logged, { timeout: 60_000 }).toBe(before + 1);
    } finally {
      await impatient.close();
    }
    // Not for a waiter; no body accepted.
    expect((await t.api('POST', '/api/ops/backups/verify', t.tokens.waiter, {})).status).toBe(403);
    expect((await t.api('POST', '/api/ops/backups/verify', t.tokens.admin, { file: '/etc/passwd' })).body).toMatchObject({ code: 'VALIDATION_FAILED' });
  }, 180_000);

  it('the safe actions refuse server processes and unknown tables, and record a vacuum', async () => {
    const { rows } = await t.db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE backend_type <> 'client backend' ORDER BY pid LIMIT 1`);
    const refused = await t.api('POST', `/api/ops/sessions/${rows[0]!.pid}/terminate`, t.tokens.admin, {});
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'ACTION_REFUSED' });
    expect(String(refused.body.detail)).toContain('never terminates autovacuum, replication');
    expect((await t.api('POST', '/api/ops/tables/pg_class/vacuum', t.tokens.admin, {})).body).toMatchObject({ code: 'ACTION_REFUSED' });
    expect((await t.api('POST', '/api/ops/sessions/abc/terminate', t.tokens.admin, {})).body).toMatchObject({ code: 'VALIDATION_FAILED' });
    const page = await open('/ops/maintenance');
    const row = page.locator('table.maintenance tr', { hasText: 'qr_scans' });
    expect(Number((await row.locator('td').nth(2).textContent())!.replace(/\D/g, ''))).toBeGreaterThanOrEqual(2500);
    await expectAccessible(page, 'staff-ops-maintenance');
    await row.getByRole('button', { name: 'VACUUM (ANALYZE) de qr_scans' }).click();
    await page.locator('dialog#confirm').getByRole('button', { name: 'Sí, hazlo' }).click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 20_000 }).toContain('VACUUM (ANALYZE) "restaurante"."qr_scans"');
    const { rows: log } = await t.db.query(`SELECT sql FROM comanda.actions_log WHERE action = 'vacuum' ORDER BY id DESC LIMIT 1`);
    expect(log[0]).toEqual({ sql: ['VACUUM (ANALYZE) "restaurante"."qr_scans"'] });
    const phone = await open('/ops/maintenance', PHONE);
    await expectAccessible(phone, 'staff-ops-maintenance-phone');
  }, 120_000);

  it('queries: top statements from the history with a chart and the generic plan, or pg_stat_statements shown as missing', async () => {
    const page = await open('/ops/queries?window=day');
    const cap = page.locator('[data-capability="pg_stat_statements"]');
    if (!statStatements) {
      expect(await cap.getAttribute('class')).toBe('cap cap-missing');
      await expectAccessible(page, 'staff-ops-queries');
      return;
    }
    expect(await cap.count()).toBe(0);
    const row = page.locator('section', { hasText: 'Por tiempo total' }).locator('tr', { hasText: 'ops_probe' }).first();
    expect(await row.locator('td').nth(1).textContent()).toBe('40');
    await row.getByRole('button').click();
    await page.locator('.statement canvas').first().waitFor();
    expect(await page.locator('.statement pre.sql').first().textContent()).toContain('ops_probe');
    await page.getByRole('button', { name: 'Ver el plan genérico' }).click();
    await page.locator('pre.plan-text').waitFor();
    expect(await page.locator('pre.plan-text').textContent()).toMatch(/Scan|Join|Aggregate/);
    await expectAccessible(page, 'staff-ops-queries');
    const phone = await open('/ops/queries', PHONE);
    await expectAccessible(phone, 'staff-ops-queries-phone');
    // Reset, confirmed and recorded.
    await page.getByRole('button', { name: 'Reiniciar estadísticas' }).click();
    await page.locator('dialog#confirm').getByRole('button', { name: 'Sí, hazlo' }).click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 15_000 }).toContain('Estadísticas reiniciadas');
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM comanda.actions_log WHERE action = 'queries.reset' AND os_user LIKE 'staff account:%'`);
    expect(rows[0]).toEqual({ n: 1 });
  }, 120_000);

  it('space and indexes render the sizes with their growth and the index checks with their SQL', async () => {
    const space = await open('/ops/space');
    const sizes = space.locator('table.sizes');
    expect(await sizes.locator('tbody tr').first().textContent()).toContain('base de datos');
    expect(await sizes.textContent()).toContain('restaurante.qr_scans');
    // Sizes over the week: the database and its largest tables at both captures.
    const chart = space.locator('section', { hasText: 'Tamaño en la última semana' });
    await chart.locator('canvas').first().waitFor();
    expect(await chart.locator('.plot').getAttribute('aria-label')).toMatch(/^Gráfico de 2 capturas de tamaño de: base de datos, /);
    expect(await chart.locator('.chart-data tbody tr').count()).toBe(2);
    expect(await chart.locator('.chart-data thead th').count()).toBe(7);
    await expectAccessible(space, 'staff-ops-space');
    const indexes = await open('/ops/indexes');
    expect((await indexes.locator('details.ops-check .check-name').allTextContents()).sort()).toEqual(['duplicate-indexes', 'invalid-indexes', 'missing-indexes', 'unused-indexes']);
    await expectAccessible(indexes, 'staff-ops-indexes');
    const phone = await open('/ops/space', PHONE);
    await expectAccessible(phone, 'staff-ops-space-phone');
  }, 120_000);

  it('without pg_stat_statements in the database, the pages say it is missing and how to fix it, never an empty panel', async () => {
    // On any server: the extension dropped from this file's database (a server without it preloaded shows the same panel).
    await t.db.query('DROP EXTENSION IF EXISTS pg_stat_statements');
    const page = await open('/ops/queries?window=hour&lang=en');
    const cap = page.locator('[data-capability="pg_stat_statements"]');
    expect(await cap.getAttribute('class')).toBe('cap cap-missing');
    expect(await cap.textContent()).toContain('Missing');
    expect(await cap.locator('.copy code').textContent()).toMatch(statStatements ? /^CREATE EXTENSION pg_stat_statements;/ : /shared_preload_libraries/);
    // No reset button without the function to call; the check says unknown with the same fix.
    expect(await page.getByRole('button', { name: 'Reset statistics' }).count()).toBe(0);
    const check = page.locator('#check-pg-stat-statements');
    expect(await check.getAttribute('class')).toContain('st-unknown');
    expect(await check.locator('dd').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/CREATE EXTENSION|shared_preload_libraries/)]));
    await expectAccessible(page, 'staff-ops-queries-missing');
    expect((await t.api('POST', '/api/ops/statistics/reset', t.tokens.admin, {})).body).toMatchObject({ code: 'ACTION_REFUSED' });
    if (statStatements) await t.db.query('CREATE EXTENSION pg_stat_statements');
  }, 120_000);

  it('refuses a waiter and a kitchen account: the 403 page, and 403 from the API', async () => {
    for (const role of ['waiter', 'kitchen'] as const) {
      const { page } = await t.signedIn(t.logins[role]);
      const res = await page.goto(`${t.base}/ops/connections`);
      expect(res?.status()).toBe(403);
      expect(await page.locator('h1').textContent()).toBe('Esta sección no es para tu puesto');
      expect(await page.locator('#content').count()).toBe(0);
      // The navigation does not offer the section either.
      expect(await page.locator('.staff-nav a[href="/ops"]').count()).toBe(0);
      for (const [method, path] of [['GET', '/api/ops/overview'], ['GET', '/api/ops/connections'], ['POST', '/api/ops/sessions/1/terminate'], ['POST', '/api/ops/statistics/reset']] as const) {
        const r = await t.api(method, path, t.tokens[role], method === 'POST' ? {} : undefined);
        expect(r.status, `${role} ${method} ${path}`).toBe(403);
        expect(r.body).toMatchObject({ code: 'FORBIDDEN' });
      }
    }
    expect(t.cspErrors).toEqual([]);
  }, 120_000);
});
