// Property test: random sequences of append / read / truncate / reset / reopen against a
// simple in-memory model, through the real filesystem with tiny segments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Log } from '../../src/log/log.js';
import type { LogEntry } from '../../src/log/format.js';
import type { FlushPolicy } from '../../src/log/options.js';
import { makeEntry, tempDir } from '../helpers/log.js';

type Op =
  | { op: 'append'; n: number; size: number; newTerm: boolean }
  | { op: 'truncateSuffix'; at: number }
  | { op: 'truncatePrefix'; at: number }
  | { op: 'reset'; skip: number }
  | { op: 'reopen' }
  | { op: 'read'; at: number; len: number; maxBytes: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('append' as const), n: fc.integer({ min: 1, max: 12 }), size: fc.integer({ min: 0, max: 200 }), newTerm: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncateSuffix' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncatePrefix' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reset' as const), skip: fc.integer({ min: 0, max: 50 }) }) },
  { weight: 2, arbitrary: fc.constant({ op: 'reopen' as const }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('read' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), len: fc.integer({ min: 1, max: 30 }), maxBytes: fc.integer({ min: 1, max: 3000 }) }) },
);

const policyArb: fc.Arbitrary<FlushPolicy> = fc.constantFrom<FlushPolicy>({ mode: 'always' }, { mode: 'interval', intervalMs: 5 }, { mode: 'never' });

class Model {
  entries: LogEntry[] = [];
  first = 1;
  term = 1;
  get last(): number {
    return this.first + this.entries.length - 1;
  }
}

function plain(e: LogEntry) {
  return { index: e.index, term: e.term, timestamp: e.timestamp, type: e.type, payload: Buffer.from(e.payload).toString('hex') };
}

async function step(log: Log, m: Model, o: Op, reopen: () => Promise<Log>): Promise<Log> {
  const pick = (f: number) => Math.min(m.last + 1, m.first + Math.floor(f * (m.entries.length + 1)));
  switch (o.op) {
    case 'append': {
      if (o.newTerm) m.term++;
      const batch = Array.from({ length: o.n }, (_, i) => makeEntry(m.last + 1 + i, m.term, o.size));
      await log.append(batch);
      m.entries.push(...batch);
      return log;
    }
    case 'truncateSuffix': {
      const at = pick(o.at);
      await log.truncateSuffix(at);
      m.entries.length = at - m.first;
      return log;
    }
    case 'truncatePrefix': {
      const at = pick(o.at);
      await log.truncatePrefix(at);
      m.entries = m.entries.slice(at - m.first);
      m.first = at;
      return log;
    }
    case 'reset': {
      const next = m.last + 1 + o.skip;
      await log.reset(next);
      m.entries = [];
      m.first = next;
      return log;
    }
    case 'reopen':
      await log.close();
      return reopen();
    case 'read': {
      if (m.entries.length === 0) return log;
      const lo = Math.min(pick(o.at), m.last);
      const hi = Math.min(m.last + 1, lo + o.len);
      const sync = log.entries(lo, hi, o.maxBytes);
      const async = await log.read(lo, hi, o.maxBytes);
      assert.ok(sync.length >= 1);
      assert.deepEqual(sync.map(plain), m.entries.slice(lo - m.first, lo - m.first + sync.length).map(plain));
      assert.deepEqual(async.map(plain), sync.map(plain));
      return log;
    }
  }
}

function check(log: Log, m: Model): void {
  assert.equal(log.firstIndex, m.first);
  assert.equal(log.lastIndex, m.last);
  if (m.entries.length > 0) {
    assert.deepEqual(log.entries(m.first, m.last + 1).map(plain), m.entries.map(plain));
    assert.equal(log.term(m.last), m.entries[m.entries.length - 1]!.term);
    assert.equal(log.term(m.first), m.entries[0]!.term);
  }
}

test('log behaves like an array under random operations and reopens', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), policyArb, fc.integer({ min: 200, max: 1500 }), async (ops, flush, segmentBytes) => {
      const { dir, cleanup } = tempDir();
      const options = { dir, flush, segmentBytes, tailCacheBytes: 2048, checkpointBytes: 700 };
      let log = await Log.open(options);
      const m = new Model();
      try {
        for (const o of ops) {
          log = await step(log, m, o, () => Log.open(options));
          check(log, m);
        }
        await log.close();
        log = await Log.open(options);
        check(log, m);
        await log.close();
      } finally {
        await log.close();
        cleanup();
      }
    }),
    { numRuns: Number(process.env.DEPOT_PROPERTY_RUNS ?? 40) },
  );
});

test('appends without waiting interleave with truncations and reads', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), policyArb, async (ops, flush) => {
      const { dir, cleanup } = tempDir();
      const options = { dir, flush, segmentBytes: 400, tailCacheBytes: 1024, checkpointBytes: 500 };
      const log = await Log.open(options);
      const m = new Model();
      const pending: Promise<void>[] = [];
      try {
        for (const o of ops) {
          if (o.op === 'append') {
            if (o.newTerm) m.term++;
            const batch = Array.from({ length: o.n }, (_, i) => makeEntry(m.last + 1 + i, m.term, o.size));
            pending.push(log.append(batch));
            m.entries.push(...batch);
          } else if (o.op === 'truncateSuffix') {
            const at = Math.min(m.last + 1, m.first + Math.floor(o.at * (m.entries.length + 1)));
            pending.push(log.truncateSuffix(at));
            m.entries.length = at - m.first;
          } else if (o.op === 'truncatePrefix') {
            const at = Math.min(m.last + 1, m.first + Math.floor(o.at * (m.entries.length + 1)));
            pending.push(log.truncatePrefix(at));
            m.entries = m.entries.slice(at - m.first);
            m.first = at;
          } else if (o.op === 'reset') {
            const next = m.last + 1 + o.skip;
            pending.push(log.reset(next));
            m.entries = [];
            m.first = next;
          } else if (o.op === 'read' && m.entries.length > 0) {
            const lo = Math.min(m.first + Math.floor(o.at * m.entries.length), m.last);
            const got = log.entries(lo, Math.min(m.last + 1, lo + o.len), o.maxBytes);
            assert.deepEqual(got.map(plain), m.entries.slice(lo - m.first, lo - m.first + got.length).map(plain));
          }
          check(log, m);
        }
        await Promise.all(pending);
        await log.sync();
        assert.equal(log.durableIndex, m.last);
        assert.equal(log.writtenIndex, m.last);
        await log.close();
        const again = await Log.open(options);
        check(again, m);
        await again.close();
      } finally {
        await log.close();
        cleanup();
      }
    }),
    { numRuns: Number(process.env.DEPOT_PROPERTY_RUNS ?? 40) },
  );
});
