import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ConfigError, envSchema, loadConfig, requireSecret } from '../src/config.js';

const readme = await readFile(new URL('../docs/configuration.md', import.meta.url), 'utf8');

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('documents every variable in the table of docs/configuration.md', () => {
    for (const name of Object.keys(envSchema.shape)) {
      expect(readme, `${name} is missing from docs/configuration.md`).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
    }
  });

  it('has working defaults for the embedded database', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.http).toEqual({ port: 3000, host: '127.0.0.1' });
    expect(config.seedDemo).toBe(true);
    expect(config.timeouts).toEqual({ statementMs: 5000, lockMs: 2000, migrationLockMs: 5000 });
  });

  it('defaults DATABASE_DIRECT_URL to DATABASE_URL and turns the demo seed off', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://app@db:6432/comanda' });
    expect(config.databaseDirectUrl).toBe('postgres://app@db:6432/comanda');
    expect(config.seedDemo).toBe(false);
  });

  it('names each bad variable, never echoing its value', () => {
    const problems = problemsOf({
      DATABASE_URL: 'mysql://root:hunter2@db/x',
      PORT: 'eighty',
      DATABASE_LOCK_TIMEOUT_MS: '-5',
      MIGRATE_ON_START: 'maybe',
      LOG_LEVEL: 'loud',
      COMANDA_SECRET: 'short',
    });
    const text = problems.join('\n');
    for (const name of ['DATABASE_URL', 'PORT', 'DATABASE_LOCK_TIMEOUT_MS', 'MIGRATE_ON_START', 'LOG_LEVEL', 'COMANDA_SECRET']) {
      expect(text).toContain(`${name}:`);
    }
    expect(text).not.toContain('hunter2');
    expect(text).toContain('postgres://');
  });

  it('prepares statements unless DATABASE_URL reaches another server than DATABASE_DIRECT_URL (a pooler)', () => {
    const direct = 'postgres://comanda_owner:x@db.internal:5432/comanda';
    expect(loadConfig({}).pool.preparedStatements).toBe(true);
    expect(loadConfig({ DATABASE_URL: direct }).pool.preparedStatements).toBe(true);
    // Another user on the same server is not a pooler.
    expect(loadConfig({ DATABASE_URL: 'postgres://comanda_app:y@db.internal/comanda', DATABASE_DIRECT_URL: direct }).pool.preparedStatements).toBe(true);
    const pooled = { DATABASE_URL: 'postgres://comanda_app:y@db.internal:6432/comanda', DATABASE_DIRECT_URL: direct };
    expect(loadConfig(pooled).pool.preparedStatements).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://comanda_app:y@pgbouncer:5432/comanda', DATABASE_DIRECT_URL: direct }).pool.preparedStatements).toBe(false);
    // PgBouncer 1.21+ with max_prepared_statements keeps them: the operator says so.
    expect(loadConfig({ ...pooled, DATABASE_PREPARED_STATEMENTS: 'true' }).pool.preparedStatements).toBe(true);
    expect(loadConfig({ DATABASE_PREPARED_STATEMENTS: 'false' }).pool.preparedStatements).toBe(false);
    expect(() => loadConfig({ DATABASE_PREPARED_STATEMENTS: 'sometimes' })).toThrow(/DATABASE_PREPARED_STATEMENTS: must be true or false/);
  });

  it('keeps the whole pool warm by default, and refuses a minimum above the size', () => {
    expect(loadConfig({}).pool).toMatchObject({ size: 10, min: 10 });
    expect(loadConfig({ DATABASE_POOL_SIZE: '4', DATABASE_POOL_MIN: '0' }).pool).toMatchObject({ size: 4, min: 0 });
    expect(problemsOf({ DATABASE_POOL_SIZE: '4', DATABASE_POOL_MIN: '5' })[0]).toBe('DATABASE_POOL_MIN: must not exceed DATABASE_POOL_SIZE (4)');
  });

  it('refuses DATABASE_DIRECT_URL without DATABASE_URL', () => {
    expect(problemsOf({ DATABASE_DIRECT_URL: 'postgres://x@y/z' })[0]).toMatch(/^DATABASE_DIRECT_URL: .*set both/);
  });

  it('requires COMANDA_SECRET for the service when DATABASE_URL is set', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://app@db/comanda' });
    expect(() => requireSecret(config)).toThrow(/COMANDA_SECRET: is required when DATABASE_URL is set/);
    expect(requireSecret(loadConfig({ DATABASE_URL: 'postgres://app@db/comanda', COMANDA_SECRET: 'x'.repeat(32) }))).toHaveLength(32);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).databaseUrl).toBeUndefined();
  });
});
