// Staff sign-in in tests: an app with its own sign-in settings over a test database, and a signed-in
// "browser" (the cookie and the session's CSRF token) to send requests with.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, expect } from 'vitest';
import type { Database } from '../../src/core/db/database.js';
import { loadMigrations } from '../../src/core/migrations/runner.js';
import { build, defaultOrderingSettings } from '../../src/http/app.js';
import { defaultStaffSignInSettings, type StaffSignInSettings } from '../../src/http/routes/staff-sign-in.js';
import { TEST_SECRET } from './app.js';

export async function staffApp(
  db: Database,
  options: { staff?: Partial<Omit<StaffSignInSettings, 'limits'>> & { limits?: Partial<StaffSignInSettings['limits']> }; publicUrl?: string; logStream?: NodeJS.WritableStream } = {},
): Promise<FastifyInstance> {
  const app = await build({
    db,
    secret: TEST_SECRET,
    publicUrl: options.publicUrl,
    expectedMigrations: (await loadMigrations()).map((m) => m.version),
    logLevel: options.logStream ? 'trace' : 'silent',
    logStream: options.logStream,
    ordering: defaultOrderingSettings,
    staff: {
      ...defaultStaffSignInSettings,
      ...options.staff,
      limits: { ...defaultStaffSignInSettings.limits, perIpPerMinute: 10_000, perLoginPerMinute: 10_000, ...options.staff?.limits },
    },
  });
  afterAll(() => app.close());
  return app;
}

export interface Browser {
  /** The Cookie header value. */
  cookie: string;
  csrf: string;
  session: { id: string; kind: string; role: string; restaurantId: string; accountId: string | null; deviceId: string | null };
  /** The cookie's raw token value. */
  token: string;
}

/** A signed-in browser from a sign-in answer (asserts it is 200 with the cookie set). */
export function browserOf(res: LightMyRequestResponse): Browser {
  expect(res.statusCode, res.body).toBe(200);
  const cookie = res.cookies.find((c) => c.name === 'comanda_staff' || c.name === '__Host-comanda_staff');
  expect(cookie, 'the session cookie is set').toBeDefined();
  const body = res.json<{ session: Browser['session']; csrfToken: string }>();
  return { cookie: `${cookie!.name}=${cookie!.value}`, token: cookie!.value, csrf: body.csrfToken, session: body.session };
}

export async function signIn(app: FastifyInstance, login: string, password: string, ip = '10.0.0.1'): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/api/staff/sign-in', payload: { login, password }, remoteAddress: ip });
}

/** Headers a page of the service sends: the cookie, and (for changes) the CSRF token and its own Origin. */
export function pageHeaders(browser: Browser, options: { csrf?: boolean } = {}): Record<string, string> {
  return {
    cookie: browser.cookie,
    ...(options.csrf === false ? {} : { 'x-csrf-token': browser.csrf }),
    origin: 'http://localhost:80',
    host: 'localhost:80',
    'sec-fetch-site': 'same-origin',
  };
}
