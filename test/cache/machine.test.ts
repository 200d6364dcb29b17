import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { ClientSink } from '../../src/cache/client.js';
import { EffectEncoder, Op } from '../../src/cache/machine/effects.js';
import { CacheMachine } from '../../src/cache/machine/machine.js';
import { CHUNK_BYTES } from '../../src/cache/machine/capture.js';
import { Hash, List, MemberSet, Stream, ZSet, type Value } from '../../src/cache/machine/values.js';
import { ConsumerGroup } from '../../src/cache/machine/stream-group.js';
import { MAX_BLOB, MIN_BLOB } from '../../src/cache/machine/blobs.js';
import { recount } from '../../src/cache/machine/keyspace.js';
import { CacheService } from '../../src/cache/service.js';
import { EntryType, type Entry, type Group, type Proposal } from '../../src/raft/group.js';
import { DepotError, isDepotError } from '../../src/util/errors.js';
import { Scratch } from '../../src/util/scratch.js';

/**
 * Every blob is held by exactly one value, and the store counts exactly those: no leak, no
 * block shared by two values (one of which would free it under the other).
 */
function checkBlobs(m: CacheMachine): void {
  const refs: number[] = [];
  for (const db of m.ks.dbs) {
    for (const [k, v] of db.keys) {
      const held = typeof v === 'number' ? [v] : v instanceof Hash ? [...v.values()] : v instanceof List ? v.toArray() : [];
      for (const x of held) if (typeof x === 'number') refs.push(x);
      const text = typeof v === 'number' ? m.ks.blobs.text(v) : null;
      if (text !== null) assert.ok(text.length >= MIN_BLOB && text.length <= MAX_BLOB, `blob of ${text.length} bytes at ${k}`);
    }
  }
  assert.equal(new Set(refs).size, refs.length, 'a blob held by two values');
  assert.equal(m.ks.blobs.count, refs.length, 'blobs in the store and in the keyspace differ');
}

/** The running count of the keys' heap bytes (maxmemory's) is what counting them afresh gives. */
function checkBytes(m: CacheMachine): void {
  m.ks.datasetBytes();
  m.ks.dbs.forEach((db, i) => assert.equal(db.bytes, recount(db), `db ${i}: running count of bytes differs from a recount`));
}

/** Leader and followers seed their hash tables differently, as separate processes do. */
const SEEDS = [0x1234567, 0x7654321] as const;

/** A canonical dump of a keyspace, independent of insertion order and of where values are stored. */
function dump(m: CacheMachine): string {
  checkBlobs(m);
  checkBytes(m);
  const dbs = m.ks.dbs.map((db) => {
    const keys = [...db.keys.keys()].sort();
    return keys.map((k) => [k, plain(m, db.keys.get(k)!), db.expires.get(k) ?? 0]);
  });
  return JSON.stringify({ dbs, libraries: [...m.ks.libraries.entries()].sort() });
}

function plain(m: CacheMachine, v: Value): unknown {
  if (typeof v === 'string' || typeof v === 'number') return m.ks.blobs.text(v);
  if (v instanceof List) return ['list', v.toArray().map((x) => m.ks.blobs.text(x))];
  if (v instanceof Hash) return ['hash', [...v].map(([f, x]) => [f, m.ks.blobs.text(x)]).sort()];
  if (v instanceof MemberSet) {
    v.check();
    return ['set', [...v].sort()];
  }
  if (v instanceof Stream) {
    // Nodes as they are (tombstones included): replay and snapshots must rebuild Redis's layout.
    const nodes = v.nodes.map((n) => [n.master, n.masterFields, n.ids, n.ids.map((_, i) => [n.isDeleted(i), n.fieldsAt(i)]), n.live, n.dead, n.bytes]);
    const groups = [...v.groups].map(([name, g]) => {
      g.pel.check();
      for (const [id, nack] of g.pel) assert.equal(nack.consumer.pel.get(id), nack, 'a pending entry is its owner\'s');
      const consumers = [...g.consumers.values()].map((c) => [c.name, c.seenTime, [...c.pel].map(([id, n]) => [id, n.deliveryTime, n.deliveryCount])]);
      return [name, g.lastId, g.entriesRead, g.pel.size, consumers.sort()];
    });
    return ['stream', v.length, v.lastId, v.firstId, v.maxDeletedId, v.entriesAdded, v.listpackBytes, v.slots, nodes, groups.sort()];
  }
  return ['zset', (v as ZSet).entries()];
}

/** A group whose every committed entry is also applied to follower machines. */
class ReplicatingGroup implements Group<void> {
  readonly id = 'cache-test';
  private index = 0;
  readonly entries: Entry[] = [];
  constructor(
    private readonly leader: CacheMachine,
    private readonly followers: CacheMachine[],
  ) {}
  status() {
    return { id: this.id, isLeader: true, leaderAddress: undefined, term: 1, commitIndex: this.index, appliedIndex: this.index };
  }
  propose(payload: Buffer): Proposal<void> {
    const entry: Entry = { index: ++this.index, term: 1, timestamp: 0, type: EntryType.Command, payload: Buffer.from(payload) };
    this.entries.push(entry);
    const applied = Promise.resolve().then(() => {
      this.leader.apply(entry);
      for (const f of this.followers) f.apply(entry);
    });
    return { index: entry.index, applied };
  }
  flush(): void {}
  read<T>(fn: () => T): Promise<T> {
    return Promise.resolve().then(fn);
  }
  onLeadershipChange(): () => void {
    return () => undefined;
  }
  onStorageChange(): () => void {
    return () => undefined;
  }
}

