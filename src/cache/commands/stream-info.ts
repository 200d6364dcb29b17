// XINFO STREAM, GROUPS and CONSUMERS (Redis t_stream.c xinfoCommand): maps in RESP3, flat
// arrays of name-value pairs in RESP2, fields in Redis 7.0's order.
import { MAX_ID, MIN_ID, formatId } from '../machine/stream-id.js';
import type { Stream } from '../machine/stream.js';
import type { ConsumerGroup } from '../machine/stream-group.js';
import { intArg, is } from './args.js';
import type { Ctx } from './context.js';
import { Err, fail } from './reply-error.js';
import { command, family } from './spec.js';
import { replyEntries, replyEntry } from './streams.js';

const KEY2 = [2, 2, 1] as const;

function streamOrFail(c: Ctx): Stream {
  const s = c.getStream(c.argv[2]!);
  if (s === undefined) fail(Err.NO_SUCH_KEY);
  return s;
}

/** The first (or, `last`, the last) live entry as [id, fields], or a null. */
function edgeEntry(c: Ctx, s: Stream, last: boolean): void {
  const found = s.entries(MIN_ID, MAX_ID, last, 1)[0];
  if (found === undefined) c.out.nullBulk();
  else replyEntry(c, found[0], found[1]);
}

function lag(c: Ctx, s: Stream, g: ConsumerGroup): void {
  const n = s.lag(g);
  if (n === null) c.out.nullBulk();
  else c.out.int(n);
}

function entriesRead(c: Ctx, g: ConsumerGroup): void {
  if (g.entriesRead < 0) c.out.nullBulk();
  else c.out.int(g.entriesRead);
}

function xinfoStream(c: Ctx): void {
  const a = c.argv;
  const s = streamOrFail(c);
  let full = false;
  let count = 10;
  const options = a.length - 3;
  if (options > 0) {
    if ((options !== 1 && options !== 3) || !is(a[3], 'FULL') || (options === 3 && !is(a[4], 'COUNT'))) {
      fail(`ERR unknown subcommand or wrong number of arguments for '${a[1]}'. Try XINFO HELP.`);
    }
    full = true;
    if (options === 3) {
      count = intArg(a[5]!);
      if (count < 0) count = 10;
    }
  }
  c.out.map(full ? 9 : 10);
  c.out.bulk('length');
  c.out.int(s.length);
  c.out.bulk('radix-tree-keys');
  c.out.int(s.nodes.length);
  c.out.bulk('radix-tree-nodes');
  c.out.int(radixNodes(s.nodes.map((n) => n.master)));
  c.out.bulk('last-generated-id');
  c.out.bulk(formatId(s.lastId));
  c.out.bulk('max-deleted-entry-id');
  c.out.bulk(formatId(s.maxDeletedId));
  c.out.bulk('entries-added');
  c.out.int(s.entriesAdded);
  c.out.bulk('recorded-first-entry-id');
  c.out.bulk(formatId(s.firstId));
  if (!full) {
    c.out.bulk('groups');
    c.out.int(s.groups.size);
    c.out.bulk('first-entry');
    edgeEntry(c, s, false);
    c.out.bulk('last-entry');
    edgeEntry(c, s, true);
    return;
  }
  c.out.bulk('entries');
  replyEntries(c, s.entries(MIN_ID, MAX_ID, false, count));
  c.out.bulk('groups');
  c.out.array(s.groups.size);
  for (const name of s.groupNames()) {
    const g = s.groups.get(name)!;
    c.out.map(7);
    c.out.bulk('name');
    c.out.bulk(name);
    c.out.bulk('last-delivered-id');
    c.out.bulk(formatId(g.lastId));
    c.out.bulk('entries-read');
    entriesRead(c, g);
    c.out.bulk('lag');
    lag(c, s, g);
    c.out.bulk('pel-count');
    c.out.int(g.pel.size);
    c.out.bulk('pending');
    const pending = [...limited(g.pel, count)];
    c.out.array(pending.length);
    for (const [id, nack] of pending) {
      c.out.array(4);
      c.out.bulk(formatId(id));
      c.out.bulk(nack.consumer.name);
      c.out.int(nack.deliveryTime);
      c.out.int(nack.deliveryCount);
    }
    c.out.bulk('consumers');
    c.out.array(g.consumers.size);
    for (const consumerName of g.consumerNames()) {
      const consumer = g.consumers.get(consumerName)!;
      c.out.map(4);
      c.out.bulk('name');
      c.out.bulk(consumerName);
      c.out.bulk('seen-time');
      c.out.int(consumer.seenTime);
      c.out.bulk('pel-count');
      c.out.int(consumer.pel.size);
      c.out.bulk('pending');
      const own = [...limited(consumer.pel, count)];
      c.out.array(own.length);
      for (const [id, nack] of own) {
        c.out.array(3);
        c.out.bulk(formatId(id));
        c.out.int(nack.deliveryTime);
        c.out.int(nack.deliveryCount);
      }
    }
  }
}

