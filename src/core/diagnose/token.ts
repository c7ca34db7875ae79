// `comanda diagnose token <reservation>`: why a guest's view / confirm / cancel link fails (the
// spec's "Failed to create reservation token"). The spec's query selects a `token`
// column and its fix inserts a raw token; here only the token's SHA-256 hash is stored (the
// `token` column is a short fingerprint of the hash), so the diagnosis reports each token's state
// — live, used, expired — which e-mail carried which token, and, when it is given the server
// secret, whether the stored hashes match links built from it (a changed COMANDA_SECRET breaks
// every link). It never prints a token, a hash or the secret.
import { hashToken } from '../auth/tokens.js';
import type { Database } from '../db/database.js';
import { reservationTokenFor } from '../reservations/tokens.js';
import { diagnose, LookupError, plural, type Diagnosis, type Finding } from './diagnosis.js';
import { emailFinding } from './reservation.js';

const LIVE = ['PENDING', 'CONFIRMED', 'SEATED'];

export interface TokenDiagnoseOptions {
  /** The service's COMANDA_SECRET, to check that stored hashes match links built from it. */
  secret?: string;
}

export async function diagnoseToken(db: Database, reservationId: string, options: TokenDiagnoseOptions = {}): Promise<Diagnosis> {
  return diagnose(db, async (tx) => {
    const { rows: res } = await tx.query<{ id: string; status: string; time: string }>(
      `SELECT r.id, r.status::text AS status, restaurante.local_iso(r.time, rest.timezone) AS time
         FROM restaurante.reservations r JOIN restaurante.restaurants rest ON rest.id = r."restaurantId" WHERE r.id = $1`,
      [reservationId],
    );
    const r = res[0];
    if (!r) throw new LookupError(`no reservation "${reservationId}"`);
    const live = LIVE.includes(r.status);
    const findings: Finding[] = [];

    const { rows: tokens } = await tx.query<{ id: string; fingerprint: string; hash: string; createdAt: Date; expiresAt: Date; isUsed: boolean; usedAt: Date | null; expired: boolean; emails: string[] }>(
      `SELECT t.id, t.token AS fingerprint, t.token_hash AS hash, t."createdAt", t."expiresAt", t."isUsed", t."usedAt", t."expiresAt" <= now() AS expired,
              ARRAY(SELECT e.email_type || ':' || e.status FROM restaurante.email_logs e
                     WHERE e.reservation_id = t."reservationId" AND e.payload->>'tokenId' = t.id ORDER BY e.created_at) AS emails
         FROM restaurante.reservation_tokens t WHERE t."reservationId" = $1 ORDER BY t."createdAt" DESC, t.id`,
      [reservationId],
    );
    const rows = tokens.map((t) => {
      const state = t.expired ? 'expired' : t.isUsed ? 'used' : 'live';
      // A link is `cmd_res_<id>.<HMAC(secret, id)>`; if the hash stored for it is not the hash of
      // the link the secret builds, every use answers TOKEN_INVALID.
      const secretMatches = options.secret === undefined ? null : hashToken(reservationTokenFor(options.secret, t.id)) === t.hash;
      const works = {
        view: !t.expired && secretMatches !== false,
        confirmOrCancel: !t.expired && !t.isUsed && secretMatches !== false && live,
      };
      const why = [
        t.expired ? `expired ${t.expiresAt.toISOString()}: TOKEN_EXPIRED` : '',
        t.isUsed ? `used ${t.usedAt?.toISOString() ?? ''} to confirm or cancel: confirm/cancel answer TOKEN_USED (viewing still works until expiry)` : '',
        secretMatches === false ? 'was issued under another COMANDA_SECRET: TOKEN_INVALID' : '',
        !live && !t.expired && !t.isUsed ? `the booking is ${r.status}: confirm/cancel answer INVALID_TRANSITION` : '',
      ].filter(Boolean);
      return { tokenId: t.id, fingerprint: t.fingerprint, state, createdAt: t.createdAt, expiresAt: t.expiresAt, usedAt: t.usedAt, secretMatches, works, sentIn: t.emails, why: why.join('; ') || 'works' };
    });
    const working = rows.filter((t) => t.works.view);
    const mismatched = rows.filter((t) => t.secretMatches === false);
    const problems: string[] = [];
    if (rows.length === 0) problems.push('the reservation has no link token at all');
    else if (working.length === 0) problems.push(`none of its ${plural(rows.length, 'token')} works (${[...new Set(rows.map((t) => t.state))].join(', ')})`);
    if (mismatched.length) problems.push(`${plural(mismatched.length, 'token')} do not match the server secret given`);
    const latest = rows[0];
    findings.push({
      name: 'tokens',
      status: mismatched.length || rows.length === 0 ? 'critical' : working.length === 0 ? 'warning' : 'ok',
      summary: problems.length
        ? problems.join('; ')
        : `${plural(working.length, 'working link')} of ${rows.length}; the newest (${latest!.tokenId}) is ${latest!.state} until ${latest!.expiresAt.toISOString()}${options.secret === undefined ? ' (secret not checked: COMANDA_SECRET not available)' : ', and matches the server secret'}`,
      rows,
      advice: mismatched.length
        ? 'the service now runs with another COMANDA_SECRET than the one these links were made with: restore the old secret on every instance, or issue new links (comanda reservation token ID) and e-mail them'
        : `issue a fresh link for the guest: comanda reservation token ${reservationId} (or POST /api/admin/reservations/${reservationId}/token); never insert a raw token as the spec's fix does — only hashes are stored`,
    });

    findings.push({
      name: 'reservation',
      status: live ? 'ok' : 'warning',
      summary: `${r.status} at ${r.time}${live ? '' : ': a link still shows it, but confirm and cancel answer INVALID_TRANSITION'}`,
      rows: [{ id: r.id, status: r.status, time: r.time }],
      advice: 'nothing to fix in the link: the booking itself is over; make a new booking if the guest still wants one',
    });

    const emails = await emailFinding(tx, reservationId, live);
    const payloadless = (emails.rows as Array<{ tokenId: string | null; type: string }>).filter((e) => e.type !== 'reservation_cancellation' && e.tokenId === null);
    if (payloadless.length) {
      emails.status = emails.status === 'ok' ? 'warning' : emails.status;
      emails.summary += `; ${plural(payloadless.length, 'e-mail')} carry no token id (erased, or queued by hand), so their link cannot be rebuilt`;
    }
    findings.push(emails);
    return { subject: `link tokens of reservation ${reservationId}`, findings };
  });
}
