// The staff's pages in Chromium: a listening app over the file's own database (demo seeded,
// open today, live updates through LISTEN/NOTIFY), an account per role with a known password,
// and a browser context signed in as one of them (through the sign-in page itself).
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, expect } from 'vitest';
import { createAccount } from '../../src/core/auth/staff-accounts.js';
import { createStaffToken, type StaffRole } from '../../src/core/auth/staff-tokens.js';
import type { Database } from '../../src/core/db/database.js';
import { loadMigrations } from '../../src/core/migrations/runner.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../../src/core/seed.js';
import { freePort } from '../../src/embedded/postgres.js';
import { build, defaultOrderingSettings } from '../../src/http/app.js';
import { defaultStaffSignInSettings } from '../../src/http/routes/staff-sign-in.js';
import { launchChromium, screenshot, seriousViolations } from './browser.js';
import { useTestDatabase } from './db.js';

export const STAFF_SECRET = 'comanda-staff-browser-secret-0123456789ab';
export const STAFF_PASSWORD = 'correct horse battery staple';

export interface StaffBrowserApp {
  app: FastifyInstance;
  db: Database;
  base: string;
  browser: Browser;
  /** Sign-in names of the demo restaurant's accounts, by role (password STAFF_PASSWORD). */
  logins: Record<StaffRole, string>;
  /** A bearer token per role, for setting things up through the API. */
  tokens: Record<StaffRole, string>;
  /** A new browser context (1024×768 unless told) signed in as `login` through /staff/sign-in. */
  signedIn(login: string, options?: { viewport?: { width: number; height: number }; locale?: string }): Promise<{ context: BrowserContext; page: Page }>;
  /** A new context that is signed in as nobody. */
  context(options?: { viewport?: { width: number; height: number }; locale?: string }): Promise<BrowserContext>;
  /** JSON API call with a bearer token. */
  api(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> & unknown[] }>;
  /** CSP violations any page reported (should stay empty). */
  cspErrors: string[];
}

export async function useStaffBrowserApp(options: { staffEventsRecheckMs?: number; backupDir?: string } = {}): Promise<StaffBrowserApp> {
  const test = await useTestDatabase({ poolSize: 20 });
  const db = test.db;
  await seedDemo(db);
  await db.query(
    `INSERT INTO restaurante.opening_exceptions ("restaurantId", date, closed, opens_at, closes_at)
     VALUES ($1, (now() AT TIME ZONE 'Europe/Madrid')::date, false, '00:00', '23:59')`,
    [DEMO_RESTAURANT_ID],
  );
  const roles: StaffRole[] = ['admin', 'kitchen', 'waiter'];
  const logins = {} as Record<StaffRole, string>;
  const tokens = {} as Record<StaffRole, string>;
  for (const role of roles) {
    logins[role] = `${role}-test`;
    await createAccount(db, { restaurantId: DEMO_RESTAURANT_ID, name: `Test ${role}`, login: logins[role], role, password: STAFF_PASSWORD });
    tokens[role] = (await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role })).token;
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const app = await build({
    db,
    secret: STAFF_SECRET,
    publicUrl: base,
    directUrl: test.url,
    expectedMigrations: (await loadMigrations()).map((m) => m.version),
    logLevel: 'silent',
    ordering: {
      ...defaultOrderingSettings,
      rateLimits: { qrScansPerMinute: 1000, ordersPerMinute: 1000, ordersPerIpPerMinute: 1000 },
      bookings: { ...defaultOrderingSettings.bookings, perIpPerHour: 1000, perEmailPerHour: 1000, maxHoldsPerEmail: 1000, maxHoldsPerIp: 1000 },
    },
    staffEventsRecheckMs: options.staffEventsRecheckMs,
    ...(options.backupDir ? { backup: { dir: options.backupDir, pgBinDir: undefined } } : {}),
    staff: { ...defaultStaffSignInSettings, limits: { ...defaultStaffSignInSettings.limits, perIpPerMinute: 10_000, perLoginPerMinute: 10_000 } },
  });
  await app.listen({ port, host: '127.0.0.1' });
  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  const cspErrors: string[] = [];
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser.close();
    await app.close();
  });

  const context = async (options: { viewport?: { width: number; height: number }; locale?: string } = {}) => {
    const c = await browser.newContext({ viewport: options.viewport ?? { width: 1024, height: 768 }, deviceScaleFactor: 1, locale: options.locale ?? 'es-ES' });
    c.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    contexts.push(c);
    return c;
  };

  return {
    app,
    db,
    base,
    browser,
    logins,
    tokens,
    cspErrors,
    context,
    async signedIn(login, options = {}) {
      const c = await context(options);
      const page = await c.newPage();
      await page.goto(`${base}/staff/sign-in`);
      await page.getByLabel(/Usuario o correo|User name or e-mail/).fill(login);
      await page.getByLabel(/Contraseña|Password/).fill(STAFF_PASSWORD);
      await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/staff/sign-in'), { timeout: 20_000 }), page.getByRole('button', { name: /Entrar|Sign in/ }).click()]);
      return { context: c, page };
    },
    async api(method, url, token, body) {
      const res = await fetch(base + url, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> & unknown[] };
    },
  };
}

/** Screenshot to test-artifacts/<name>.png, then no serious or critical axe-core violation. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  expect(await seriousViolations(page), name).toEqual([]);
}
