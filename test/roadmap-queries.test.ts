// The roadmap's read-only queries (§1.1–§1.4, §3.1–§3.3, §4.1, §4.3) run unchanged against the
// migrated and seeded schema; the three that fail on any PostgreSQL run in corrected form.
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensurePgStatStatements } from '../src/core/db/extensions.js';
import { seedDemo } from '../src/core/seed.js';
import { useTestDatabase } from './helpers/db.js';
import { roadmapQueries } from './roadmap/queries.js';

const { db } = await useTestDatabase();
// The spec sits beside the repository (../shared), in development and in CI alike.
const roadmap = await readFile(new URL('../../shared/seed/database-production-reliability-roadmap.md', import.meta.url), 'utf8');

beforeAll(async () => {
  await seedDemo(db);
  const status = await ensurePgStatStatements(db);
  // The test servers preload pg_stat_statements (see .ci/run and test/setup/global.ts).
  expect(status.advice).toBeUndefined();
});

describe('roadmap queries', () => {
  it('cover every section the foundation promises', () => {
    const sections = new Set(roadmapQueries.map((q) => q.section));
    for (const s of ['§1.1', '§1.2', '§1.3', '§1.4', '§3.1', '§3.2', '§3.3', '§4.1']) expect(sections).toContain(s);
    expect(roadmapQueries.filter((q) => q.section === '§4.1')).toHaveLength(6);
    expect(roadmapQueries.filter((q) => q.corrected)).toHaveLength(3);
  });

  it('are the roadmap text verbatim, except the three corrected ones', () => {
    for (const query of roadmapQueries.filter((q) => !q.corrected)) {
      expect(roadmap, `${query.section} ${query.name}`).toContain(query.sql);
    }
  });

  for (const query of roadmapQueries) {
    it(`${query.section} ${query.name}${query.corrected ? ' (corrected)' : ''} runs`, async () => {
      const result = await db.query(query.sql, query.params, { readOnly: true });
      expect(Array.isArray(result.rows)).toBe(true);
    });
  }
});
