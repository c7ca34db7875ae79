// `comanda migrate lint`: the shipped migrations lint clean (this is CI's lint of them), and every
// rule — Comanda's own and the squawk rules the project relies on — has a failing and a passing
// example. The linter reads files; only `migrate up`'s refusal needs a database.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintDirectory, lintFiles, readBaseline, checksumOfFile } from '../src/core/migrations/lint.js';
import { defaultMigrationsDir, loadMigrations } from '../src/core/migrations/runner.js';
import { runCli } from './helpers/cli.js';
import pg from 'pg';
import { createDatabase, dropDatabase } from './helpers/db.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'comanda-lint-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let serial = 0;
/** Writes a migration (and its down script unless `down` is null) and lints the up file alone. */
async function lint(up: string, options: { down?: string | null; name?: string } = {}) {
  const sub = path.join(dir, String(++serial));
  await mkdir(sub);
  const name = options.name ?? '0023_change';
  const file = path.join(sub, `${name}.sql`);
  await writeFile(file, up);
  if (options.down !== null) await writeFile(path.join(sub, `${name}.down.sql`), options.down ?? 'SELECT 1;\n');
  return lintFiles([file], { baseline: null });
}
const rules = (report: Awaited<ReturnType<typeof lint>>) => report.findings.map((f) => f.rule);

describe('the shipped migrations', () => {
  it('lint clean (those released before the linter are in the baseline, unchanged)', async () => {
    const report = await lintDirectory();
    expect(report.findings).toEqual([]);
    const baseline = await readBaseline();
    // The baseline only holds files that exist and match byte for byte: a baselined file that
    // changed would be linted again, and the runner refuses it anyway.
    for (const [file, sum] of Object.entries(baseline.files)) {
      expect(checksumOfFile(await readFile(path.join(defaultMigrationsDir, file), 'utf8')), file).toBe(sum);
    }
    // Every migration after the baseline is linted.
    const versions = (await loadMigrations()).map((m) => m.version);
    const linted = report.files.filter((f) => f.state === 'linted').map((f) => path.basename(f.file));
    const newest = Math.max(...Object.keys(baseline.files).map((f) => Number(f.slice(0, 4))));
    for (const v of versions.filter((v) => v > newest)) expect(linted.some((f) => f.startsWith(String(v).padStart(4, '0')))).toBe(true);
  });

  it('comanda migrate lint exits 0 on them; --no-baseline shows the old findings and exits 1', async () => {
    const clean = await runCli(['migrate', 'lint']);
    expect(clean.stderr).toMatch(/in the baseline skipped: 0 findings/);
    expect(clean.status).toBe(0);
    const all = await runCli(['migrate', 'lint', '--no-baseline', '--json']);
    expect(all.status).toBe(1);
    const json = JSON.parse(all.stdout) as { ok: boolean; findings: { rule: string }[] };
    expect(json.ok).toBe(false);
    expect(json.findings.map((f) => f.rule)).toContain('require-concurrent-index-creation');
  });
});