const sink: ClientSink = {
  send: () => undefined,
  close: () => undefined,
  abort: () => undefined,
  flush: () => false,
  resume: () => undefined,
  run: () => undefined,
  unrun: () => undefined,
  remoteAddress: 'test:0',
  localAddress: 'test:0',
  outputBytes: 0,
  queryBufferBytes: 0,
  drained: () => Promise.resolve(),
};

const key = fc.constantFrom('a', 'b', 'c', 'l', 'h', 's', 'z');
// Long values (64 bytes to 64 KiB) live in the blob store: at, around and across its bounds.
const val = fc.constantFrom('1', '2', 'x', '1.5', '-3', 'yy', 'L'.repeat(63), '\xfe\x00'.repeat(32), 'M'.repeat(200), 'B'.repeat(65_536), 'H'.repeat(65_537));
const num = fc.constantFrom('0', '1', '2', '-1', '3', '10');
const LIB_A = "#!lua name=liba\nredis.register_function('fa', function(keys, args) return redis.call('set', keys[1], args[1]) end)";
const LIB_B = "#!lua name=libb\nredis.register_function('fb', function() return redis.call('incr', 'counter') end)";

const command = fc.oneof(
  fc.tuple(fc.constant('SET'), key, val),
  fc.tuple(fc.constant('SET'), key, val, fc.constant('PX'), fc.constantFrom('1', '100000')),
  fc.tuple(fc.constant('INCRBYFLOAT'), key, fc.constantFrom('0.1', '1.5', '-2')),
  fc.tuple(fc.constant('INCR'), key),
  fc.tuple(fc.constant('APPEND'), key, val),
  fc.tuple(fc.constant('SETRANGE'), key, num, val),
  fc.tuple(fc.constant('DEL'), key),
  fc.tuple(fc.constant('EXPIRE'), key, fc.constantFrom('100', '-1')),
  fc.tuple(fc.constant('PERSIST'), key),
  fc.tuple(fc.constant('RENAME'), key, key),
  fc.tuple(fc.constant('COPY'), key, key, fc.constant('REPLACE')),
  fc.tuple(fc.constant('MOVE'), key, fc.constantFrom('1', '2')),
  fc.tuple(fc.constant('SWAPDB'), fc.constantFrom('0', '1'), fc.constantFrom('1', '2')),
  fc.tuple(fc.constantFrom('LPUSH', 'RPUSH'), key, val, val),
  fc.tuple(fc.constantFrom('LPOP', 'RPOP'), key, num),
  fc.tuple(fc.constant('LSET'), key, num, val),
  fc.tuple(fc.constant('LINSERT'), key, fc.constantFrom('BEFORE', 'AFTER'), val, val),
  fc.tuple(fc.constant('LREM'), key, num, val),
  fc.tuple(fc.constant('LTRIM'), key, num, num),
  fc.tuple(fc.constant('LMOVE'), key, key, fc.constantFrom('LEFT', 'RIGHT'), fc.constantFrom('LEFT', 'RIGHT')),
  fc.tuple(fc.constant('HSET'), key, val, val),
  fc.tuple(fc.constant('HINCRBYFLOAT'), key, val, fc.constantFrom('0.1', '2')),
  fc.tuple(fc.constant('HDEL'), key, val),
  fc.tuple(fc.constant('SADD'), key, val, val),
  fc.tuple(fc.constant('SPOP'), key, num),
  fc.tuple(fc.constant('SMOVE'), key, key, val),
  fc.tuple(fc.constantFrom('SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE'), key, key, key),
  fc.tuple(fc.constant('ZADD'), key, num, val),
  fc.tuple(fc.constant('ZINCRBY'), key, fc.constantFrom('0.5', '1'), val),
  fc.tuple(fc.constant('ZPOPMIN'), key, num),
  fc.tuple(fc.constant('ZREMRANGEBYSCORE'), key, fc.constant('-inf'), num),
  fc.tuple(fc.constant('ZUNIONSTORE'), key, fc.constant('2'), key, key),
  fc.tuple(fc.constant('XADD'), key, fc.constantFrom('*', '1-*', '5-1', 'MAXLEN ~ 2 *', 'MINID 5 *'), val, val),
  fc.tuple(fc.constant('XDEL'), key, fc.constantFrom('5-1', '1-0', '1-1')),
  fc.tuple(fc.constant('XTRIM'), key, fc.constantFrom('MAXLEN', 'MINID'), fc.constantFrom('1', '3', '2-0')),
  fc.tuple(fc.constant('XGROUP'), fc.constant('CREATE'), key, fc.constantFrom('g', 'h'), fc.constantFrom('0', '$'), fc.constant('MKSTREAM')),
  fc.tuple(fc.constant('XREADGROUP'), fc.constant('GROUP'), fc.constantFrom('g', 'h'), fc.constantFrom('c1', 'c2'), fc.constant('STREAMS'), key, fc.constantFrom('>', '0')),
  fc.tuple(fc.constant('XCLAIM'), key, fc.constant('g'), fc.constant('c3'), fc.constant('0'), fc.constantFrom('1-0', '5-1', '1-1'), fc.constantFrom('FORCE', 'JUSTID', 'RETRYCOUNT')),
  fc.tuple(fc.constant('XAUTOCLAIM'), key, fc.constant('g'), fc.constant('c4'), fc.constant('0'), fc.constant('0')),
  fc.tuple(fc.constant('XACK'), key, fc.constant('g'), fc.constantFrom('1-0', '5-1', '1-1')),
  fc.tuple(fc.constant('XGROUP'), fc.constantFrom('DELCONSUMER', 'CREATECONSUMER'), key, fc.constant('g'), fc.constantFrom('c1', 'c4')),
  fc.tuple(fc.constant('XSETID'), key, fc.constantFrom('9999999999999-0', '5-1'), fc.constantFrom('ENTRIESADDED', 'MAXDELETEDID'), fc.constantFrom('50', '1-0')),
  fc.tuple(fc.constant('FLUSHDB')),
  fc.tuple(fc.constant('FUNCTION'), fc.constantFrom('LOAD', 'LOAD REPLACE'), fc.constantFrom(LIB_A, LIB_B)),
  fc.tuple(fc.constant('FUNCTION'), fc.constantFrom('DELETE liba', 'DELETE libb', 'FLUSH')),
  fc.tuple(fc.constant('FCALL'), fc.constantFrom('fa 1', 'fb 0'), key, val),
);

