import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RequestParser, RespProtocolError } from '../../../src/protocol/resp/parser.js';
import { splitInlineArgs } from '../../../src/protocol/resp/inline.js';
import { cutAt } from '../../helpers/chunks.js';
import { Scratch } from '../../../src/util/scratch.js';

function encode(args: readonly string[]): Buffer {
  return Buffer.from(`*${args.length}\r\n` + args.map((a) => `$${a.length}\r\n${a}\r\n`).join(''), 'latin1');
}

/**
 * Feeds each chunk as the server does: copied into one reused buffer, which is overwritten after
 * every feed, so a parser that kept a view of a chunk would produce wrong arguments.
 */
function parseAll(chunks: readonly Buffer[]): string[][] {
  const p = new RequestParser();
  const out = new Scratch<string[]>();
  const shared = Buffer.alloc(Math.max(1, ...chunks.map((c) => c.length)));
  for (const c of chunks) {
    c.copy(shared);
    p.feed(shared.subarray(0, c.length), out);
    shared.fill(0x2a);
  }
  return out.toArray();
}

test('multibulk commands split at any byte boundary parse to the same arguments', () => {
  const arg = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((n) => String.fromCharCode(n)), maxLength: 40 });
  fc.assert(
    fc.property(fc.array(fc.array(arg, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), (cmds, cuts) => {
      const bytes = Buffer.concat(cmds.map(encode));
      const chunks = cutAt(bytes, cuts.map((c) => c % (bytes.length + 1)));
      assert.deepEqual(parseAll(chunks), cmds);
    }),
  );
});

test('inline and multibulk commands mixed, split at any byte boundary', () => {
  const word = fc.stringMatching(/^[a-z0-9]{1,12}$/);
  const command = fc.record({ inline: fc.boolean(), args: fc.array(word, { minLength: 1, maxLength: 5 }) });
  fc.assert(
    fc.property(fc.array(command, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 8 }), (cmds, cuts) => {
      const bytes = Buffer.concat(cmds.map((c) => (c.inline ? Buffer.from(`${c.args.join(' ')}\r\n`) : encode(c.args))));
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const chunks = [...points, bytes.length].map((p, i, all) => bytes.subarray(i === 0 ? 0 : all[i - 1], p));
      assert.deepEqual(parseAll(chunks), cmds.map((c) => c.args));
    }),
  );
});

test('a large bulk string arriving in many small chunks is assembled once', () => {
  const value = 'x'.repeat(300_000);
  const bytes = encode(['SET', 'k', value]);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 1000) chunks.push(bytes.subarray(i, i + 1000));
  const out = parseAll(chunks);
  assert.equal(out.length, 1);
  assert.equal(out[0]![2], value);
});

test('commands of any argument count, presized or grown, cut into chunks', () => {
  // Counts up to 1,024 get an array of their size from the header; larger ones grow.
  for (const n of [1, 2, 1023, 1024, 1025, 3000]) {
    const args = Array.from({ length: n }, (_, i) => `a${i}`.repeat(1 + (i % 4)));
    const bytes = Buffer.concat([encode(args), encode(['PING'])]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 777) chunks.push(bytes.subarray(i, i + 777));
    assert.deepEqual(parseAll(chunks), [args, ['PING']], `${n} arguments`);
  }
});

test('inline commands: words, quotes, escapes, CRLF or LF; an empty line is an empty command', () => {
  assert.deepEqual(parseAll([Buffer.from('PING\r\nSET a "b c"\n\r\nGET \'x y\'\r\n')]), [['PING'], ['SET', 'a', 'b c'], [], ['GET', 'x y']]);
  assert.deepEqual(splitInlineArgs('set k "a\\x41\\n"'), ['set', 'k', 'aA\n']);
  assert.deepEqual(splitInlineArgs("x 'it\\'s'"), ['x', "it's"]);
  assert.equal(splitInlineArgs('set "unterminated'), null);
  assert.equal(splitInlineArgs('set "a"b'), null);
});

