// Reservation link tokens: `cmd_res_<id>.<mac>`, the MAC an HMAC of the token id under the server
// secret. Only the token's SHA-256 hash is stored (with its id), so a copy of the database cannot
// produce a working link, while the e-mail worker can rebuild a link from the id after a crash.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { hashToken } from '../auth/tokens.js';
import type { Tx } from '../db/database.js';
import { AppError } from '../errors.js';

const PREFIX = 'cmd_res_';

export function reservationTokenFor(secret: string, tokenId: string): string {
  const mac = createHmac('sha256', secret).update(`comanda:reservation-token:v1:${tokenId}`).digest('base64url');
  return `${PREFIX}${tokenId}.${mac}`;
}

/** Issues a new link token for a reservation; earlier unused ones keep working until they expire. */
export async function issueReservationToken(
  tx: Tx,
  secret: string,
  reservation: { id: string; restaurantId: string },
  ttlDays: number,
): Promise<{ tokenId: string; token: string; expiresAt: Date }> {
  const tokenId = randomBytes(12).toString('base64url');
  const token = reservationTokenFor(secret, tokenId);
  const { rows } = await tx.query<{ expiresAt: Date }>(
    `INSERT INTO restaurante.reservation_tokens (id, "restaurantId", "reservationId", token_hash, "expiresAt")
     VALUES ($1, $2, $3, $4, now() + make_interval(days => $5)) RETURNING "expiresAt"`,
    [tokenId, reservation.restaurantId, reservation.id, hashToken(token), ttlDays],
  );
  return { tokenId, token, expiresAt: rows[0]!.expiresAt };
}

export interface TokenRow {
  id: string;
  restaurantId: string;
  reservationId: string;
  expiresAt: Date;
  isUsed: boolean;
}

/**
 * The token's row, locked when `forUpdate`. Malformed, forged or unknown → TOKEN_INVALID; past
 * its expiry → TOKEN_EXPIRED; already used when `unused` is asked for → TOKEN_USED.
 */
export async function lookUpReservationToken(
  tx: Tx,
  secret: string,
  token: string,
  options: { forUpdate?: boolean; unused?: boolean } = {},
): Promise<TokenRow> {
  const match = /^cmd_res_([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) throw new AppError('TOKEN_INVALID');
  const expected = Buffer.from(reservationTokenFor(secret, match[1]!));
  const given = Buffer.from(token);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new AppError('TOKEN_INVALID');
  const { rows } = await tx.query<TokenRow & { expired: boolean }>(
    `SELECT id, "restaurantId", "reservationId", "expiresAt", "isUsed", "expiresAt" <= now() AS expired
       FROM restaurante.reservation_tokens WHERE id = $1 AND token_hash = $2${options.forUpdate ? ' FOR UPDATE' : ''}`,
    [match[1], hashToken(token)],
  );
  const row = rows[0];
  if (!row) throw new AppError('TOKEN_INVALID');
  if (row.expired) throw new AppError('TOKEN_EXPIRED');
  if (options.unused && row.isUsed) throw new AppError('TOKEN_USED');
  return row;
}

export async function markTokenUsed(tx: Tx, tokenId: string): Promise<void> {
  await tx.query('UPDATE restaurante.reservation_tokens SET "isUsed" = true, "usedAt" = now() WHERE id = $1', [tokenId]);
}