/**
 * How many nodes Redis's radix tree (rax.c) has for these keys (sorted, 16 bytes each), for
 * XINFO's radix-tree-nodes: Depot keeps its nodes in a sorted array, and counts the tree a
 * rax would build. A rax compresses a run of single-child steps into one node, branches where
 * keys part, and ends each key in a leaf: for a group of keys sharing `depth` bytes, one node
 * for the further bytes they all share (if any), one where they part, and the groups below.
 */
export function radixNodes(keys: readonly string[]): number {
  if (keys.length === 0) return 1;
  const count = (from: number, to: number, depth: number): number => {
    const width = keys[from]!.length;
    if (to - from === 1) return depth === width ? 1 : 2;
    let p = depth;
    while (keys[from]![p] === keys[to - 1]![p]) p++;
    let n = (p > depth ? 1 : 0) + 1;
    for (let i = from; i < to; ) {
      let j = i + 1;
      while (j < to && keys[j]![p] === keys[i]![p]) j++;
      n += count(i, j, p + 1);
      i = j;
    }
    return n;
  };
  return count(0, keys.length, 0);
}

/** The first `count` entries of an iterable (0: all). */
function* limited<T>(items: Iterable<T>, count: number): Iterable<T> {
  let n = 0;
  for (const item of items) {
    if (count > 0 && n++ >= count) return;
    yield item;
  }
}

function xinfoGroups(c: Ctx): void {
  const s = streamOrFail(c);
  c.out.array(s.groups.size);
  for (const name of s.groupNames()) {
    const g = s.groups.get(name)!;
    c.out.map(6);
    c.out.bulk('name');
    c.out.bulk(name);
    c.out.bulk('consumers');
    c.out.int(g.consumers.size);
    c.out.bulk('pending');
    c.out.int(g.pel.size);
    c.out.bulk('last-delivered-id');
    c.out.bulk(formatId(g.lastId));
    c.out.bulk('entries-read');
    entriesRead(c, g);
    c.out.bulk('lag');
    lag(c, s, g);
  }
}

function xinfoConsumers(c: Ctx): void {
  const s = streamOrFail(c);
  const g = s.groups.get(c.argv[3]!);
  if (g === undefined) fail(`NOGROUP No such consumer group '${c.argv[3]}' for key name '${c.argv[2]}'`);
  c.out.array(g.consumers.size);
  for (const name of g.consumerNames()) {
    const consumer = g.consumers.get(name)!;
    c.out.map(3);
    c.out.bulk('name');
    c.out.bulk(name);
    c.out.bulk('pending');
    c.out.int(consumer.pel.size);
    c.out.bulk('idle');
    c.out.int(Math.max(0, c.now - consumer.seenTime));
  }
}

const R = '@read @stream @slow';

export const streamInfoCommands = family('stream', [
  command('xinfo', -2, '', [0, 0, 0], '@slow', 'Inspects streams, their consumer groups and consumers.', () => undefined, {
    subcommands: [
      command('xinfo|stream', -3, 'readonly', KEY2, R, 'Shows a stream (FULL: its entries, groups and pending entries too).', xinfoStream),
      command('xinfo|groups', 3, 'readonly', KEY2, R, "Lists a stream's consumer groups.", xinfoGroups),
      command('xinfo|consumers', 4, 'readonly', KEY2, R, 'Lists the consumers of a consumer group.', xinfoConsumers),
    ],
  }),
]);
