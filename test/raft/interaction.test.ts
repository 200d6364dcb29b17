// Runs the scripted interaction tests in test/raft/testdata/*.txt (read from the source tree;
// the build compiles only .ts). REWRITE=1 regenerates the expected output in place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFile, readFile, rewriteFile } from './interaction/datadriven.js';
import { InteractionEnv } from './interaction/env.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dir = join(root, 'test', 'raft', 'testdata');
const rewrite = process.env['REWRITE'] === '1';

for (const name of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
  test(`raft interaction: ${name}`, () => {
    const path = join(dir, name);
    const { cases, chunks } = parseFile(readFile(path));
    assert.ok(cases.length > 0, `${name} has no cases`);
    assert.ok(chunks[0]!.trimStart().startsWith('#'), `${name} opens with a comment stating the property it checks`);
    const env = new InteractionEnv();
    const actual: string[] = [];
    for (const c of cases) {
      const got = env.handle(c.command, c.args);
      actual.push(got);
      if (!rewrite) assert.equal(got, c.expected, `${name}:${c.line}: ${c.command} ${c.args.join(' ')}`);
    }
    if (rewrite) rewriteFile(path, chunks, cases, actual);
  });
}
