// Output helpers: JSON for machines, aligned plain-text tables for people.
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

const cell = (value: unknown): string => {
  if (value === null || value === undefined) return '-';
  if (value instanceof Date) return value.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
};

export function printTable<T extends object>(rows: T[], columns: Array<keyof T & string>): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const text = rows.map((row) => columns.map((c) => cell(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...text.map((r) => r[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write([line(columns), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n') + '\n');
}
