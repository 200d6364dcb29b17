// Streams (XADD XLEN XRANGE XREVRANGE XDEL XTRIM XSETID XREAD XREADGROUP XGROUP XACK XPENDING
// XCLAIM XAUTOCLAIM XINFO) against redis-server 7.0.15 side by side: the same command lines on
// both, every reply compared (explicit ids so that replies are deterministic; errors, arity,
// trimming, consumer groups and their lag, wrong types, TYPE, OBJECT ENCODING, the generic key
// commands, RESP3's maps, null replies byte for byte), and random sequences with a seed. Then the
// time-based ids of `*`, blocking XREAD and XREADGROUP (woken by XADD, timing out, ended by DEL,
// SET or XGROUP DESTROY), keyspace events, ioredis, and restart after SIGKILL from the log alone
// and from a snapshot plus the log.
//
// What two correct servers may answer differently is normalized before comparing, and only that:
// idle times in milliseconds (XPENDING's extended form, XINFO CONSUMERS), the delivery and seen
// times of XINFO STREAM FULL (unix milliseconds). XINFO STREAM's radix-tree-keys and
// radix-tree-nodes are compared as they are: Depot counts its nodes as Redis's rax would hold
// them (commands/stream-info.ts). Approximate trimming
// (`~`) is compared on small streams (one node: nothing trimmed) and, in a test of its own, past
// one node, which holds because Depot sizes its stream nodes as Redis sizes its listpacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { encodeCommand, keyEvents, RespClient, show, sideBySide, type Reply } from '../helpers/cache-resp-client.js';
import { depotAndRedis, startDepot, type ServerProcess } from '../helpers/cache-servers.js';
import { Incomplete, parseReply } from '../../src/protocol/resp/reply-reader.js';

const servers = depotAndRedis();

// ---------------------------------------------------------------------------------------------
// Helpers

const MINUTE = 60_000;

/**
 * An idle time: "recent" under a minute, "ancient" over a year (XCLAIM's TIME 1000), else whole
 * minutes (XCLAIM IDLE sets those).
 */
function idleClass(ms: string): string {
  const n = Number(ms);
  if (n < MINUTE) return 'recent';
  return n > 365 * 24 * 60 * MINUTE ? 'ancient' : `${Math.floor(n / MINUTE)}min`;
}

/** A unix time in ms: "now" within a minute of this process's clock (both servers share it). */
function timeClass(ms: string): string {
  return Math.abs(Number(ms) - Date.now()) < MINUTE ? 'now' : ms;
}

/**
 * One printed `line -> reply` with what may differ between two correct servers replaced (see the
 * header); each rule applies to its command's replies only, so nothing else is hidden.
 */
function normalize(printed: string): string {
  const command = printed.slice(0, printed.indexOf(' -> ')).toUpperCase();
  let out = printed;
  if (command.startsWith('XINFO STREAM')) {
    // FULL: seen-time and the PEL's delivery times are unix ms.
    out = out.replace(/(bulk:"seen-time", )int:"(\d+)"/g, (_m, k: string, v: string) => `${k}int:"<${timeClass(v)}>"`);
    out = out.replace(/(array\[bulk:"\d+-\d+", (?:bulk:"[^"]*", )?)int:"(\d+)"(, int:"\d+"\])/g, (_m, a: string, v: string, b: string) => `${a}int:"<${timeClass(v)}>"${b}`);
  }
  if (command.startsWith('XINFO CONSUMERS')) {
    out = out.replace(/(bulk:"idle", )int:"(\d+)"/g, (_m, k: string, v: string) => `${k}int:"<${idleClass(v)}>"`);
  }
  if (command.startsWith('XPENDING')) {
    // The extended form's entries: [id, consumer, idle, deliveries].
    out = out.replace(/(array\[bulk:"\d+-\d+", bulk:"[^"]*", )int:"(\d+)"/g, (_m, a: string, v: string) => `${a}int:"<${idleClass(v)}>"`);
  }
  // HELLO's reply carries the connection's id, which the two servers number apart.
  if (command.startsWith('HELLO')) out = out.replace(/bulk:"id", int:"\d+"/, 'bulk:"id", int:"?"');
  return out;
}

/** Runs `lines` on Depot and on redis-server and asserts the same (normalized) replies. */
async function compare(lines: readonly (readonly string[])[], message?: string): Promise<void> {
  const { depot, redis } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(depot.map(normalize), redis.map(normalize), message);
}

/** `XADD key id field value` for ids `from-0` .. `to-0`, the field numbered like the id. */
function addRange(key: string, from: number, to: number): string[][] {
  const lines: string[][] = [];
  for (let i = from; i <= to; i++) lines.push(['XADD', key, `${i}-0`, 'f', String(i)]);
  return lines;
}

/**
 * The raw bytes of each reply, in order (a nil bulk `$-1` and a nil array `*-1` look the same
 * once parsed, and Redis uses both for streams).
 */
async function rawReplies(port: number, lines: readonly (readonly string[])[]): Promise<string[]> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  try {
    let buf = Buffer.alloc(0);
    const frames: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        for (;;) {
          try {
            const { next } = parseReply(buf, 0);
            frames.push(buf.subarray(0, next).toString('latin1'));
            buf = buf.subarray(next);
          } catch (err) {
            if (err instanceof Incomplete) break;
            reject(err);
            return;
          }
        }
        if (frames.length === lines.length) resolve();
      });
      socket.once('close', () => reject(new Error(`connection closed after ${frames.length} replies`)));
    });
    for (const line of lines) socket.write(encodeCommand(line));
    await done;
    return frames.map((f, i) => `${lines[i]!.join(' ')} -> ${JSON.stringify(f)}`);
  } finally {
    socket.destroy();
  }
}