/** A machine led by a group of one; `run` runs a command line on it as one client. */
async function withLeader(body: (m: CacheMachine, run: (...argv: string[]) => void) => Promise<void>): Promise<void> {
  const m = new CacheMachine(SEEDS[0]);
  const service = new CacheService({ machine: m, group: new ReplicatingGroup(m, []), port: 0 });
  const client = service.connect(sink)!;
  try {
    await service.whenLoaded();
    await body(m, (...argv) => {
      service.executeMany(client, Scratch.of([argv]), 0);
    });
  } finally {
    service.close();
  }
}

async function settle(): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
}

test('followers applying the logged effects reach the leader state, SPOP and INCRBYFLOAT included', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), async (cmds) => {
      const leader = new CacheMachine(SEEDS[0]);
      const follower = new CacheMachine(SEEDS[1]);
      const group = new ReplicatingGroup(leader, [follower]);
      const service = new CacheService({ machine: leader, group, port: 0 });
      const client = service.connect(sink)!;
      await service.whenLoaded();
      try {
        service.executeMany(client, Scratch.of([['SET', 'seed', '1']]), 0);
        // Options with spaces ("MAXLEN ~ 2 *") are several arguments.
        // A library's code (from its "#!lua" line) is one argument whatever spaces it has.
        for (const argv of cmds) service.executeMany(client, Scratch.of([argv.flatMap((a) => (a.startsWith('#!') ? [a] : a.split(' ')))]), 0);
        await settle();
        assert.ok(group.entries.length > 0, 'the commands were logged');
        assert.equal(leader.hasUncommitted, false);
        assert.equal(dump(follower), dump(leader));
      } finally {
        service.close();
      }
    }),
    {
      numRuns: 150,
      // Blobs change hands: COPY must copy one, RENAME and MOVE move it, overwrites free it.
      examples: [
        [[['SET', 'a', 'M'.repeat(200)], ['COPY', 'a', 'b', 'REPLACE'], ['SET', 'a', 'x'], ['RENAME', 'b', 'c'], ['MOVE', 'c', '1']]],
        [[['HSET', 'h', 'f', 'M'.repeat(200)], ['COPY', 'h', 'c', 'REPLACE'], ['HDEL', 'h', 'f'], ['APPEND', 'c', 'x'], ['FLUSHDB']]],
        [[['RPUSH', 'l', 'M'.repeat(200), 'x'], ['COPY', 'l', 'c', 'REPLACE'], ['LMOVE', 'l', 'l', 'LEFT', 'RIGHT'], ['LMOVE', 'l', 'a', 'RIGHT', 'LEFT'], ['LSET', 'c', '0', 'y'], ['LREM', 'l', '0', 'x']]],
        [[['RPUSH', 'l', 'M'.repeat(200), 'M'.repeat(200), 'x', 'M'.repeat(200)], ['LINSERT', 'l', 'BEFORE', 'M'.repeat(200), 'z'], ['LREM', 'l', '-1', 'M'.repeat(200)], ['LTRIM', 'l', '1', '2'], ['RPOP', 'l', '2']]],
        // Every way a key's counted bytes change (maxmemory's): elements removed from collections
        // that stay, TTLs set, moved, replaced and dropped.
        [[['HSET', 'h', 'a', '1'], ['HSET', 'h', 'b', '2'], ['HDEL', 'h', 'a'], ['SADD', 's', 'x', 'y'], ['SMOVE', 's', 'c', 'x'], ['ZADD', 'z', '1', 'x'], ['ZADD', 'z', '2', 'y'], ['ZPOPMIN', 'z', '1'], ['ZREMRANGEBYSCORE', 'z', '-inf', '0']]],
        [[['SET', 'a', '1', 'PX', '100000'], ['SET', 'b', '2'], ['EXPIRE', 'b', '100'], ['RENAME', 'a', 'b'], ['PERSIST', 'b'], ['SET', 'c', '3', 'PX', '100000'], ['COPY', 'c', 'b', 'REPLACE'], ['MOVE', 'c', '1'], ['SET', 'b', 'x'], ['EXPIRE', 'b', '-1']]],
        // A stream's entries, tombstones, groups and pending entries, with delivery times from the leader's clock.
        [[['XGROUP', 'CREATE', 'x', 'g', '0', 'MKSTREAM'], ['XADD', 'x', '*', 'a', 'b'], ['XADD', 'x', 'MAXLEN ~ 1 *', 'c', 'd'], ['XREADGROUP', 'GROUP', 'g', 'c1', 'STREAMS', 'x', '>'], ['XDEL', 'x', '1-0'], ['XCLAIM', 'x', 'g', 'c3', '0', '1-0', 'FORCE'], ['XAUTOCLAIM', 'x', 'g', 'c4', '0', '0'], ['COPY', 'x', 'y']]],
        // Function libraries: loaded, replaced, restored, deleted, and a function's writes.
        [[['FUNCTION', 'LOAD', LIB_A], ['FCALL', 'fa', '1', 'k', 'v'], ['FUNCTION', 'LOAD', 'REPLACE', LIB_A.replace("'v'", "'w'")], ['FUNCTION', 'LOAD', LIB_B], ['FUNCTION', 'DELETE', 'liba'], ['FLUSHALL'], ['FCALL', 'fb', '0']]],
        [[['RPUSH', 'l', 'a', 'b'], ['RPUSH', 'l', 'x', 'a'], ['LREM', 'l', '1', 'a'], ['LINSERT', 'l', 'AFTER', 'b', 'z'], ['LTRIM', 'l', '1', '2'], ['LMOVE', 'l', 'a', 'LEFT', 'RIGHT'], ['LPOP', 'l', '1'], ['SWAPDB', '0', '1'], ['FLUSHDB']]],
      ],
    },
  );
});

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  // Chunks are valid until the next is requested (StateMachine.snapshot): keep copies.
  for await (const c of stream) chunks.push(Buffer.from(c));
  return chunks;
}

