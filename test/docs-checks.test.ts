// docs/checks.md lists every check of the registry once, under the heading of the module that
// defines it, so a check can be found from its name in the docs and in src/core/checks.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Check } from '../src/core/checks/check.js';
import { allChecks } from '../src/core/checks/registry.js';

const root = path.resolve(import.meta.dirname, '..');
const modules = ['sessions', 'statements', 'indexes', 'tables', 'replication', 'settings', 'integrity', 'application'];

/** The names of the checks a module exports. */
async function checksOf(module: string): Promise<string[]> {
  const exports = (await import(`../src/core/checks/${module}.ts`)) as Record<string, unknown>;
  return Object.values(exports)
    .filter((v): v is Check => typeof v === 'object' && v !== null && 'run' in v && 'name' in v)
    .map((c) => c.name);
}

/** The check names in each `## heading` section of docs/checks.md, by the module the section names. */
function documented(): Map<string, string[]> {
  const text = readFileSync(path.join(root, 'docs/checks.md'), 'utf8');
  const sections = new Map<string, string[]>();
  for (const section of text.split(/^## /m).slice(1)) {
    const module = /`src\/core\/checks\/([a-z-]+)\.ts`/.exec(section)?.[1];
    if (!module) continue;
    const names = [...section.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([a-z-]+)`/g)].map((n) => n[1]!));
    sections.set(module, names);
  }
  return sections;
}

describe('docs/checks.md', () => {
  it('has one section per check module, each listing exactly the checks the module defines', async () => {
    const docs = documented();
    expect([...docs.keys()].sort()).toEqual([...modules].sort());
    const registered = new Set(allChecks.map((c) => c.name));
    for (const module of modules) {
      const defined = (await checksOf(module)).filter((name) => registered.has(name));
      expect({ module, checks: [...docs.get(module)!].sort() }).toEqual({ module, checks: defined.sort() });
    }
    expect([...docs.values()].flat().sort()).toEqual([...registered].sort());
  });
});