/** A reply as plain JS: strings, numbers (ints), null, arrays (maps flattened). */
function plain(r: Reply): unknown {
  switch (r.t) {
    case 'null': return null;
    case 'int': return Number(r.v);
    case 'array':
    case 'map':
    case 'set':
    case 'push': return r.v.map(plain);
    case 'error': return { error: r.v };
    case 'bool': return r.v;
    default: return r.v;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// Side by side: deterministic command lines

test('XADD with explicit ids, NOMKSTREAM, MAXLEN and MINID trimming, and their errors', async () => {
  await compare([
    ['FLUSHALL'],
    // Explicit ids and the incomplete forms: `ms` (seq 0) and `ms-*` (the next seq for ms).
    ['XADD', 's', '1-1', 'a', '1'],
    ['XADD', 's', '1-2', 'b', '2', 'c', '3'],
    ['XADD', 's', '1-*', 'd', '4'],
    ['XADD', 's', '5', 'e', '5'],
    ['XADD', 's', '1000-*', 'f', '6'],
    ['XADD', 's', '1000-*', 'g', '7'],
    ['XADD', 's', '2000-0', 'h', '8', 'h', '9'], // a repeated field is kept twice
    ['XADD', 's', '2001-0', '', ''],
    ['XLEN', 's'],
    ['XRANGE', 's', '-', '+'],
    // Not greater than the top item, 0-0, bad syntax: errors, and the key is not created.
    ['XADD', 's', '5', 'x', '1'],
    ['XADD', 's', '2001-0', 'x', '1'],
    ['XADD', 's', '1999-*', 'x', '1'],
    ['XADD', 's', '2001-18446744073709551615', 'x', '1'],
    ['XADD', 's', '0-0', 'x', '1'],
    ['XADD', 'fresh', '0-0', 'x', '1'],
    ['EXISTS', 'fresh'],
    ['XADD', 'fresh', '0-*', 'x', '1'],
    ['XADD', 'fresh2', '0-1', 'x', '1'],
    ['XADD', 's', 'abc', 'x', '1'],
    ['XADD', 's', '1-x', 'x', '1'],
    ['XADD', 's', '-1', 'x', '1'],
    ['XADD', 's', '1-', 'x', '1'],
    ['XADD', 's', '*-1', 'x', '1'],
    ['XADD', 's', '1--1', 'x', '1'],
    ['XADD', 's', '1-1-1', 'x', '1'],
    ['XADD', 's', '0x10', 'x', '1'],
    ['XADD', 's', '18446744073709551616-0', 'x', '1'],
    ['XADD', 's', '1-18446744073709551616', 'x', '1'],
    ['XADD', 'bad', 'abc', 'x', '1'],
    ['EXISTS', 'bad'],
    // Field/value pairs and arity.
    ['XADD', 's', '3000-0', 'x'],
    ['XADD', 's', '3000-0'],
    ['XADD', 's'],
    ['XADD', 's', '3000-0', 'x', '1', 'y'],
    ['XADD', 's', 'MAXLEN', '1', '*', 'a'],
    ['XADD', 's', 'MAXLEN', '~', '1', 'LIMIT'],
    ['XLEN', 's'],
    // NOMKSTREAM: nil and no key when missing; adds when present.
    ['XADD', 'nokey', 'NOMKSTREAM', '1-1', 'a', '1'],
    ['EXISTS', 'nokey'],
    ['XADD', 's', 'NOMKSTREAM', '3000-0', 'a', '1'],
    ['XADD', 's', 'NOMKSTREAM', 'MAXLEN', '100', '3001-0', 'a', '1'],
    // The last possible id: after it nothing more can be added, not even an explicit id.
    ['XADD', 'max', '18446744073709551615-18446744073709551615', 'x', '1'],
    ['XADD', 'max', '1-1', 'x', '1'],
    ['XADD', 'max', '*', 'x', '1'],
    ['XADD', 'max2', '18446744073709551615-18446744073709551614', 'x', '1'],
    ['XADD', 'max2', '18446744073709551615-*', 'x', '1'],
    ['XADD', 'max2', '18446744073709551615-*', 'x', '1'],
    ['XADD', 'max3', '18446744073709551615-*', 'x', '1'],
    // `*` after a top item in the future continues its sequence.
    ['XADD', 'future', '99999999999999-0', 'a', '1'],
    ['XADD', 'future', '*', 'a', '1'],
    ['XADD', 'future', '99999999999999-*', 'a', '1'],
    // Exact trimming, by length and by id.
    ...addRange('t', 1, 10),
    ['XADD', 't', 'MAXLEN', '=', '8', '11-0', 'f', '11'],
    ['XRANGE', 't', '-', '+'],
    ['XADD', 't', 'MAXLEN', '5', '12-0', 'f', '12'],
    ['XRANGE', 't', '-', '+'],
    ['XADD', 't', 'MINID', '10', '13-0', 'f', '13'],
    ['XRANGE', 't', '-', '+'],
    ['XADD', 't', 'MINID', '=', '12-0', '14-0', 'f', '14'],
    ['XRANGE', 't', '-', '+'],
    ['XADD', 't', 'maxlen', '=', '100', '15-0', 'f', '15'],
    // Approximate trimming of a stream this small removes nothing (one listpack node that
    // still holds entries to keep).
    ['XADD', 't', 'MAXLEN', '~', '1', '16-0', 'f', '16'],
    ['XADD', 't', 'MAXLEN', '~', '2', 'LIMIT', '10', '17-0', 'f', '17'],
    ['XADD', 't', 'MINID', '~', '14', '18-0', 'f', '18'],
    ['XLEN', 't'],
    ['XRANGE', 't', '-', '+'],
    // Trimming to nothing leaves an empty stream, which still exists.
    ['XADD', 't', 'MAXLEN', '0', '19-0', 'f', '19'],
    ['XLEN', 't'],
    ['EXISTS', 't'],
    ['XRANGE', 't', '-', '+'],
    ['XADD', 't', '19-0', 'f', '19'],
    ['XADD', 't2', 'MAXLEN', '0', '1-0', 'a', '1'],
    ['XLEN', 't2'],
    ['EXISTS', 't2'],
    ['XADD', 't3', 'MINID', '100', '1-0', 'a', '1'],
    ['XLEN', 't3'],
    // Option errors.
    ['XADD', 't', 'MAXLEN', '5', 'LIMIT', '10', '20-0', 'a', '1'],
    ['XADD', 't', 'MAXLEN', '=', '5', 'LIMIT', '10', '20-0', 'a', '1'],
    ['XADD', 't', 'LIMIT', '10', '20-0', 'a', '1'],
    ['XADD', 't', 'MAXLEN', '-1', '20-0', 'a', '1'],
    ['XADD', 't', 'MAXLEN', 'x', '20-0', 'a', '1'],
    ['XADD', 't', 'MAXLEN', '9223372036854775808', '20-0', 'a', '1'],
    ['XADD', 't', 'MINID', 'x', '20-0', 'a', '1'],
    ['XADD', 't', 'MINID', '(5', '20-0', 'a', '1'],
    ['XADD', 't', 'MAXLEN', '1', 'MINID', '1', '20-0', 'a', '1'],
    ['XADD', 't', 'MAXLEN', '~', '5', 'LIMIT', '-1', '20-0', 'a', '1'],
    ['XADD', 't', 'MAXLEN', '~', '5', 'LIMIT', 'x', '20-0', 'a', '1'],
    ['XADD', 't', 'MAXLEN', '9223372036854775807', '20-0', 'a', '1'],
    ['XLEN', 't'],
    // Wrong type.
    ['SET', 'str', 'x'],
    ['XADD', 'str', '1-1', 'a', '1'],
    ['XADD', 'str', 'NOMKSTREAM', '1-1', 'a', '1'],
    ['GET', 'str'],
  ]);
});

test('XLEN, XRANGE, XREVRANGE, XDEL and XTRIM answer as redis-server does', async () => {
  await compare([
    ['FLUSHALL'],
    ['XADD', 'r', '1-1', 'a', '1'],
    ['XADD', 'r', '1-2', 'b', '2'],
    ['XADD', 'r', '2-0', 'c', '3'],
    ['XADD', 'r', '5-0', 'd', '4'],
    ['XADD', 'r', '5-1', 'e', '5'],
    ['XADD', 'r', '10-0', 'f', '6'],
    ['XLEN', 'r'],
    ['XLEN', 'nokey'],
    ['XLEN'],
    ['XLEN', 'r', 'x'],
    ['XRANGE', 'r', '-', '+'],
    ['XRANGE', 'r', '-', '+', 'COUNT', '2'],
    ['XRANGE', 'r', '-', '+', 'count', '100'],
    ['XRANGE', 'r', '-', '+', 'COUNT', '0'],
    ['XRANGE', 'r', '-', '+', 'COUNT', '-1'],
    ['XRANGE', 'r', '-', '+', 'COUNT', '2', 'COUNT', '3'],
    // Incomplete ids: `5` is 5-0 as a start and 5-<max> as an end.
    ['XRANGE', 'r', '5', '5'],
    ['XRANGE', 'r', '1', '2'],
    ['XRANGE', 'r', '2', '5-0'],
    ['XRANGE', 'r', '0', '+'],
    ['XRANGE', 'r', '00005', '+'],
    ['XRANGE', 'r', '5-00', '+'],
    ['XRANGE', 'r', '1-18446744073709551615', '+'],
    // Exclusive bounds.
    ['XRANGE', 'r', '(1-1', '+'],
    ['XRANGE', 'r', '(1', '+'],
    ['XRANGE', 'r', '-', '(5-1'],
    ['XRANGE', 'r', '-', '(5'],
    ['XRANGE', 'r', '(0-0', '+'],
    ['XRANGE', 'r', '-', '(18446744073709551615-18446744073709551615'],
    ['XRANGE', 'r', '(18446744073709551615-18446744073709551615', '+'],
    ['XRANGE', 'r', '-', '(0-0'],
    ['XRANGE', 'r', '(5-1', '(10-0'],
    ['XRANGE', 'r', '(5-0', '(5-1'],
    // Empty ranges and errors.
    ['XRANGE', 'r', '5-0', '2-0'],
    ['XRANGE', 'r', '+', '-'],
    ['XRANGE', 'r', '(-', '+'],
    ['XRANGE', 'r', '-', '(+'],
    ['XRANGE', 'r', '(', '+'],
    ['XRANGE', 'r', '(x', '+'],
    ['XRANGE', 'r', '1-18446744073709551616', '+'],
    ['XRANGE', 'r', '5-*', '+'],
    ['XRANGE', 'r', 'a', '+'],
    ['XRANGE', 'r', '-1', '+'],
    ['XRANGE', 'r', '5 ', '+'],
    ['XRANGE', 'r', '-', '+', 'COUNT', 'x'],
    ['XRANGE', 'r', '-', '+', 'COUNT'],
    ['XRANGE', 'r', '-', '+', 'FOO', '1'],
    ['XRANGE', 'r'],
    ['XRANGE', 'r', '-'],
    ['XRANGE', 'nokey', '-', '+'],
    ['XRANGE', 'nokey', 'x', '+'],
    ['XREVRANGE', 'r', '+', '-'],
    ['XREVRANGE', 'r', '+', '-', 'COUNT', '2'],
    ['XREVRANGE', 'r', '+', '-', 'COUNT', '0'],
    ['XREVRANGE', 'r', '5', '5'],
    ['XREVRANGE', 'r', '(5-1', '-'],
    ['XREVRANGE', 'r', '5', '(1-2'],
    ['XREVRANGE', 'r', '(5', '(1'],
    ['XREVRANGE', 'r', '10', '1'],
    ['XREVRANGE', 'r', '-', '+'],
    ['XREVRANGE', 'r', '(-', '-'],
    ['XREVRANGE', 'r', '+', '-', 'COUNT'],
    ['XREVRANGE', 'nokey', '+', '-'],
    // XDEL: existing, missing, several, errors; the top id stays the stream's last id.
    ...addRange('d', 1, 6),
    ['XDEL', 'd', '2-0'],
    ['XDEL', 'd', '2-0'],
    ['XDEL', 'd', '3-0', '4', '99-0', '3-0'],
    ['XDEL', 'd', 'x'],
    ['XDEL', 'd', '1-0', 'x'],
    ['XLEN', 'd'],
    ['XDEL', 'd'],
    ['XDEL', 'nokey', '1-0'],
    ['EXISTS', 'nokey'],
    ['XRANGE', 'd', '-', '+'],
    ['XDEL', 'd', '6-0'],
    ['XADD', 'd', '6-0', 'f', '6'],
    ['XADD', 'd', '5-5', 'f', '6'],
    ['XADD', 'd', '6-*', 'f', '6'],
    ['XDEL', 'd', '1-0', '5-0', '6-1'],
    ['XLEN', 'd'],
    ['EXISTS', 'd'],
    ['XRANGE', 'd', '-', '+'],
    ['XREVRANGE', 'd', '+', '-'],
    ['XADD', 'd', '6-1', 'f', '6'],
    ['XADD', 'd', '6-2', 'f', '6'],
    // XTRIM.
    ...addRange('u', 1, 10),
    ['XTRIM', 'u', 'MAXLEN', '8'],
    ['XTRIM', 'u', 'MAXLEN', '=', '8'],
    ['XTRIM', 'u', 'MINID', '5'],
    ['XTRIM', 'u', 'MINID', '=', '5-0'],
    ['XTRIM', 'u', 'MINID', '0'],
    ['XRANGE', 'u', '-', '+'],
    ['XTRIM', 'u', 'MAXLEN', '~', '3'],
    ['XTRIM', 'u', 'MAXLEN', '~', '3', 'LIMIT', '1'],
    ['XTRIM', 'u', 'MINID', '~', '6', 'LIMIT', '100'],
    ['XTRIM', 'u', 'maxlen', '3'],
    ['XRANGE', 'u', '-', '+'],
    ['XTRIM', 'u', 'MAXLEN', '3', 'LIMIT', '1'],
    ['XTRIM', 'u', 'MINID', '(5'],
    ['XTRIM', 'u', 'MINID', 'x'],
    ['XTRIM', 'u'],
    ['XTRIM', 'u', 'MAXLEN'],
    ['XTRIM', 'u', 'FOO', '1'],
    ['XTRIM', 'u', 'MAXLEN', '-1'],
    ['XTRIM', 'u', 'MAXLEN', 'x'],
    ['XTRIM', 'u', 'MAXLEN', '1', 'MINID', '1'],
    ['XTRIM', 'u', 'MAXLEN', '1', 'FOO'],
    ['XTRIM', 'u', 'MAXLEN', '~', '1', 'LIMIT', '-1'],
    ['XTRIM', 'nokey', 'MAXLEN', '0'],
    ['EXISTS', 'nokey'],
    ['XTRIM', 'u', 'MAXLEN', '0'],
    ['XLEN', 'u'],
    ['EXISTS', 'u'],
    ['XTRIM', 'u', 'MAXLEN', '0'],
    ['XADD', 'u', '10-0', 'f', '10'],
    ['XADD', 'u', '10-1', 'f', '10'],
    ['XRANGE', 'u', '-', '+'],
  ]);
});

test('approximate trimming (~) past one node trims what redis-server trims', async () => {
  // Redis trims whole listpack nodes (100 entries or 4 KB by default), so what `~` leaves
  // depends on where nodes end. Depot sizes its nodes as Redis does (by design, see the
  // streams commit), which makes this comparable, radix-tree counts included.
  const lines: string[][] = [['FLUSHALL'], ...addRange('b', 1, 250)];
  lines.push(
    ['XTRIM', 'b', 'MAXLEN', '~', '120'],
    ['XLEN', 'b'],
    ['XRANGE', 'b', '-', '+', 'COUNT', '1'],
    ['XADD', 'b', 'MAXLEN', '~', '10', '300-0', 'f', 'x'],
    ['XLEN', 'b'],
    ['XTRIM', 'b', 'MINID', '~', '240'],
    ['XLEN', 'b'],
    ['XINFO', 'STREAM', 'b'],
  );
  // Some entries of 300 bytes: nodes end on the 4 KB limit before 100 entries.
  for (let i = 1; i <= 120; i++) lines.push(['XADD', 'c', `${i}-0`, 'field', 'x'.repeat(i % 7 === 0 ? 300 : 10)]);
  lines.push(['XTRIM', 'c', 'MAXLEN', '~', '50', 'LIMIT', '20'], ['XLEN', 'c'], ['XTRIM', 'c', 'MAXLEN', '~', '50'], ['XLEN', 'c'], ['XRANGE', 'c', '-', '+', 'COUNT', '1']);
  // Capped as it grows, the usual use of `~`.
  for (let i = 1; i <= 130; i++) lines.push(['XADD', 'd', 'MAXLEN', '~', '100', `${i}-0`, 'f', 'v']);
  lines.push(['XLEN', 'd'], ['XRANGE', 'd', '-', '+', 'COUNT', '1'], ['XINFO', 'STREAM', 'd']);
  await compare(lines);
});

test('XSETID and XINFO STREAM (entries-added, max-deleted-entry-id, recorded-first-entry-id) answer as redis-server does', async () => {
  await compare([
    ['FLUSHALL'],
    ...addRange('s', 1, 3),
    ['XINFO', 'STREAM', 's'],
    ['XDEL', 's', '2-0'],
    ['XINFO', 'STREAM', 's'],
    ['XSETID', 's', '3-0'],
    ['XSETID', 's', '2-0'],
    ['XSETID', 's', '0-0'],
    ['XSETID', 's', '5-0'],
    ['XINFO', 'STREAM', 's'],
    ['XADD', 's', '5-0', 'f', '5'],
    ['XADD', 's', '5-*', 'f', '5'],
    ['XSETID', 's', '10-0', 'ENTRIESADDED', '3', 'MAXDELETEDID', '2-0'],
    ['XSETID', 's', '10-0', 'ENTRIESADDED', '1'],
    ['XSETID', 's', '10-0', 'ENTRIESADDED', '5', 'MAXDELETEDID', '11-0'],
    ['XSETID', 's', '10-0', 'ENTRIESADDED', '5', 'MAXDELETEDID', '3-0'],
    ['XINFO', 'STREAM', 's'],
    ['XSETID', 's', '10-0', 'ENTRIESADDED', '-1'],
    ['XSETID', 's', '10-0', 'ENTRIESADDED', 'x'],
    ['XSETID', 's', '10-0', 'ENTRIESADDED', '18446744073709551615'],
    ['XSETID', 's', '10-0', 'MAXDELETEDID', 'x'],
    ['XSETID', 's', '10-0', 'FOO', '1'],
    ['XSETID', 's', '10-0', 'ENTRIESADDED'],
    ['XSETID', 's', 'x'],
    ['XSETID', 's', '(11'],
    ['XSETID', 's', '11-*'],
    ['XSETID', 's', '+'],
    ['XSETID', 's', '-'],
    ['XSETID', 's'],
    ['XSETID', 'nokey', '1-0'],
    ['EXISTS', 'nokey'],
    ['XSETID', 's', '10-0', 'MAXDELETEDID', '0-0'],
    ['XSETID', 's', '10-0', 'ENTRIESADDED', '3'],
    ['XSETID', 's', '10-0', 'ENTRIESADDED', '100', 'MAXDELETEDID', '10-0'],
    ['XINFO', 'STREAM', 's'],
    ['XSETID', 's', '10-6', 'MAXDELETEDID', '10-5'],
    // A large counter, below 2^53: Depot counts in doubles, where Redis's int64 would wrap past
    // 2^63-1 (C's signed overflow, from XSETID ENTRIESADDED 9223372036854775807 and one XADD).
    ['XSETID', 's', '11', 'ENTRIESADDED', '9007199254740991'],
    ['XINFO', 'STREAM', 's'],
    ['XADD', 's', '11-0', 'f', '11'],
    ['XADD', 's', '11-*', 'f', '11'],
    ['XINFO', 'STREAM', 's'],
    // An empty stream can be moved back, even to 0-0.
    ['XADD', 'e', '1-0', 'a', '1'],
    ['XDEL', 'e', '1-0'],
    ['XSETID', 'e', '0-1'],
    ['XSETID', 'e', '0-0'],
    ['XINFO', 'STREAM', 'e'],
    ['XADD', 'e', '0-1', 'a', '1'],
    ['XINFO', 'STREAM', 'e'],
    // XINFO STREAM after trimming, on an empty stream, FULL, and its errors.
    ...addRange('t', 1, 6),
    ['XTRIM', 't', 'MAXLEN', '3'],
    ['XDEL', 't', '5-0'],
    ['XINFO', 'STREAM', 't'],
    ['XTRIM', 't', 'MAXLEN', '0'],
    ['XINFO', 'STREAM', 't'],
    ['XGROUP', 'CREATE', 'mk', 'g', '$', 'MKSTREAM'],
    ['XINFO', 'STREAM', 'mk'],
    ...addRange('f', 1, 3),
    ['XINFO', 'STREAM', 'f', 'FULL'],
    ['XINFO', 'STREAM', 'f', 'FULL', 'COUNT', '1'],
    ['XINFO', 'STREAM', 'f', 'FULL', 'COUNT', '0'],
    ['XINFO', 'STREAM', 'f', 'full', 'count', '2'],
    ['XINFO', 'STREAM', 'f', 'FULL', 'COUNT', 'x'],
    ['XINFO', 'STREAM', 'f', 'FOO'],
    ['XINFO', 'STREAM', 'f', 'COUNT', '1'],
    ['XINFO', 'STREAM', 'nokey'],
    ['XINFO', 'STREAM'],
    ['XINFO'],
    ['XINFO', 'FOO'],
    ['SET', 'str', 'x'],
    ['XSETID', 'str', '1-0'],
    ['XINFO', 'STREAM', 'str'],
  ]);
});

test('consumer groups: XGROUP CREATE, SETID, CREATECONSUMER, DELCONSUMER, DESTROY and XINFO GROUPS', async () => {
  await compare([
    ['FLUSHALL'],
    ...addRange('s', 1, 4),
    // Created out of order: XINFO GROUPS lists groups by name.
    ['XGROUP', 'CREATE', 's', 'g5', '0', 'ENTRIESREAD', '10'],
    ['XGROUP', 'CREATE', 's', 'g1', '0'],
    ['XGROUP', 'CREATE', 's', 'g1', '0'],
    ['XGROUP', 'CREATE', 's', 'g1', '$'],
    ['XGROUP', 'CREATE', 's', 'g2', '$'],
    ['XGROUP', 'CREATE', 's', 'g3', '2-0'],
    ['XGROUP', 'CREATE', 's', 'g4', '2-0', 'ENTRIESREAD', '2'],
    ['XGROUP', 'CREATE', 's', 'g6', '0', 'ENTRIESREAD', '-1'],
    ['XGROUP', 'CREATE', 's', 'g9', '99-0'],
    ['XGROUP', 'CREATE', 's', 'g10', '0', 'MKSTREAM', 'ENTRIESREAD', '1'],
    ['XGROUP', 'CREATE', 's', 'g11', '0', 'ENTRIESREAD', '1', 'MKSTREAM'],
    ['xgroup', 'create', 's', 'G', '3'],
    ['XINFO', 'GROUPS', 's'],
    ['XGROUP', 'CREATE', 's', 'g7', '0', 'ENTRIESREAD', '-2'],
    ['XGROUP', 'CREATE', 's', 'g8', '0', 'ENTRIESREAD', 'x'],
    ['XGROUP', 'CREATE', 's', 'g8', '0', 'ENTRIESREAD'],
    ['XGROUP', 'CREATE', 's', 'g8', '0', 'FOO'],
    ['XGROUP', 'CREATE', 's', 'g8', 'x'],
    ['XGROUP', 'CREATE', 's', 'g8', '>'],
    ['XGROUP', 'CREATE', 's', 'g8', '(1'],
    ['XGROUP', 'CREATE', 's'],
    ['XGROUP', 'CREATE', 's', 'g'],
    ['XGROUP'],
    ['XGROUP', 'FOO'],
    ['XGROUP', 'FOO', 's', 'g'],
    ['XGROUP', 'CREATE', 'nokey', 'g', '0'],
    ['EXISTS', 'nokey'],
    ['XGROUP', 'CREATE', 'nokey', 'g', '$', 'MKSTREAM'],
    ['XGROUP', 'CREATE', 'nokey2', 'g', '5-0', 'MKSTREAM'],
    ['TYPE', 'nokey2'],
    ['XLEN', 'nokey2'],
    ['XINFO', 'GROUPS', 'nokey2'],
    ['XINFO', 'GROUPS', 'nokey3'],
    // SETID moves the group's last delivered id (and entries-read).
    ['XGROUP', 'SETID', 's', 'g1', '$'],
    ['XINFO', 'GROUPS', 's'],
    ['XGROUP', 'SETID', 's', 'g1', '1-0', 'ENTRIESREAD', '1'],
    ['XINFO', 'GROUPS', 's'],
    ['XGROUP', 'SETID', 's', 'g1', '0'],
    ['XGROUP', 'SETID', 's', 'g2', '3', 'ENTRIESREAD', '-1'],
    ['XINFO', 'GROUPS', 's'],
    ['XGROUP', 'SETID', 's', 'nog', '0'],
    ['XGROUP', 'SETID', 'nokey9', 'g', '0'],
    ['XGROUP', 'SETID', 's', 'g1', 'x'],
    ['XGROUP', 'SETID', 's', 'g1', '0', 'ENTRIESREAD', '-5'],
    ['XGROUP', 'SETID', 's', 'g1', '0', 'FOO'],
    ['XGROUP', 'SETID', 's', 'g1'],
    // Consumers.
    ['XGROUP', 'CREATECONSUMER', 's', 'g1', 'alice'],
    ['XGROUP', 'CREATECONSUMER', 's', 'g1', 'alice'],
    ['XGROUP', 'CREATECONSUMER', 's', 'g1', 'bob'],
    ['XGROUP', 'CREATECONSUMER', 's', 'nog', 'alice'],
    ['XGROUP', 'CREATECONSUMER', 'nokey9', 'g', 'alice'],
    ['XGROUP', 'CREATECONSUMER', 's', 'g1'],
    ['XINFO', 'CONSUMERS', 's', 'g1'],
    ['XINFO', 'GROUPS', 's'],
    ['XGROUP', 'DELCONSUMER', 's', 'g1', 'alice'],
    ['XGROUP', 'DELCONSUMER', 's', 'g1', 'alice'],
    ['XGROUP', 'DELCONSUMER', 's', 'nog', 'alice'],
    ['XGROUP', 'DELCONSUMER', 'nokey9', 'g', 'alice'],
    ['XGROUP', 'DELCONSUMER', 's', 'g1'],
    ['XINFO', 'CONSUMERS', 's', 'g1'],
    ['XINFO', 'CONSUMERS', 's', 'nog'],
    ['XINFO', 'CONSUMERS', 'nokey9', 'g'],
    ['XINFO', 'CONSUMERS', 's'],
    // DESTROY.
    ['XGROUP', 'DESTROY', 's', 'g2'],
    ['XGROUP', 'DESTROY', 's', 'g2'],
    ['XGROUP', 'DESTROY', 'nokey9', 'g2'],
    ['XGROUP', 'DESTROY', 's'],
    ['XGROUP', 'DESTROY', 's', 'g1', 'x'],
    ['XINFO', 'GROUPS', 's'],
    ['XINFO', 'STREAM', 's'],
    ['XGROUP', 'HELP', 'x'],
    // Wrong type.
    ['SET', 'str', 'x'],
    ['XGROUP', 'CREATE', 'str', 'g', '0'],
    ['XGROUP', 'CREATE', 'str', 'g', '0', 'MKSTREAM'],
    ['XGROUP', 'SETID', 'str', 'g', '0'],
    ['XGROUP', 'DESTROY', 'str', 'g'],
    ['XGROUP', 'CREATECONSUMER', 'str', 'g', 'c'],
    ['XGROUP', 'DELCONSUMER', 'str', 'g', 'c'],
    ['XINFO', 'GROUPS', 'str'],
    ['XINFO', 'CONSUMERS', 'str', 'g'],
  ]);
});

test('WATCH: consumer-group commands and XSETID leave a watched stream unchanged; entries and MKSTREAM change it, as on redis-server', async () => {
  const setup = [['DEL', 'ws', 'wn'], ['XADD', 'ws', '1-0', 'f', 'v'], ['XADD', 'ws', '2-0', 'f', 'v'], ['XGROUP', 'CREATE', 'ws', 'g', '0'], ['XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', '1', 'STREAMS', 'ws', '>']];
  const writes = [
    ['XSETID', 'ws', '5-0'],
    ['XGROUP', 'SETID', 'ws', 'g', '0'],
    ['XACK', 'ws', 'g', '1-0'],
    ['XGROUP', 'CREATE', 'ws', 'g2', '0'],
    ['XGROUP', 'DESTROY', 'ws', 'g'],
    ['XGROUP', 'CREATECONSUMER', 'ws', 'g', 'c9'],
    ['XGROUP', 'DELCONSUMER', 'ws', 'g', 'c1'],
    ['XREADGROUP', 'GROUP', 'g', 'c2', 'COUNT', '1', 'STREAMS', 'ws', '>'],
    ['XCLAIM', 'ws', 'g', 'c2', '0', '1-0'],
    ['XAUTOCLAIM', 'ws', 'g', 'c2', '0', '0'],
    ['XADD', 'ws', '7-0', 'a', 'b'],
    ['XDEL', 'ws', '1-0'],
    ['XTRIM', 'ws', 'MAXLEN', '1'],
    ['XGROUP', 'CREATE', 'wn', 'g', '$', 'MKSTREAM'],
  ];
  // EXEC answers null where the watched key was signalled as modified.
  const keyOf = (w: string[]) => (w[0] === 'XGROUP' ? w[2]! : w[0] === 'XREADGROUP' ? w.at(-2)! : w[1]!);
  const lines = writes.flatMap((w) => [...setup, ['WATCH', keyOf(w)], w, ['MULTI'], ['PING'], ['EXEC']]);
  await compare(lines);
});

test('consumer groups: XREADGROUP, XACK, XPENDING, lag and entries-read answer as redis-server does', async () => {
  await compare([
    ['FLUSHALL'],
    ...addRange('s', 1, 4),
    ['XADD', 't', '1-0', 'x', '1'],
    ['XGROUP', 'CREATE', 's', 'g', '0'],
    ['XGROUP', 'CREATE', 't', 'g', '0'],
    ['XPENDING', 's', 'g'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 's', '>'],
    ['XINFO', 'GROUPS', 's'],
    ['XREADGROUP', 'GROUP', 'g', 'bob', 'COUNT', '1', 'STREAMS', 's', '>'],
    // History: the consumer's own pending entries after the id.
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '0'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '1-0'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '1'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '1', 'STREAMS', 's', '0'],
    ['XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 's', '0-0'],
    ['XREADGROUP', 'GROUP', 'g', 'carol', 'STREAMS', 's', '0'],
    // Several streams; nothing new is a nil (and creates no consumer).
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', 't', '>', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'dave', 'STREAMS', 's', 't', '>', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'dave', 'STREAMS', 's', 't', '>', '0'],
    ['XINFO', 'CONSUMERS', 's', 'g'],
    ['XINFO', 'GROUPS', 's'],
    // Errors.
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', 't', '>'],
    ['XREADGROUP', 'GROUP', 'nog', 'alice', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 'nokey', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', 'nokey', '>', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '$'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', 'x'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '+'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', 'x', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '-1', 'STREAMS', 's', '0'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '0', 'STREAMS', 's', '0'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'BLOCK', 'x', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'BLOCK', '-1', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'FOO', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS'],
    // XPENDING: the summary, the extended form (idle normalized), and their errors.
    ['XPENDING', 's', 'g'],
    ['XPENDING', 's', 'g', '-', '+', '10'],
    ['XPENDING', 's', 'g', '-', '+', '10', 'alice'],
    ['XPENDING', 's', 'g', '-', '+', '10', 'nobody'],
    ['XPENDING', 's', 'g', '(1-0', '+', '10'],
    ['XPENDING', 's', 'g', '2', '(4', '10'],
    ['XPENDING', 's', 'g', '-', '+', '2'],
    ['XPENDING', 's', 'g', '-', '+', '0'],
    ['XPENDING', 's', 'g', '-', '+', '-1'],
    ['XPENDING', 's', 'g', 'IDLE', '3600000', '-', '+', '10'],
    ['XPENDING', 's', 'g', 'IDLE', '0', '-', '+', '10', 'bob'],
    ['XPENDING', 's', 'g', '-', '+', 'x'],
    ['XPENDING', 's', 'g', '-', '+'],
    ['XPENDING', 's', 'g', '-'],
    ['XPENDING', 's', 'g', 'x', '+', '10'],
    ['XPENDING', 's', 'g', 'IDLE', 'x', '-', '+', '10'],
    ['XPENDING', 's', 'g', 'IDLE', '3600000'],
    ['XPENDING', 's', 'nog'],
    ['XPENDING', 's', 'nog', '-', '+', '10'],
    ['XPENDING', 'nokey', 'g'],
    ['XPENDING', 's'],
    // XACK.
    ['XACK', 's', 'g', '1-0'],
    ['XACK', 's', 'g', '1-0', '9-0'],
    ['XACK', 's', 'g', '2-0', '2-0'],
    ['XACK', 's', 'g', 'x'],
    ['XACK', 's', 'g', '3-0', 'x'],
    ['XACK', 's', 'nog', '1-0'],
    ['XACK', 'nokey', 'g', '1-0'],
    ['XACK', 's', 'g'],
    ['XPENDING', 's', 'g'],
    ['XINFO', 'CONSUMERS', 's', 'g'],
    // NOACK: delivered, not pending.
    ['XADD', 's', '5-0', 'f', '5'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'NOACK', 'STREAMS', 's', '>'],
    ['XPENDING', 's', 'g'],
    ['XINFO', 'GROUPS', 's'],
    // DELCONSUMER answers how many pending entries went with the consumer.
    ['XGROUP', 'DELCONSUMER', 's', 'g', 'alice'],
    ['XPENDING', 's', 'g'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '0'],
    // A deleted pending entry reads back as [id, nil].
    ['XDEL', 's', '3-0'],
    ['XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 's', '0'],
    ['XPENDING', 's', 'g'],
    ['XINFO', 'GROUPS', 's'],
    ['XACK', 's', 'g', '3-0', '2-0'],
    ['XPENDING', 's', 'g'],
    ['XINFO', 'GROUPS', 's'],
    // Lag and entries-read: a group created in the middle, deletions before and after the
    // group's position, XSETID's counters, and ENTRIESREAD given.
    ['XADD', 'l', '1-0', 'f', '1'],
    ['XADD', 'l', '2-0', 'f', '2'],
    ['XADD', 'l', '3-0', 'f', '3'],
    ['XGROUP', 'CREATE', 'l', 'a', '0'],
    ['XGROUP', 'CREATE', 'l', 'b', '1-0'],
    ['XGROUP', 'CREATE', 'l', 'c', '$'],
    ['XGROUP', 'CREATE', 'l', 'd', '2-0', 'ENTRIESREAD', '2'],
    ['XINFO', 'GROUPS', 'l'],
    ['XREADGROUP', 'GROUP', 'b', 'x', 'COUNT', '1', 'STREAMS', 'l', '>'],
    ['XINFO', 'GROUPS', 'l'],
    ['XDEL', 'l', '3-0'],
    ['XINFO', 'GROUPS', 'l'],
    ['XADD', 'l', '4-0', 'f', '4'],
    ['XINFO', 'GROUPS', 'l'],
    ['XREADGROUP', 'GROUP', 'a', 'x', 'STREAMS', 'l', '>'],
    ['XREADGROUP', 'GROUP', 'd', 'x', 'STREAMS', 'l', '>'],
    ['XINFO', 'GROUPS', 'l'],
    ['XDEL', 'l', '1-0'],
    ['XINFO', 'GROUPS', 'l'],
    ['XSETID', 'l', '4-0', 'ENTRIESADDED', '10', 'MAXDELETEDID', '3-0'],
    ['XINFO', 'GROUPS', 'l'],
    ['XTRIM', 'l', 'MAXLEN', '0'],
    ['XINFO', 'GROUPS', 'l'],
    ['XINFO', 'STREAM', 'l', 'FULL'],
    // Wrong type.
    ['SET', 'str', 'x'],
    ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'str', '>'],
    ['XACK', 'str', 'g', '1-0'],
    ['XPENDING', 'str', 'g'],
    ['XPENDING', 'str', 'g', '-', '+', '10'],
  ]);
});

test('XCLAIM and XAUTOCLAIM (JUSTID, FORCE, RETRYCOUNT, IDLE, TIME, LASTID, deleted entries) answer as redis-server does', async () => {
  await compare([
    ['FLUSHALL'],
    ...addRange('s', 1, 5),
    ['XGROUP', 'CREATE', 's', 'g', '0'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '3', 'STREAMS', 's', '>'],
    ['XCLAIM', 's', 'g', 'bob', '0', '1-0', 'JUSTID'],
    ['XCLAIM', 's', 'g', 'bob', '0', '2-0'],
    ['XCLAIM', 's', 'g', 'bob', '0', '9-0'],
    ['XCLAIM', 's', 'g', 'bob', '0', '9-0', 'FORCE'],
    ['XCLAIM', 's', 'g', 'bob', '0', '4-0'],
    // FORCE claims an entry that no one was delivered.
    ['XCLAIM', 's', 'g', 'bob', '0', '5-0', 'FORCE', 'JUSTID'],
    ['XCLAIM', 's', 'g', 'bob', '0', '4-0', 'FORCE'],
    ['XPENDING', 's', 'g'],
    // JUSTID does not count a delivery; a claim returning the entry does; RETRYCOUNT sets it.
    ['XPENDING', 's', 'g', '-', '+', '10'],
    ['XCLAIM', 's', 'g', 'carol', '0', '3-0', 'RETRYCOUNT', '7', 'JUSTID'],
    ['XPENDING', 's', 'g', '-', '+', '10'],
    ['XCLAIM', 's', 'g', 'carol', '0', '3-0', 'RETRYCOUNT', '7'],
    ['XPENDING', 's', 'g', '-', '+', '10'],
    ['XCLAIM', 's', 'g', 'carol', '0', '1-0', '2-0', '3-0', 'JUSTID'],
    ['XPENDING', 's', 'g'],
    // min-idle-time: an hour is more than any entry here has waited, unless IDLE or TIME say so.
    ['XCLAIM', 's', 'g', 'dave', '3600000', '1-0', 'JUSTID'],
    ['XCLAIM', 's', 'g', 'dave', '0', '1-0', 'IDLE', '7200000', 'JUSTID'],
    ['XPENDING', 's', 'g', 'IDLE', '3600000', '-', '+', '10'],
    ['XCLAIM', 's', 'g', 'erin', '3600000', '1-0', 'JUSTID'],
    ['XCLAIM', 's', 'g', 'erin', '3600000', '1-0', 'JUSTID'],
    ['XCLAIM', 's', 'g', 'dave', '0', '2-0', 'TIME', '1000', 'JUSTID'],
    ['XCLAIM', 's', 'g', 'erin', '3600000', '2-0', '3-0', 'JUSTID'],
    ['XAUTOCLAIM', 's', 'g', 'frank', '3600000', '0', 'JUSTID'],
    // LASTID moves the group's last delivered id forward only.
    ['XCLAIM', 's', 'g', 'carol', '0', '1-0', 'LASTID', '9-0', 'JUSTID'],
    ['XINFO', 'GROUPS', 's'],
    ['XCLAIM', 's', 'g', 'carol', '0', '1-0', 'LASTID', '2-0', 'JUSTID'],
    ['XINFO', 'GROUPS', 's'],
    ['XCLAIM', 's', 'g', 'carol', '0', '1-0', 'RETRYCOUNT', '-1'],
    ['XCLAIM', 's', 'g', 'carol', '-1', '1-0'],
    ['XPENDING', 's', 'g', '-', '+', '10'],
    // Errors.
    ['XCLAIM', 's', 'g', 'carol', '0', '1-0', 'RETRYCOUNT', 'x'],
    ['XCLAIM', 's', 'g', 'carol', '0', '1-0', 'RETRYCOUNT'],
    ['XCLAIM', 's', 'g', 'carol', '0', '1-0', 'IDLE', 'x'],
    ['XCLAIM', 's', 'g', 'carol', '0', '1-0', 'TIME', 'x'],
    ['XCLAIM', 's', 'g', 'carol', '0', '1-0', 'LASTID', 'x'],
    ['XCLAIM', 's', 'g', 'carol', '0', '1-0', 'FOO'],
    ['XCLAIM', 's', 'g', 'carol', 'x', '1-0'],
    ['XCLAIM', 's', 'g', 'carol', '0', 'x'],
    ['XCLAIM', 's', 'g', 'carol', '0'],
    ['XCLAIM', 's', 'nog', 'carol', '0', '1-0'],
    ['XCLAIM', 'nokey', 'g', 'carol', '0', '1-0'],
    ['XINFO', 'CONSUMERS', 's', 'g'],
    // A deleted entry is dropped from the PEL by XCLAIM, FORCE or not.
    ['XDEL', 's', '2-0'],
    ['XCLAIM', 's', 'g', 'gina', '0', '2-0'],
    ['XPENDING', 's', 'g'],
    ['XCLAIM', 's', 'g', 'gina', '0', '2-0', 'FORCE'],
    ['XPENDING', 's', 'g'],
    // XAUTOCLAIM: cursor, claimed entries (or ids), deleted ids.
    ['XAUTOCLAIM', 's', 'g', 'erin', '0', '0', 'COUNT', '2', 'JUSTID'],
    ['XAUTOCLAIM', 's', 'g', 'erin', '0', '0', 'COUNT', '1'],
    ['XAUTOCLAIM', 's', 'g', 'erin', '0', '(4-0', 'COUNT', '10', 'JUSTID'],
    ['XAUTOCLAIM', 's', 'g', 'erin', '0', '0-0', 'JUSTID'],
    ['XAUTOCLAIM', 's', 'g', 'erin', '0', '4', 'JUSTID'],
    ['XAUTOCLAIM', 's', 'g', 'erin', '3600000', '0-0', 'JUSTID'],
    ['XAUTOCLAIM', 's', 'g', 'erin', '0', '0', 'COUNT', '0'],
    ['XAUTOCLAIM', 's', 'g', 'erin', '0', '0', 'COUNT', '-1'],
    ['XAUTOCLAIM', 's', 'g', 'erin', '0', '0', 'COUNT', 'x'],
    ['XAUTOCLAIM', 's', 'g', 'erin', '0', '0', 'COUNT', '922337203685477580'],
    ['XAUTOCLAIM', 's', 'g', 'erin', '0', '0', 'FOO'],
    ['XAUTOCLAIM', 's', 'g', 'erin', '0', 'x'],
    ['XAUTOCLAIM', 's', 'g', 'erin', 'x', '0'],
    ['XAUTOCLAIM', 's', 'nog', 'erin', '0', '0'],
    ['XAUTOCLAIM', 'nokey', 'g', 'erin', '0', '0'],
    ['XAUTOCLAIM', 's', 'g', 'erin', '0'],
    ['XPENDING', 's', 'g', '-', '+', '10'],
    ['XINFO', 'CONSUMERS', 's', 'g'],
    // Deleted entries met by XAUTOCLAIM come back in its third element and leave the PEL.
    ...addRange('a', 1, 6),
    ['XGROUP', 'CREATE', 'a', 'g', '0'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 'a', '>'],
    ['XDEL', 'a', '2-0', '3-0', '6-0'],
    ['XAUTOCLAIM', 'a', 'g', 'bob', '0', '0', 'COUNT', '1'],
    ['XAUTOCLAIM', 'a', 'g', 'bob', '0', '0', 'COUNT', '2', 'JUSTID'],
    ['XAUTOCLAIM', 'a', 'g', 'bob', '0', '0'],
    ['XPENDING', 'a', 'g'],
    ['XPENDING', 'a', 'g', '-', '+', '10'],
    ['XINFO', 'CONSUMERS', 'a', 'g'],
    ['XGROUP', 'DELCONSUMER', 'a', 'g', 'bob'],
    ['XPENDING', 'a', 'g'],
    // Wrong type.
    ['SET', 'str', 'x'],
    ['XCLAIM', 'str', 'g', 'c', '0', '1-0'],
    ['XAUTOCLAIM', 'str', 'g', 'c', '0', '0'],
  ]);
});

test('XREAD, wrong types, and the generic key commands on streams answer as redis-server does', async () => {
  await compare([
    ['FLUSHALL'],
    ...addRange('s', 1, 3),
    ['XADD', 't', '5-0', 'x', '1'],
    ['XREAD', 'STREAMS', 's', '0'],
    ['XREAD', 'COUNT', '1', 'STREAMS', 's', '0'],
    ['XREAD', 'COUNT', '2', 'STREAMS', 's', 't', '1-0', '0'],
    ['XREAD', 'STREAMS', 's', 't', '3-0', '5-0'],
    ['XREAD', 'STREAMS', 's', '2'],
    ['XREAD', 'STREAMS', 's', '$'],
    ['XREAD', 'STREAMS', 's', '18446744073709551615-18446744073709551615'],
    ['XREAD', 'STREAMS', 'nokey', '0'],
    ['XREAD', 'STREAMS', 's', 'nokey', '0', '0'],
    ['XREAD', 'STREAMS', 'nokey', 's', '0', '2-0'],
    ['XREAD', 'COUNT', '0', 'STREAMS', 's', '0'],
    ['XREAD', 'COUNT', '-1', 'STREAMS', 's', '0'],
    ['XREAD', 'COUNT', '1', 'COUNT', '2', 'STREAMS', 's', '0'],
    ['xread', 'count', '1', 'streams', 's', '0'],
    ['XREAD', 'BLOCK', '0', 'STREAMS', 's', '0'],
    ['XREAD', 'BLOCK', '10', 'STREAMS', 's', '2-0'],
    ['XREAD', 'STREAMS', 'STREAMS', '0'],
    ['XREAD', 'STREAMS', 's', '>'],
    ['XREAD', 'STREAMS', 's', 'x'],
    ['XREAD', 'STREAMS', 's', '(1-0'],
    ['XREAD', 'STREAMS', 's', '+'],
    ['XREAD', 'STREAMS', 's', '-'],
    ['XREAD', 'STREAMS', 's'],
    ['XREAD', 'STREAMS', 's', 't', '0'],
    ['XREAD', 'COUNT', 'x', 'STREAMS', 's', '0'],
    ['XREAD', 'BLOCK', 'x', 'STREAMS', 's', '0'],
    ['XREAD', 'BLOCK', '-1', 'STREAMS', 's', '0'],
    ['XREAD', 'FOO', 'STREAMS', 's', '0'],
    ['XREAD', 'NOACK', 'STREAMS', 's', '0'],
    ['XREAD', 'GROUP', 'g', 'c', 'STREAMS', 's', '0'],
    ['XREAD', 's', '0'],
    ['XREAD', 'STREAMS'],
    ['XREAD', 'COUNT', '1'],
    // In MULTI a BLOCK does not block: nothing new is a nil at once.
    ['MULTI'],
    ['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'],
    ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>'],
    ['XADD', 's', '4-0', 'f', '4'],
    ['EXEC'],
    ['XGROUP', 'CREATE', 's', 'g', '$'],
    ['MULTI'],
    ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>'],
    ['EXEC'],
    ['XINFO', 'CONSUMERS', 's', 'g'],
    // From a script: replies converted to Lua and back; BLOCK refused.
    ['EVAL', "redis.call('XADD', KEYS[1], '1-0', 'a', '1'); return redis.call('XRANGE', KEYS[1], '-', '+')", '1', 'sc'],
    ['EVAL', "return redis.call('XREAD', 'STREAMS', KEYS[1], '0')", '1', 'sc'],
    ['EVAL', "return redis.call('XREAD', 'BLOCK', '0', 'STREAMS', KEYS[1], '$')", '1', 'sc'],
    ['EVAL', "return redis.pcall('XADD', KEYS[1], '1-0', 'a', '1')", '1', 'sc'],
    ['XGROUP', 'CREATE', 'sc', 'g', '$'],
    ['EVAL', "return redis.call('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', KEYS[1], '>')", '1', 'sc'],
    ['EVAL', "return redis.call('XPENDING', KEYS[1], 'g')", '1', 'sc'],
    ['EVAL', "return redis.call('XINFO', 'GROUPS', KEYS[1])", '1', 'sc'],
    ['DEL', 'sc'],
    // Every stream command on a string.
    ['SET', 'str', 'x'],
    ['XADD', 'str', '1-1', 'a', '1'],
    ['XLEN', 'str'],
    ['XRANGE', 'str', '-', '+'],
    ['XREVRANGE', 'str', '+', '-'],
    ['XDEL', 'str', '1-0'],
    ['XTRIM', 'str', 'MAXLEN', '1'],
    ['XSETID', 'str', '1-0'],
    ['XREAD', 'STREAMS', 'str', '0'],
    ['XREAD', 'STREAMS', 's', 'str', '0', '0'],
    ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'str', '>'],
    ['XGROUP', 'CREATE', 'str', 'g', '0'],
    ['XACK', 'str', 'g', '1-0'],
    ['XPENDING', 'str', 'g'],
    ['XCLAIM', 'str', 'g', 'c', '0', '1-0'],
    ['XAUTOCLAIM', 'str', 'g', 'c', '0', '0'],
    ['XINFO', 'STREAM', 'str'],
    // And string commands on a stream.
    ['GET', 's'],
    ['LPUSH', 's', 'x'],
    ['HSET', 's', 'f', 'v'],
    ['APPEND', 's', 'x'],
    // The key commands.
    ['TYPE', 's'],
    ['TYPE', 'nokey'],
    ['OBJECT', 'ENCODING', 's'],
    ['EXISTS', 's', 't', 'nokey'],
    ['COPY', 's', 's2'],
    ['XRANGE', 's2', '-', '+'],
    ['XINFO', 'GROUPS', 's2'],
    ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'STREAMS', 's2', '>'],
    ['XADD', 's', '5-0', 'f', '5'],
    ['XGROUP', 'CREATE', 's', 'g2', '0'],
    // A copy is deep: groups, consumers and pending entries, then independent of the original.
    ['COPY', 's', 's3'],
    ['XINFO', 'STREAM', 's3'],
    ['XINFO', 'GROUPS', 's3'],
    ['XPENDING', 's3', 'g'],
    ['XACK', 's3', 'g', '4-0'],
    ['XADD', 's3', '6-0', 'f', '6'],
    ['XGROUP', 'DESTROY', 's3', 'g2'],
    ['XPENDING', 's', 'g'],
    ['XLEN', 's'],
    ['XINFO', 'GROUPS', 's'],
    ['COPY', 's', 's3'],
    ['COPY', 's', 'str'],
    ['COPY', 's', 'str', 'REPLACE'],
    ['TYPE', 'str'],
    ['XLEN', 'str'],
    ['RENAME', 's2', 's4'],
    ['TYPE', 's2'],
    ['TYPE', 's4'],
    ['XRANGE', 's4', '-', '+'],
    ['XINFO', 'GROUPS', 's4'],
    ['RENAMENX', 's4', 's'],
    ['DEL', 's4', 's3', 'str', 't'],
    ['EXISTS', 's4'],
    ['SET', 'plain', 'x'],
    ['RPUSH', 'list', 'x'],
    // One stream among keys of other types, so that SCAN's order does not matter.
    ['SCAN', '0', 'TYPE', 'stream'],
    ['SCAN', '0', 'TYPE', 'STREAM', 'COUNT', '100'],
    ['SCAN', '0', 'TYPE', 'stream', 'MATCH', 'x*'],
    ['EXPIRE', 's', '100'],
    ['TTL', 's'],
    ['PERSIST', 's'],
    ['TTL', 's'],
    ['COMMAND', 'GETKEYS', 'XREAD', 'COUNT', '1', 'STREAMS', 'a', 'b', '0', '0'],
    ['COMMAND', 'GETKEYS', 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 'a', 'b', '>', '>'],
    ['COMMAND', 'GETKEYS', 'XADD', 's', '*', 'a', '1'],
    ['COMMAND', 'GETKEYS', 'XGROUP', 'CREATE', 's', 'g', '$'],
    ['COMMAND', 'GETKEYS', 'XINFO', 'STREAM', 's'],
    ['COMMAND', 'GETKEYS', 'XAUTOCLAIM', 's', 'g', 'c', '0', '0'],
  ]);
});

