// A normalised, deterministic dump of the `restaurante` schema read from the catalog: the same
// text for the same schema on any PostgreSQL 15+ server, whatever order objects were created in.
// The committed copy (schema/restaurante.sql) is compared with a freshly migrated database in
// the tests, and up → down → up of every migration must give the same text.
import type pg from 'pg';

type Queryable = Pick<pg.ClientBase, 'query'>;

const SECTIONS: Array<[title: string, sql: string]> = [
  [
    'extensions',
    // pg_stat_statements is created at start where the role may, never by a migration.
    `SELECT e.extname AS line FROM pg_extension e WHERE e.extname NOT IN ('plpgsql', 'pg_stat_statements') ORDER BY 1`,
  ],
  [
    'schemas',
    `SELECT nspname AS line FROM pg_namespace WHERE nspname = ANY($1) ORDER BY 1`,
  ],
  [
    'enum types',
    `SELECT format('%I.%I = (%s)', n.nspname, t.typname,
                   string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)) AS line
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
      WHERE n.nspname = ANY($1) GROUP BY n.nspname, t.typname ORDER BY 1`,
  ],
  [
    'columns',
    `SELECT format('%I.%I.%I %s%s%s%s', n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                   CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
                   CASE WHEN a.attgenerated = 's' THEN ' GENERATED ALWAYS AS ' || pg_get_expr(d.adbin, d.adrelid) || ' STORED'
                        WHEN d.adbin IS NOT NULL THEN ' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid) ELSE '' END,
                   CASE WHEN a.attidentity <> '' THEN ' IDENTITY ' || a.attidentity::text ELSE '' END) AS line
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C", a.attnum`,
  ],
  [
    'constraints',
    `SELECT format('%I.%I %I %s', n.nspname, c.relname, con.conname, pg_get_constraintdef(con.oid, true)) AS line
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) ORDER BY 1`,
  ],
  [
    'indexes',
    `SELECT pg_get_indexdef(i.indexrelid) AS line
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) ORDER BY 1`,
  ],
  [
    'triggers',
    `SELECT pg_get_triggerdef(t.oid, true) AS line
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) AND NOT t.tgisinternal ORDER BY 1`,
  ],
  [
    'functions',
    `SELECT pg_get_functiondef(p.oid) AS line
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = ANY($1) ORDER BY p.proname, pg_get_function_identity_arguments(p.oid)`,
  ],
  [
    'views',
    `SELECT format('%I.%I AS %s', n.nspname, c.relname, pg_get_viewdef(c.oid, true)) AS line
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) AND c.relkind IN ('v', 'm') ORDER BY 1`,
  ],
  [
    'sequences',
    `SELECT format('%I.%I %s', s.schemaname, s.sequencename, s.data_type) AS line
       FROM pg_sequences s WHERE s.schemaname = ANY($1) ORDER BY 1`,
  ],
  [
    'comments',
    `SELECT format('%I.%I%s: %s', n.nspname, c.relname, coalesce('.' || quote_ident(a.attname), ''), d.description) AS line
       FROM pg_description d
       JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
      WHERE n.nspname = ANY($1) ORDER BY 1`,
  ],
];

// `comanda` holds what migrations add for the toolkit (backups, alert state); the runner's own
// bookkeeping there (the schema itself and schema_migrations) exists before any migration and
// stays after all are reverted, so it is left out.
export const DUMPED_SCHEMAS = ['restaurante', 'comanda'];
const RUNNER_BOOKKEEPING = (title: string, line: string) =>
  (title === 'schemas' && line === 'comanda') || /\bcomanda\.schema_migrations\b/.test(line);

export async function dumpSchema(db: Queryable, schemas: string[] = DUMPED_SCHEMAS): Promise<string> {
  const parts: string[] = ['-- Normalised dump of the Comanda schema; regenerate with `npm run schema:dump`.'];
  for (const [title, sql] of SECTIONS) {
    const params = sql.includes('$1') ? [schemas] : [];
    const { rows } = await db.query<{ line: string }>(sql, params);
    const lines = rows.map((r) => r.line.trimEnd()).filter((line) => !RUNNER_BOOKKEEPING(title, line));
    // Sorted here, bytewise, so the server's collation cannot change the order; columns keep
    // their table order, which is part of the schema.
    if (title !== 'columns') lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    parts.push('', `-- ${title}`, ...lines);
  }
  return parts.join('\n') + '\n';
}