test('protocol violations are reported, not swallowed', () => {
  assert.throws(() => parseAll([Buffer.from('*2\r\n$3\r\nGET\r\n:1\r\n')]), RespProtocolError);
  assert.throws(() => parseAll([Buffer.from('*x\r\n')]), /invalid multibulk length/);
  assert.throws(() => parseAll([Buffer.from('*1\r\n$-5\r\n')]), /invalid bulk length/);
  // Lengths as Redis reads them (string2ll): no sign but '-', no leading zeros, no "-0".
  for (const bad of ['*01\r\n', '*-0\r\n', '*+1\r\n']) assert.throws(() => parseAll([Buffer.from(bad)]), /invalid multibulk length/);
  for (const bad of ['$04\r\n', '$-0\r\n', '$+4\r\n']) assert.throws(() => parseAll([Buffer.from(`*1\r\n${bad}`)]), /invalid bulk length/);
  assert.deepEqual(parseAll([Buffer.from('*0\r\n*-1\r\n*1\r\n$0\r\n\r\n*1\r\n$10\r\n0123456789\r\n')]), [[], [], [''], ['0123456789']]);
  assert.throws(() => parseAll([Buffer.from('SET "a\r\n')]), /unbalanced quotes/);
  const limited = () => new RequestParser({ maxBulkBytes: 10, maxArgs: 4, maxInlineBytes: 16 });
  assert.throws(() => limited().feed(Buffer.from('*1\r\n$11\r\n'), new Scratch<string[]>()), /invalid bulk length/);
  assert.throws(() => limited().feed(Buffer.from('*5\r\n'), new Scratch<string[]>()), /invalid multibulk length/);
  assert.throws(() => limited().feed(Buffer.from('x'.repeat(20)), new Scratch<string[]>()), /too big inline/);
});

test('header lines longer than the parser scans in JS are found, whole or split', () => {
  const longCount = Buffer.from(`*${'1'.repeat(30)}\r\n`, 'latin1');
  const longLength = Buffer.from(`*1\r\n$${'1'.repeat(40)}\r\nhello\r\n`, 'latin1');
  for (let cut = 0; cut <= longLength.length; cut++) {
    if (cut <= longCount.length) {
      assert.throws(() => parseAll([longCount.subarray(0, cut), longCount.subarray(cut)]), /invalid multibulk length/);
    }
    assert.throws(() => parseAll([longLength.subarray(0, cut), longLength.subarray(cut)]), /invalid bulk length/);
  }
  const limited = () => new RequestParser({ maxBulkBytes: 10, maxArgs: 4, maxInlineBytes: 30 });
  assert.throws(() => limited().feed(Buffer.from(`*1\r\n$${'1'.repeat(40)}`), new Scratch<string[]>()), /too big bulk count string/);
});

test("header lines end as Redis ends them: at the first CR, skipping the byte after it unread", () => {
  const cases: Array<[string, string[][] | RegExp]> = [
    // The byte after the CR is skipped whatever it is.
    ['*1\rX$4\rYPING\r\n', [['PING']]],
    // An LF alone does not end a header line: the count runs to the next CR.
    ['*1\n$4\nPING\n*1\r\n$4\r\nPING\r\n', /invalid multibulk length/],
    // A bulk's two bytes after its data are skipped unread too.
    ['*2\r\n$4\r\nECHO\r\n$1\r\nabPING\r\n', [['ECHO', 'a'], ['ING']]],
    // '$' is checked once the line is whole: nothing yet without the CR and the byte after it.
    ['*1\r\n+PING', []],
    ['*1\r\n+PING\r', []],
    ['*1\r\n+PING\r\n', /expected '\$', got '\+'/],
    // Negative counts are empty commands; past int64 is malformed.
    ['*-99999999999999\r\n*1\r\n$4\r\nPING\r\n', [[], ['PING']]],
    ['*-9223372036854775809\r\n', /invalid multibulk length/],
    ['*1\r\n$9223372036854775808\r\n', /invalid bulk length/],
  ];
  for (const [bytes, expected] of cases) {
    const whole = Buffer.from(bytes, 'latin1');
    // Whole, and cut at every byte: the same commands or the same error.
    for (let cut = 0; cut <= whole.length; cut++) {
      const chunks = [whole.subarray(0, cut), whole.subarray(cut)];
      if (expected instanceof RegExp) assert.throws(() => parseAll(chunks), expected, `${JSON.stringify(bytes)} cut at ${cut}`);
      else assert.deepEqual(parseAll(chunks), expected, `${JSON.stringify(bytes)} cut at ${cut}`);
    }
  }
});

test('an inline line is too big only while its newline has not come', () => {
  const limited = () => new RequestParser({ maxBulkBytes: 10, maxArgs: 4, maxInlineBytes: 16 });
  const out = new Scratch<string[]>();
  limited().feed(Buffer.from(`ECHO ${'x'.repeat(30)}\r\n`), out);
  assert.deepEqual(out.toArray(), [['ECHO', 'x'.repeat(30)]]);
  assert.throws(() => limited().feed(Buffer.from(`ECHO ${'x'.repeat(30)}`), new Scratch<string[]>()), /too big inline request/);
});

test('bufferedBytes counts an incomplete command', () => {
  const p = new RequestParser();
  const out = new Scratch<string[]>();
  p.feed(Buffer.from('*1\r\n$5\r\nhel'), out);
  assert.equal(out.length, 0);
  assert.ok(p.bufferedBytes > 0);
  p.feed(Buffer.from('lo\r\n'), out);
  assert.deepEqual(out.toArray(), [['hello']]);
  assert.equal(p.bufferedBytes, 0);
});
