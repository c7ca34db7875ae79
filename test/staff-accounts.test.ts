// Staff accounts and devices as admins manage them: password hashing (scrypt), the admin HTTP
// API, and `comanda staff account|device …` run as a process against a real PostgreSQL.
import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, verifyPassword, generatePassword } from '../src/core/auth/passwords.js';
import { createStaffToken } from '../src/core/auth/staff-tokens.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { runCli } from './helpers/cli.js';
import { useTestDatabase } from './helpers/db.js';
import { expectProblem } from './helpers/problems.js';
import { TEST_SECRET } from './helpers/app.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { browserOf, signIn, staffApp } from './helpers/staff-sign-in.js';

const { db, url } = await useTestDatabase();
await seedDemo(db);
const app = await staffApp(db);
const bearer = async (role: 'admin' | 'kitchen' | 'waiter') => ({
  authorization: `Bearer ${(await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role })).token}`,
});
const admin = await bearer('admin');
const cli = (args: string[], input?: string) =>
  runCli(['staff', ...args], { DATABASE_URL: url, DATABASE_DIRECT_URL: '', COMANDA_SECRET: TEST_SECRET }, { input });

describe('configuration', () => {
  it('reads the staff sign-in variables, with their defaults, and refuses bad ones by name', () => {
    expect(loadConfig({}).staff).toEqual({
      cookieSecure: 'auto',
      lifetimes: { account: { idleMinutes: 480, maxHours: 168 }, device: { idleDays: 30, maxDays: 365 } },
      limits: { perIpPerMinute: 20, perLoginPerMinute: 5, lockoutAfter: 10, lockoutSeconds: 900 },
    });
    const set = loadConfig({ STAFF_COOKIE_SECURE: 'true', STAFF_SIGN_IN_LOCKOUT_MINUTES: '30', STAFF_SESSION_IDLE_MINUTES: '60' }).staff;
    expect(set.cookieSecure).toBe(true);
    expect(set.limits.lockoutSeconds).toBe(1_800);
    expect(set.lifetimes.account.idleMinutes).toBe(60);
    expect(loadConfig({ STAFF_COOKIE_SECURE: 'false' }).staff.cookieSecure).toBe(false);
    expect(() => loadConfig({ STAFF_COOKIE_SECURE: 'maybe', STAFF_SIGN_IN_LOCKOUT_AFTER: '0' })).toThrow(ConfigError);
    try {
      loadConfig({ STAFF_COOKIE_SECURE: 'maybe', STAFF_SIGN_IN_LOCKOUT_AFTER: '0' });
    } catch (err) {
      expect((err as ConfigError).message).toMatch(/STAFF_COOKIE_SECURE: must be auto, true or false/);
      expect((err as ConfigError).message).toMatch(/STAFF_SIGN_IN_LOCKOUT_AFTER/);
    }
  });
});

describe('passwords', () => {
  it('are scrypt hashes with their parameters and a random salt, verified in constant time', async () => {
    const a = await hashPassword('the same password');
    const b = await hashPassword('the same password');
    expect(a).toMatch(/^scrypt\$16\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('the same password', a)).toBe(true);
    expect(await verifyPassword('the same password ', a)).toBe(false);
    expect(await verifyPassword('anything', null)).toBe(false);
    expect(needsRehash(a)).toBe(false);
    const weaker = await hashPassword('old one', { log2N: 10, r: 8, p: 1 });
    expect(await verifyPassword('old one', weaker)).toBe(true);
    expect(needsRehash(weaker)).toBe(true);
    expect(generatePassword()).toMatch(/^[a-z0-9]{4}(-[a-z0-9]{4}){4}$/);
  });

  it('made with weaker parameters are re-hashed at the next sign-in', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/staff/accounts', headers: admin, payload: { name: 'Old', login: 'old-hash', role: 'waiter' } });
    const { account, password } = created.json<{ account: { id: string }; password: string }>();
    await db.query(`UPDATE restaurante.staff_accounts SET password_hash = $2 WHERE id = $1`, [account.id, await hashPassword(password, { log2N: 10, r: 8, p: 1 })]);
    browserOf(await signIn(app, 'old-hash', password));
    const { rows } = await db.query<{ h: string }>(`SELECT password_hash AS h FROM restaurante.staff_accounts WHERE id = $1`, [account.id]);
    expect(rows[0]!.h).toMatch(/^scrypt\$16\$8\$1\$/);
  });
});

