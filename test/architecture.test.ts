// The layer map of docs/architecture.md, enforced: imports only point down, the client SDK
// imports nothing of the server, and the pure cores do no I/O and read no wall clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = join(root, 'src');

// Rank of each top-level folder of src/. A file may import a folder of lower rank, or its own.
const rank: Record<string, number> = {
  util: 0,
  protocol: 1,
  client: 2,
  log: 2,
  raft: 3,
  broker: 4,
  cache: 4,
  cluster: 4,
  server: 5,
  node: 6,
  console: 7,
  cli: 8,
};
// Narrower rules than rank alone.
const allowedOnly: Record<string, string[]> = {
  client: ['client', 'protocol', 'util'],
  protocol: ['protocol', 'util'],
  log: ['log', 'util'],
};
// Folders whose code must be deterministic: no I/O modules, no wall clock, no Math.random.
const pureFolders = ['raft/core', 'broker/machine', 'cache/machine', 'cluster/machine', 'protocol'];
const ioModules = /^node:(fs|net|http|https|dgram|child_process|worker_threads|cluster|tls|dns)(\/|$)/;

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function importsOf(text: string): string[] {
  const specs: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) specs.push((m[1] ?? m[2] ?? m[3])!);
  return specs;
}

const files = walk(src).map((abs) => ({ abs, rel: relative(src, abs).split(sep).join('/') }));

test('imports only point down the layer map', () => {
  const violations: string[] = [];
  for (const { abs, rel } of files) {
    const layer = rel.split('/')[0]!;
    assert.ok(layer in rank, `src/${rel}: '${layer}' is not a layer of docs/architecture.md`);
    for (const spec of importsOf(readFileSync(abs, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = relative(src, resolve(dirname(abs), spec)).split(sep).join('/');
      const targetLayer = target.split('/')[0]!;
      if (target.startsWith('..')) {
        violations.push(`src/${rel} imports outside src/: ${spec}`);
      } else if (targetLayer === layer) {
        continue;
      } else if (allowedOnly[layer] && !allowedOnly[layer].includes(targetLayer)) {
        violations.push(`src/${rel} (${layer}) may not import ${targetLayer}/: ${spec}`);
      } else if (targetLayer === 'client' && layer !== 'cli') {
        violations.push(`src/${rel} imports the client SDK; only cli/ may: ${spec}`);
      } else if ((rank[targetLayer] ?? 99) >= rank[layer]!) {
        violations.push(`src/${rel} (${layer}) imports up or sideways into ${targetLayer}/: ${spec}`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

test('pure cores do no I/O and read no wall clock or randomness', () => {
  const violations: string[] = [];
  for (const { abs, rel } of files) {
    if (!pureFolders.some((f) => rel.startsWith(f + '/'))) continue;
    const text = readFileSync(abs, 'utf8').replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
    for (const spec of importsOf(text)) {
      if (ioModules.test(spec)) violations.push(`src/${rel} imports ${spec}`);
    }
    for (const banned of ['Date.now(', 'new Date(', 'Math.random(', 'setTimeout(', 'setInterval(', 'performance.now(', 'process.hrtime']) {
      if (text.includes(banned)) violations.push(`src/${rel} uses ${banned.replace('(', '')}`);
    }
  }
  assert.deepEqual(violations, []);
});