test('over RESP3, XREAD, XREADGROUP and XINFO reply with maps as redis-server does', async () => {
  await compare([
    ['FLUSHALL'],
    ['HELLO', '3'],
    ['XADD', 's', '1-0', 'a', '1'],
    ['XADD', 's', '2-0', 'b', '2'],
    ['XADD', 't', '1-0', 'c', '3'],
    ['XGROUP', 'CREATE', 's', 'g', '0'],
    ['XRANGE', 's', '-', '+'],
    ['XREVRANGE', 's', '+', '-', 'COUNT', '1'],
    ['XRANGE', 's', '-', '+', 'COUNT', '0'],
    ['XREAD', 'STREAMS', 's', 't', '0', '0'],
    ['XREAD', 'COUNT', '1', 'STREAMS', 's', 't', '1-0', '0'],
    ['XREAD', 'STREAMS', 'nokey', '0'],
    ['XREAD', 'BLOCK', '10', 'STREAMS', 's', '$'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '1', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '0'],
    ['XPENDING', 's', 'g'],
    ['XPENDING', 's', 'g', '-', '+', '10'],
    ['XINFO', 'STREAM', 's'],
    ['XINFO', 'GROUPS', 's'],
    ['XINFO', 'CONSUMERS', 's', 'g'],
    ['XAUTOCLAIM', 's', 'g', 'bob', '0', '0', 'JUSTID'],
    ['XCLAIM', 's', 'g', 'carol', '0', '1-0'],
    ['XINFO', 'STREAM', 's', 'FULL'],
    ['XDEL', 's', '2-0'],
    ['XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 's', '0'],
    ['XAUTOCLAIM', 's', 'g', 'bob', '0', '0'],
    ['XGROUP', 'CREATE', 'e', 'g', '$', 'MKSTREAM'],
    ['XPENDING', 'e', 'g'],
    ['XINFO', 'STREAM', 'e'],
    ['XINFO', 'STREAM', 'e', 'FULL'],
  ]);
});

test('nil replies are the same bytes as redis-server\'s ($-1 or *-1 over RESP2, _ over RESP3)', async () => {
  const setup: string[][] = [['FLUSHALL'], ['XADD', 's', '1-0', 'a', '1'], ['XGROUP', 'CREATE', 's', 'g', '$'], ['XGROUP', 'CREATE', 'e', 'g', '$', 'MKSTREAM']];
  const nils: string[][] = [
    ['XREAD', 'STREAMS', 'nokey', '0'],
    ['XREAD', 'STREAMS', 's', '$'],
    ['XREAD', 'BLOCK', '10', 'STREAMS', 's', '$'],
    ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '10', 'STREAMS', 's', '>'],
    ['XRANGE', 's', '-', '+', 'COUNT', '0'],
    ['XREVRANGE', 's', '+', '-', 'COUNT', '0'],
    ['XADD', 'nokey', 'NOMKSTREAM', '1-1', 'a', '1'],
    ['XPENDING', 'e', 'g'],
    ['XINFO', 'STREAM', 'e'],
  ];
  for (const lines of [[...setup, ...nils], [...setup, ['HELLO', '3'], ...nils]]) {
    const [d, r] = await Promise.all([rawReplies(servers.depot.port, lines), rawReplies(servers.redis.port, lines)]);
    const noHello = (l: string) => (l.startsWith('HELLO') ? 'HELLO' : l);
    assert.deepEqual(d.map(noHello), r.map(noHello));
  }
});