describe('the admin HTTP API', () => {
  it('creates accounts (a generated password is returned once), refuses a taken name, a short password, a non-admin', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/staff/accounts', headers: admin, payload: { name: 'Marta', login: 'Marta@Enigma.test', role: 'kitchen' } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const body = created.json<{ account: Record<string, unknown>; password: string }>();
    expect(body.account).toMatchObject({ login: 'marta@enigma.test', role: 'kitchen', restaurantId: DEMO_RESTAURANT_ID, hasPassword: true, disabledAt: null });
    expect(body.account).not.toHaveProperty('password_hash');
    browserOf(await signIn(app, 'marta@enigma.test', body.password));

    const given = await app.inject({ method: 'POST', url: '/api/staff/accounts', headers: admin, payload: { name: 'Luis', login: 'luis', role: 'waiter', password: 'luis has a long password' } });
    expect(given.statusCode).toBe(201);
    expect(given.json()).not.toHaveProperty('password');

    expectProblem(
      await app.inject({ method: 'POST', url: '/api/staff/accounts', headers: admin, payload: { name: 'Other Marta', login: 'MARTA@enigma.test', role: 'waiter' } }),
      409,
      'CONFLICT',
    );
    expectProblem(await app.inject({ method: 'POST', url: '/api/staff/accounts', headers: admin, payload: { name: 'X', login: 'shorty', role: 'waiter', password: 'short' } }), 400, 'VALIDATION_FAILED');
    expectProblem(await app.inject({ method: 'POST', url: '/api/staff/accounts', headers: admin, payload: { name: 'X', login: 'bad name!', role: 'waiter' } }), 400, 'VALIDATION_FAILED');
    expectProblem(await app.inject({ method: 'POST', url: '/api/staff/accounts', headers: admin, payload: { name: 'X', login: 'boss', role: 'owner' } }), 400, 'VALIDATION_FAILED');
    for (const role of ['kitchen', 'waiter'] as const) {
      const headers = await bearer(role);
      expectProblem(await app.inject({ method: 'POST', url: '/api/staff/accounts', headers, payload: { name: 'X', login: 'sneaky', role: 'admin' } }), 403, 'FORBIDDEN');
      expectProblem(await app.inject({ method: 'GET', url: '/api/staff/accounts', headers }), 403, 'FORBIDDEN');
    }
    expectProblem(await app.inject({ method: 'GET', url: '/api/staff/accounts' }), 401, 'UNAUTHENTICATED');
    const listed = (await app.inject({ method: 'GET', url: '/api/staff/accounts', headers: admin })).body;
    expect(listed).toContain('marta@enigma.test');
    expect(listed).not.toMatch(/scrypt|password_hash/);
  });

  it('resets a password: the old one and its sessions stop working, a lockout is lifted', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/staff/accounts', headers: admin, payload: { name: 'Ana', login: 'ana', role: 'waiter', password: 'ana original password' } });
    const id = created.json<{ account: { id: string } }>().account.id;
    const browser = browserOf(await signIn(app, 'ana', 'ana original password'));
    for (let i = 0; i < 10; i++) await signIn(app, 'ana', 'wrong wrong wrong');
    expectProblem(await signIn(app, 'ana', 'ana original password'), 429, 'SIGN_IN_LOCKED');
    const reset = await app.inject({ method: 'POST', url: `/api/staff/accounts/${id}/reset-password`, headers: admin });
    const { password } = reset.json<{ password: string }>();
    expectProblem(await app.inject({ method: 'GET', url: '/api/staff/me', headers: { cookie: browser.cookie } }), 401, 'UNAUTHENTICATED');
    expectProblem(await signIn(app, 'ana', 'ana original password'), 401, 'INVALID_CREDENTIALS');
    browserOf(await signIn(app, 'ana', password));
  });
});

describe('comanda staff account|device', () => {
  it('account create prints a generated password once; list shows no secret; disable, enable, reset-password, link', async () => {
    const created = await cli(['account', 'create', '--name', 'Chef Ramón', '--login', 'ramon@enigma.test', '--role', 'kitchen', '--json']);
    expect(created.status, created.stderr).toBe(0);
    const { account, password } = JSON.parse(created.stdout) as { account: { id: string; role: string }; password: string };
    expect(account.role).toBe('kitchen');
    browserOf(await signIn(app, 'ramon@enigma.test', password));

    const list = await cli(['account', 'list']);
    expect(list.status).toBe(0);
    expect(list.stdout).toContain('ramon@enigma.test');
    expect(list.stdout).not.toContain(password);

    const disabled = await cli(['account', 'disable', account.id]);
    expect(disabled.stdout).toContain('disabled');
    expectProblem(await signIn(app, 'ramon@enigma.test', password), 401, 'INVALID_CREDENTIALS');
    expect((await cli(['account', 'enable', account.id])).status).toBe(0);

    const reset = await cli(['account', 'reset-password', account.id, '--password-stdin'], 'ramon chose this one\n');
    expect(reset.status, reset.stderr).toBe(0);
    expect(reset.stdout).toBe('');
    expect(reset.stderr).toContain('lockout was lifted');
    browserOf(await signIn(app, 'ramon@enigma.test', 'ramon chose this one'));

    const link = await cli(['account', 'link', account.id]);
    expect(link.status).toBe(0);
    const token = link.stdout.trim();
    expect(token).toMatch(/^cmd_signin_/);
    browserOf(await app.inject({ method: 'POST', url: '/api/staff/sign-in/link', payload: { token } }));

    const bad = await cli(['account', 'create', '--name', 'X', '--login', 'x@enigma.test', '--role', 'chef']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--role must be one of admin, kitchen, waiter');
  }, 90_000); // eight CLI processes, each starting Node and hashing with scrypt (64 MiB, ~0.5 s on a busy machine)

  it('device pair prints a code the device redeems once; list; revoke signs it out', async () => {
    const paired = await cli(['device', 'pair', '--role', 'kitchen', '--label', 'kitchen tablet']);
    expect(paired.status, paired.stderr).toBe(0);
    const code = paired.stdout.trim();
    expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(paired.stderr).toMatch(/valid until/);
    const device = browserOf(await app.inject({ method: 'POST', url: '/api/staff/pair', payload: { code } }));
    expect(device.session.role).toBe('kitchen');

    const list = JSON.parse((await cli(['device', 'list', '--json'])).stdout) as { devices: { id: string; state: string; label: string }[] };
    const row = list.devices.find((d) => d.label === 'kitchen tablet')!;
    expect(row.state).toBe('paired');
    expect(JSON.stringify(list)).not.toContain(code);

    expect((await cli(['device', 'revoke', row.id])).status).toBe(0);
    expectProblem(await app.inject({ method: 'GET', url: '/api/orders', headers: { cookie: device.cookie } }), 401, 'UNAUTHENTICATED');
  });
});
