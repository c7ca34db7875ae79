// Staff sign-in over HTTP: people (name + password, or a one-time link) and devices (a pairing
// code) get the session cookie; pages read their CSRF token from GET /api/staff/session; admins
// manage accounts and devices. A thin shell over src/core/auth (docs/staff-sign-in.md).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, verifyPassword } from '../../core/auth/passwords.js';
import cookie from '@fastify/cookie';
import { defaultSignInLimits, SignInThrottle, type SignInLimits } from '../../core/auth/sign-in-throttle.js';
import {
  createAccount,
  issueSignInToken,
  listAccounts,
  LOGIN_PATTERN,
  setAccountDisabled,
  setPassword,
  updateAccount,
} from '../../core/auth/staff-accounts.js';
import { issuePairingCode, listDevices, revokeDevice } from '../../core/auth/staff-devices.js';
import {
  csrfTokenOf,
  defaultSessionLifetimes,
  revokeSession,
  sessionOf,
  signInWithPairingCode,
  signInWithPassword,
  signInWithToken,
  type NewSession,
  type SessionLifetimes,
  type StaffSessionInfo,
} from '../../core/auth/staff-sessions.js';
import { staffRoles, type StaffPrincipal, type StaffRole } from '../../core/auth/staff-tokens.js';
import type { Database } from '../../core/db/database.js';
import { AppError } from '../../core/errors.js';
import { permissions } from '../../core/auth/roles.js';
import { requireStaff, staffOf } from '../auth.js';
import { authProblems } from '../openapi.js';
import { assertCsrf, assertSameSite, clearSessionCookie, sessionCookie, setSessionCookie } from '../staff-cookies.js';

export interface StaffSignInSettings {
  /** `auto`: Secure when the request came over HTTPS or PUBLIC_URL is https. */
  cookieSecure: 'auto' | boolean;
  lifetimes: SessionLifetimes;
  limits: SignInLimits;
}

export const defaultStaffSignInSettings: StaffSignInSettings = {
  cookieSecure: 'auto',
  lifetimes: defaultSessionLifetimes,
  limits: defaultSignInLimits,
};

interface AppOptions {
  db: Database;
  secret: string;
  publicUrl?: string;
  staff?: StaffSignInSettings;
}

/** Cookie parsing (no signing: the value is a random token looked up by its hash) and the cookie settings. */
export async function registerStaffCookies(app: FastifyInstance, options: AppOptions): Promise<void> {
  await app.register(cookie);
  const staff = options.staff ?? defaultStaffSignInSettings;
  app.decorate('staffCookies', { secure: staff.cookieSecure, publicUrl: options.publicUrl });
}

const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;
const role = { type: 'string', enum: staffRoles } as const;
const id = { type: 'string', minLength: 1, maxLength: 100 } as const;
const idParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id } } as const;
const password = { type: 'string', minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH } as const;
const cookieSecurity = [{ staffSession: [] }];
const eitherSecurity: Array<Record<string, string[]>> = [{ bearer: [] }, { staffSession: [] }];
const problem = (description: string) => ({ description, $ref: 'Problem#' }) as const;

const sessionSchema = {
  $id: 'StaffSession',
  type: 'object',
  properties: {
    session: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        kind: { type: 'string', enum: ['account', 'device'] },
        restaurantId: { type: 'string' },
        role,
        accountId: { type: ['string', 'null'] },
        deviceId: { type: ['string', 'null'] },
        name: { type: ['string', 'null'], description: "The account's name or the device's label" },
        login: { type: ['string', 'null'] },
        expiresAt: { ...timestamp, description: 'Absolute end of the session' },
        idleExpiresAt: { ...timestamp, description: 'When it ends unless used before' },
      },
    },
    csrfToken: { type: 'string', description: 'Send it in X-CSRF-Token with every state-changing request made with the cookie' },
  },
} as const;