test('ACL key patterns apply to the stream commands and to the keys of XGROUP and XINFO subcommands', async () => {
  await compare([
    ['FLUSHALL'],
    ['ACL', 'SETUSER', 'streamer', 'on', 'nopass', '~allowed*', '+@all'],
    ['XADD', 'secret', '1-0', 'a', '1'],
    ['XGROUP', 'CREATE', 'secret', 'g0', '0'],
    ['XADD', 'allowed', '1-0', 'a', '1'],
    ['XGROUP', 'CREATE', 'allowed', 'g0', '0'],
    ['AUTH', 'streamer', 'x'],
    ['XADD', 'secret', '2-0', 'a', '1'],
    ['XADD', 'allowed', '2-0', 'a', '1'],
    ['XRANGE', 'secret', '-', '+'],
    ['XREAD', 'STREAMS', 'secret', '0'],
    ['XREAD', 'STREAMS', 'allowed', 'secret', '0', '0'],
    ['XREAD', 'STREAMS', 'allowed', '0'],
    ['XREADGROUP', 'GROUP', 'g0', 'c', 'STREAMS', 'allowed', 'secret', '>', '>'],
    ['XREADGROUP', 'GROUP', 'g0', 'c', 'STREAMS', 'allowed', '>'],
    ['XGROUP', 'CREATE', 'secret', 'g', '$', 'MKSTREAM'],
    ['XGROUP', 'CREATE', 'allowed2', 'g', '$', 'MKSTREAM'],
    ['XGROUP', 'SETID', 'secret', 'g0', '0'],
    ['XGROUP', 'DESTROY', 'secret', 'g0'],
    ['XGROUP', 'CREATECONSUMER', 'secret', 'g0', 'c'],
    ['XGROUP', 'DELCONSUMER', 'secret', 'g0', 'c'],
    ['XINFO', 'STREAM', 'secret'],
    ['XINFO', 'GROUPS', 'secret'],
    ['XINFO', 'CONSUMERS', 'secret', 'g0'],
    ['XINFO', 'GROUPS', 'allowed'],
    ['XACK', 'secret', 'g0', '1-0'],
    ['XPENDING', 'secret', 'g0'],
    ['XCLAIM', 'secret', 'g0', 'c', '0', '1-0'],
    ['XAUTOCLAIM', 'secret', 'g0', 'c', '0', '0'],
    ['XDEL', 'secret', '1-0'],
    ['XTRIM', 'secret', 'MAXLEN', '0'],
    ['XSETID', 'secret', '5-0'],
    ['AUTH', 'default', 'x'],
    ['ACL', 'DELUSER', 'streamer'],
    ['XLEN', 'secret'],
  ]);
});

