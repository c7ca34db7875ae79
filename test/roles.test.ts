// sql/roles.sql gives the owner, application and monitoring roles exactly the rights they need:
// the owner migrates without being a superuser, the application reads and writes rows but cannot
// change the schema, the monitor reads (pg_monitor + the restaurante tables) and cannot write.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ident } from '../src/core/db/database.js';
import { runChecks } from '../src/core/checks/check.js';
import { allChecks, fullChecks } from '../src/core/checks/registry.js';
import { checkReadiness } from '../src/core/readiness.js';
import { Database } from '../src/core/db/database.js';
import { loadMigrations, MigrationRunner } from '../src/core/migrations/runner.js';
import { seedDemo } from '../src/core/seed.js';
import { adminQuery, createDatabase, dropDatabase } from './helpers/db.js';

// Roles are cluster-wide: this run's get a unique suffix.
const suffix = randomBytes(3).toString('hex');
const role = (name: string) => `${name}_${suffix}`;
const password = randomBytes(12).toString('hex');
let database: { name: string; url: string };

function urlAs(name: string): string {
  const url = new URL(database.url);
  url.username = role(name);
  url.password = password;
  return url.toString();
}

async function as<T>(name: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: urlAs(name) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const sqlState = async (promise: Promise<unknown>) => promise.then(() => 'ok', (err: { code?: string }) => err.code);

beforeAll(async () => {
  database = await createDatabase({ empty: true });
  const script = (await readFile(new URL('../sql/roles.sql', import.meta.url), 'utf8')).replace(
    /\bcomanda_(owner|app|monitor)\b/g,
    (match) => `${match}_${suffix}`,
  );
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  await admin.query(script);
  for (const name of ['comanda_owner', 'comanda_app', 'comanda_monitor']) {
    await admin.query(`ALTER ROLE ${ident(role(name))} PASSWORD '${password}'`);
  }
  await admin.end();
});

afterAll(async () => {
  await dropDatabase(database.name);
  for (const name of ['comanda_owner', 'comanda_app', 'comanda_monitor']) {
    await adminQuery(`DROP ROLE IF EXISTS ${ident(role(name))}`);
  }
});

describe('database roles', () => {
  it('the owner applies every migration without superuser', async () => {
    const isSuper = await as('comanda_owner', (c) => c.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = current_user'));
    expect(isSuper.rows[0]?.rolsuper).toBe(false);
    const applied = await new MigrationRunner({ connectionString: urlAs('comanda_owner') }).up();
    expect(applied).toEqual((await loadMigrations()).map((m) => m.version));
  });

  it('the application reads and writes rows, and is ready, but cannot change the schema', async () => {
    const db = new Database({ connectionString: urlAs('comanda_app') });
    try {
      expect(await seedDemo(db)).toBe(true);
      await db.query("UPDATE restaurante.menu_items SET stock = stock + 1 WHERE id = 'item_patatas_bravas'");
      expect((await checkReadiness(db, (await loadMigrations()).map((m) => m.version))).ready).toBe(true);
      expect(await sqlState(db.query('CREATE TABLE restaurante.sneaky (id int)'))).toBe('42501');
      expect(await sqlState(db.query('ALTER TABLE restaurante.orders ADD COLUMN x int'))).toBe('42501');
      expect(await sqlState(db.query('DROP TABLE restaurante.orders'))).toBe('42501');
      expect(await sqlState(db.query('TRUNCATE restaurante.orders'))).toBe('42501');
    } finally {
      await db.close();
    }
  });

  it('the monitor sees activity and rows, and cannot write', async () => {
    await as('comanda_monitor', async (client) => {
      const items = await client.query<{ n: string }>('SELECT count(*) AS n FROM restaurante.menu_items');
      expect(Number(items.rows[0]?.n)).toBeGreaterThan(0);
      // pg_monitor: other sessions' queries are visible, not "<insufficient privilege>".
      const activity = await client.query<{ hidden: string }>(
        "SELECT count(*) FILTER (WHERE query = '<insufficient privilege>') AS hidden FROM pg_stat_activity WHERE backend_type = 'client backend'",
      );
      expect(Number(activity.rows[0]?.hidden)).toBe(0);
      await client.query('SELECT count(*) FROM pg_stat_statements');
      expect(await sqlState(client.query("UPDATE restaurante.menu_items SET stock = 0 WHERE id = 'item_patatas_bravas'"))).toBe('25006');
      // Read-only is only its default; the lack of privileges is what stops it.
      await client.query('SET default_transaction_read_only = off');
      expect(await sqlState(client.query('INSERT INTO restaurante.opening_hours ("restaurantId", weekday, opens_at, closes_at) VALUES (\'rest_enigma_001\', 1, \'10:00\', \'11:00\')'))).toBe('42501');
    });
  });

  it('the monitor runs every check of the toolkit: none is unknown for lack of a privilege', async () => {
    const monitor = new Database({ connectionString: urlAs('comanda_monitor'), poolSize: 1 });
    try {
      const results = await runChecks(monitor, [...allChecks, ...Object.values(fullChecks)]);
      expect(results).toHaveLength(allChecks.length + Object.keys(fullChecks).length);
      expect(results.filter((r) => r.status === 'unknown').map((r) => `${r.name}: ${r.summary}`)).toEqual([]);
    } finally {
      await monitor.close();
    }
  });
});
