import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffToken, revokeStaffToken } from '../src/core/auth/staff-tokens.js';
import { Database } from '../src/core/db/database.js';
import { AppError } from '../src/core/errors.js';
import { loadMigrations } from '../src/core/migrations/runner.js';
import { DEMO_RESTAURANT_ID, seedDemo } from '../src/core/seed.js';
import { requireStaff } from '../src/http/auth.js';
import { build } from '../src/http/app.js';
import { redactUrl } from '../src/http/logging.js';
import { createDatabase, dropDatabase, useTestDatabase } from './helpers/db.js';
import { freePort } from '../src/embedded/postgres.js';

const { db } = await useTestDatabase();
const expected = (await loadMigrations()).map((m) => m.version);
const logs: string[] = [];
let app: FastifyInstance;

async function testApp(database: Database, versions = expected): Promise<FastifyInstance> {
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => logs.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  const instance = await build({ db: database, secret: 'test-secret-'.padEnd(40, 'x'), expectedMigrations: versions, logLevel: 'info', logStream: stream });
  // Routes only the tests need, to exercise the shared plumbing.
  instance.get('/test/admin-only', { preHandler: requireStaff(database, 'admin') }, () => ({ ok: true }));
  instance.post(
    '/test/echo',
    { schema: { body: { type: 'object', required: ['n'], additionalProperties: false, properties: { n: { type: 'integer', minimum: 1 } } } } },
    (request) => request.body,
  );
  instance.get('/test/conflict', async () => {
    await database.query("INSERT INTO restaurante.restaurants (id, name) VALUES ('rest_enigma_001', 'dup')");
    return {};
  });
  instance.get('/test/boom', () => {
    throw new Error('secret internals: password=hunter2');
  });
  instance.get('/test/not-found', () => {
    throw new AppError('NOT_FOUND', 'No order with that id.');
  });
  return instance;
}

beforeAll(async () => {
  await seedDemo(db);
  app = await testApp(db);
});
afterAll(async () => {
  await app.close();
});

describe('health', () => {
  it('/healthz answers 200 without the database', async () => {
    const down = new Database({ connectionString: `postgres://nobody@127.0.0.1:${await freePort()}/none`, connectTimeoutMs: 500 });
    const isolated = await testApp(down);
    const res = await isolated.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    await isolated.close();
    await down.close();
  });

  it('/readyz is 200 when the database answers and the schema is current', async () => {
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ready: true, database: { ok: true }, schema: { pending: [] } });
  });

  it('/readyz is 503 with the reason when the database is down, and answers quickly', async () => {
    const down = new Database({ connectionString: `postgres://nobody@127.0.0.1:${await freePort()}/none`, connectTimeoutMs: 500 });
    const isolated = await testApp(down);
    const started = Date.now();
    const res = await isolated.inject('/readyz');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ ready: false, database: { ok: false, error: 'the database did not answer' } });
    await isolated.close();
    await down.close();
  });

  it('/readyz is 503 listing pending migrations when the schema is behind the code', async () => {
    const ahead = await testApp(db, [...expected, expected.length + 1]);
    const res = await ahead.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ ready: false, database: { ok: true }, schema: { pending: [expected.length + 1] } });
    await ahead.close();
  });

  it('/readyz is 503 on a database that was never migrated', async () => {
    const { url, name } = await createDatabase({ empty: true });
    const bare = new Database({ connectionString: url });
    const isolated = await testApp(bare);
    const res = await isolated.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ database: { ok: true }, schema: { current: 0, pending: expected } });
    await isolated.close();
    await bare.close();
    await dropDatabase(name);
  });
});