describe('the CLI', () => {
  it('prints file:line rule message and how to fix it; exit 1 on findings, 2 on a missing file', async () => {
    const report = await lint('CREATE INDEX orders_note ON restaurante.orders (note);\n');
    const file = report.files[0]!.file;
    const run = await runCli(['migrate', 'lint', file]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`${file}:1 require-concurrent-index-creation `);
    expect(run.stdout).toMatch(/fix: .*concurrently/i);
    const missing = await runCli(['migrate', 'lint', path.join(dir, 'nope.sql')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no such file/);
  });
});

// [rule, failing migration, passing migration]; all statements valid PostgreSQL.
const squawkCases: [string, string, string][] = [
  [
    'require-concurrent-index-creation',
    'CREATE INDEX orders_note ON restaurante.orders (note);',
    '-- comanda:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_note ON restaurante.orders (note);',
  ],
  [
    'constraint-missing-not-valid',
    'ALTER TABLE restaurante.orders ADD CONSTRAINT orders_total_positive CHECK ("totalCents" >= 0);',
    'ALTER TABLE restaurante.orders ADD CONSTRAINT orders_total_positive CHECK ("totalCents" >= 0) NOT VALID;',
  ],
  [
    'adding-field-with-default',
    'ALTER TABLE restaurante.orders ADD COLUMN token uuid DEFAULT gen_random_uuid();',
    "ALTER TABLE restaurante.orders ADD COLUMN channel text DEFAULT 'qr';",
  ],
  [
    'adding-required-field',
    'ALTER TABLE restaurante.orders ADD COLUMN channel text NOT NULL;',
    "ALTER TABLE restaurante.orders ADD COLUMN channel text NOT NULL DEFAULT 'qr';",
  ],
  [
    'adding-not-nullable-field',
    'ALTER TABLE restaurante.orders ALTER COLUMN note SET NOT NULL;',
    'ALTER TABLE restaurante.orders ADD CONSTRAINT orders_note_not_null CHECK (note IS NOT NULL) NOT VALID;',
  ],
  ['changing-column-type', 'ALTER TABLE restaurante.orders ALTER COLUMN note TYPE varchar(200);', 'ALTER TABLE restaurante.orders ADD COLUMN note_short text;'],
  ['renaming-column', 'ALTER TABLE restaurante.orders RENAME COLUMN note TO notes;', 'ALTER TABLE restaurante.orders ADD COLUMN notes text;'],
  ['renaming-table', 'ALTER TABLE restaurante.qr_scans RENAME TO scans;', 'CREATE VIEW restaurante.scans AS SELECT * FROM restaurante.qr_scans;'],
  ['ban-drop-column', 'ALTER TABLE restaurante.orders DROP COLUMN note;', 'COMMENT ON COLUMN restaurante.orders.note IS $$deprecated: read notes$$;'],
  ['ban-drop-table', 'DROP TABLE restaurante.qr_scans;', "COMMENT ON TABLE restaurante.qr_scans IS 'deprecated';"],
  ['transaction-nesting', "BEGIN;\nCOMMENT ON TABLE restaurante.qr_scans IS 'x';\nCOMMIT;", "COMMENT ON TABLE restaurante.qr_scans IS 'x';"],
];

describe("squawk's rules, as the runner runs the file", () => {
  for (const [rule, failing, passing] of squawkCases) {
    it(`${rule}: fails, and passes when written safely`, async () => {
      expect(rules(await lint(`${failing}\n`))).toContain(rule);
      expect(rules(await lint(`${passing}\n`))).toEqual([]);
    });
  }

  it('no lock_timeout finding: the runner sets it on every migration', async () => {
    const report = await lint('ALTER TABLE restaurante.orders ADD COLUMN channel text;\n');
    expect(report.findings).toEqual([]);
  });

  it('a down script may drop what its migration added', async () => {
    const sub = path.join(dir, 'down');
    await mkdir(sub);
    await writeFile(path.join(sub, '0023_tips.sql'), 'CREATE TABLE restaurante.tips ("restaurantId" text NOT NULL, id bigint NOT NULL, PRIMARY KEY ("restaurantId", id));\n');
    await writeFile(path.join(sub, '0023_tips.down.sql'), 'DROP TABLE restaurante.tips;\n');
    const report = await lintFiles([path.join(sub, '0023_tips.sql'), path.join(sub, '0023_tips.down.sql')], { baseline: null });
    expect(report.findings).toEqual([]);
  });
});

describe("Comanda's rules", () => {
  it('restaurant-key: a per-restaurant table keyed without "restaurantId" fails', async () => {
    const report = await lint('CREATE TABLE restaurante.tips (id bigint PRIMARY KEY, "restaurantId" text NOT NULL, code text UNIQUE);\n');
    expect(report.findings.filter((f) => f.rule === 'restaurant-key').map((f) => f.message)).toEqual([
      'restaurante.tips: PRIMARY KEY (id) does not include "restaurantId"',
      'restaurante.tips: UNIQUE (code) does not include "restaurantId"',
    ]);
    expect(rules(await lint('CREATE TABLE restaurante.tips (id bigint PRIMARY KEY);\n'))).toContain('restaurant-key');
    expect(rules(await lint('CREATE TABLE restaurante.tips ("restaurantId" text NOT NULL, id bigint NOT NULL);\n'))).toContain('restaurant-key');
    expect(rules(await lint('-- comanda:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS orders_code ON restaurante.orders (code);\n'))).toEqual(['restaurant-key']);
    expect(rules(await lint('ALTER TABLE restaurante.orders ADD CONSTRAINT orders_code UNIQUE (code);\n'))).toContain('restaurant-key');
  });

  it('restaurant-key: passes with "restaurantId" in every key, for reference tables and outside the data schema', async () => {
    const ok = [
      'CREATE TABLE restaurante.tips ("restaurantId" text NOT NULL, id bigint NOT NULL, code text NOT NULL, PRIMARY KEY ("restaurantId", id), UNIQUE ("restaurantId", code));',
      '-- comanda:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS orders_code ON restaurante.orders ("restaurantId", code);',
      'CREATE TABLE comanda.runs (id bigint PRIMARY KEY);',
      'CREATE TABLE restaurante.restaurants_copy (LIKE restaurante.restaurants);'.replace('restaurants_copy (LIKE restaurante.restaurants)', 'restaurants (id text PRIMARY KEY)'),
    ];
    for (const sql of ok) expect(rules(await lint(`${sql}\n`)), sql).toEqual([]);
  });

  it('bigint-key: a key that grows is bigint; counts and members of natural keys may be integer', async () => {
    const failing = [
      'CREATE TABLE comanda.runs (id integer PRIMARY KEY);',
      'CREATE TABLE comanda.runs (id serial PRIMARY KEY);',
      'CREATE TABLE comanda.runs (id bigint PRIMARY KEY, n integer GENERATED ALWAYS AS IDENTITY);',
      "ALTER TABLE restaurante.orders ADD COLUMN seq integer DEFAULT nextval('restaurante.order_number_seq');",
      'CREATE TABLE comanda.runs (id smallint, PRIMARY KEY (id));',
    ];
    for (const sql of failing) expect(rules(await lint(`${sql}\n`)), sql).toContain('bigint-key');
    const passing = [
      'CREATE TABLE comanda.runs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, attempts integer NOT NULL DEFAULT 0);',
      'CREATE TABLE comanda.party_sizes (kind text NOT NULL, size integer NOT NULL, PRIMARY KEY (kind, size));',
      'ALTER TABLE restaurante.orders ADD COLUMN guests integer;',
    ];
    for (const sql of passing) expect(rules(await lint(`${sql}\n`)), sql).toEqual([]);
  });

  it('no-transaction-marker: CONCURRENTLY without the marker, a marker not on line 1, or a marked file with two statements fail', async () => {
    expect(rules(await lint('CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_note ON restaurante.orders (note);\n'))).toContain('no-transaction-marker');
    const late = await lint('-- add an index\n-- comanda:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS restaurante.orders_note;\n');
    expect(late.findings.find((f) => f.rule === 'no-transaction-marker')?.message).toMatch(/only read on the first line/);
    const two = await lint(
      '-- comanda:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a ON restaurante.orders (note);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS b ON restaurante.orders (status);\n',
    );
    expect(two.findings.find((f) => f.rule === 'no-transaction-marker')).toMatchObject({ line: 3 });
    expect(rules(await lint('-- comanda:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS restaurante.orders_note;\n'))).toEqual([]);
  });

  it('down-script: a migration without a down script, or with an empty one, fails', async () => {
    expect(rules(await lint('ALTER TABLE restaurante.orders ADD COLUMN channel text;\n', { down: null }))).toEqual(['down-script']);
    expect(rules(await lint('ALTER TABLE restaurante.orders ADD COLUMN channel text;\n', { down: '-- nothing\n' }))).toEqual(['down-script']);
    expect(rules(await lint('ALTER TABLE restaurante.orders ADD COLUMN channel text;\n', { down: 'ALTER TABLE restaurante.orders DROP COLUMN channel;\n' }))).toEqual([]);
  });

  it('syntax and file-name', async () => {
    const bad = await lint('ALTER TABLE restaurante.orders ADD COLUMN channel text;\nCREAT INDEX x ON y (z);\n');
    expect(bad.findings).toMatchObject([{ rule: 'syntax', line: 2, message: expect.stringMatching(/syntax error at or near "CREAT"/) as unknown }]);
    expect(rules(await lint('SELECT 1;\n', { name: '23_tips' }))).toEqual(['file-name']);
    expect(rules(await lint('SELECT 1;\n', { name: '0023_tips' }))).toEqual([]);
  });

  it('lint-ignore: accepts one finding of the named rule on the next statement, with a reason; without one it is itself a finding', async () => {
    const sql = (comment: string) =>
      `${comment}\nCREATE TABLE restaurante.guest_links ("restaurantId" text NOT NULL, id bigint NOT NULL, token_hash text NOT NULL UNIQUE, PRIMARY KEY ("restaurantId", id));\nCREATE INDEX guest_links_x ON restaurante.orders (note);\n`;
    const accepted = await lint(sql('-- comanda:lint-ignore restaurant-key a link is looked up by its token before the restaurant is known'));
    expect(accepted.ignored).toMatchObject([{ rule: 'restaurant-key', line: 2, ignored: 'a link is looked up by its token before the restaurant is known' }]);
    expect(rules(accepted)).toEqual(['require-concurrent-index-creation']); // the next statement is not covered
    const noReason = await lint(sql('-- comanda:lint-ignore restaurant-key'));
    expect(rules(noReason)).toEqual(expect.arrayContaining(['lint-ignore-reason', 'restaurant-key']));
    const otherRule = await lint(sql('-- comanda:lint-ignore prefer-bigint-over-int not this one'));
    expect(rules(otherRule)).toContain('restaurant-key');
  });
});

describe('comanda migrate up', () => {
  const created: string[] = [];
  afterAll(async () => {
    for (const name of created) await dropDatabase(name);
  });

  it('refuses a pending migration that fails the lint (nothing applied), applies it with --force', async () => {
    const { name, url } = await createDatabase({ empty: true });
    created.push(name);
    const migrations = path.join(dir, 'up');
    await mkdir(migrations);
    await writeFile(path.join(migrations, '0001_tips.sql'), 'CREATE SCHEMA restaurante;\nCREATE TABLE restaurante.tips (id bigint PRIMARY KEY);\n');
    await writeFile(path.join(migrations, '0001_tips.down.sql'), 'DROP SCHEMA restaurante CASCADE;\n');
    const env = { DATABASE_URL: url, DATABASE_DIRECT_URL: undefined };
    const refused = await runCli(['migrate', 'up', '--dir', migrations], env);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/0001_tips\.sql:2 restaurant-key /);
    expect(refused.stderr).toMatch(/nothing applied.*--force/s);
    expect((await adminQueryOn(url, "SELECT to_regclass('restaurante.tips') AS t")).rows[0]).toEqual({ t: null });
    const forced = await runCli(['migrate', 'up', '--dir', migrations, '--force'], env);
    expect(forced.stdout).toBe('applied 1\n');
    expect(forced.status).toBe(0);
    expect((await adminQueryOn(url, "SELECT to_regclass('restaurante.tips')::text AS t")).rows[0]).toEqual({ t: 'restaurante.tips' });
  });
});

async function adminQueryOn(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}
