// Staff accounts: people who sign in with a name (an e-mail address or a user name) and a
// password, with a role for one restaurant. Admins create them (CLI or HTTP); a password is
// chosen by the admin or generated and shown once; it is stored only as a scrypt hash.
import type { Database, Queryable } from '../db/database.js';
import { AppError } from '../errors.js';
import { generatePassword, hashPassword } from './passwords.js';
import type { StaffRole } from './staff-tokens.js';
import { hashToken, newId, newRestaurantToken } from './tokens.js';

export interface StaffAccount {
  id: string;
  restaurantId: string;
  name: string;
  login: string;
  role: StaffRole;
  hasPassword: boolean;
  createdAt: Date;
  updatedAt: Date;
  lastSignInAt: Date | null;
  disabledAt: Date | null;
}

const COLUMNS = `id, "restaurantId", name, login, role, password_hash IS NOT NULL AS "hasPassword",
                 "createdAt", "updatedAt", "lastSignInAt", "disabledAt"`;

export const LOGIN_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@+-]{2,253}$';

/** Sign-in names are compared case-insensitively: stored and looked up case-folded. */
export function normalizeLogin(login: string): string {
  return login.trim().toLowerCase();
}

/** A sign-in name as the schema accepts it, or VALIDATION_FAILED. */
export function validLogin(login: string): string {
  const normalized = normalizeLogin(login);
  if (!new RegExp(LOGIN_PATTERN).test(normalized)) {
    throw new AppError('VALIDATION_FAILED', 'The sign-in name must be 3–254 characters: letters, digits and . _ @ + - (an e-mail address or a user name).');
  }
  return normalized;
}

export async function createAccount(
  db: Database,
  input: { restaurantId: string; name: string; login: string; role: StaffRole; password?: string },
): Promise<{ account: StaffAccount; password: string; generated: boolean }> {
  const login = validLogin(input.login);
  const password = input.password ?? generatePassword();
  const passwordHash = await hashPassword(password);
  try {
    const { rows } = await db.query<StaffAccount>(
      `INSERT INTO restaurante.staff_accounts (id, "restaurantId", name, login, role, password_hash)
       SELECT $1, r.id, $3, $4, $5, $6 FROM restaurante.restaurants r WHERE r.id = $2
       RETURNING ${COLUMNS}`,
      [newId('acc'), input.restaurantId, input.name.trim(), login, input.role, passwordHash],
    );
    const account = rows[0];
    if (!account) throw new AppError('NOT_FOUND', `No restaurant with id ${input.restaurantId}.`);
    return { account, password, generated: input.password === undefined };
  } catch (err) {
    if (err instanceof AppError && err.code === 'CONFLICT') {
      throw new AppError('CONFLICT', 'An account with this sign-in name exists already in this restaurant.', { extra: { field: 'login' } });
    }
    throw err;
  }
}

export async function listAccounts(db: Queryable, restaurantId?: string): Promise<StaffAccount[]> {
  const { rows } = await db.query<StaffAccount>(
    `SELECT ${COLUMNS} FROM restaurante.staff_accounts
      WHERE $1::text IS NULL OR "restaurantId" = $1 ORDER BY "createdAt", id`,
    [restaurantId ?? null],
  );
  return rows;
}

/** An account by id, within `restaurantId` when given (an admin sees only their restaurant's). */
export async function getAccount(db: Queryable, id: string, restaurantId?: string): Promise<StaffAccount> {
  const { rows } = await db.query<StaffAccount>(
    `SELECT ${COLUMNS} FROM restaurante.staff_accounts WHERE id = $1 AND ($2::text IS NULL OR "restaurantId" = $2)`,
    [id, restaurantId ?? null],
  );
  const account = rows[0];
  if (!account) throw new AppError('NOT_FOUND', `No staff account with id ${id}.`);
  return account;
}

/**
 * Disables (or enables) an account. Disabling also revokes its sessions in the same transaction:
 * every instance refuses its cookie at the next request (sessions are looked up per request).
 */
export async function setAccountDisabled(db: Database, id: string, disabled: boolean, restaurantId?: string): Promise<StaffAccount> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<StaffAccount>(
      `UPDATE restaurante.staff_accounts
          SET "disabledAt" = CASE WHEN $2 THEN coalesce("disabledAt", now()) END, "updatedAt" = now()
        WHERE id = $1 AND ($3::text IS NULL OR "restaurantId" = $3)
        RETURNING ${COLUMNS}`,
      [id, disabled, restaurantId ?? null],
    );
    const account = rows[0];
    if (!account) throw new AppError('NOT_FOUND', `No staff account with id ${id}.`);
    if (disabled) await revokeAccountSessions(tx, id);
    return account;
  });
}

