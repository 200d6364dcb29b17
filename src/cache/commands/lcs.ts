// LCS (Redis 7's t_string.c): the longest common subsequence of two string values, by the
// dynamic-programming table, with LEN, or IDX (the matching ranges, longest last, as Redis walks
// the table back from the end), MINMATCHLEN and WITHMATCHLEN. The walk is Redis's step for step,
// so the ranges it reports, and which it leaves out, are the same.
import type { Stored } from '../machine/blobs.js';
import type { Value } from '../machine/values.js';
import { intArg } from './args.js';
import type { CommandSpec, Ctx } from './context.js';
import { fail, syntax } from './reply-error.js';
import { command, family } from './spec.js';

function lcs(c: Ctx): void {
  const [, key1, key2] = c.argv;
  // One lookup of each key, as in Redis (a missing key publishes one keymiss).
  const v1 = c.lookup(key1!);
  const v2 = c.lookup(key2!);
  const isString = (v: Value | undefined): v is Stored | undefined => v === undefined || typeof v === 'string' || typeof v === 'number';
  if (!isString(v1) || !isString(v2)) fail('ERR The specified keys must contain string values');
  const a = v1 === undefined ? '' : c.text(v1);
  const b = v2 === undefined ? '' : c.text(v2);
  let getIdx = false;
  let getLen = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < c.argv.length; j++) {
    const opt = c.argv[j]!.toUpperCase();
    if (opt === 'IDX') getIdx = true;
    else if (opt === 'LEN') getLen = true;
    else if (opt === 'WITHMATCHLEN') withMatchLen = true;
    else if (opt === 'MINMATCHLEN' && j + 1 < c.argv.length) minMatchLen = Math.max(0, intArg(c.argv[++j]!));
    else throw syntax();
  }
  if (getIdx && getLen) fail('ERR If you want both the length and indexes, please just use IDX.');
  const alen = a.length;
  const blen = b.length;
  const cells = (alen + 1) * (blen + 1);
  if (cells * 4 > c.server.maxStringBytes) fail('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
  // table[j + (blen + 1) * i]: the LCS length of a[0, i) and b[0, j).
  const table = new Uint32Array(cells);
  const at = (i: number, j: number) => table[j + (blen + 1) * i]!;
  for (let i = 1; i <= alen; i++) {
    for (let j = 1; j <= blen; j++) {
      table[j + (blen + 1) * i] = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? at(i - 1, j - 1) + 1 : Math.max(at(i - 1, j), at(i, j - 1));
    }
  }
  const length = at(alen, blen);
  if (getLen) return c.out.int(length);
  const result = new Array<string>(length);
  const ranges: number[][] = [];
  let idx = length;
  // alen in aStart: no range open.
  let aStart = alen;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      result[idx - 1] = a[i - 1]!;
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        // Contiguous with the open range: extend it backwards.
        aStart--;
        bStart--;
      } else emit = true;
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (minMatchLen === 0 || matchLen >= minMatchLen) ranges.push([aStart, aEnd, bStart, bEnd, matchLen]);
      aStart = alen;
    }
  }
  if (!getIdx) return c.out.bulk(result.join(''));
  c.out.map(2);
  c.out.bulk('matches');
  c.out.array(ranges.length);
  for (const [as, ae, bs, be, len] of ranges) {
    c.out.array(withMatchLen ? 3 : 2);
    c.out.array(2);
    c.out.int(as!);
    c.out.int(ae!);
    c.out.array(2);
    c.out.int(bs!);
    c.out.int(be!);
    if (withMatchLen) c.out.int(len!);
  }
  c.out.bulk('len');
  c.out.int(length);
}

export const lcsCommands: CommandSpec[] = family('string', [
  command('lcs', -3, 'readonly', [1, 2, 1], '@read @string @slow', 'Finds the longest common subsequence of two string values.', lcs),
]);
