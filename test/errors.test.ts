import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { AppError, errorCatalogue, errorCodes, fromDatabaseError } from '../src/core/errors.js';

const doc = await readFile(new URL('../docs/errors.md', import.meta.url), 'utf8');

describe('the error catalogue', () => {
  it('documents every code in docs/errors.md with its HTTP status', () => {
    for (const code of errorCodes) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      expect(row, `${code} is missing from docs/errors.md`).toBeDefined();
      expect(row).toContain(`| ${errorCatalogue[code].status} |`);
    }
  });

  it('documents no code that does not exist', () => {
    const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \| \d{3} \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...errorCodes].sort());
  });

  it('uses UPPER_SNAKE codes and 4xx/5xx statuses with a sentence each', () => {
    for (const code of errorCodes) {
      expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
      const { status, title } = errorCatalogue[code];
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
      expect(title).toMatch(/^[A-Z].*\.$/);
    }
  });
});

describe('SQLSTATE mapping', () => {
  const cases: Array<[string, string, number]> = [
    ['23505', 'CONFLICT', 409],
    ['23P01', 'CONFLICT', 409],
    ['23503', 'REFERENCE_NOT_FOUND', 422],
    ['23514', 'CONSTRAINT_VIOLATION', 422],
    ['23502', 'CONSTRAINT_VIOLATION', 422],
    ['55P03', 'DATABASE_BUSY', 503],
    ['40001', 'DATABASE_BUSY', 503],
    ['40P01', 'DATABASE_BUSY', 503],
    ['57014', 'DATABASE_TIMEOUT', 503],
    ['53300', 'DATABASE_UNAVAILABLE', 503],
    ['08006', 'DATABASE_UNAVAILABLE', 503],
    ['57P01', 'DATABASE_UNAVAILABLE', 503],
    ['ECONNREFUSED', 'DATABASE_UNAVAILABLE', 503],
    ['22P02', 'VALIDATION_FAILED', 400],
    ['CM001', 'ITEM_UNAVAILABLE', 409],
  ];
  for (const [sqlstate, code, status] of cases) {
    it(`${sqlstate} → ${code}`, () => {
      const mapped = fromDatabaseError({ code: sqlstate, constraint: 'some_rule', message: 'SELECT secret FROM x' });
      expect(mapped).toBeInstanceOf(AppError);
      expect(mapped).toMatchObject({ code, status });
      expect(mapped?.message).not.toContain('SELECT');
    });
  }

  it('keeps the constraint name for constraint errors and leaves unknown errors alone', () => {
    expect(fromDatabaseError({ code: '23514', constraint: 'check_stock_non_negative' })?.extra).toEqual({
      constraint: 'check_stock_non_negative',
    });
    expect(fromDatabaseError({ code: '42P01' })).toBeUndefined();
    expect(fromDatabaseError(new Error('plain'))).toBeUndefined();
  });
});
