import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatDouble } from '../../../src/protocol/resp/double.js';
import { ReplySlabs, ReplyWriter } from '../../../src/protocol/resp/writer.js';

function bytes(resp: 2 | 3, write: (w: ReplyWriter) => void): string {
  const w = new ReplyWriter();
  w.resp = resp;
  w.begin();
  write(w);
  return w.take()?.toString('latin1') ?? '';
}

test('RESP3 types are downgraded on RESP2 connections', () => {
  const all = (w: ReplyWriter) => {
    w.map(1);
    w.bulk('k');
    w.double(1.5);
    w.set(1);
    w.bool(true);
    w.nullBulk();
    w.nullArray();
    w.push(1);
    w.verbatim('hi');
  };
  assert.equal(bytes(3, all), '%1\r\n$1\r\nk\r\n,1.5\r\n~1\r\n#t\r\n_\r\n_\r\n>1\r\n=6\r\ntxt:hi\r\n');
  assert.equal(bytes(2, all), '*2\r\n$1\r\nk\r\n$3\r\n1.5\r\n*1\r\n:1\r\n$-1\r\n*-1\r\n*1\r\n$2\r\nhi\r\n');
});

test('simple replies, integers, binary bulk strings and error sanitising', () => {
  const s = bytes(2, (w) => {
    w.ok();
    w.simple('PONG');
    w.int(-42);
    w.int(2n ** 63n - 1n);
    w.bulk('\x00\xff' + 'z'.repeat(30));
    w.error('ERR a\r\nb');
  });
  assert.equal(s, `+OK\r\n+PONG\r\n:-42\r\n:9223372036854775807\r\n$32\r\n\x00\xff${'z'.repeat(30)}\r\n-ERR a b\r\n`);
});

test('integers and lengths in every range are written as their decimal text', () => {
  const edges = [0, 1, 9, 10, 99, 100, 65535, 999_999_999, 1_000_000_000, 2 ** 31 - 1, 2 ** 31, 2 ** 53 - 1, -1, -10, -(2 ** 31)];
  fc.assert(
    fc.property(fc.oneof(fc.constantFrom(...edges), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.maxSafeInteger()), (n) => {
      assert.equal(bytes(2, (w) => w.int(n)), `:${n}\r\n`);
      if (n >= 0) assert.equal(bytes(3, (w) => w.array(n)), `*${n}\r\n`);
    }),
    { numRuns: 2000 },
  );
});

test('segments taken from one writer are independent views; large replies grow the slab', () => {
  const w = new ReplyWriter();
  w.begin();
  w.bulk('a');
  const first = w.take()!;
  w.bulk('x'.repeat(200_000));
  const second = w.take()!;
  w.simple('OK');
  const third = w.take()!;
  assert.equal(first.toString(), '$1\r\na\r\n');
  assert.equal(second.length, '$200000\r\n'.length + 200_000 + 2);
  assert.equal(third.toString(), '+OK\r\n');
  assert.equal(w.take(), null);
});

test('a reply of many small elements grows the slab by doubling, not once per element', () => {
  const w = new ReplyWriter();
  const allocate = Buffer.allocUnsafeSlow;
  let allocations = 0;
  Buffer.allocUnsafeSlow = (size: number) => {
    allocations++;
    return allocate(size);
  };
  try {
    w.begin();
    w.array(100_000);
    for (let i = 0; i < 100_000; i++) w.bulk('xxx'); // 900 KB: 14 slabs' worth
    const reply = w.take()!;
    assert.equal(reply.length, '*100000\r\n'.length + 100_000 * '$3\r\nxxx\r\n'.length);
    assert.equal(reply.subarray(reply.length - 9).toString(), '$3\r\nxxx\r\n');
  } finally {
    Buffer.allocUnsafeSlow = allocate;
  }
  assert.ok(allocations <= 6, `${allocations} slab allocations for one 900 KB reply`);
});

test('doubles print as C printf %.17g, as Redis 7.0 does', () => {
  const cases: Array<[number, string]> = [
    [0, '0'],
    [1, '1'],
    [-3, '-3'],
    [1.5, '1.5'],
    [0.1, '0.10000000000000001'],
    [1 / 3, '0.33333333333333331'],
    [1e20, '1e+20'],
    [123456789012345680000, '1.2345678901234568e+20'],
    [1e-5, '1.0000000000000001e-05'],
    [0.0001, '0.0001'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [2 ** 53, '9007199254740992'],
  ];
  for (const [d, text] of cases) assert.equal(formatDouble(d), text, String(d));
});

/** Writes one segment of `bytes` bytes of `fill` and takes it. */
function segment(w: ReplyWriter, bytes: number, fill: string): Buffer {
  w.bulk(fill.repeat(bytes - `$${bytes}\r\n\r\n`.length));
  return w.take()!;
}

test('a reply slab is reused once every view taken from it is released, and not while one is out', () => {
  const slabs = new ReplySlabs();
  const w = new ReplyWriter(slabs);
  const a = segment(w, 100_000, 'a');
  const b = segment(w, 100_000, 'b');
  const c = segment(w, 100_000, 'c'); // does not fit: a second slab
  assert.notEqual(c.buffer, a.buffer);
  assert.equal(a.buffer, b.buffer);
  slabs.release(a);
  assert.equal(slabs.pooled, 0, 'b is still out');
  assert.equal(b.toString('latin1', 10, 20), 'b'.repeat(10));
  slabs.release(b);
  assert.equal(slabs.pooled, 1);
  segment(w, 100_000, 'd');
  const e = segment(w, 100_000, 'e'); // the third slab is the first one's memory
  assert.equal(e.buffer, a.buffer);
  assert.equal(slabs.pooled, 0);
  assert.equal(c.toString('latin1', 10, 20), 'c'.repeat(10), 'a view still out is not written over');
  assert.equal(e.toString('latin1', 10, 20), 'e'.repeat(10));
});

test('an abandoned view keeps its slab from reuse; views never given back do not pin slabs without bound', () => {
  const slabs = new ReplySlabs();
  const w = new ReplyWriter(slabs);
  const a = segment(w, 200_000, 'a');
  segment(w, 200_000, 'b'); // second slab
  slabs.abandon(a);
  slabs.release(a); // ignored: the slab is no longer tracked
  segment(w, 200_000, 'c'); // third slab: fresh memory
  assert.equal(slabs.pooled, 0);
  assert.equal(a.toString('latin1', 10, 20), 'a'.repeat(10));

  const kept: Buffer[] = [];
  for (let i = 0; i < 200; i++) kept.push(segment(w, 200_000, 'x'));
  assert.ok(slabs.tracked <= 70, `${slabs.tracked} slabs tracked`);
  for (const v of kept) slabs.release(v);
  assert.ok(slabs.pooled > 0 && slabs.pooled <= 16, `${slabs.pooled} slabs pooled`);
});

test('views of a slab grown for one large reply are ignored by the pool', () => {
  const slabs = new ReplySlabs();
  const w = new ReplyWriter(slabs);
  const big = segment(w, 1_000_000, 'g');
  assert.equal(slabs.pooled, 1, 'the pooled slab the writer left, with no view out');
  slabs.release(big);
  assert.equal(slabs.pooled, 1);
  const small = segment(w, 10, 's');
  assert.equal(small.toString('latin1'), '$3\r\nsss\r\n');
  assert.equal(slabs.pooled, 0, 'the next small reply goes to the pooled slab');
  assert.notEqual(small.buffer, big.buffer);
});