describe('errors are problem documents with catalogue codes', () => {
  it('unknown routes', async () => {
    const res = await app.inject('/nope?token=abc');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toEqual({
      type: 'https://comanda.dev/errors/route-not-found',
      title: 'No such route.',
      status: 404,
      code: 'ROUTE_NOT_FOUND',
      detail: 'No route GET /nope.',
      instance: '/nope',
    });
  });

  it('validation failures name the field, unknown fields included', async () => {
    const missing = await app.inject({ method: 'POST', url: '/test/echo', payload: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    expect(missing.json<{ detail: string }>().detail).toContain('n');
    const extra = await app.inject({ method: 'POST', url: '/test/echo', payload: { n: 1, unitPrice: 3 } });
    expect(extra.statusCode).toBe(400);
    expect(extra.json<{ detail: string }>().detail).toContain('unitPrice');
    const wrongType = await app.inject({ method: 'POST', url: '/test/echo', payload: { n: 'one' } });
    expect(wrongType.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('malformed JSON, wrong media type and oversized bodies', async () => {
    const malformed = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/json' }, payload: '{"n":' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ code: 'MALFORMED_JSON' });
    const media = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'text/csv' }, payload: 'n\n1' });
    expect(media.statusCode).toBe(415);
    expect(media.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    const huge = await app.inject({ method: 'POST', url: '/test/echo', payload: { n: 1, pad: 'x'.repeat(100 * 1024) } });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('SQLSTATEs map through the catalogue, with no SQL in the answer', async () => {
    const res = await app.inject('/test/conflict');
    expect(res.statusCode).toBe(409);
    const body = res.json<Record<string, unknown>>();
    expect(body).toMatchObject({ code: 'CONFLICT', constraint: 'restaurants_pkey' });
    expect(JSON.stringify(body)).not.toMatch(/INSERT|duplicate key|restaurante\./);
  });

  it('an unexpected error is a 500 without internals', async () => {
    const res = await app.inject('/test/boom');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ code: 'INTERNAL_ERROR', detail: 'Something went wrong on our side.' });
    expect(res.body).not.toContain('hunter2');
  });

  it('an AppError keeps its own detail', async () => {
    const res = await app.inject('/test/not-found');
    expect(res.json()).toMatchObject({ status: 404, code: 'NOT_FOUND', detail: 'No order with that id.' });
  });

  it('a database that is down is a 503 with Retry-After, not a 500', async () => {
    const down = new Database({ connectionString: `postgres://nobody@127.0.0.1:${await freePort()}/none`, connectTimeoutMs: 500 });
    const isolated = await testApp(down);
    const res = await isolated.inject('/test/conflict');
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    await isolated.close();
    await down.close();
  });
});

describe('the OpenAPI document and request ids', () => {
  it('serves /openapi.json describing the routes, their security and the problem schema', async () => {
    const res = await app.inject('/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ openapi: string; paths: Record<string, Record<string, { security?: unknown }>>; components: { schemas: Record<string, unknown> } }>();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/healthz', '/readyz', '/api/staff/me']) expect(Object.keys(doc.paths)).toContain(path);
    expect(doc.paths['/api/staff/me']?.get?.security).toEqual([{ bearer: [] }]);
    expect(JSON.stringify(doc.components.schemas)).toContain('ROUTE_NOT_FOUND');
  });

  it('gives every answer an x-request-id, keeping a sane one from the client', async () => {
    const fresh = await app.inject('/healthz');
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'edge-42.a' } });
    expect(kept.headers['x-request-id']).toBe('edge-42.a');
    const replaced = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id\u0000<script>' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('staff authentication', () => {
  it('needs a bearer token', async () => {
    const none = await app.inject('/api/staff/me');
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    const malformed = await app.inject({ url: '/api/staff/me', headers: { authorization: 'Token abc' } });
    expect(malformed.statusCode).toBe(401);
    const unknown = await app.inject({ url: '/api/staff/me', headers: { authorization: 'Bearer cmd_staff_notarealtokenatallnotarealtoken12345' } });
    expect(unknown.statusCode).toBe(401);
  });

  it('admits a valid token with its role, refuses the wrong role, and stops at revocation', async () => {
    const { token, info } = await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'kitchen', label: 'pass' });
    const headers = { authorization: `Bearer ${token}` };
    const me = await app.inject({ url: '/api/staff/me', headers });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({ tokenId: info.id, role: 'kitchen', restaurantId: DEMO_RESTAURANT_ID });
    const forbidden = await app.inject({ url: '/test/admin-only', headers });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toMatchObject({ code: 'FORBIDDEN' });
    await revokeStaffToken(db, info.id);
    expect((await app.inject({ url: '/api/staff/me', headers })).statusCode).toBe(401);
  });

  it('stores only hashes: no column of staff_tokens holds a token', async () => {
    const { token } = await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'admin' });
    const { rows } = await db.query<{ row: string }>('SELECT row_to_json(t)::text AS row FROM restaurante.staff_tokens t');
    expect(rows.length).toBeGreaterThan(0);
    for (const { row } of rows) expect(row).not.toContain(token.slice('cmd_staff_'.length));
  });

  it('refuses a token for a restaurant that does not exist', async () => {
    await expect(createStaffToken(db, { restaurantId: 'rest_missing', role: 'admin' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('request logging', () => {
  it('never writes tokens or Authorization headers', async () => {
    const { token } = await createStaffToken(db, { restaurantId: DEMO_RESTAURANT_ID, role: 'waiter' });
    logs.length = 0;
    await app.inject({ url: `/api/staff/me?token=${token}&x=1`, headers: { authorization: `Bearer ${token}`, cookie: `s=${token}` } });
    await app.inject({ url: `/api/reservations/by-token/${token}` });
    const text = logs.join('\n');
    expect(text).toContain('/api/staff/me?token=[REDACTED]&x=1');
    expect(text).toContain('/api/reservations/by-token/[REDACTED]');
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.slice(10, 40));
  });

  it('redactUrl keeps the rest of the URL', () => {
    expect(redactUrl('/a?b=1&sessionToken=xyz&c=2')).toBe('/a?b=1&sessionToken=[REDACTED]&c=2');
  });
});
