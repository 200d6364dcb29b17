import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LFU_INIT_VAL, lfuCounter, lfuMinutes, lfuNew, lfuTouch } from '../../src/cache/machine/lfu.js';

const P = { logFactor: 10, decayMinutes: 1 };
const field = (minutes: number, counter: number) => (minutes << 8) | counter;

test('a new key starts at 5; the counter loses a point per lfu-decay-time minutes unread, across the clock\'s wrap', () => {
  assert.equal(lfuCounter(lfuNew(100), 100, P), LFU_INIT_VAL);
  assert.equal(lfuMinutes(65_536 * 60 + 125), 2);
  assert.equal(lfuCounter(field(100, 20), 110, P), 10);
  assert.equal(lfuCounter(field(100, 20), 130, P), 0);
  assert.equal(lfuCounter(field(100, 20), 110, { logFactor: 10, decayMinutes: 2 }), 15);
  assert.equal(lfuCounter(field(100, 20), 5_000, { logFactor: 10, decayMinutes: 0 }), 20);
  // 65,530 to 4 past the wrap: 9 minutes, as Redis's LFUTimeElapsed counts them.
  assert.equal(lfuCounter(field(65_530, 20), 4, P), 11);
});

test('an access increments with probability 1 / ((counter - 5) * lfu-log-factor + 1), up to 255', () => {
  assert.equal(lfuTouch(field(7, 5), 7, 0.999, P) & 0xff, 6);
  assert.equal(lfuTouch(field(7, 6), 7, 0.09, P) & 0xff, 7);
  assert.equal(lfuTouch(field(7, 6), 7, 0.091, P) & 0xff, 6);
  assert.equal(lfuTouch(field(7, 3), 7, 0.999, P) & 0xff, 4);
  assert.equal(lfuTouch(field(7, 255), 7, 0, P) & 0xff, 255);
  assert.equal(lfuTouch(field(7, 40), 7, 0.999, { logFactor: 0, decayMinutes: 1 }) & 0xff, 41);
  // The access stamps the time: the decay counts from it.
  assert.equal(lfuTouch(field(3, 9), 8, 0.999, P) >>> 8, 8);
  assert.equal(lfuTouch(field(3, 9), 8, 0.999, P) & 0xff, 5); // 9, less 5 minutes' decay, plus 1 (certain below 5)
});

test('accesses within a minute never lower the counter nor pass 255', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 255 }), fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { maxLength: 300 }), (start, draws) => {
      let f = field(42, start);
      for (const r of draws) {
        const next = lfuTouch(f, 42, r, P);
        assert.ok((next & 0xff) >= (f & 0xff) && (next & 0xff) <= 255);
        f = next;
      }
    }),
  );
});
