// Staff sign-in over HTTP against a real PostgreSQL: sessions in a cookie, revocation effective at
// the next request (on every instance), CSRF, roles by the same rules as bearer tokens, lockouts,
// rate limits, no enumeration of accounts, device pairing and one-time sign-in links.
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createAccount } from '../src/core/auth/staff-accounts.js';
import { createStaffToken } from '../src/core/auth/staff-tokens.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { useTestDatabase } from './helpers/db.js';
import { expectProblem } from './helpers/problems.js';
import { browserOf, pageHeaders, signIn, staffApp, type Browser } from './helpers/staff-sign-in.js';

const { db } = await useTestDatabase();
await seedDemo(db);
const OTHER = 'rest_other_staff_001';
await db.query(`INSERT INTO restaurante.restaurants (id, name) VALUES ($1, 'Otro')`, [OTHER]);
await db.transaction(
  (tx) => tx.query(`INSERT INTO restaurante.menu_categories (id, "restaurantId", name) VALUES ('cat_other_staff', $1, 'Otros')`, [OTHER]),
  { settings: { 'comanda.actor': 'test' } },
);

// Lockout after 3 failures for 2 s, so the test sees one begin and end; no rate limits here.
const app = await staffApp(db, { staff: { limits: { lockoutAfter: 3, lockoutSeconds: 2 } } });
// A second instance of the service on the same database.
const other = await staffApp(db, { staff: { limits: { lockoutAfter: 3, lockoutSeconds: 2 } } });

const PASSWORD = 'correct horse battery';
const adminToken = (await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'admin' })).token;
const bearer = { authorization: `Bearer ${adminToken}` };
let seq = 0;
async function account(role: 'admin' | 'kitchen' | 'waiter', restaurantId = DEMO_RESTAURANT_ID) {
  const login = `${role}${++seq}@enigma.test`;
  const { account: created } = await createAccount(db, { restaurantId, name: `${role} ${seq}`, login, role, password: PASSWORD });
  return { ...created, login };
}
async function signedIn(role: 'admin' | 'kitchen' | 'waiter', restaurantId = DEMO_RESTAURANT_ID): Promise<Browser & { accountId: string; login: string }> {
  const a = await account(role, restaurantId);
  return { ...browserOf(await signIn(app, a.login, PASSWORD)), accountId: a.id, login: a.login };
}
const anItem = (await db.query<{ id: string }>(`SELECT id FROM restaurante.menu_items WHERE "restaurantId" = $1 ORDER BY id LIMIT 1`, [DEMO_RESTAURANT_ID])).rows[0]!.id;
const patchMenu = (headers: Record<string, string>, on = app) =>
  on.inject({ method: 'PATCH', url: `/api/admin/menu-items/${anItem}`, headers, payload: { sortOrder: 7 } });

