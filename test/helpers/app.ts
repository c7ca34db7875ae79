// A Comanda HTTP app over the file's own test database, with the demo restaurant seeded and a
// staff token per role; helpers for guests (scan a table's QR code → session token).
import type { FastifyInstance } from 'fastify';
import { afterAll } from 'vitest';
import type { OrderingSettings } from '../../src/config.js';
import { createStaffToken, type StaffRole } from '../../src/core/auth/staff-tokens.js';
import type { Database } from '../../src/core/db/database.js';
import { loadMigrations } from '../../src/core/migrations/runner.js';
import { qrCodeOf, tableOf } from '../../src/core/ordering/table-sessions.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../../src/core/seed.js';
import { build, defaultOrderingSettings } from '../../src/http/app.js';
import { useTestDatabase } from './db.js';

export const TEST_SECRET = 'comanda-test-secret-0123456789abcdef0123';

export interface TestApp {
  app: FastifyInstance;
  db: Database;
  url: string;
  /** A fresh staff token of the demo restaurant for each role. */
  staff: Record<StaffRole, string>;
  /** Scans the table's QR code and returns the guest session token. */
  guest(tableId: string): Promise<string>;
  auth(token: string): { authorization: string };
}

export interface TestAppOptions {
  ordering?: Partial<Omit<OrderingSettings, 'rateLimits' | 'bookings'>> & {
    rateLimits?: Partial<OrderingSettings['rateLimits']>;
    bookings?: Partial<OrderingSettings['bookings']>;
  };
  poolSize?: number;
  trustProxy?: false | number | string[];
  /** Capture the service's log lines (at info level) instead of silencing them. */
  logStream?: NodeJS.WritableStream;
}

export async function useTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const { db, url } = await useTestDatabase({ poolSize: options.poolSize ?? 20 });
  await seedDemo(db);
  const staff = {} as Record<StaffRole, string>;
  for (const role of ['admin', 'kitchen', 'waiter'] as const) {
    staff[role] = (await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role })).token;
  }
  const app = await build({
    db,
    secret: TEST_SECRET,
    expectedMigrations: (await loadMigrations()).map((m) => m.version),
    logLevel: options.logStream ? 'info' : 'silent',
    logStream: options.logStream,
    trustProxy: options.trustProxy,
    ordering: {
      ...defaultOrderingSettings,
      ...options.ordering,
      rateLimits: { ...defaultOrderingSettings.rateLimits, qrScansPerMinute: 10_000, ordersPerMinute: 10_000, ordersPerIpPerMinute: 10_000, ...options.ordering?.rateLimits },
      bookings: { ...defaultOrderingSettings.bookings, perIpPerHour: 10_000, perEmailPerHour: 10_000, maxHoldsPerEmail: 1_000, maxHoldsPerIp: 1_000, ...options.ordering?.bookings },
    },
  });
  afterAll(async () => {
    await app.close();
  });
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  return {
    app,
    db,
    url,
    staff,
    auth,
    async guest(tableId: string) {
      const table = await tableOf(db, DEMO_RESTAURANT_ID, tableId);
      const res = await app.inject({ method: 'POST', url: '/api/qr/scan', payload: { code: qrCodeOf(TEST_SECRET, table) } });
      if (res.statusCode !== 201) throw new Error(`scan failed: ${res.statusCode} ${res.body}`);
      const scanned = res.json<{ sessionToken: string; pending: boolean }>();
      if (scanned.pending) {
        // A phone joining an open session waits to be let in: the staff let it in here.
        const me = await app.inject({ url: '/api/table-session', headers: auth(scanned.sessionToken) });
        const phoneId = me.json<{ me: { id: string } }>().me.id;
        const approved = await app.inject({ method: 'POST', url: `/api/table-session/phones/${phoneId}/approve`, headers: auth(staff.waiter) });
        if (approved.statusCode !== 200) throw new Error(`approval failed: ${approved.statusCode} ${approved.body}`);
      }
      return scanned.sessionToken;
    },
  };
}