async function* from(chunks: readonly Buffer[]): AsyncIterable<Buffer> {
  for (const c of chunks) yield c;
}

test('a snapshot holds the state of its start while writes continue (copy-on-write per key)', async () => {
  const m = new CacheMachine(SEEDS[0]);
  const group = new ReplicatingGroup(m, []);
  const service = new CacheService({ machine: m, group, port: 0 });
  const client = service.connect(sink)!;
  await service.whenLoaded();
  try {
    for (let i = 0; i < 5000; i++) service.executeMany(client, Scratch.of([['SET', `k${i}`, 'v'.repeat(i % 50)]]), 0);
    service.executeMany(client, Scratch.of([['RPUSH', 'list', 'a', 'b', 'c']]), 0);
    service.executeMany(client, Scratch.of([['ZADD', 'z', '1', 'x', '2.5', 'y']]), 0);
    service.executeMany(client, Scratch.of([['HSET', 'h', 'f', 'v']]), 0);
    service.executeMany(client, Scratch.of([['SADD', 's', 'm1', 'm2']]), 0);
    service.executeMany(client, Scratch.of([['PEXPIREAT', 'k7', String(Date.now() + 100000)]]), 0);
    for (let i = 1; i <= 250; i++) service.executeMany(client, Scratch.of([['XADD', 'x', `${i}-1`, `f${i % 3}`, 'v'.repeat(i % 40)]]), 0);
    service.executeMany(client, Scratch.of([['XDEL', 'x', '7-1', '120-1']]), 0);
    service.executeMany(client, Scratch.of([['XTRIM', 'x', 'MAXLEN', '200']]), 0);
    service.executeMany(client, Scratch.of([['XGROUP', 'CREATE', 'x', 'g', '0']]), 0);
    service.executeMany(client, Scratch.of([['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '5', 'STREAMS', 'x', '>']]), 0);
    service.executeMany(client, Scratch.of([['FUNCTION', 'LOAD', LIB_A]]), 0);
    await settle();
    const before = dump(m);
    const it = m.snapshot()[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(first.done, false);
    // Writes after the snapshot started: none of them may show in it.
    service.executeMany(client, Scratch.of([['SET', 'k4999', 'changed']]), 0);
    service.executeMany(client, Scratch.of([['DEL', 'k4998']]), 0);
    service.executeMany(client, Scratch.of([['RPUSH', 'list', 'd']]), 0);
    service.executeMany(client, Scratch.of([['SET', 'new-key', 'x']]), 0);
    service.executeMany(client, Scratch.of([['SWAPDB', '0', '3']]), 0);
    service.executeMany(client, Scratch.of([['SELECT', '3']]), 0);
    service.executeMany(client, Scratch.of([['ZADD', 'z', '9', 'x']]), 0);
    service.executeMany(client, Scratch.of([['XADD', 'x', '999-1', 'f', 'v']]), 0);
    service.executeMany(client, Scratch.of([['XACK', 'x', 'g', '60-1']]), 0);
    service.executeMany(client, Scratch.of([['FUNCTION', 'DELETE', 'liba']]), 0);
    service.executeMany(client, Scratch.of([['FUNCTION', 'LOAD', LIB_B]]), 0);
    service.executeMany(client, Scratch.of([['FLUSHDB']]), 0);
    await settle();
    const chunks = [Buffer.from(first.value as Buffer)];
    for (let r = await it.next(); r.done !== true; r = await it.next()) chunks.push(Buffer.from(r.value));
    const restored = new CacheMachine(SEEDS[1]);
    await restored.restore(from(chunks));
    assert.equal(dump(restored), before);
    assert.notEqual(dump(m), before);
  } finally {
    service.close();
  }
});

test('property: a snapshot holds its start whatever writes, table growth and shrinking happen between its chunks', async () => {
  // Writes between chunks: overwrites, deletes, collection changes, expiry, thousands of new
  // keys (the table grows and the stream walks it again) and mass deletes (it shrinks).
  // Large collections (written a chunk at a time, their record open between chunks) changed
  // mid-record, and other keys written while one is open.
  const kinds = ['set', 'del', 'append', 'push', 'hset', 'expire', 'grow', 'shrink', 'swap', 'flush', 'big-hash', 'big-list', 'big-set', 'big-zset', 'big-stream', 'big-del', 'db1'] as const;
  type Step = { kind: (typeof kinds)[number]; n: number };
  const step = fc.record({ kind: fc.constantFrom(...kinds), n: fc.nat(3999) }) as fc.Arbitrary<Step>;
  const check = (between: Step[][]): Promise<void> =>
    withLeader(async (m, run) => {
      for (let i = 0; i < 4000; i++) run('SET', `k${i}`, `v${i}`.padEnd(40 + (i % 60), '.'));
      run('RPUSH', 'list', 'a', 'b');
      run('HSET', 'h', 'f', '1');
      for (let i = 0; i < 3000; i += 500) {
        const range = Array.from({ length: 500 }, (_, j) => i + j);
        run('HSET', 'big-hash', ...range.flatMap((j) => [`f${j}`, `value ${j}`.padEnd(50, '.')]));
        run('RPUSH', 'big-list', ...range.map((j) => `element ${j}`.padEnd(60, '.')));
        run('SADD', 'big-set', ...range.map((j) => `member ${j}`.padEnd(40, '.')));
        run('ZADD', 'big-zset', ...range.flatMap((j) => [String(j / 7), `member ${j}`.padEnd(40, '.')]));
      }
      for (let i = 1; i <= 600; i++) run('XADD', 'big-stream', `${i}-1`, 'field', `entry ${i}`.padEnd(200, '.'));
      run('XGROUP', 'CREATE', 'big-stream', 'g', '0');
      run('XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '300', 'STREAMS', 'big-stream', '>');
      run('SELECT', '1');
      run('SET', 'db1', 'x');
      run('SELECT', '0');
      await settle();
      const before = dump(m);
      const it = m.snapshot()[Symbol.asyncIterator]();
      const chunks: Buffer[] = [];
      let extra = 0;
      for (let c = 0; ; c++) {
        const r = await it.next();
        if (r.done === true) break;
        // Held, not copied, while the writes run (as a file write in flight holds it): the
        // stream must not reuse its bytes before the next chunk is asked for.
        const held = r.value;
        for (const s of between[c] ?? []) {
          const k = `k${s.n}`;
          if (s.kind === 'set') run('SET', k, 'changed'.padEnd(40 + (s.n % 60), '!'));
          else if (s.kind === 'del') run('DEL', k);
          else if (s.kind === 'append') run('APPEND', k, '+');
          else if (s.kind === 'push') run('RPUSH', 'list', String(s.n));
          else if (s.kind === 'hset') run('HSET', 'h', `f${s.n}`, 'v'.repeat(s.n % 100));
          else if (s.kind === 'expire') run('PEXPIREAT', k, String(Date.now() + 1e6 + s.n));
          else if (s.kind === 'grow') for (let i = 0; i < 3000; i++) run('SET', `new${extra++}`, 'n');
          else if (s.kind === 'shrink') for (let i = 0; i < 4000; i += 1 + (s.n % 2)) run('DEL', `k${i}`);
          else if (s.kind === 'swap') run('SWAPDB', '0', '1');
          else if (s.kind === 'big-hash') run('HSET', 'big-hash', `f${s.n % 3500}`, 'changed');
          else if (s.kind === 'big-list') run('LSET', 'big-list', String(s.n % 3000), 'changed');
          else if (s.kind === 'big-set') run('SREM', 'big-set', `member ${s.n % 3000}`.padEnd(40, '.'));
          else if (s.kind === 'big-zset') run('ZINCRBY', 'big-zset', '1', `member ${s.n % 3000}`.padEnd(40, '.'));
          else if (s.kind === 'big-stream') run('XACK', 'big-stream', 'g', `${1 + (s.n % 300)}-1`);
          else if (s.kind === 'big-del') run('DEL', ['big-hash', 'big-list', 'big-set', 'big-zset', 'big-stream'][s.n % 5]!);
          else if (s.kind === 'db1') {
            run('SELECT', '1');
            run('SET', 'db1', `changed ${s.n}`);
            run('SELECT', '0');
          } else run('FLUSHDB');
        }
        await settle();
        chunks.push(Buffer.from(held));
      }
      const restored = new CacheMachine(SEEDS[1]);
      await restored.restore(from(chunks));
      assert.equal(dump(restored), before);
      for (const db of m.ks.dbs) assert.equal(db.keys.marking, false);
      checkBlobs(m);
    });
  // A large collection frozen before the walk reached it, written while the table shrinks.
  await check([[{ kind: 'big-list', n: 0 }], [], [{ kind: 'shrink', n: 0 }]]);
  await check([[{ kind: 'swap', n: 0 }]]);
  await check([[{ kind: 'shrink', n: 0 }], []]);
  // Other keys, of both databases, written while a large collection's record is open; then the collection.
  await check([[], [], [{ kind: 'set', n: 1 }, { kind: 'db1', n: 2 }], [{ kind: 'big-hash', n: 0 }, { kind: 'big-list', n: 0 }], [{ kind: 'big-del', n: 2 }, { kind: 'big-zset', n: 3 }, { kind: 'set', n: 3 }]]);
  await fc.assert(fc.asyncProperty(fc.array(fc.array(step, { maxLength: 6 }), { minLength: 1, maxLength: 12 }), check), { numRuns: 25 });
});

/** A ClientSink that releases queued replies as RespConnection does, and records them. */
function recordingSink() {
  const queued: Array<{ bytes: Buffer; seq: number }> = [];
  const r = {
    released: '',
    closed: false,
    send(bytes: Buffer, seq: number) {
      queued.push({ bytes: Buffer.from(bytes), seq });
    },
    close() {
      r.closed = true;
    },
    abort() {
      queued.length = 0;
      r.closed = true;
    },
    flush(committedSeq: number) {
      while (queued.length > 0 && queued[0]!.seq <= committedSeq) r.released += queued.shift()!.bytes.toString('latin1');
      return queued.length > 0;
    },
    resume: () => undefined,
    run: () => undefined,
    unrun: () => undefined,
    remoteAddress: 'test:0',
    localAddress: 'test:0',
    outputBytes: 0,
    queryBufferBytes: 0,
    drained: () => Promise.resolve(),
  };
  return r;
}

test('a batch that fails to commit closes the connections waiting on it, which get none of its replies', async () => {
  const m = new CacheMachine(SEEDS[0]);
  // Proposals fail, as when leadership is lost before they commit.
  const group: Group<void> = Object.assign(Object.create(new ReplicatingGroup(m, [])) as ReplicatingGroup, {
    propose: (): Proposal<void> => ({ index: 1, applied: Promise.resolve().then(() => Promise.reject(new DepotError('NOT_LEADER', 'leadership lost'))) }),
  });
  const service = new CacheService({ machine: m, group, port: 0 });
  await service.whenLoaded();
  const [reader, writer, after] = [recordingSink(), recordingSink(), recordingSink()];
  const [r, w, a] = [service.connect(reader)!, service.connect(writer)!, service.connect(after)!];
  try {
    service.executeMany(r, Scratch.of([['PING']]), 0);
    service.executeMany(w, Scratch.of([['SET', 'k', 'v']]), 0);
    service.executeMany(a, Scratch.of([['PING']]), 0);
    await settle();
    assert.equal(reader.released, '+PONG\r\n');
    assert.equal(reader.closed, false);
    // The SET and the PING queued behind it wait on the failed batch.
    assert.deepEqual([writer.released, writer.closed], ['', true]);
    assert.deepEqual([after.released, after.closed], ['', true]);
    // Replies of commands run after the failure wait for nothing that will never commit.
    const later = recordingSink();
    service.executeMany(service.connect(later)!, Scratch.of([['PING'], ['GET', 'x']]), 0);
    await settle();
    assert.equal(later.released, '+PONG\r\n$-1\r\n');
  } finally {
    service.close();
  }
});

test('after a restore, log entries the snapshot already includes are skipped', async () => {
  const m = new CacheMachine(SEEDS[0]);
  const group = new ReplicatingGroup(m, []);
  const service = new CacheService({ machine: m, group, port: 0 });
  const client = service.connect(sink)!;
  await service.whenLoaded();
  service.executeMany(client, Scratch.of([['RPUSH', 'l', 'a']]), 0);
  service.executeMany(client, Scratch.of([['RPUSH', 'l', 'b']]), 0);
  // The snapshot is taken before the entry of the turn has been applied: it includes it.
  const chunks = collect(m.snapshot());
  await settle();
  service.executeMany(client, Scratch.of([['RPUSH', 'l', 'c']]), 0);
  await settle();
  service.close();
  const restored = new CacheMachine(SEEDS[1]);
  await restored.restore(from(await chunks));
  for (const e of group.entries) restored.apply(e);
  assert.equal(dump(restored), dump(m));
});

test('a large collection is captured a chunk at a time, in both formats', async () => {
  // 2.3 MB of hash (1 MB in RDB, which compresses its values), 4.5 MB of stream.
  const fills: Record<string, (i: number) => string[][]> = {
    hash: (i) => [['HSET', 'h', ...Array.from({ length: 1000 }, (_, j) => [`field ${i + j}`, 'v'.repeat(40)]).flat()]],
    // Values LZF cannot shrink: RDB compresses each node's listpack.
    stream: (i) => Array.from({ length: 1000 }, (_, j) => ['XADD', 'x', `${i + j + 1}-1`, 'field', randomBytes(75).toString('base64')]),
  };
  for (const [kind, fill] of Object.entries(fills)) {
    await withLeader(async (m, run) => {
      for (let i = 0; i < 40_000; i += 1000) for (const argv of fill(i)) run(...argv);
      await settle();
      for (const stream of [m.snapshot(), m.rdbSnapshot({ aux: [], keys: true, functions: true })]) {
        const sizes: number[] = [];
        for await (const c of stream) sizes.push(c.length);
        assert.ok(sizes.length > 10, `${kind}: ${sizes.length} chunks`);
        assert.ok(Math.max(...sizes) < 2 * CHUNK_BYTES, `${kind}: largest chunk ${Math.max(...sizes)} bytes`);
      }
    });
  }
});

/**
 * A capture's chunks (copied: the stream reuses its buffers), with `write` run after chunk
 * `after`; no chunk may reach twice CHUNK_BYTES (what a record written whole on a write's path
 * makes).
 */
async function captureWhileWriting(stream: AsyncIterable<Buffer>, write: () => void, after = 1): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    assert.ok(chunk.length < 2 * CHUNK_BYTES, `a chunk of ${chunk.length} bytes`);
    chunks.push(Buffer.from(chunk));
    if (chunks.length === after) {
      write();
      await settle();
    }
  }
  return chunks;
}

test('a write to a large collection during a snapshot copies references, not the collection, in both formats', async () => {
  // Two lists of 150,000 elements (15 MB each): after the first chunk the walk has one open and
  // not reached the other (or written neither). Popping from both must not write either whole
  // on the pop's path: it held the event loop for seconds with a list of a million 1 KiB values.
  // Elements RDB's LZF cannot shrink, so that the file's size shows both lists in it.
  const noise = randomBytes(60_000).toString('base64');
  await withLeader(async (m, run) => {
    const fill = (): void => {
      for (const key of ['list:a', 'list:b']) {
        for (let i = 0; i < 150_000; i += 1000) run('RPUSH', key, ...Array.from({ length: 1000 }, (_, j) => noise.slice((i + j) % 79_000, ((i + j) % 79_000) + 100)));
      }
    };
    fill();
    await settle();
    const before = dump(m);
    for (const stream of [m.snapshot(), m.rdbSnapshot({ aux: [], keys: true, functions: true })]) {
      const chunks = await captureWhileWriting(stream, () => {
        for (let i = 0; i < 10; i++) run('LPOP', 'list:a', '1000');
        run('RPOP', 'list:b');
        run('LSET', 'list:b', '0', 'changed');
      });
      if (chunks[0]!.subarray(0, 4).toString('latin1') === 'DPKS') {
        const restored = new CacheMachine(SEEDS[1]);
        await restored.restore(from(chunks));
        assert.equal(dump(restored), before);
      } else {
        assert.equal(chunks[0]!.subarray(0, 5).toString('latin1'), 'REDIS');
        assert.ok(chunks.reduce((n, c) => n + c.length, 0) > 2 * 150_000 * 100, 'the RDB file holds both lists whole');
      }
      // Undo the pops for the next format: the lists as they were.
      run('DEL', 'list:a', 'list:b');
      fill();
      await settle();
      assert.equal(dump(m), before);
    }
  });
});

test('a write to a large stream during a snapshot freezes it instead of writing it whole, in both formats', async () => {
  // Two streams of 50,000 entries (15 MB each), one with a consumer group: after the first
  // chunk the walk has one open and not reached the other (or written neither). Every kind of
  // stream change (append to the last node, a new node, tombstones, whole nodes trimmed, the
  // group's reads and acks) must leave the snapshot as it began, without writing either stream
  // on the change's path.
  const values = Array.from({ length: 50_000 }, () => randomBytes(150).toString('hex'));
  for (const format of ['dpks', 'rdb'] as const) {
    await withLeader(async (m, run) => {
      for (const key of ['stream:a', 'stream:b']) {
        for (let i = 1; i <= 50_000; i++) run('XADD', key, `${i}-0`, 'f', values[i - 1]!);
      }
      run('XGROUP', 'CREATE', 'stream:a', 'g', '0');
      run('XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', '2000', 'STREAMS', 'stream:a', '>');
      await settle();
      const before = dump(m);
      const capture = () => (format === 'dpks' ? m.snapshot() : m.rdbSnapshot({ aux: [], keys: true, functions: true }));
      // The same records in another order (the walk writes a frozen stream next) make a file of the same size.
      const unchanged = (await collect(capture())).reduce((n, c) => n + c.length, 0);
      const chunks = await captureWhileWriting(capture(), () => {
        for (const key of ['stream:a', 'stream:b']) {
          run('XADD', key, '50001-0', 'f', 'appended');
          run('XADD', key, '60000-0', 'other', 'fields', 'in', 'a new node');
          run('XDEL', key, '30000-0', '45000-0');
          run('XTRIM', key, 'MAXLEN', '40000');
        }
        run('XACK', 'stream:a', 'g', '1-0', '2-0');
        run('XREADGROUP', 'GROUP', 'g', 'c2', 'COUNT', '5', 'STREAMS', 'stream:a', '>');
        run('XCLAIM', 'stream:a', 'g', 'c2', '0', '100-0');
      });
      if (format === 'dpks') {
        assert.equal(chunks[0]!.subarray(0, 4).toString('latin1'), 'DPKS');
        const restored = new CacheMachine(SEEDS[1]);
        await restored.restore(from(chunks));
        assert.equal(dump(restored), before);
      } else {
        assert.equal(chunks[0]!.subarray(0, 5).toString('latin1'), 'REDIS');
      }
      assert.equal(chunks.reduce((n, c) => n + c.length, 0), unchanged);
    });
  }
});

test('a snapshot in the middle of a large pending-entries list writes it as it began while the group changes', async (t) => {
  // One stream of 30,000 entries, all pending in one group (about 1 MB of PEL in either
  // format). The writes come a few chunks before the end, in the group's part of the record:
  // acks ahead of the writer and behind it, claims that move entries between consumers,
  // redeliveries, a consumer deleted and one created, the group's last ID moved. Freezing the
  // group must not copy its pending entries one by one (it held the event loop for a second
  // with a PEL of a million), so no setPending may run but the writes' own.
  for (const format of ['dpks', 'rdb'] as const) {
    await withLeader(async (m, run) => {
      for (let i = 1; i <= 30_000; i++) run('XADD', 'q', `${i}-0`, 'f', 'v');
      run('XGROUP', 'CREATE', 'q', 'g', '0');
      run('XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', '20000', 'STREAMS', 'q', '>');
      run('XREADGROUP', 'GROUP', 'g', 'c2', 'COUNT', '10000', 'STREAMS', 'q', '>');
      await settle();
      const before = dump(m);
      const capture = () => (format === 'dpks' ? m.snapshot() : m.rdbSnapshot({ aux: [], keys: true, functions: true }));
      const unchanged = await collect(capture());
      assert.ok(unchanged.length > 20, `${unchanged.length} chunks`);
      const setPending = t.mock.method(ConsumerGroup.prototype, 'setPending');
      const chunks = await captureWhileWriting(
        capture(),
        () => {
          const calls = setPending.mock.callCount();
          run('XACK', 'q', 'g', '1-0', '15000-0', '29999-0');
          run('XCLAIM', 'q', 'g', 'c2', '0', '2-0', '25000-0');
          run('XCLAIM', 'q', 'g', 'c1', '0', '20001-0');
          run('XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', '100', 'STREAMS', 'q', '0');
          run('XGROUP', 'DELCONSUMER', 'q', 'g', 'c2');
          run('XGROUP', 'CREATECONSUMER', 'q', 'g', 'c3');
          run('XGROUP', 'SETID', 'q', 'g', '100-0');
          assert.ok(setPending.mock.callCount() - calls <= 103, `${setPending.mock.callCount() - calls} setPending calls`);
        },
        unchanged.length - 4,
      );
      setPending.mock.restore();
      if (format === 'dpks') {
        const restored = new CacheMachine(SEEDS[1]);
        await restored.restore(from(chunks));
        assert.equal(dump(restored), before);
      } else {
        assert.ok(Buffer.concat(chunks).equals(Buffer.concat(unchanged)), 'the RDB file is the one taken without the writes');
      }
    });
  }
});

test('a snapshot is restored an element at a time, never holding a large record whole', async (t) => {
  // 5-20 MB records of every collection type and a stream with a group, read back from pieces
  // that cut records and elements anywhere. The reader held each record whole before parsing it
  // (a gigabyte for a list of a million 1 KiB values; past 4 GiB, not at all).
  await withLeader(async (m, run) => {
    const value = (i: number) => (i % 3 === 0 ? 'L'.repeat(100) : 's'.repeat(40)) + i;
    for (let i = 0; i < 100_000; i += 1000) {
      const batch = Array.from({ length: 1000 }, (_, j) => i + j);
      run('RPUSH', 'list', ...batch.map(value));
      run('HSET', 'hash', ...batch.flatMap((k) => [`field:${k}`, value(k)]));
      run('SADD', 'set', ...batch.map((k) => `member:${k}`));
      run('ZADD', 'zset', ...batch.flatMap((k) => [String(k / 7), `member:${k}`]));
    }
    for (let i = 1; i <= 20_000; i++) run('XADD', 'stream', `${i}-0`, 'f', value(i));
    run('XDEL', 'stream', '500-0');
    run('XGROUP', 'CREATE', 'stream', 'g', '0');
    // Every entry pending: the group alone is about 700 KB.
    run('XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '12000', 'STREAMS', 'stream', '>');
    run('XREADGROUP', 'GROUP', 'g', 'c2', 'COUNT', '12000', 'STREAMS', 'stream', '>');
    run('XGROUP', 'CREATECONSUMER', 'stream', 'g', 'idle');
    run('XGROUP', 'CREATE', 'stream', 'empty', '$');
    run('SET', 'after', 'the large records');
    await settle();
    const bytes = Buffer.concat(await collect(m.snapshot()));
    const pieces: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 50_001) pieces.push(bytes.subarray(at, at + 50_001));
    const concat = t.mock.method(Buffer, 'concat');
    const restored = new CacheMachine(SEEDS[1]);
    await restored.restore(from(pieces));
    const largest = Math.max(0, ...concat.mock.calls.map((c) => (c.result as Buffer).length));
    concat.mock.restore();
    assert.ok(largest < 3 * 50_001, `the reader joined ${largest} bytes`);
    assert.equal(dump(restored), dump(m));
  });
});

test('a damaged snapshot is refused with CORRUPT_LOG', async () => {
  const m = new CacheMachine(SEEDS[0]);
  m.ks.set(0, 'a', 'value', 0, false);
  m.ks.push(0, 'l', ['x', 'y'], false);
  const chunks = await collect(m.snapshot());
  const bytes = Buffer.concat(chunks);
  for (const at of [5, 20, bytes.length - 3]) {
    const bad = Buffer.from(bytes);
    bad[at] = bad[at]! ^ 0x5a;
    await assert.rejects(new CacheMachine(SEEDS[0]).restore(from([bad])), (err: unknown) => isDepotError(err, 'CORRUPT_LOG'));
  }
  await assert.rejects(new CacheMachine(SEEDS[0]).restore(from([bytes.subarray(0, bytes.length - 1)])), (err: unknown) => isDepotError(err, 'CORRUPT_LOG'));
  const ok = new CacheMachine(SEEDS[0]);
  await ok.restore(from([bytes.subarray(0, 7), bytes.subarray(7)]));
  assert.equal(dump(ok), dump(m));
});

test('the effect encoder stays bounded over many batches', () => {
  const enc = new EffectEncoder();
  const big = 'v'.repeat(3000);
  for (let batch = 0; batch < 20_000; batch++) {
    for (let i = 0; i < 3; i++) enc.op(Op.SET, 0).str(`key${i}`).str(big).num(0).flag(false);
    const payload = enc.take()!;
    assert.ok(payload.length > 9000 && payload.length < 9200);
  }
  // The slab behind the payloads stays at its base size (256 KiB): 20,000 batches of 9 KB
  // would have grown it without bound had its size followed the total written.
  const capacity = (enc as unknown as { buf: Buffer }).buf.length;
  assert.ok(capacity <= 256 * 1024, `encoder buffer grew to ${capacity} bytes`);
});

test('property: the effect encoder writes lengths, strings and doubles as Buffer does (big-endian, latin1)', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 300 }), fc.double(), fc.array(fc.double(), { maxLength: 4 }), (s, n, list) => {
      const enc = new EffectEncoder();
      enc.op(Op.SET, 3).str(s).num(n).nums(list);
      const expected = Buffer.alloc(2 + 4 + s.length + 8 + 4 + 8 * list.length);
      let p = expected.writeUInt8(Op.SET, 0);
      p = expected.writeUInt8(3, p);
      p = expected.writeUInt32BE(s.length, p);
      p += expected.write(s, p, 'latin1');
      p = expected.writeDoubleBE(n, p);
      p = expected.writeUInt32BE(list.length, p);
      for (const x of list) p = expected.writeDoubleBE(x, p);
      assert.deepEqual(enc.take(), expected);
    }),
    { numRuns: 500 },
  );
});
