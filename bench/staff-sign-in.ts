// npm run bench:staff-sign-in [-- --sessions N] [-- --lookups N]
//
// What staff sign-in costs: one scrypt hash at the stored parameters (the price of every password
// sign-in, and of the decoy for unknown names), and the per-request session lookup (one statement:
// the token_hash index probe joined to its account or device) against a table of N sessions,
// next to the bearer-token lookup it sits beside. Creates a database on DATABASE_URL's server
// (else postgres://postgres@127.0.0.1:5432/postgres), migrates and seeds it, and drops it at the end.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { hashPassword, passwordParams } from '../src/core/auth/passwords.js';
import { createAccount } from '../src/core/auth/staff-accounts.js';
import { sessionOf } from '../src/core/auth/staff-sessions.js';
import { authenticateStaff, createStaffToken } from '../src/core/auth/staff-tokens.js';
import { hashToken, newRestaurantToken } from '../src/core/auth/tokens.js';
import { Database, ident } from '../src/core/db/database.js';
import { MigrationRunner } from '../src/core/migrations/runner.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const SESSIONS = flag('--sessions', 100_000);
const LOOKUPS = flag('--lookups', 2_000);
const HASHES = 5;

const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `comanda_bench_staff_${randomBytes(3).toString('hex')}`;
const url = new URL(adminUrl);
url.pathname = `/${name}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${ident(name)}`);
const db = new Database({ connectionString: url.toString(), poolSize: 4, applicationName: 'comanda-bench-staff' });

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
function summary(label: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  process.stdout.write(
    `${label.padEnd(34)} n=${String(samples.length).padStart(5)}  p50 ${percentile(sorted, 50).toFixed(2).padStart(7)} ms  p99 ${percentile(sorted, 99).toFixed(2).padStart(7)} ms\n`,
  );
}
async function timed(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return samples;
}

let exitCode = 0;
try {
  await new MigrationRunner({ connectionString: url.toString() }).up();
  await seedDemo(db);
  const { log2N, r, p } = passwordParams;
  summary(`scrypt hash (N=2^${log2N}, r=${r}, p=${p})`, await timed(HASHES, () => hashPassword('a password to hash')));

  // N sessions of one account, in bulk; the ones looked up are real tokens.
  const { account } = await createAccount(db, { restaurantId: DEMO_RESTAURANT_ID, name: 'Bench', login: 'bench@example.test', role: 'waiter', password: 'bench password 1' });
  await db.query(
    `INSERT INTO restaurante.staff_sessions (id, "restaurantId", "accountId", token_hash, idle_timeout, "expiresAt")
     SELECT 'ses_bench_' || g, $1, $2, encode(sha256(('bench' || g)::bytea), 'hex'), interval '8 hours', now() + interval '7 days'
       FROM generate_series(1, $3) g`,
    [DEMO_RESTAURANT_ID, account.id, SESSIONS],
  );
  const tokens = Array.from({ length: 100 }, () => newRestaurantToken('staffsession', DEMO_RESTAURANT_ID));
  for (const [i, token] of tokens.entries()) {
    await db.query(
      `INSERT INTO restaurante.staff_sessions (id, "restaurantId", "accountId", token_hash, idle_timeout, "expiresAt")
       VALUES ($1, $2, $3, $4, interval '8 hours', now() + interval '7 days')`,
      [`ses_live_${i}`, DEMO_RESTAURANT_ID, account.id, hashToken(token)],
    );
  }
  await db.query('ANALYZE restaurante.staff_sessions');
  const staffToken = (await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'waiter' })).token;

  let i = 0;
  for (let round = 0; round < 50; round++) await sessionOf(db, tokens[round % tokens.length]!); // warm
  summary(`session lookup (${SESSIONS.toLocaleString('en')} sessions)`, await timed(LOOKUPS, () => sessionOf(db, tokens[i++ % tokens.length]!)));
  summary('bearer staff-token lookup', await timed(LOOKUPS, () => authenticateStaff(db, staffToken)));
  summary('unknown session token', await timed(LOOKUPS, () => sessionOf(db, newRestaurantToken('staffsession', DEMO_RESTAURANT_ID))));
} catch (err) {
  exitCode = 1;
  process.stderr.write(`bench:staff-sign-in failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
} finally {
  await db.close();
  await admin.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
  await admin.end();
}
process.exit(exitCode);