test('XGROUP HELP and XINFO HELP list every subcommand, on both servers', async () => {
  // Depot words its HELP replies from its command table (as for every command with
  // subcommands), not Redis's text: the shape is compared, the wording not.
  const subcommands: Record<string, string[]> = {
    XGROUP: ['CREATE', 'SETID', 'DESTROY', 'CREATECONSUMER', 'DELCONSUMER', 'HELP'],
    XINFO: ['STREAM', 'GROUPS', 'CONSUMERS', 'HELP'],
  };
  for (const port of [servers.depot.port, servers.redis.port]) {
    const c = await RespClient.open(port);
    try {
      for (const [name, subs] of Object.entries(subcommands)) {
        const help = await c.call(name, 'HELP');
        assert.equal(help.t, 'array', show(help));
        const lines = (help as { v: Reply[] }).v.map((l) => (l.t === 'simple' ? l.v : show(l)));
        assert.equal(lines[0], `${name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
        for (const sub of subs) assert.ok(lines.some((l) => l === sub || l.startsWith(`${sub} `)), `${name} HELP lacks ${sub}: ${lines.join(' / ')}`);
      }
    } finally {
      c.close();
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Random sequences with a seed

/**
 * Random stream commands with explicit ids (and some `ms-*`) over two keys, two groups and
 * three consumers: adds, deletes, exact trims, ranges, reads, group reads, acks, claims, the
 * counters of XSETID and XGROUP SETID, and XINFO and XPENDING to look at the result.
 */
function randomStreamLines(seed: number): string[][] {
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const keys = ['s', 'k'];
  const groups = ['g1', 'g2'];
  const consumers = ['c1', 'c2', 'c3'];
  // The ms part of each key's newest id (ids go up by 1 or 2 ms, seq 0 or 1).
  const top: Record<string, number> = { s: 0, k: 0 };
  // An id among the key's recent ones (or just past them): sometimes incomplete (`ms`).
  const id = (key: string): string => {
    const ms = Math.max(0, top[key]! + 1 - int(20));
    return rnd() < 0.25 ? String(ms) : `${ms}-${int(2)}`;
  };
  const ids = (key: string): string[] => Array.from({ length: 1 + int(4) }, () => id(key));
  const bound = (key: string, low: boolean): string => {
    const r = rnd();
    if (r < 0.15) return low ? '-' : '+';
    if (r < 0.3) return `(${id(key)}`;
    return id(key);
  };
  // Both keys start with entries and both groups, so that most group commands find them.
  const lines: string[][] = [['FLUSHALL']];
  for (const key of keys) {
    for (let ms = 1; ms <= 5; ms++) lines.push(['XADD', key, `${ms}-0`, 'f', `${key}${ms}`]);
    top[key] = 5;
    for (const group of groups) lines.push(['XGROUP', 'CREATE', key, group, '0']);
  }
  for (let i = 0; i < 350; i++) {
    const key = pick(keys);
    const group = pick(groups);
    const consumer = pick(consumers);
    const r = rnd();
    if (r < 0.25) {
      // Increasing ids; some `ms-*`, a few too small (an error), some trimming.
      top[key]! += 1 + int(2);
      const newId = rnd() < 0.2 ? `${top[key]}-*` : rnd() < 0.05 ? `${Math.max(0, top[key]! - 2)}-0` : `${top[key]}-${int(2)}`;
      const trim = rnd() < 0.15 ? (rnd() < 0.5 ? ['MAXLEN', '=', String(3 + int(10))] : ['MINID', String(Math.max(0, top[key]! - 5 - int(20)))]) : [];
      lines.push(['XADD', key, ...trim, newId, 'f', String(i), ...(rnd() < 0.3 ? ['g', `v${i}`] : [])]);
    } else if (r < 0.32) {
      lines.push(['XDEL', key, ...ids(key)]);
    } else if (r < 0.35) {
      lines.push(rnd() < 0.5 ? ['XTRIM', key, 'MAXLEN', String(2 + int(12))] : ['XTRIM', key, 'MINID', id(key)]);
    } else if (r < 0.42) {
      const count = rnd() < 0.4 ? ['COUNT', String(int(5))] : [];
      lines.push(rnd() < 0.5 ? ['XRANGE', key, bound(key, true), bound(key, false), ...count] : ['XREVRANGE', key, bound(key, false), bound(key, true), ...count]);
    } else if (r < 0.45) {
      lines.push(['XREAD', 'COUNT', String(1 + int(4)), 'STREAMS', ...keys, id('s'), id('k')]);
    } else if (r < 0.5) {
      const start = pick(['0', '$', id(key)]);
      lines.push(['XGROUP', 'CREATE', key, group, start, ...(rnd() < 0.3 ? ['MKSTREAM'] : []), ...(rnd() < 0.2 ? ['ENTRIESREAD', String(int(10))] : [])]);
    } else if (r < 0.52) {
      lines.push(['XGROUP', 'SETID', key, group, pick(['0', '$', id(key)]), ...(rnd() < 0.3 ? ['ENTRIESREAD', String(int(10))] : [])]);
    } else if (r < 0.64) {
      const count = rnd() < 0.6 ? ['COUNT', String(1 + int(3))] : [];
      const noack = rnd() < 0.1 ? ['NOACK'] : [];
      lines.push(['XREADGROUP', 'GROUP', group, consumer, ...count, ...noack, 'STREAMS', key, rnd() < 0.75 ? '>' : pick(['0', id(key)])]);
    } else if (r < 0.71) {
      lines.push(['XACK', key, group, ...ids(key)]);
    } else if (r < 0.75) {
      lines.push(['XCLAIM', key, group, consumer, '0', ...ids(key), ...(rnd() < 0.3 ? ['FORCE'] : []), ...(rnd() < 0.2 ? ['RETRYCOUNT', String(int(5))] : []), ...(rnd() < 0.7 ? ['JUSTID'] : [])]);
    } else if (r < 0.79) {
      lines.push(['XAUTOCLAIM', key, group, consumer, '0', pick(['0', id(key)]), 'COUNT', String(1 + int(4)), ...(rnd() < 0.6 ? ['JUSTID'] : [])]);
    } else if (r < 0.84) {
      lines.push(rnd() < 0.5 ? ['XPENDING', key, group] : ['XPENDING', key, group, bound(key, true), bound(key, false), String(1 + int(5)), ...(rnd() < 0.5 ? [consumer] : [])]);
    } else if (r < 0.9) {
      lines.push(['XINFO', 'GROUPS', key]);
    } else if (r < 0.93) {
      lines.push(['XINFO', 'STREAM', key, ...(rnd() < 0.3 ? ['FULL'] : [])]);
    } else if (r < 0.95) {
      lines.push(['XINFO', 'CONSUMERS', key, group]);
    } else if (r < 0.97) {
      lines.push(rnd() < 0.5 ? ['XGROUP', 'DELCONSUMER', key, group, consumer] : ['XGROUP', 'CREATECONSUMER', key, group, consumer]);
    } else if (r < 0.98) {
      lines.push(['XGROUP', 'DESTROY', key, group]);
    } else if (r < 0.99) {
      top[key]! += 1;
      lines.push(['XSETID', key, `${top[key]}-0`, ...(rnd() < 0.5 ? ['ENTRIESADDED', String(int(80)), 'MAXDELETEDID', `${int(top[key]!)}-0`] : [])]);
    } else {
      lines.push(['XLEN', key]);
    }
  }
  for (const key of keys) lines.push(['XRANGE', key, '-', '+'], ['XINFO', 'STREAM', key, 'FULL'], ['XINFO', 'GROUPS', key]);
  return lines;
}

test('random stream sequences answer as redis-server does, line by line', async () => {
  for (const seed of [1, 2, 3, 4]) {
    const lines = randomStreamLines(seed);
    const { depot, redis } = await sideBySide(servers.depot.port, servers.redis.port, lines);
    for (let i = 0; i < lines.length; i++) {
      // The first difference is the one to look at: report it with the line number and seed.
      assert.equal(normalize(depot[i]!), normalize(redis[i]!), `seed ${seed}, line ${i}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// `*` ids

test('XADD * makes time-based ids that increase, on Depot as on redis-server', async () => {
  for (const server of [servers.depot, servers.redis]) {
    const c = await RespClient.open(server.port);
    try {
      await c.call('DEL', 'auto');
      const before = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const r = await c.call('XADD', 'auto', '*', 'n', String(i));
        assert.equal(r.t, 'bulk', show(r));
        ids.push((r as { v: string }).v);
      }
      const after = Date.now();
      for (const id of ids) {
        assert.match(id, /^\d+-\d+$/);
        const ms = Number(id.split('-')[0]);
        // The ms part is the server's clock, which is this machine's.
        assert.ok(ms >= before - 1000 && ms <= after + 1000, `${id} is not around ${before}..${after}`);
      }
      const key = (id: string) => id.split('-').map(BigInt) as [bigint, bigint];
      for (let i = 1; i < ids.length; i++) {
        const [am, as] = key(ids[i - 1]!);
        const [bm, bs] = key(ids[i]!);
        assert.ok(bm > am || (bm === am && bs > as), `${ids[i]} does not follow ${ids[i - 1]}`);
      }
      assert.deepEqual(plain(await c.call('XLEN', 'auto')), 20);
      const range = plain(await c.call('XRANGE', 'auto', '-', '+')) as Array<[string, string[]]>;
      assert.deepEqual(range.map((e) => e[0]), ids);
      assert.deepEqual(range.map((e) => e[1]), ids.map((_, i) => ['n', String(i)]));
      // `*` with trimming and NOMKSTREAM; the last-generated-id is the last id returned.
      const trimmed = await c.call('XADD', 'auto', 'MAXLEN', '5', '*', 'n', 'x');
      assert.equal(plain(await c.call('XLEN', 'auto')), 5);
      const info = plain(await c.call('XINFO', 'STREAM', 'auto')) as unknown[];
      assert.equal(info[info.indexOf('last-generated-id') + 1], (trimmed as { v: string }).v);
      assert.equal(info[info.indexOf('entries-added') + 1], 21);
      assert.deepEqual(plain(await c.call('XADD', 'auto-missing', 'NOMKSTREAM', '*', 'a', '1')), null);
    } finally {
      c.close();
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Blocking

/** The printed replies of a blocking flow on one server, to compare Depot's with Redis's. */
async function blockingFlows(port: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const c = await RespClient.open(port);
  const b1 = await RespClient.open(port);
  const b2 = await RespClient.open(port);
  try {
    await c.call('FLUSHALL');
    await c.call('XADD', 'k', '1-0', 'old', '1');

    // XREAD BLOCK 0 on `$` wakes with exactly the entry added after it, on both blocked clients;
    // an add to another key does not wake them.
    b1.send('XREAD', 'BLOCK', '0', 'STREAMS', 'k', '$');
    b2.send('XREAD', 'COUNT', '5', 'BLOCK', '0', 'STREAMS', 'other', 'k', '$', '$');
    await waitBlocked(c, 2);
    await c.call('XADD', 'unrelated', '1-0', 'x', '1');
    await c.call('XADD', 'k', '2-0', 'new', '2');
    out['xread $ (1)'] = await woken(b1, 'xread $ (1)');
    out['xread $ (2)'] = await woken(b2, 'xread $ (2)');

    // An explicit id blocks until an entry after it exists.
    b1.send('XREAD', 'BLOCK', '0', 'STREAMS', 'k', '2-0');
    await waitBlocked(c, 1);
    await c.call('XADD', 'k', '3-0', 'new', '3');
    out['xread id'] = await woken(b1, 'xread id');

    // A BLOCK with a timeout and nothing added: a nil.
    out['xread timeout'] = show(await b1.call('XREAD', 'BLOCK', '100', 'STREAMS', 'k', '$'));
    out['xreadgroup nogroup'] = show(await b1.call('XREADGROUP', 'GROUP', 'nog', 'c', 'BLOCK', '100', 'STREAMS', 'k', '>'));

    // XREADGROUP BLOCK with `>`: woken by XADD, and the entry is then pending for the consumer.
    await c.call('XGROUP', 'CREATE', 'k', 'g', '$');
    out['xreadgroup timeout'] = show(await b1.call('XREADGROUP', 'GROUP', 'g', 'c1', 'BLOCK', '100', 'STREAMS', 'k', '>'));
    out['consumers after timeout'] = show(await c.call('XINFO', 'CONSUMERS', 'k', 'g')).replace(/int:"\d+"\]/g, 'int:"<idle>"]');
    b1.send('XREADGROUP', 'GROUP', 'g', 'c1', 'BLOCK', '0', 'STREAMS', 'k', '>');
    await waitBlocked(c, 1);
    await c.call('XADD', 'k', '4-0', 'new', '4');
    out['xreadgroup >'] = await woken(b1, 'xreadgroup >');
    out['xpending'] = show(await c.call('XPENDING', 'k', 'g'));
    out['xinfo groups'] = show(await c.call('XINFO', 'GROUPS', 'k'));

    // Two consumers of one group blocked: one add, one consumer gets it (the first blocked).
    b1.send('XREADGROUP', 'GROUP', 'g', 'c1', 'BLOCK', '0', 'STREAMS', 'k', '>');
    await waitBlocked(c, 1);
    b2.send('XREADGROUP', 'GROUP', 'g', 'c2', 'BLOCK', '0', 'STREAMS', 'k', '>');
    await waitBlocked(c, 2);
    await c.call('XADD', 'k', '5-0', 'new', '5');
    out['group first'] = await woken(b1, 'group first');
    await c.call('XADD', 'k', '6-0', 'new', '6');
    out['group second'] = await woken(b2, 'group second');
    out['xpending 2'] = show(await c.call('XPENDING', 'k', 'g'));

    // XREADGROUP BLOCK NOACK: delivered, not pending.
    b1.send('XREADGROUP', 'GROUP', 'g', 'c3', 'NOACK', 'BLOCK', '0', 'STREAMS', 'k', '>');
    await waitBlocked(c, 1);
    await c.call('XADD', 'k', '7-0', 'new', '7');
    out['noack'] = await woken(b1, 'noack');
    out['xpending 3'] = show(await c.call('XPENDING', 'k', 'g'));

    // A blocked XREAD in RESP3 gets a map.
    await b2.call('HELLO', '3');
    b2.send('XREAD', 'BLOCK', '0', 'STREAMS', 'k', '$');
    await waitBlocked(c, 1);
    await c.call('XADD', 'k', '8-0', 'new', '8');
    out['resp3'] = await woken(b2, 'resp3');

    // XREAD BLOCK on a missing key is woken by the XADD that creates it.
    b1.send('XREAD', 'BLOCK', '0', 'STREAMS', 'fresh', '$');
    await waitBlocked(c, 1);
    await c.call('XADD', 'fresh', '1-1', 'a', '1');
    out['created'] = await woken(b1, 'created');

    // XREAD blocked on a key deleted and added again: served by the new stream's entry.
    b1.send('XREAD', 'BLOCK', '0', 'STREAMS', 'fresh', '$');
    await waitBlocked(c, 1);
    await c.call('DEL', 'fresh');
    await c.call('XADD', 'fresh', '2-0', 'b', '2');
    out['xread after del'] = await woken(b1, 'xread after del');

    // The group destroyed, the key deleted or overwritten, under a blocked XREADGROUP: an error.
    // (SETID first: 8-0 is new to the group, and would be served at once.) Each on a connection
    // of its own, so that one left blocked does not take the next step's reply.
    await c.call('XGROUP', 'SETID', 'k', 'g', '$');
    const changes: Array<[string, string[]]> = [
      ['group destroyed', ['XGROUP', 'DESTROY', 'k', 'g']],
      ['key deleted', ['DEL', 'k']],
      ['key overwritten', ['SET', 'k', 'x']],
    ];
    for (const [step, change] of changes) {
      if (step !== 'group destroyed') await c.call('DEL', 'k');
      await c.call('XGROUP', 'CREATE', 'k', 'g', '$', 'MKSTREAM');
      const b = await RespClient.open(port);
      try {
        b.send('XREADGROUP', 'GROUP', 'g', 'c1', 'BLOCK', '0', 'STREAMS', 'k', '>');
        await waitBlocked(c, 1);
        await c.call(...change);
        out[step] = await woken(b, step);
      } finally {
        b.close();
      }
    }
    out['after'] = show(await b1.call('PING'));
  } finally {
    c.close();
    b1.close();
    b2.close();
  }
  return out;
}

/**
 * The reply a blocked client gets, printed; `<step: no reply within 3 s>` when it stays blocked,
 * so the comparison names the step (rather than the file hanging). Three seconds is far beyond
 * any wake-up here.
 */
async function woken(client: RespClient, step: string): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`<${step}: no reply within 3 s>`), 3000);
  });
  try {
    return await Promise.race([client.next().then(show), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits until exactly `n` clients are blocked (INFO clients' blocked_clients), so that what
 * should wake them comes after they block.
 */
async function waitBlocked(c: RespClient, n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const info = plain(await c.call('INFO', 'clients')) as string;
    const m = /blocked_clients:(\d+)/.exec(info);
    if (m !== null && Number(m[1]) === n) return;
    await sleep(5);
  }
  assert.fail(`${n} clients were never blocked`);
}

test('blocking XREAD and XREADGROUP: woken by XADD, timing out, ended by XGROUP DESTROY, DEL or SET, as on redis-server', { timeout: 30_000 }, async () => {
  const [d, r] = await Promise.all([blockingFlows(servers.depot.port), blockingFlows(servers.redis.port)]);
  assert.deepEqual(d, r);
  // And what that is, so that a change on both sides shows too.
  const entry = (id: string, f: string, v: string) => `array[bulk:"${id}", array[bulk:"${f}", bulk:"${v}"]]`;
  assert.equal(d['xread $ (1)'], `array[array[bulk:"k", array[${entry('2-0', 'new', '2')}]]]`);
  assert.equal(d['xread $ (2)'], `array[array[bulk:"k", array[${entry('2-0', 'new', '2')}]]]`);
  assert.equal(d['xread id'], `array[array[bulk:"k", array[${entry('3-0', 'new', '3')}]]]`);
  assert.equal(d['xread timeout'], 'nil');
  assert.equal(d['xreadgroup timeout'], 'nil');
  assert.equal(d['consumers after timeout'], 'array[]');
  assert.equal(d['xreadgroup >'], `array[array[bulk:"k", array[${entry('4-0', 'new', '4')}]]]`);
  assert.equal(d['xpending'], 'array[int:"1", bulk:"4-0", bulk:"4-0", array[array[bulk:"c1", bulk:"1"]]]');
  assert.equal(d['group first'], `array[array[bulk:"k", array[${entry('5-0', 'new', '5')}]]]`);
  assert.equal(d['group second'], `array[array[bulk:"k", array[${entry('6-0', 'new', '6')}]]]`);
  assert.equal(d['noack'], `array[array[bulk:"k", array[${entry('7-0', 'new', '7')}]]]`);
  assert.equal(d['xpending 3'], d['xpending 2']);
  assert.equal(d['resp3'], `map[bulk:"k", array[${entry('8-0', 'new', '8')}]]`);
  assert.equal(d['group destroyed'], 'error:"NOGROUP the consumer group this client was blocked on no longer exists"');
  assert.equal(d['xread after del'], `array[array[bulk:"fresh", array[${entry('2-0', 'b', '2')}]]]`);
  assert.equal(d['key deleted'], 'error:"UNBLOCKED the stream key no longer exists"');
  assert.equal(d['key overwritten'], 'error:"UNBLOCKED the stream key no longer exists"');
  assert.equal(d['created'], `array[array[bulk:"fresh", array[${entry('1-1', 'a', '1')}]]]`);
});

test('a blocked XREAD BLOCK 0 through ioredis gets the entry another client adds', { timeout: 10_000 }, async () => {
  const reader = new Redis({ port: servers.depot.port, host: '127.0.0.1' });
  const writer = new Redis({ port: servers.depot.port, host: '127.0.0.1' });
  try {
    await writer.del('ioblock');
    await writer.xadd('ioblock', '1-0', 'a', '1');
    const pending = reader.xread('BLOCK', 0, 'STREAMS', 'ioblock', '$');
    const probe = await RespClient.open(servers.depot.port);
    try {
      await waitBlocked(probe, 1);
    } finally {
      probe.close();
    }
    await writer.xadd('ioblock', '2-0', 'b', '2');
    assert.deepEqual(await pending, [['ioblock', [['2-0', ['b', '2']]]]]);
  } finally {
    reader.disconnect();
    writer.disconnect();
  }
});

// ---------------------------------------------------------------------------------------------
// Keyspace events

test('keyspace events of the stream commands are redis-server\'s', async () => {
  const scripts: Array<[string, (c: RespClient) => Promise<void>]> = [
    [
      'XADD, trimming, XDEL, XTRIM, XSETID, DEL',
      async (c) => {
        for (const line of [
          ['XADD', 's', '1-0', 'a', '1'],
          ['XADD', 's', '2-0', 'a', '1'],
          ['XADD', 's', 'MAXLEN', '1', '3-0', 'a', '1'], // xadd then xtrim
          ['XADD', 's', 'MAXLEN', '5', '4-0', 'a', '1'], // nothing trimmed: no xtrim
          ['XADD', 's', 'MAXLEN', '~', '1', '5-0', 'a', '1'],
          ['XADD', 's', '5-0', 'a', '1'], // an error: nothing
          ['XADD', 'n', 'NOMKSTREAM', '1-0', 'a', '1'], // nothing
          ['XDEL', 's', '3-0'],
          ['XDEL', 's', '99-0'], // nothing deleted: nothing
          ['XTRIM', 's', 'MAXLEN', '1'],
          ['XTRIM', 's', 'MAXLEN', '1'], // nothing trimmed: nothing
          ['XSETID', 's', '10-0'],
          ['XSETID', 's', '1-0'], // an error
          ['XTRIM', 's', 'MAXLEN', '0'],
          ['XADD', 's', '11-0', 'a', '1'],
          ['XDEL', 's', '11-0'],
          ['DEL', 's'],
          ['XADD', 't', 'MAXLEN', '0', '1-0', 'a', '1'],
          ['XADD', 'u', 'MINID', '5', '1-0', 'a', '1'],
        ]) await c.call(...line);
      },
    ],
    [
      'XGROUP, XREADGROUP, XCLAIM, XAUTOCLAIM, XACK',
      async (c) => {
        for (const line of [
          ['XADD', 's', '1-0', 'a', '1'],
          ['XADD', 's', '2-0', 'a', '1'],
          ['XGROUP', 'CREATE', 's', 'g', '0'],
          ['XGROUP', 'CREATE', 's', 'g', '0'], // BUSYGROUP
          ['XGROUP', 'CREATE', 'm', 'g', '$', 'MKSTREAM'], // xgroup-create only
          ['XGROUP', 'CREATECONSUMER', 's', 'g', 'c1'],
          ['XGROUP', 'CREATECONSUMER', 's', 'g', 'c1'], // exists: nothing
          ['XREADGROUP', 'GROUP', 'g', 'c2', 'COUNT', '1', 'STREAMS', 's', '>'], // creates c2
          ['XREADGROUP', 'GROUP', 'g', 'c2', 'STREAMS', 's', '>'],
          ['XREADGROUP', 'GROUP', 'g', 'c3', 'STREAMS', 's', '0'], // creates c3
          ['XREADGROUP', 'GROUP', 'g', 'c9', 'STREAMS', 's', '>'], // nothing new: no consumer
          ['XCLAIM', 's', 'g', 'c4', '0', '1-0'], // creates c4
          ['XCLAIM', 's', 'g', 'c5', '0', '99-0'], // nothing claimed: no consumer
          ['XAUTOCLAIM', 's', 'g', 'c6', '0', '0'], // creates c6
          ['XACK', 's', 'g', '1-0'],
          ['XGROUP', 'DELCONSUMER', 's', 'g', 'c1'],
          ['XGROUP', 'DELCONSUMER', 's', 'g', 'zz'],
          ['XGROUP', 'SETID', 's', 'g', '0'],
          ['XGROUP', 'SETID', 's', 'nog', '0'], // NOGROUP
          ['XGROUP', 'DESTROY', 's', 'g'],
          ['XGROUP', 'DESTROY', 's', 'g'], // gone: nothing
        ]) await c.call(...line);
      },
    ],
  ];
  for (const [name, script] of scripts) {
    const [d, r] = await Promise.all([keyEvents(servers.depot.port, script), keyEvents(servers.redis.port, script)]);
    assert.deepEqual(d, r, name);
  }
  // The first script's events, spelled out.
  const first = await keyEvents(servers.redis.port, scripts[0]![1]);
  assert.deepEqual(
    first.map((e) => e.replace('__keyevent@0__:', '')),
    ['xadd s', 'xadd s', 'xadd s', 'xtrim s', 'xadd s', 'xadd s', 'xdel s', 'xtrim s', 'xsetid s', 'xtrim s', 'xadd s', 'xdel s', 'del s', 'xadd t', 'xtrim t', 'xadd u', 'xtrim u'],
  );
});

// ---------------------------------------------------------------------------------------------
// ioredis

test('through ioredis: xadd, xrange, xreadgroup, xack, xpending, xinfo', async () => {
  const r = new Redis({ port: servers.depot.port, host: '127.0.0.1' });
  try {
    await r.del('io');
    assert.equal(await r.xadd('io', '1-0', 'name', 'ada', 'lang', 'en'), '1-0');
    assert.equal(await r.xadd('io', 'MAXLEN', '=', '10', '2-0', 'name', 'bob'), '2-0');
    const auto = await r.xadd('io', '*', 'name', 'cy');
    assert.match(auto!, /^\d+-\d+$/);
    assert.equal(await r.xlen('io'), 3);
    assert.deepEqual(await r.xrange('io', '-', '2-0'), [
      ['1-0', ['name', 'ada', 'lang', 'en']],
      ['2-0', ['name', 'bob']],
    ]);
    assert.deepEqual(await r.xrevrange('io', '+', '-', 'COUNT', 1), [[auto, ['name', 'cy']]]);
    assert.equal(await r.xgroup('CREATE', 'io', 'workers', '0'), 'OK');
    assert.deepEqual(await r.xreadgroup('GROUP', 'workers', 'w1', 'COUNT', 2, 'STREAMS', 'io', '>'), [
      ['io', [['1-0', ['name', 'ada', 'lang', 'en']], ['2-0', ['name', 'bob']]]],
    ]);
    assert.equal(await r.xack('io', 'workers', '1-0'), 1);
    assert.deepEqual(await r.xpending('io', 'workers'), [1, '2-0', '2-0', [['w1', '1']]]);
    assert.deepEqual(await r.xclaim('io', 'workers', 'w2', 0, '2-0', 'JUSTID'), ['2-0']);
    assert.deepEqual(await r.xautoclaim('io', 'workers', 'w3', 0, '0', 'JUSTID'), ['0-0', ['2-0'], []]);
    const groups = (await r.xinfo('GROUPS', 'io')) as unknown[][];
    assert.deepEqual(groups, [['name', 'workers', 'consumers', 3, 'pending', 1, 'last-delivered-id', '2-0', 'entries-read', 2, 'lag', 1]]);
    assert.deepEqual(await r.xread('COUNT', 1, 'STREAMS', 'io', '1-0'), [['io', [['2-0', ['name', 'bob']]]]]);
    assert.equal(await r.xdel('io', '1-0'), 1);
    assert.equal(await r.xtrim('io', 'MAXLEN', 1), 1);
    assert.equal(await r.type('io'), 'stream');
    await assert.rejects(r.xadd('io', '1-0', 'a', '1'), /equal or smaller than the target stream top item/);
  } finally {
    r.disconnect();
  }
});

// ---------------------------------------------------------------------------------------------
// Restart after SIGKILL

/** What must survive a restart, with idle times normalized (see `normalize`). */
async function streamState(port: number): Promise<string[]> {
  const lines: string[][] = [];
  for (const key of ['p', 'q', 'empty']) {
    lines.push(['TYPE', key], ['XRANGE', key, '-', '+'], ['XINFO', 'STREAM', key], ['XINFO', 'GROUPS', key]);
  }
  lines.push(
    ['XPENDING', 'p', 'g1'],
    ['XPENDING', 'p', 'g2'],
    ['XPENDING', 'p', 'g1', '-', '+', '100'],
    ['XPENDING', 'p', 'g1', 'IDLE', '3600000', '-', '+', '100'],
    ['XINFO', 'CONSUMERS', 'p', 'g1'],
    ['XINFO', 'CONSUMERS', 'p', 'g2'],
    ['XINFO', 'STREAM', 'p', 'FULL'],
  );
  const c = await RespClient.open(port);
  try {
    const out: string[] = [];
    for (const line of lines) out.push(normalize(`${line.join(' ')} -> ${show(await c.call(...line))}`));
    return out;
  } finally {
    c.close();
  }
}

/** Streams with groups, consumers, pending entries, deletions and the counters of XSETID. */
async function buildStreams(c: RespClient, autoIds: string[]): Promise<void> {
  const lines: string[][] = [
    ...addRange('p', 1, 12),
    ['XADD', 'p', '12-*', 'f', 'x', 'g', 'y'],
    ['XGROUP', 'CREATE', 'p', 'g1', '0'],
    ['XGROUP', 'CREATE', 'p', 'g2', '5-0', 'ENTRIESREAD', '5'],
    ['XGROUP', 'CREATE', 'p', 'gone', '0'],
    ['XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', '4', 'STREAMS', 'p', '>'],
    ['XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', '3', 'STREAMS', 'p', '>'],
    ['XREADGROUP', 'GROUP', 'g1', 'noack', 'COUNT', '1', 'NOACK', 'STREAMS', 'p', '>'],
    ['XREADGROUP', 'GROUP', 'g2', 'carol', 'STREAMS', 'p', '>'],
    ['XACK', 'p', 'g1', '2-0'],
    ['XCLAIM', 'p', 'g1', 'bob', '0', '1-0', 'RETRYCOUNT', '5'],
    ['XCLAIM', 'p', 'g1', 'dave', '0', '3-0', 'TIME', '1000', 'JUSTID'],
    ['XCLAIM', 'p', 'g1', 'erin', '0', '11-0', 'FORCE', 'JUSTID'],
    ['XGROUP', 'CREATECONSUMER', 'p', 'g2', 'idle-one'],
    ['XGROUP', 'CREATECONSUMER', 'p', 'g2', 'deleted'],
    ['XGROUP', 'DELCONSUMER', 'p', 'g2', 'deleted'],
    ['XGROUP', 'DESTROY', 'p', 'gone'],
    ['XGROUP', 'SETID', 'p', 'g2', '9-0', 'ENTRIESREAD', '9'],
    ['XDEL', 'p', '6-0', '12-1'],
    ['XTRIM', 'p', 'MINID', '2'],
    ['XAUTOCLAIM', 'p', 'g1', 'frank', '0', '(4-0', 'COUNT', '2'],
    ['XADD', 'q', '100-0', 'a', '1'],
    ['XADD', 'q', '200-0', 'a', '2'],
    ['XDEL', 'q', '200-0'],
    ['XSETID', 'q', '300-0', 'ENTRIESADDED', '7', 'MAXDELETEDID', '250-0'],
    ['XGROUP', 'CREATE', 'empty', 'g', '$', 'MKSTREAM'],
  ];
  for (const line of lines) {
    const r = await c.call(...line);
    assert.notEqual(r.t, 'error', `${line.join(' ')} -> ${show(r)}`);
  }
  // `*` ids are decided once: the log must not make new ones when it is replayed.
  for (let i = 0; i < 3; i++) autoIds.push((plain(await c.call('XADD', 'q', '*', 'auto', String(i))) as string));
}

for (const mode of ['the log', 'a snapshot and the log'] as const) {
  test(`streams, groups, consumers and pending entries come back after SIGKILL from ${mode} (appendfsync always)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'depot-streams-kill-'));
    // A snapshot every 20 log entries: it is taken in the middle of the build.
    const args = ['--data', dir, '--fsync', 'always', '--snapshot-entries', mode === 'the log' ? '1000000' : '20'];
    let server: ServerProcess | undefined;
    try {
      server = await startDepot(args);
      let c = await RespClient.open(server.port);
      const autoIds: string[] = [];
      await buildStreams(c, autoIds);
      const before = await streamState(server.port);
      // Sanity: the build did what it meant to (pending entries, an old delivery, lag).
      assert.ok(before.some((l) => l.startsWith('XPENDING p g1 IDLE') && l.includes('bulk:"3-0", bulk:"dave"')), before.join('\n'));
      c.close();
      await server.kill();
      if (mode === 'a snapshot and the log') {
        const snapshots = join(dir, 'groups', 'cache-1', 'raft', 'snapshots');
        assert.ok(existsSync(snapshots) && readdirSync(snapshots).length > 0, 'a snapshot was taken');
      }
      server = await startDepot(args);
      assert.deepEqual(await streamState(server.port), before);
      c = await RespClient.open(server.port);
      try {
        const range = plain(await c.call('XRANGE', 'q', '-', '+')) as Array<[string, string[]]>;
        assert.deepEqual(range.map((e) => e[0]), ['100-0', ...autoIds]);
        // The last ids survive: no going back under a deleted top entry or an XSETID.
        assert.match(show(await c.call('XADD', 'p', '12-1', 'f', 'x')), /equal or smaller/);
        assert.equal(show(await c.call('XADD', 'p', '12-2', 'f', 'x')), 'bulk:"12-2"');
        // The groups still work: g1 delivered up to 8-0, so 9-0 comes next.
        assert.equal(show(await c.call('XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', '1', 'STREAMS', 'p', '>')), 'array[array[bulk:"p", array[array[bulk:"9-0", array[bulk:"f", bulk:"9"]]]]]');
        assert.equal(show(await c.call('XACK', 'p', 'g1', '1-0', '3-0')), 'int:"2"');
      } finally {
        c.close();
      }
      // And what was done after the restart survives the next one.
      const again = await streamState(server.port);
      await server.kill();
      server = await startDepot(args);
      assert.deepEqual(await streamState(server.port), again);
    } finally {
      await server?.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('clients blocked for another type keep waiting when XADD makes their key a stream, as on redis-server', async () => {
  // Redis serves a ready key only to the clients waiting for its type: BLPOP and BZPOPMIN on a
  // key XADD creates, and XREAD on a key RPUSH fills, time out with nil on both servers. (Not
  // blocked yet, they would find the key of the wrong type: WRONGTYPE. The timeouts leave the
  // wait for all three to block room on a slow machine.)
  const outcome = async (port: number): Promise<string[]> => {
    const writer = await RespClient.open(port);
    const waiters = await Promise.all([RespClient.open(port), RespClient.open(port), RespClient.open(port)]);
    try {
      await writer.call('DEL', 'bl', 'bz', 'bx');
      waiters[0]!.send('BLPOP', 'bl', '1');
      waiters[1]!.send('BZPOPMIN', 'bz', '1');
      waiters[2]!.send('XREAD', 'BLOCK', '1000', 'STREAMS', 'bx', '$');
      await waitBlocked(writer, 3);
      await writer.call('XADD', 'bl', '*', 'a', 'b');
      await writer.call('XADD', 'bz', '*', 'a', 'b');
      await writer.call('RPUSH', 'bx', 'a');
      return (await Promise.all(waiters.map((w) => w.next()))).map(show);
    } finally {
      writer.close();
      for (const w of waiters) w.close();
    }
  };
  const [depot, redis] = await Promise.all([outcome(servers.depot.port), outcome(servers.redis.port)]);
  assert.deepEqual(depot, redis);
  assert.ok(depot.every((r) => r === 'nil'), depot.join(' '));
});
