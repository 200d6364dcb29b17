// A tiny reader and writer for etcd-style data-driven test files:
//
//   # comments and blank lines between cases
//   command arg key=value key=(1,2,3)
//   ----
//   expected output, up to the next blank line
//
// With the environment variable REWRITE=1 the expected output is replaced by the actual one.
import { readFileSync, writeFileSync } from 'node:fs';

export interface Case {
  /** 1-based line of the command, for error messages. */
  line: number;
  command: string;
  args: string[];
  expected: string;
}

export function parseFile(text: string): { cases: Case[]; chunks: string[] } {
  const lines = text.split('\n');
  const cases: Case[] = [];
  // The text between cases (comments, blank lines), kept to rewrite the file faithfully.
  const chunks: string[] = [];
  let gap: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    if (l.trim() === '' || l.startsWith('#')) {
      gap.push(l);
      i++;
      continue;
    }
    chunks.push(gap.join('\n'));
    gap = [];
    const [command, ...args] = tokenize(l);
    if (lines[i + 1] !== '----') throw new Error(`line ${i + 2}: expected ---- after the command`);
    const out: string[] = [];
    let j = i + 2;
    while (j < lines.length && lines[j]!.trim() !== '') out.push(lines[j++]!);
    cases.push({ line: i + 1, command: command!, args, expected: out.join('\n') });
    i = j;
  }
  chunks.push(gap.join('\n'));
  return { cases, chunks };
}

function tokenize(line: string): string[] {
  const out: string[] = [];
  const re = /[^\s(]+(?:\([^)]*\))?|\([^)]*\)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) out.push(m[0]);
  return out;
}

export function rewriteFile(path: string, chunks: string[], cases: Case[], actual: string[]): void {
  const parts: string[] = [];
  for (let k = 0; k < cases.length; k++) {
    const c = cases[k]!;
    if (k > 0 || chunks[0] !== '') parts.push(chunks[k]!);
    parts.push([c.command, ...c.args].join(' ') + '\n----\n' + actual[k]!);
  }
  parts.push(chunks[cases.length]!);
  const text = parts.join('\n');
  writeFileSync(path, text.endsWith('\n') ? text : text + '\n');
}

export function readFile(path: string): string {
  return readFileSync(path, 'utf8');
}

/** Parses `key=value` arguments; bare words go to `positional`. */
export function parseArgs(args: readonly string[]): { positional: string[]; kv: Map<string, string> } {
  const positional: string[] = [];
  const kv = new Map<string, string>();
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq > 0) kv.set(a.slice(0, eq), a.slice(eq + 1));
    else positional.push(a);
  }
  return { positional, kv };
}

export function parseList(v: string | undefined): number[] {
  if (v === undefined) return [];
  return v.replace(/[()]/g, '').split(/[ ,]+/).filter((s) => s !== '').map(Number);
}
