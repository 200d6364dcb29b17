// Strings to bytes and back, latin1, as plain functions for the per-request paths (the RESP
// parser and writer, the effect encoder, the blob store).
//
// `buf.write(s, at, n, 'latin1')` and `buf.toString('latin1', from, to)` reach the native
// latin1Write and latin1Slice through Buffer's JavaScript wrappers, which dispatch on the
// encoding and load the native method from the buffer again; and the optimizing compiler does
// not inline a method loaded from Buffer.prototype, so each call also goes through V8's LoadIC
// builtin. Calling the native methods held here saves 8-12 ns a call (37.5 against 48 ns to
// write 1 KiB, 33 against 42 ns to read 32 bytes, node 20 on the project machine); `perf` of
// 1 KiB SETs at `-P 1` put 2.4% of the server's CPU in LoadIC before, mostly Buffer methods.
//
// latin1Write and latin1Slice are Buffer.prototype methods Node has had since v6 without
// documenting them; this module asserts at load that they are there.
import { assert } from './assert.js';

type Latin1Write = (this: Buffer, s: string, at: number, n: number) => number;
type Latin1Slice = (this: Buffer, from: number, to: number) => string;

const proto = Buffer.prototype as unknown as { latin1Write?: Latin1Write; latin1Slice?: Latin1Slice };
const nativeWrite = proto.latin1Write;
const nativeSlice = proto.latin1Slice;
assert(typeof nativeWrite === 'function' && typeof nativeSlice === 'function', 'Buffer.prototype.latin1Write and latin1Slice missing');
const write: Latin1Write = nativeWrite;
const slice: Latin1Slice = nativeSlice;

/** Writes the `n` first characters of `s` at `at` (the caller checked the room); returns `n`. */
export function writeLatin1(buf: Buffer, s: string, at: number, n: number): number {
  return write.call(buf, s, at, n);
}

/** The bytes `from` .. `to` of `buf` as a latin1 string (in range: the caller checked). */
export function readLatin1(buf: Buffer, from: number, to: number): string {
  return slice.call(buf, from, to);
}