const accountSchema = {
  $id: 'StaffAccount',
  type: 'object',
  properties: {
    id: { type: 'string' },
    restaurantId: { type: 'string' },
    name: { type: 'string' },
    login: { type: 'string' },
    role,
    hasPassword: { type: 'boolean' },
    createdAt: timestamp,
    updatedAt: timestamp,
    lastSignInAt: nullableTimestamp,
    disabledAt: nullableTimestamp,
  },
} as const;

const deviceSchema = {
  $id: 'StaffDevice',
  type: 'object',
  properties: {
    id: { type: 'string' },
    restaurantId: { type: 'string' },
    role,
    label: { type: ['string', 'null'] },
    state: { type: 'string', enum: ['pending', 'expired', 'paired', 'revoked'] },
    createdAt: timestamp,
    createdBy: { type: ['string', 'null'] },
    pairingExpiresAt: timestamp,
    pairedAt: nullableTimestamp,
    lastSeenAt: nullableTimestamp,
    revokedAt: nullableTimestamp,
  },
} as const;

/** An admin signed in with their account may not lock themselves out of it. */
function refuseSelf(staff: StaffPrincipal, accountId: string, what: string): void {
  if (staff.via === 'account' && staff.tokenId === accountId) {
    throw new AppError('CONFLICT', `You cannot ${what} your own account; ask another admin.`);
  }
}

function sessionBody(info: StaffSessionInfo, token: string) {
  const { sessionId, ...rest } = info;
  return { session: { id: sessionId, ...rest }, csrfToken: csrfTokenOf(token) };
}

async function signedIn(db: Database, request: FastifyRequest, reply: FastifyReply, created: NewSession) {
  // The browser's previous session (if any) ends: its cookie is being replaced.
  const previous = sessionCookie(request);
  const info = previous ? await sessionOf(db, previous) : undefined;
  if (info) await revokeSession(db, info.sessionId);
  setSessionCookie(request, reply, created.token, created.info.expiresAt);
  return reply.header('cache-control', 'no-store').send(sessionBody(created.info, created.token));
}