/** Changes an account's name or role; the new role applies at its sessions' next request. */
export async function updateAccount(db: Queryable, id: string, patch: { name?: string; role?: StaffRole }, restaurantId?: string): Promise<StaffAccount> {
  const { rows } = await db.query<StaffAccount>(
    `UPDATE restaurante.staff_accounts SET name = coalesce($2, name), role = coalesce($3, role), "updatedAt" = now()
      WHERE id = $1 AND ($4::text IS NULL OR "restaurantId" = $4)
      RETURNING ${COLUMNS}`,
    [id, patch.name?.trim() ?? null, patch.role ?? null, restaurantId ?? null],
  );
  if (!rows[0]) throw new AppError('NOT_FOUND', `No staff account with id ${id}.`);
  return rows[0];
}

export async function revokeAccountSessions(db: Queryable, accountId: string, exceptSessionId?: string): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE restaurante.staff_sessions SET "revokedAt" = now()
      WHERE "accountId" = $1 AND "revokedAt" IS NULL AND ($2::text IS NULL OR id <> $2)`,
    [accountId, exceptSessionId ?? null],
  );
  return rowCount ?? 0;
}

/**
 * Sets a new password (given, or generated and returned once) and signs the account out
 * everywhere (except `keepSessionId`: a person changing their own password stays signed in).
 */
export async function setPassword(
  db: Database,
  id: string,
  options: { password?: string; restaurantId?: string; keepSessionId?: string } = {},
): Promise<{ account: StaffAccount; password: string; generated: boolean }> {
  const password = options.password ?? generatePassword();
  const passwordHash = await hashPassword(password);
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<StaffAccount>(
      `UPDATE restaurante.staff_accounts SET password_hash = $2, "updatedAt" = now()
        WHERE id = $1 AND ($3::text IS NULL OR "restaurantId" = $3)
        RETURNING ${COLUMNS}`,
      [id, passwordHash, options.restaurantId ?? null],
    );
    const account = rows[0];
    if (!account) throw new AppError('NOT_FOUND', `No staff account with id ${id}.`);
    await revokeAccountSessions(tx, id, options.keepSessionId);
    return { account, password, generated: options.password === undefined };
  });
}

export const SIGN_IN_LINK_TTL_MINUTES = 60;

/** A one-time sign-in token for an account (valid an hour, used once), stored only as a hash. */
export async function issueSignInToken(
  db: Queryable,
  accountId: string,
  restaurantId?: string,
): Promise<{ token: string; account: StaffAccount; expiresAt: Date }> {
  const account = await getAccount(db, accountId, restaurantId);
  if (account.disabledAt) throw new AppError('CONFLICT', 'This account is disabled; enable it first.');
  const token = newRestaurantToken('signin', account.restaurantId);
  const { rows } = await db.query<{ expiresAt: Date }>(
    `INSERT INTO restaurante.staff_sign_in_tokens (id, "restaurantId", "accountId", token_hash, "expiresAt")
     VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5)) RETURNING "expiresAt"`,
    [newId('sit'), account.restaurantId, account.id, hashToken(token), SIGN_IN_LINK_TTL_MINUTES],
  );
  return { token, account, expiresAt: rows[0]!.expiresAt };
}

/**
 * The demo's first admin (`npm start`): the account `admin` of the demo restaurant, created with
 * no password where missing (then a one-time sign-in link is how its owner gets in). Undefined
 * when the restaurant does not exist (the demo was not seeded).
 */
export async function ensureFirstAdmin(db: Database, restaurantId: string): Promise<StaffAccount | undefined> {
  await db.query(
    `INSERT INTO restaurante.staff_accounts (id, "restaurantId", name, login, role)
     SELECT $1, r.id, 'Demo admin', 'admin', 'admin' FROM restaurante.restaurants r WHERE r.id = $2
     ON CONFLICT ("restaurantId", login) DO NOTHING`,
    [newId('acc'), restaurantId],
  );
  const { rows } = await db.query<StaffAccount>(`SELECT ${COLUMNS} FROM restaurante.staff_accounts WHERE login = 'admin' AND "restaurantId" = $1`, [restaurantId]);
  return rows[0];
}