describe('signing in with a password', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie and gives the CSRF token; the session acts as the account', async () => {
    const a = await account('waiter');
    const res = await signIn(app, a.login.toUpperCase(), PASSWORD); // names are case-insensitive
    const browser = browserOf(res);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^comanda_staff=cmd_staffsession_[A-Za-z0-9_-]{43}\.rest_enigma_001;/); // names its restaurant
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/); // plain HTTP, PUBLIC_URL unset
    expect(res.headers['cache-control']).toBe('no-store');
    expect(browser.session).toMatchObject({ kind: 'account', role: 'waiter', restaurantId: DEMO_RESTAURANT_ID, accountId: a.id });

    const session = await app.inject({ method: 'GET', url: '/api/staff/session', headers: { cookie: browser.cookie } });
    expect(session.statusCode).toBe(200);
    expect(session.json()).toMatchObject({ csrfToken: browser.csrf, session: { id: browser.session.id, login: a.login } });
    const me = await app.inject({ method: 'GET', url: '/api/staff/me', headers: { cookie: browser.cookie } });
    expect(me.json()).toEqual({ tokenId: a.id, role: 'waiter', restaurantId: DEMO_RESTAURANT_ID });

    // Only hashes are stored: the session by the SHA-256 of its token, the password as scrypt.
    const stored = await db.query(`SELECT * FROM restaurante.staff_sessions WHERE id = $1`, [browser.session.id]);
    expect(stored.rows[0]!.token_hash).toBe(createHash('sha256').update(browser.token).digest('hex'));
    expect(JSON.stringify(stored.rows)).not.toContain(browser.token);
    const hash = (await db.query(`SELECT password_hash FROM restaurante.staff_accounts WHERE id = $1`, [a.id])).rows[0]!.password_hash as string;
    expect(hash).toMatch(/^scrypt\$16\$8\$1\$/);
    expect(hash).not.toContain(PASSWORD);
  });

  it('is Secure with the __Host- name when PUBLIC_URL is https, or the flag says so', async () => {
    const a = await account('kitchen');
    for (const secureApp of [await staffApp(db, { publicUrl: 'https://comanda.example' }), await staffApp(db, { staff: { cookieSecure: true } })]) {
      const res = await signIn(secureApp, a.login, PASSWORD);
      const browser = browserOf(res);
      expect(String(res.headers['set-cookie'])).toMatch(/^__Host-comanda_staff=.*; Secure/);
      const me = await secureApp.inject({ method: 'GET', url: '/api/staff/me', headers: { cookie: browser.cookie } });
      expect(me.statusCode).toBe(200);
    }
  });

  it('gives one answer for an unknown name, a wrong password and a disabled account, after the same work', async () => {
    const a = await account('waiter');
    const disabled = await account('waiter');
    await db.query(`UPDATE restaurante.staff_accounts SET "disabledAt" = now() WHERE id = $1`, [disabled.id]);
    const answers = [
      await signIn(app, 'nobody@enigma.test', PASSWORD),
      await signIn(app, a.login, 'wrong password!'),
      await signIn(app, disabled.login, PASSWORD),
    ];
    const bodies = answers.map((res) => {
      const problem = expectProblem(res, 401, 'INVALID_CREDENTIALS');
      expect(res.headers['set-cookie']).toBeUndefined();
      return problem;
    });
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);

    // Timing: an unknown name runs scrypt against a decoy hash, so it is not answered faster.
    const time = async (login: string) => {
      const started = performance.now();
      await signIn(app, login, 'wrong password!');
      return performance.now() - started;
    };
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const unknown: number[] = [];
    const known: number[] = [];
    for (let i = 0; i < 3; i++) {
      unknown.push(await time(`ghost${i}@enigma.test`));
      known.push(await time((await account('waiter')).login));
    }
    console.log(`sign-in answer: unknown name ${median(unknown).toFixed(0)} ms, wrong password ${median(known).toFixed(0)} ms (medians of 3)`);
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
  });

  it('locks a name after consecutive failures (even for the right password), known or not, and lets it in after the lockout', async () => {
    const a = await account('admin');
    for (const login of [a.login, 'not-an-account@enigma.test']) {
      for (let i = 0; i < 3; i++) expectProblem(await signIn(app, login, 'wrong password!'), 401, 'INVALID_CREDENTIALS');
      const locked = await signIn(app, login, PASSWORD);
      expectProblem(locked, 429, 'SIGN_IN_LOCKED');
      expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // Another name from the same address is not locked.
    const b = await account('admin');
    browserOf(await signIn(app, b.login, PASSWORD));

    await new Promise((resolve) => setTimeout(resolve, 2_100));
    browserOf(await signIn(app, a.login, PASSWORD));
    // A success clears the failures: two more wrong ones do not lock it again.
    for (let i = 0; i < 2; i++) expectProblem(await signIn(app, a.login, 'wrong password!'), 401, 'INVALID_CREDENTIALS');
    browserOf(await signIn(app, a.login, PASSWORD));
  });

  it('limits attempts per client address and per name (shared by every instance), with Retry-After', async () => {
    const limited = await staffApp(db, { staff: { limits: { perIpPerMinute: 3, perLoginPerMinute: 2 } } });
    const limitedToo = await staffApp(db, { staff: { limits: { perIpPerMinute: 3, perLoginPerMinute: 2 } } });
    const a = await account('waiter');
    expect((await signIn(limited, a.login, PASSWORD, '192.0.2.7')).statusCode).toBe(200);
    expect((await signIn(limitedToo, 'x1@enigma.test', 'nope nope nope', '192.0.2.7')).statusCode).toBe(401);
    expect((await signIn(limited, 'x2@enigma.test', 'nope nope nope', '192.0.2.7')).statusCode).toBe(401);
    const tooMany = await signIn(limitedToo, a.login, PASSWORD, '192.0.2.7');
    expectProblem(tooMany, 429, 'RATE_LIMITED');
    expect(Number(tooMany.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Another address is not limited; the name is, after 2 attempts a minute.
    expect((await signIn(limited, a.login, PASSWORD, '192.0.2.8')).statusCode).toBe(200);
    expectProblem(await signIn(limited, a.login, PASSWORD, '192.0.2.9'), 429, 'RATE_LIMITED');
    // The counters hold no address and no name.
    const keys = (await db.query<{ key: string }>('SELECT key FROM comanda.staff_sign_in_throttle')).rows.map((r) => r.key).join(' ');
    expect(keys).not.toContain('192.0.2');
    expect(keys).not.toContain('enigma.test');
  });
});

describe('the OpenAPI document', () => {
  it('describes the sign-in routes and the cookie as a security scheme', async () => {
    const doc = (await app.inject('/openapi.json')).json<{ paths: Record<string, Record<string, { security?: unknown }>>; components: { securitySchemes: Record<string, unknown> } }>();
    for (const path of ['/api/staff/sign-in', '/api/staff/sign-in/link', '/api/staff/pair', '/api/staff/session', '/api/staff/sign-out', '/api/staff/accounts', '/api/staff/devices']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(doc.components.securitySchemes.staffSession).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'comanda_staff' });
    expect(doc.paths['/api/staff/accounts']?.get?.security).toEqual([{ bearer: [] }, { staffSession: [] }]);
  });
});