export function staffSignInRoutes(app: FastifyInstance, options: AppOptions): void {
  app.addSchema(sessionSchema);
  app.addSchema(accountSchema);
  app.addSchema(deviceSchema);
  const db = options.db;
  const staff = options.staff ?? defaultStaffSignInSettings;
  const lifetimes = staff.lifetimes;
  const throttle = new SignInThrottle(db, options.secret, staff.limits);
  const signInResponses = {
    200: { description: 'Signed in: the session cookie is set', $ref: 'StaffSession#' },
    400: problem('VALIDATION_FAILED'),
    403: problem('CSRF_FAILED (sent from another site)'),
    429: problem('RATE_LIMITED (per address or name) or SIGN_IN_LOCKED; see Retry-After'),
  };

  app.post<{ Body: { login: string; password: string } }>(
    '/api/staff/sign-in',
    {
      schema: {
        summary: 'Sign a person in with their name and password; sets the staff session cookie',
        description:
          'Unknown names, wrong passwords and disabled accounts get the same 401 INVALID_CREDENTIALS after the same work. ' +
          'Limited per client address and per name; consecutive failures lock the name for a while (429 SIGN_IN_LOCKED).',
        tags: ['staff sign-in'],
        body: {
          type: 'object',
          required: ['login', 'password'],
          additionalProperties: false,
          properties: { login: { type: 'string', minLength: 1, maxLength: 254 }, password: { type: 'string', minLength: 1, maxLength: PASSWORD_MAX_LENGTH } },
        },
        response: { ...signInResponses, 401: problem('INVALID_CREDENTIALS') },
      },
    },
    async (request, reply) => {
      assertSameSite(request);
      return signedIn(db, request, reply, await signInWithPassword(db, throttle, lifetimes, { ...request.body, ip: request.ip }));
    },
  );

  app.post<{ Body: { token: string } }>(
    '/api/staff/sign-in/link',
    {
      schema: {
        summary: 'Sign a person in with a one-time sign-in token (from `npm start` or an admin); sets the cookie',
        tags: ['staff sign-in'],
        body: { type: 'object', required: ['token'], additionalProperties: false, properties: { token: { type: 'string', minLength: 1, maxLength: 200 } } },
        response: { ...signInResponses, 401: problem('TOKEN_INVALID (unknown, used or expired)') },
      },
    },
    async (request, reply) => {
      assertSameSite(request);
      return signedIn(db, request, reply, await signInWithToken(db, throttle, lifetimes, { token: request.body.token, ip: request.ip }));
    },
  );

  app.post<{ Body: { code: string } }>(
    '/api/staff/pair',
    {
      schema: {
        summary: "Pair this device with an admin's one-time code; it stays signed in for the code's role",
        tags: ['staff sign-in'],
        body: { type: 'object', required: ['code'], additionalProperties: false, properties: { code: { type: 'string', minLength: 1, maxLength: 40 } } },
        response: { ...signInResponses, 401: problem('PAIRING_CODE_INVALID (wrong, used or expired)') },
      },
    },
    async (request, reply) => {
      assertSameSite(request);
      return signedIn(db, request, reply, await signInWithPairingCode(db, throttle, lifetimes, { code: request.body.code, ip: request.ip }));
    },
  );

  /** The live session of the request's cookie, or 401. */
  async function liveSession(request: FastifyRequest): Promise<{ token: string; info: StaffSessionInfo }> {
    const token = sessionCookie(request);
    const info = token ? await sessionOf(db, token) : undefined;
    if (!token || !info) throw new AppError('UNAUTHENTICATED', 'No staff session: sign in (or pair this device) first.');
    return { token, info };
  }

  app.get(
    '/api/staff/session',
    {
      schema: {
        summary: "The signed-in account's or device's session and its CSRF token (for pages)",
        tags: ['staff sign-in'],
        security: cookieSecurity,
        response: { 200: { $ref: 'StaffSession#' }, 401: problem('UNAUTHENTICATED (no live session)') },
      },
    },
    async (request, reply) => {
      const { token, info } = await liveSession(request);
      return reply.header('cache-control', 'no-store').send(sessionBody(info, token));
    },
  );

  app.post(
    '/api/staff/sign-out',
    {
      schema: {
        summary: 'End this session (it stops working on every instance at once) and clear the cookie',
        tags: ['staff sign-in'],
        security: cookieSecurity,
        response: { 204: { type: 'null', description: 'Signed out (also when the session had ended already)' }, 403: problem('CSRF_FAILED') },
      },
    },
    async (request, reply) => {
      const token = sessionCookie(request);
      const info = token ? await sessionOf(db, token) : undefined;
      if (token && info) {
        assertCsrf(request, token);
        await revokeSession(db, info.sessionId);
      }
      clearSessionCookie(request, reply);
      return reply.code(204).send();
    },
  );

  app.post<{ Body: { currentPassword?: string; newPassword: string } }>(
    '/api/staff/session/password',
    {
      schema: {
        summary: "Set or change the signed-in person's password; their other sessions end",
        description: 'currentPassword is required once the account has a password (an account signed in with a one-time link may have none yet).',
        tags: ['staff sign-in'],
        security: cookieSecurity,
        body: {
          type: 'object',
          required: ['newPassword'],
          additionalProperties: false,
          properties: { currentPassword: { type: 'string', minLength: 1, maxLength: PASSWORD_MAX_LENGTH }, newPassword: password },
        },
        response: {
          204: { type: 'null', description: 'Changed' },
          400: problem('VALIDATION_FAILED (e.g. a new password shorter than 12 characters)'),
          401: problem('UNAUTHENTICATED or INVALID_CREDENTIALS (wrong or missing current password)'),
          403: problem('CSRF_FAILED, or FORBIDDEN for a device'),
        },
      },
    },
    async (request, reply) => {
      const { token, info } = await liveSession(request);
      assertCsrf(request, token);
      if (info.kind !== 'account' || !info.accountId) throw new AppError('FORBIDDEN', 'A device has no password.');
      await throttle.attemptFrom(request.ip);
      const { rows } = await db.query<{ hash: string | null }>('SELECT password_hash AS hash FROM restaurante.staff_accounts WHERE id = $1', [info.accountId]);
      const current = rows[0]?.hash ?? null;
      if (current !== null && !(await verifyPassword(request.body.currentPassword ?? '', current))) {
        throw new AppError('INVALID_CREDENTIALS', 'The current password is wrong.');
      }
      await setPassword(db, info.accountId, { password: request.body.newPassword, keepSessionId: info.sessionId });
      return reply.code(204).send();
    },
  );

  // -------------------------------------------------------------------------------------------
  // Admins: accounts and devices of their own restaurant (bearer token or session cookie)
  // -------------------------------------------------------------------------------------------
  const admin = requireStaff(db, ...permissions['staff.manage']);
  const tags = ['staff admin'];
  const accountResponse = { type: 'object', properties: { account: { $ref: 'StaffAccount#' } } } as const;
  const notFound = problem('NOT_FOUND (not in this restaurant)');

  app.get(
    '/api/staff/accounts',
    {
      preHandler: admin,
      schema: {
        summary: "The restaurant's staff accounts (never a password or its hash)",
        tags,
        security: eitherSecurity,
        response: { 200: { type: 'object', properties: { accounts: { type: 'array', items: { $ref: 'StaffAccount#' } } } }, ...authProblems },
      },
    },
    async (request) => ({ accounts: await listAccounts(db, staffOf(request).restaurantId) }),
  );

  app.post<{ Body: { name: string; login: string; role: StaffRole; password?: string } }>(
    '/api/staff/accounts',
    {
      preHandler: admin,
      schema: {
        summary: 'Create a staff account; without a password one is generated and returned once',
        tags,
        security: eitherSecurity,
        body: {
          type: 'object',
          required: ['name', 'login', 'role'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' },
            login: { type: 'string', pattern: LOGIN_PATTERN, description: 'An e-mail address or a user name; case-insensitive, unique within the restaurant' },
            role,
            password,
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              account: { $ref: 'StaffAccount#' },
              password: { type: 'string', description: 'Only when generated: shown this once, stored only as a hash' },
            },
          },
          400: problem('VALIDATION_FAILED'),
          ...authProblems,
          409: problem('CONFLICT (the sign-in name is taken)'),
        },
      },
    },
    async (request, reply) => {
      const created = await createAccount(db, { ...request.body, restaurantId: staffOf(request).restaurantId });
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ account: created.account, ...(created.generated ? { password: created.password } : {}) });
    },
  );

  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    app.post<{ Params: { id: string } }>(
      `/api/staff/accounts/:id/${action}`,
      {
        preHandler: admin,
        schema: {
          summary: disabled ? 'Disable an account: its sessions end at once, on every instance' : 'Enable a disabled account',
          tags,
          security: eitherSecurity,
          params: idParams,
          response: { 200: accountResponse, ...authProblems, 404: notFound },
        },
      },
      async (request) => {
        const staff = staffOf(request);
        if (disabled) refuseSelf(staff, request.params.id, 'disable');
        return { account: await setAccountDisabled(db, request.params.id, disabled, staff.restaurantId) };
      },
    );
  }

  app.patch<{ Params: { id: string }; Body: { name?: string; role?: StaffRole } }>(
    '/api/staff/accounts/:id',
    {
      preHandler: admin,
      schema: {
        summary: "Change an account's name or role (the role applies at its next request)",
        tags,
        security: eitherSecurity,
        params: idParams,
        body: {
          type: 'object',
          minProperties: 1,
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' }, role },
        },
        response: { 200: accountResponse, 400: problem('VALIDATION_FAILED'), ...authProblems, 404: notFound, 409: problem('CONFLICT (changing one\'s own role)') },
      },
    },
    async (request) => {
      const staff = staffOf(request);
      if (request.body.role !== undefined && request.body.role !== staff.role) refuseSelf(staff, request.params.id, 'change the role of');
      return { account: await updateAccount(db, request.params.id, request.body, staff.restaurantId) };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/staff/accounts/:id/reset-password',
    {
      preHandler: admin,
      schema: {
        summary: "Give an account a new generated password (returned once); its sessions end and its lockout is lifted",
        tags,
        security: eitherSecurity,
        params: idParams,
        response: { 200: { type: 'object', properties: { account: { $ref: 'StaffAccount#' }, password: { type: 'string' } } }, ...authProblems, 404: notFound },
      },
    },
    async (request, reply) => {
      const { account, password: generated } = await setPassword(db, request.params.id, { restaurantId: staffOf(request).restaurantId });
      await throttle.clear(account.login);
      return reply.header('cache-control', 'no-store').send({ account, password: generated });
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/staff/accounts/:id/sign-in-link',
    {
      preHandler: admin,
      schema: {
        summary: 'A one-time sign-in token for an account (valid 1 hour, used once), returned once',
        tags,
        security: eitherSecurity,
        params: idParams,
        response: {
          201: { type: 'object', properties: { accountId: { type: 'string' }, token: { type: 'string' }, expiresAt: timestamp } },
          ...authProblems,
          404: notFound,
          409: problem('CONFLICT (the account is disabled)'),
        },
      },
    },
    async (request, reply) => {
      const issued = await issueSignInToken(db, request.params.id, staffOf(request).restaurantId);
      return reply.code(201).header('cache-control', 'no-store').send({ accountId: issued.account.id, token: issued.token, expiresAt: issued.expiresAt });
    },
  );

  app.get(
    '/api/staff/devices',
    {
      preHandler: admin,
      schema: {
        summary: "The restaurant's devices: pending codes, paired, revoked (never a code)",
        tags,
        security: eitherSecurity,
        response: { 200: { type: 'object', properties: { devices: { type: 'array', items: { $ref: 'StaffDevice#' } } } }, ...authProblems },
      },
    },
    async (request) => ({ devices: await listDevices(db, staffOf(request).restaurantId) }),
  );

  app.post<{ Body: { role: StaffRole; label?: string } }>(
    '/api/staff/devices',
    {
      preHandler: admin,
      schema: {
        summary: 'Issue a pairing code for a device (valid 10 minutes, used once), returned once',
        tags,
        security: eitherSecurity,
        body: {
          type: 'object',
          required: ['role'],
          additionalProperties: false,
          properties: { role, label: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' } },
        },
        response: {
          201: { type: 'object', properties: { device: { $ref: 'StaffDevice#' }, code: { type: 'string' }, expiresAt: timestamp } },
          400: problem('VALIDATION_FAILED'),
          ...authProblems,
        },
      },
    },
    async (request, reply) => {
      const staff = staffOf(request);
      const { code, device } = await issuePairingCode(db, {
        restaurantId: staff.restaurantId,
        role: request.body.role,
        label: request.body.label,
        createdBy: `${staff.via ?? 'token'}:${staff.tokenId}`,
      });
      return reply.code(201).header('cache-control', 'no-store').send({ device, code, expiresAt: device.pairingExpiresAt });
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/staff/devices/:id/revoke',
    {
      preHandler: admin,
      schema: {
        summary: 'Revoke a device (or its unused code): it is signed out at its next request, on every instance',
        tags,
        security: eitherSecurity,
        params: idParams,
        response: { 200: { type: 'object', properties: { device: { $ref: 'StaffDevice#' } } }, ...authProblems, 404: notFound },
      },
    },
    async (request) => ({ device: await revokeDevice(db, request.params.id, staffOf(request).restaurantId) }),
  );
}
