// Every `comanda …` command the docs and the README mention exists in the CLI, with the flags
// they give it: read from commander's own command tree (src/cli/program.ts), not from --help text.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';

const root = path.resolve(import.meta.dirname, '..');

/** Code spans and fenced blocks of a Markdown file: where commands are written. */
function codeOf(markdown: string): string[] {
  const pieces: string[] = [];
  const fenced = /```[^\n]*\n([\s\S]*?)```/g;
  for (const m of markdown.matchAll(fenced)) pieces.push(...m[1]!.split('\n'));
  const rest = markdown.replace(fenced, '');
  for (const m of rest.matchAll(/`([^`\n]+)`/g)) pieces.push(m[1]!);
  return pieces;
}

interface Mention {
  file: string;
  text: string;
  words: string[];
  flags: string[];
}

/** `comanda word word … --flag …` in a piece of code; a word is a lower-case name. */
function mentionsIn(file: string, code: string): Mention[] {
  const found: Mention[] = [];
  for (const m of code.matchAll(/(?:^|[\s(`$])comanda((?: [a-z][a-z0-9-]*)+)([^|;&]*)/g)) {
    found.push({ file, text: `comanda${m[1]}${m[2]}`.trim(), words: m[1]!.trim().split(' '), flags: [...m[2]!.matchAll(/(?:^|\s)(--[a-z][a-z0-9-]*)/g)].map((f) => f[1]!) });
  }
  return found;
}

/** Walks the words down the tree; the deepest command reached, or undefined when the first word is no command. */
function resolve(program: Command, words: string[]): Command | undefined {
  let command: Command | undefined;
  let at = program;
  for (const word of words) {
    const next = at.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!next) break;
    command = at = next;
  }
  return command;
}

const optionsOf = (command: Command): string[] => {
  const names = ['--help'];
  for (let c: Command | null = command; c; c = c.parent) {
    for (const o of c.options) {
      if (o.long) names.push(o.long);
      if (o.negate && o.long) names.push(o.long);
    }
  }
  return names;
};

async function documents(): Promise<string[]> {
  const docs = (await readdir(path.join(root, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f));
  return ['README.md', ...docs];
}

describe('the commands the docs mention', () => {
  it('exist in the CLI, with the flags given to them', async () => {
    const program = buildProgram();
    const mentions: Mention[] = [];
    for (const file of await documents()) {
      for (const piece of codeOf(await readFile(path.join(root, file), 'utf8'))) mentions.push(...mentionsIn(file, piece));
    }
    expect(mentions.length).toBeGreaterThan(50);
    const problems: string[] = [];
    for (const m of mentions) {
      const command = resolve(program, m.words);
      if (!command) {
        problems.push(`${m.file}: \`${m.text}\`: there is no command "comanda ${m.words[0]}"`);
        continue;
      }
      const known = optionsOf(command);
      for (const flag of m.flags) if (!known.includes(flag)) problems.push(`${m.file}: \`${m.text}\`: "comanda ${command.name()}" has no option ${flag}`);
    }
    expect(problems).toEqual([]);
  });

  it('the extraction sees commands, subcommands and flags, and leaves schema and role names alone', () => {
    expect(mentionsIn('x', 'comanda migrate lint --json | jq')).toEqual([{ file: 'x', text: 'comanda migrate lint --json', words: ['migrate', 'lint'], flags: ['--json'] }]);
    expect(mentionsIn('x', 'SELECT * FROM comanda.actions_log; comanda_owner; postgres://h/comanda')).toEqual([]);
    expect(resolve(buildProgram(), ['migrate', 'lint', 'migrations/0023_x.sql'])?.name()).toBe('lint');
    expect(resolve(buildProgram(), ['nonexistent'])).toBeUndefined();
  });
});