describe('logs', () => {
  it('never hold a password, a session token, a CSRF token, a pairing code or a link token, even at trace level', async () => {
    const stream = new PassThrough();
    let logged = '';
    stream.on('data', (chunk: Buffer) => (logged += chunk.toString()));
    const logging = await staffApp(db, { logStream: stream });
    const a = await account('admin');
    await signIn(logging, a.login, 'a wrong password here');
    const browser = browserOf(await signIn(logging, a.login, PASSWORD));
    const paired = (await logging.inject({ method: 'POST', url: '/api/staff/devices', headers: pageHeaders(browser), payload: { role: 'kitchen' } })).json<{ code: string }>();
    const device = browserOf(await logging.inject({ method: 'POST', url: '/api/staff/pair', payload: { code: paired.code } }));
    const link = (await logging.inject({ method: 'POST', url: `/api/staff/accounts/${a.id}/sign-in-link`, headers: pageHeaders(browser) })).json<{ token: string }>();
    await logging.inject({ method: 'POST', url: '/api/staff/sign-in/link', payload: { token: link.token } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(logged).toContain('/api/staff/sign-in');
    for (const secret of [PASSWORD, 'a wrong password here', browser.token, browser.csrf, device.token, paired.code, link.token]) {
      expect(logged).not.toContain(secret);
    }
  });
});

describe('sessions end when they should, at once and on every instance', () => {
  it('sign out revokes the session (needs the CSRF token) and clears the cookie', async () => {
    const browser = await signedIn('waiter');
    expectProblem(await app.inject({ method: 'POST', url: '/api/staff/sign-out', headers: pageHeaders(browser, { csrf: false }) }), 403, 'CSRF_FAILED');
    expect((await other.inject({ method: 'GET', url: '/api/staff/me', headers: { cookie: browser.cookie } })).statusCode).toBe(200);
    const out = await app.inject({ method: 'POST', url: '/api/staff/sign-out', headers: pageHeaders(browser) });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^comanda_staff=;.*Expires=Thu, 01 Jan 1970/);
    for (const instance of [app, other]) {
      expectProblem(await instance.inject({ method: 'GET', url: '/api/staff/me', headers: { cookie: browser.cookie } }), 401, 'UNAUTHENTICATED');
      expectProblem(await instance.inject({ method: 'GET', url: '/api/staff/session', headers: { cookie: browser.cookie } }), 401, 'UNAUTHENTICATED');
    }
  });

  it('disabling an account ends its sessions at the next request, on the other instance too; enabling does not revive them', async () => {
    const browser = await signedIn('kitchen');
    expect((await other.inject({ method: 'GET', url: '/api/orders', headers: { cookie: browser.cookie } })).statusCode).toBe(200);
    const disabled = await app.inject({ method: 'POST', url: `/api/staff/accounts/${browser.accountId}/disable`, headers: bearer });
    expect(disabled.json()).toMatchObject({ account: { id: browser.accountId } });
    expectProblem(await other.inject({ method: 'GET', url: '/api/orders', headers: { cookie: browser.cookie } }), 401, 'UNAUTHENTICATED');
    expectProblem(await signIn(app, browser.login, PASSWORD), 401, 'INVALID_CREDENTIALS');
    await app.inject({ method: 'POST', url: `/api/staff/accounts/${browser.accountId}/enable`, headers: bearer });
    expectProblem(await app.inject({ method: 'GET', url: '/api/orders', headers: { cookie: browser.cookie } }), 401, 'UNAUTHENTICATED');
    browserOf(await signIn(app, browser.login, PASSWORD));
  });

  it("signing in again from the same browser ends that browser's previous session", async () => {
    const first = await signedIn('waiter');
    const again = browserOf(
      await app.inject({ method: 'POST', url: '/api/staff/sign-in', headers: { cookie: first.cookie }, payload: { login: first.login, password: PASSWORD } }),
    );
    expectProblem(await app.inject({ method: 'GET', url: '/api/staff/me', headers: { cookie: first.cookie } }), 401, 'UNAUTHENTICATED');
    expect((await app.inject({ method: 'GET', url: '/api/staff/me', headers: { cookie: again.cookie } })).statusCode).toBe(200);
  });

  it('a role change applies at the next request; an admin cannot disable or demote their own account', async () => {
    const waiter = await signedIn('waiter');
    expectProblem(await app.inject({ method: 'GET', url: '/api/staff/accounts', headers: { cookie: waiter.cookie } }), 403, 'FORBIDDEN');
    const promoted = await app.inject({ method: 'PATCH', url: `/api/staff/accounts/${waiter.accountId}`, headers: bearer, payload: { role: 'admin' } });
    expect(promoted.json()).toMatchObject({ account: { role: 'admin' } });
    expect((await other.inject({ method: 'GET', url: '/api/staff/accounts', headers: { cookie: waiter.cookie } })).statusCode).toBe(200);
    expectProblem(await app.inject({ method: 'POST', url: `/api/staff/accounts/${waiter.accountId}/disable`, headers: pageHeaders(waiter) }), 409, 'CONFLICT');
    expectProblem(
      await app.inject({ method: 'PATCH', url: `/api/staff/accounts/${waiter.accountId}`, headers: pageHeaders(waiter), payload: { role: 'kitchen' } }),
      409,
      'CONFLICT',
    );
    expect((await app.inject({ method: 'PATCH', url: `/api/staff/accounts/${waiter.accountId}`, headers: pageHeaders(waiter), payload: { name: 'Renamed' } })).statusCode).toBe(200);
  });

  it('ends after the idle timeout and at the absolute expiry', async () => {
    const idle = await signedIn('waiter');
    await db.query(`UPDATE restaurante.staff_sessions SET "lastSeenAt" = now() - idle_timeout - interval '1 second' WHERE id = $1`, [idle.session.id]);
    expectProblem(await app.inject({ method: 'GET', url: '/api/staff/me', headers: { cookie: idle.cookie } }), 401, 'UNAUTHENTICATED');
    const old = await signedIn('waiter');
    await db.query(`UPDATE restaurante.staff_sessions SET "createdAt" = now() - interval '8 days', "expiresAt" = now() - interval '1 second' WHERE id = $1`, [old.session.id]);
    expectProblem(await app.inject({ method: 'GET', url: '/api/staff/me', headers: { cookie: old.cookie } }), 401, 'UNAUTHENTICATED');
  });

  it('a changed password ends the other sessions, not this one', async () => {
    const first = await signedIn('waiter');
    const second = browserOf(await signIn(app, first.login, PASSWORD));
    const change = (headers: Record<string, string>, currentPassword = PASSWORD) =>
      app.inject({ method: 'POST', url: '/api/staff/session/password', headers, payload: { currentPassword, newPassword: 'a much better passphrase' } });
    expectProblem(await change(pageHeaders(second), 'not my password'), 401, 'INVALID_CREDENTIALS');
    expectProblem(await change(pageHeaders(second, { csrf: false })), 403, 'CSRF_FAILED');
    expect((await change(pageHeaders(second))).statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: '/api/staff/me', headers: { cookie: second.cookie } })).statusCode).toBe(200);
    expectProblem(await app.inject({ method: 'GET', url: '/api/staff/me', headers: { cookie: first.cookie } }), 401, 'UNAUTHENTICATED');
    expectProblem(await signIn(app, first.login, PASSWORD), 401, 'INVALID_CREDENTIALS');
    browserOf(await signIn(app, first.login, 'a much better passphrase'));
  });

  it('is found with one probe of the token_hash unique index', async () => {
    const { rows } = await db.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT id FROM restaurante.staff_sessions WHERE "restaurantId" = '${DEMO_RESTAURANT_ID}' AND token_hash = '${'0'.repeat(64)}'`,
    );
    expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index Scan using "staff_sessions_restaurantId_token_hash_key"/);
  });
});

describe('CSRF and roles for cookie sessions', () => {
  it('refuses a change without the token, with a wrong one, from another origin or a cross-site fetch; reads need no token', async () => {
    const browser = await signedIn('admin');
    expect((await app.inject({ method: 'GET', url: '/api/admin/menu-items', headers: { cookie: browser.cookie } })).statusCode).toBe(200);
    expectProblem(await patchMenu(pageHeaders(browser, { csrf: false })), 403, 'CSRF_FAILED');
    expectProblem(await patchMenu({ ...pageHeaders(browser), 'x-csrf-token': browser.csrf.slice(0, -2) + 'AA' }), 403, 'CSRF_FAILED');
    expectProblem(await patchMenu({ ...pageHeaders(browser), origin: 'https://evil.example' }), 403, 'CSRF_FAILED');
    expectProblem(await patchMenu({ ...pageHeaders(browser), origin: 'null' }), 403, 'CSRF_FAILED');
    expectProblem(await patchMenu({ ...pageHeaders(browser), 'sec-fetch-site': 'cross-site' }), 403, 'CSRF_FAILED');
    // Another session's token does not fit this one.
    const another = await signedIn('admin');
    expectProblem(await patchMenu({ ...pageHeaders(browser), 'x-csrf-token': another.csrf }), 403, 'CSRF_FAILED');
    expect((await patchMenu(pageHeaders(browser))).statusCode).toBe(200);
    // A sign-in form posted from another site is refused too.
    const a = await account('waiter');
    expectProblem(
      await app.inject({ method: 'POST', url: '/api/staff/sign-in', headers: { origin: 'https://evil.example' }, payload: { login: a.login, password: PASSWORD } }),
      403,
      'CSRF_FAILED',
    );
  });

  it('a kitchen session cannot change the menu or manage staff; it can work the orders', async () => {
    const kitchen = await signedIn('kitchen');
    expectProblem(await patchMenu(pageHeaders(kitchen)), 403, 'FORBIDDEN');
    expectProblem(await app.inject({ method: 'GET', url: '/api/staff/accounts', headers: pageHeaders(kitchen) }), 403, 'FORBIDDEN');
    expectProblem(await app.inject({ method: 'POST', url: '/api/staff/devices', headers: pageHeaders(kitchen), payload: { role: 'admin' } }), 403, 'FORBIDDEN');
    expect((await app.inject({ method: 'GET', url: '/api/orders', headers: pageHeaders(kitchen) })).statusCode).toBe(200);
  });

  it('bearer tokens keep working, without CSRF checks, and win over a cookie', async () => {
    expect((await patchMenu(bearer)).statusCode).toBe(200);
    expect((await patchMenu({ ...bearer, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })).statusCode).toBe(200);
    const kitchen = await signedIn('kitchen');
    expect((await patchMenu({ ...bearer, cookie: kitchen.cookie })).statusCode).toBe(200);
    expectProblem(await patchMenu({ authorization: 'Bearer cmd_staff_nope', cookie: kitchen.cookie }), 401, 'UNAUTHENTICATED');
  });

  it("restaurant A's account sees nothing of restaurant B", async () => {
    const otherAdmin = await signedIn('admin', OTHER);
    const mine = await signedIn('waiter');
    const accounts = (await app.inject({ method: 'GET', url: '/api/staff/accounts', headers: pageHeaders(otherAdmin) })).json<{ accounts: { restaurantId: string }[] }>();
    expect(accounts.accounts.length).toBeGreaterThan(0);
    expect(accounts.accounts.every((a) => a.restaurantId === OTHER)).toBe(true);
    const categories = (await app.inject({ method: 'GET', url: '/api/admin/categories', headers: pageHeaders(otherAdmin) })).json<{ categories: { id: string }[] }>();
    expect(categories.categories.map((c) => c.id)).toEqual(['cat_other_staff']);
    expectProblem(await patchMenu(pageHeaders(otherAdmin)), 404, 'NOT_FOUND');
    expectProblem(await app.inject({ method: 'POST', url: `/api/staff/accounts/${mine.accountId}/disable`, headers: pageHeaders(otherAdmin) }), 404, 'NOT_FOUND');
    expect((await app.inject({ method: 'GET', url: '/api/staff/me', headers: { cookie: mine.cookie } })).statusCode).toBe(200);
    const devices = (await app.inject({ method: 'GET', url: '/api/staff/devices', headers: pageHeaders(otherAdmin) })).json<{ devices: unknown[] }>();
    expect(devices.devices).toEqual([]);

    // The same sign-in name in both restaurants: each password signs in to its own account.
    await createAccount(db, { restaurantId: DEMO_RESTAURANT_ID, name: 'Sam A', login: 'sam', role: 'waiter', password: 'sam of restaurant A' });
    await createAccount(db, { restaurantId: OTHER, name: 'Sam B', login: 'sam', role: 'kitchen', password: 'sam of restaurant B' });
    expect(browserOf(await signIn(app, 'sam', 'sam of restaurant A')).session).toMatchObject({ restaurantId: DEMO_RESTAURANT_ID, role: 'waiter' });
    expect(browserOf(await signIn(app, 'sam', 'sam of restaurant B')).session).toMatchObject({ restaurantId: OTHER, role: 'kitchen' });
    expectProblem(await signIn(app, 'sam', 'sam of neither one'), 401, 'INVALID_CREDENTIALS');
  });
});

describe('devices', () => {
  const pair = async (role = 'kitchen', label = 'kitchen tablet') => {
    const res = await app.inject({ method: 'POST', url: '/api/staff/devices', headers: bearer, payload: { role, label } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ code: string; expiresAt: string; device: { id: string; state: string } }>();
  };
  const redeem = (code: string, on = app, ip = '127.0.0.1') => on.inject({ method: 'POST', url: '/api/staff/pair', payload: { code }, remoteAddress: ip });

  it('a pairing code is short, valid 10 minutes, used once, and the device stays signed in for its role', async () => {
    const issued = await pair();
    expect(issued.code).toMatch(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
    expect(issued.device.state).toBe('pending');
    const minutes = (Date.parse(issued.expiresAt) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(9.5);
    expect(minutes).toBeLessThanOrEqual(10);
    expect(JSON.stringify((await db.query(`SELECT * FROM restaurante.staff_devices WHERE id = $1`, [issued.device.id])).rows)).not.toContain(issued.code);

    const device = browserOf(await redeem(` ${issued.code.toLowerCase().replace('-', ' ')} `)); // typed by a person
    expect(device.session).toMatchObject({ kind: 'device', role: 'kitchen', deviceId: issued.device.id });
    const setCookie = (await redeem(issued.code)).headers['set-cookie'];
    expect(setCookie).toBeUndefined();
    expectProblem(await redeem(issued.code), 401, 'PAIRING_CODE_INVALID');
    expect((await app.inject({ method: 'GET', url: '/api/orders', headers: { cookie: device.cookie } })).statusCode).toBe(200);
    expectProblem(await patchMenu(pageHeaders(device)), 403, 'FORBIDDEN');
    // Its session lasts for days, not hours.
    const lifetime = (await db.query<{ days: number }>(`SELECT extract(epoch FROM "expiresAt" - "createdAt") / 86400 AS days FROM restaurante.staff_sessions WHERE id = $1`, [device.session.id])).rows[0]!.days;
    expect(Number(lifetime)).toBeCloseTo(365, 0);
  });

  it('two devices entering the same code at once: exactly one is paired', async () => {
    const issued = await pair();
    const answers = await Promise.all([redeem(issued.code), redeem(issued.code, other), redeem(issued.code)]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 401, 401]);
  });

  it('an expired code is refused, like a wrong one', async () => {
    const issued = await pair();
    await db.query(`UPDATE restaurante.staff_devices SET "pairingExpiresAt" = now() - interval '1 second' WHERE id = $1`, [issued.device.id]);
    expectProblem(await redeem(issued.code), 401, 'PAIRING_CODE_INVALID');
    expectProblem(await redeem('ABCD-EFGH'), 401, 'PAIRING_CODE_INVALID');
    const list = (await app.inject({ method: 'GET', url: '/api/staff/devices', headers: bearer })).json<{ devices: { id: string; state: string }[] }>();
    expect(list.devices.find((d) => d.id === issued.device.id)?.state).toBe('expired');
  });

  it('a revoked device is signed out at its next request, on every instance', async () => {
    const issued = await pair('waiter', 'bar phone');
    const device = browserOf(await redeem(issued.code));
    expect((await other.inject({ method: 'GET', url: '/api/orders', headers: { cookie: device.cookie } })).statusCode).toBe(200);
    const revoked = await app.inject({ method: 'POST', url: `/api/staff/devices/${issued.device.id}/revoke`, headers: bearer });
    expect(revoked.json()).toMatchObject({ device: { id: issued.device.id, state: 'revoked' } });
    expectProblem(await other.inject({ method: 'GET', url: '/api/orders', headers: { cookie: device.cookie } }), 401, 'UNAUTHENTICATED');
    expectProblem(await app.inject({ method: 'GET', url: '/api/staff/session', headers: { cookie: device.cookie } }), 401, 'UNAUTHENTICATED');
  });

  it('a device is limited per address like any sign-in attempt', async () => {
    const limited = await staffApp(db, { staff: { limits: { perIpPerMinute: 2 } } });
    for (let i = 0; i < 2; i++) expectProblem(await redeem('ZZZZ-ZZZZ', limited, '198.51.100.4'), 401, 'PAIRING_CODE_INVALID');
    expectProblem(await redeem('ZZZZ-ZZZZ', limited, '198.51.100.4'), 429, 'RATE_LIMITED');
  });
});

describe('one-time sign-in links', () => {
  it("let an account with no password yet (the demo's first admin) in once, to set one", async () => {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO restaurante.staff_accounts (id, "restaurantId", name, login, role) VALUES ('acc_nopass', $1, 'First admin', 'first-admin', 'admin') RETURNING id`,
      [DEMO_RESTAURANT_ID],
    );
    expectProblem(await signIn(app, 'first-admin', ''.padEnd(12, 'x')), 401, 'INVALID_CREDENTIALS');
    const link = (await app.inject({ method: 'POST', url: `/api/staff/accounts/${rows[0]!.id}/sign-in-link`, headers: bearer })).json<{ token: string }>();
    const browser = browserOf(await app.inject({ method: 'POST', url: '/api/staff/sign-in/link', payload: { token: link.token } }));
    const set = await app.inject({ method: 'POST', url: '/api/staff/session/password', headers: pageHeaders(browser), payload: { newPassword: 'the first admin password' } });
    expect(set.statusCode, set.body).toBe(204);
    browserOf(await signIn(app, 'first-admin', 'the first admin password'));
  });

  const issue = async (accountId: string) => {
    const res = await app.inject({ method: 'POST', url: `/api/staff/accounts/${accountId}/sign-in-link`, headers: bearer });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ token: string; expiresAt: string }>();
  };
  const redeem = (token: string) => app.inject({ method: 'POST', url: '/api/staff/sign-in/link', payload: { token } });

  it('signs the account in once, within the hour', async () => {
    const a = await account('admin');
    const link = await issue(a.id);
    expect((Date.parse(link.expiresAt) - Date.now()) / 60_000).toBeGreaterThan(59);
    const browser = browserOf(await redeem(link.token));
    expect(browser.session).toMatchObject({ kind: 'account', accountId: a.id, role: 'admin' });
    expectProblem(await redeem(link.token), 401, 'TOKEN_INVALID');

    // A changed password needs the current one once there is one.
    expectProblem(
      await app.inject({ method: 'POST', url: '/api/staff/session/password', headers: pageHeaders(browser), payload: { newPassword: 'no current one given' } }),
      401,
      'INVALID_CREDENTIALS',
    );

    const expired = await issue(a.id);
    await db.query(`UPDATE restaurante.staff_sign_in_tokens SET "createdAt" = now() - interval '2 hours', "expiresAt" = now() - interval '1 second' WHERE "accountId" = $1 AND "usedAt" IS NULL`, [a.id]);
    expectProblem(await redeem(expired.token), 401, 'TOKEN_INVALID');
  });
});
