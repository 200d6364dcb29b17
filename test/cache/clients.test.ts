// Depot's RESP server through real clients (ioredis over RESP2 and RESP3, node-redis), in a
// real server process: every command family, error replies, pipelines, transactions with a
// WATCH conflict, blocking pops woken by another client, pub/sub fan-out and expiry.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:buffer';
import { once } from 'node:events';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RespClient, show, type Reply } from '../helpers/cache-resp-client.js';
import { startDepot, type ServerProcess } from '../helpers/cache-servers.js';

let server: ServerProcess;
const opened: Redis[] = [];

function ioredis(protocol: 2 | 3, extra: Record<string, unknown> = {}): Redis {
  const r = new Redis({ port: server.port, host: '127.0.0.1', protocol, lazyConnect: false, maxRetriesPerRequest: 1, ...extra });
  opened.push(r);
  return r;
}

/** Asserts that `p` rejects with an error whose message (the Redis error text) matches. */
async function rejectsWith(p: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: Error) => {
    assert.match(err.message, message);
    return true;
  });
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

before(async () => {
  server = await startDepot();
});

after(async () => {
  for (const r of opened) r.disconnect();
  await server.stop();
});

for (const protocol of [2, 3] as const) {
  describe(`ioredis over RESP${protocol}`, () => {
    test('long binary values (kept outside the JS heap) come back byte for byte', async () => {
      const r = ioredis(protocol);
      const p = `p${protocol}:bin:`;
      const bytes = (n: number, salt: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + salt) & 0xff));
      for (const n of [63, 64, 65, 1024, 65_536, 65_537]) {
        const v = bytes(n, n);
        await r.set(`${p}${n}`, v);
        assert.deepEqual(await r.getBuffer(`${p}${n}`), v);
        assert.equal(await r.strlen(`${p}${n}`), n);
        assert.deepEqual(await r.getrangeBuffer(`${p}${n}`, 10, 20), v.subarray(10, 21));
        await r.hset(`${p}h`, `f${n}`, v);
        assert.deepEqual(await r.hgetBuffer(`${p}h`, `f${n}`), v);
        assert.equal(await r.hstrlen(`${p}h`, `f${n}`), n);
      }
      const all = await r.hgetallBuffer(`${p}h`);
      assert.deepEqual(all['f1024'], bytes(1024, 1024));
      assert.deepEqual((await r.mgetBuffer(`${p}64`, `${p}none`, `${p}1024`)), [bytes(64, 64), null, bytes(1024, 1024)]);
      assert.equal(await r.append(`${p}63`, Buffer.from([0xff])), 64);
      assert.deepEqual(await r.getBuffer(`${p}63`), Buffer.concat([bytes(63, 63), Buffer.from([0xff])]));
      assert.equal(await r.setrange(`${p}1024`, 1020, Buffer.from([1, 2, 3, 4, 5, 6])), 1026);
      assert.deepEqual((await r.getBuffer(`${p}1024`))!.subarray(1018), Buffer.from([bytes(1024, 1024)[1018]!, bytes(1024, 1024)[1019]!, 1, 2, 3, 4, 5, 6]));
      assert.equal(await r.object('ENCODING', `${p}1024`), 'raw');
      assert.equal(await r.object('ENCODING', `${p}h`), 'hashtable');
      assert.equal(await r.copy(`${p}64`, `${p}copy`), 1);
      await r.set(`${p}64`, 'short now');
      assert.deepEqual(await r.getBuffer(`${p}copy`), bytes(64, 64));
      // List elements: pushed, read, searched, moved and popped.
      const [a, b, d] = [bytes(100, 1), bytes(2000, 2), bytes(100, 3)];
      assert.equal(await r.rpush(`${p}l`, a, 'x', b, a), 4);
      assert.deepEqual(await r.lrangeBuffer(`${p}l`, 0, -1), [a, Buffer.from('x'), b, a]);
      assert.deepEqual(await r.lindexBuffer(`${p}l`, 2), b);
      assert.equal(await r.lpos(`${p}l`, a, 'RANK', 2), 3);
      assert.equal(await r.linsert(`${p}l`, 'AFTER', b, d), 5);
      assert.equal(await r.lrem(`${p}l`, 0, a), 2);
      assert.deepEqual(await r.lmoveBuffer(`${p}l`, `${p}l2`, 'RIGHT', 'LEFT'), d);
      assert.equal(await r.lset(`${p}l`, 0, b), 'OK');
      assert.deepEqual(await r.lpopBuffer(`${p}l`, 5), [b, b]);
      assert.deepEqual(await r.rpopBuffer(`${p}l2`), d);
    });

    test('strings, keys and expiry', async () => {
      const r = ioredis(protocol);
      const p = `p${protocol}:`;
      assert.equal(await r.set(`${p}s`, 'hello'), 'OK');
      assert.equal(await r.get(`${p}s`), 'hello');
      assert.equal(await r.append(`${p}s`, ' world'), 11);
      assert.equal(await r.getrange(`${p}s`, 0, 4), 'hello');
      assert.equal(await r.incrby(`${p}n`, 41), 41);
      assert.equal(await r.incr(`${p}n`), 42);
      assert.equal(await r.incrbyfloat(`${p}f`, '0.1'), '0.1');
      assert.equal(await r.incrbyfloat(`${p}f`, '0.2'), '0.3');
      assert.deepEqual(await r.mget(`${p}s`, `${p}missing`, `${p}n`), ['hello world', null, '42']);
      assert.equal(await r.set(`${p}s`, 'x', 'NX'), null);
      assert.equal(await r.set(`${p}s`, 'y', 'XX', 'GET'), 'hello world');
      assert.equal(await r.set(`${p}t`, 'v', 'EX', 100), 'OK');
      const ttl = await r.ttl(`${p}t`);
      assert.ok(ttl > 98 && ttl <= 100, `ttl ${ttl}`);
      assert.equal(await r.persist(`${p}t`), 1);
      assert.equal(await r.ttl(`${p}t`), -1);
      assert.equal(await r.type(`${p}t`), 'string');
      assert.equal(await r.rename(`${p}t`, `${p}t2`), 'OK');
      assert.equal(await r.exists(`${p}t`, `${p}t2`), 1);
      assert.equal(await r.copy(`${p}t2`, `${p}t3`), 1);
      assert.equal(await r.del(`${p}t2`, `${p}t3`, `${p}nope`), 2);
      assert.equal(await r.set(`${p}gone`, 'v', 'PX', 30), 'OK');
      await new Promise((res) => setTimeout(res, 60));
      assert.equal(await r.get(`${p}gone`), null);
      assert.equal(await r.exists(`${p}gone`), 0);
    });

    test('lists, hashes, sets and sorted sets', async () => {
      const r = ioredis(protocol);
      const p = `q${protocol}:`;
      assert.equal(await r.rpush(`${p}l`, 'a', 'b', 'c', 'd'), 4);
      assert.deepEqual(await r.lrange(`${p}l`, 0, -1), ['a', 'b', 'c', 'd']);
      assert.equal(await r.lpop(`${p}l`), 'a');
      assert.deepEqual(await r.rpop(`${p}l`, 2), ['d', 'c']);
      assert.equal(await r.lmove(`${p}l`, `${p}l2`, 'LEFT', 'RIGHT'), 'b');
      assert.equal(await r.llen(`${p}l`), 0);
      assert.equal(await r.hset(`${p}h`, { f1: 'v1', f2: 'v2' }), 2);
      assert.deepEqual(await r.hgetall(`${p}h`), { f1: 'v1', f2: 'v2' });
      assert.equal(await r.hincrby(`${p}h`, 'n', 5), 5);
      assert.deepEqual(await r.hmget(`${p}h`, 'f1', 'zz'), ['v1', null]);
      assert.equal(await r.sadd(`${p}s`, 'a', 'b', 'c'), 3);
      assert.deepEqual((await r.smembers(`${p}s`)).sort(), ['a', 'b', 'c']);
      assert.equal(await r.sismember(`${p}s`, 'b'), 1);
      assert.equal(await r.zadd(`${p}z`, 1, 'one', 2, 'two', 3, 'three'), 3);
      assert.deepEqual(await r.zrange(`${p}z`, '0', '-1', 'WITHSCORES'), ['one', '1', 'two', '2', 'three', '3']);
      assert.deepEqual(await r.zrangebyscore(`${p}z`, '(1', '+inf'), ['two', 'three']);
      assert.equal(await r.zscore(`${p}z`, 'two'), '2');
      assert.equal(await r.zincrby(`${p}z`, '0.5', 'two'), '2.5');
      assert.equal(await r.zrank(`${p}z`, 'three'), 2);
      assert.deepEqual(await r.zpopmin(`${p}z`), ['one', '1']);
      assert.equal(await r.zunionstore(`${p}zu`, 2, `${p}z`, `${p}s`), 5);
    });

    test('error replies keep Redis prefixes and texts for every family', async () => {
      const r = ioredis(protocol);
      const p = `e${protocol}:`;
      await r.set(`${p}str`, 'abc');
      await r.rpush(`${p}list`, 'x');
      const wrongType = /^WRONGTYPE Operation against a key holding the wrong kind of value$/;
      await rejectsWith(r.lpush(`${p}str`, 'x'), wrongType);
      await rejectsWith(r.hget(`${p}list`, 'f'), wrongType);
      await rejectsWith(r.sadd(`${p}list`, 'm'), wrongType);
      await rejectsWith(r.zadd(`${p}str`, 1, 'm'), wrongType);
      await rejectsWith(r.get(`${p}list`), wrongType);
      await rejectsWith(r.incr(`${p}str`), /^ERR value is not an integer or out of range$/);
      await rejectsWith(r.hincrby(`${p}h`, 'f', 'x' as unknown as number), /^ERR value is not an integer or out of range$/);
      await rejectsWith(r.zadd(`${p}z`, 'x' as unknown as number, 'm'), /^ERR value is not a valid float$/);
      await rejectsWith(r.lrange(`${p}list`, 'a' as unknown as number, 2), /^ERR value is not an integer or out of range$/);
      await rejectsWith(r.expire(`${p}str`, 'soon' as unknown as number), /^ERR value is not an integer or out of range$/);
      await rejectsWith(r.call('GET'), /^ERR wrong number of arguments for 'get' command$/);
      await rejectsWith(r.call('HSET', `${p}h`, 'f'), /^ERR wrong number of arguments for 'hset' command$/);
      await rejectsWith(r.call('NOSUCHCMD', 'a'), /^ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' $/);
      await rejectsWith(r.call('CONFIG', 'NOPE'), /^ERR unknown subcommand 'NOPE'\. Try CONFIG HELP\.$/);
      await rejectsWith(r.call('ZRANGEBYSCORE', `${p}z`, 'a', 'b'), /^ERR min or max is not a float$/);
      await rejectsWith(r.call('LSET', `${p}list`, '5', 'x'), /^ERR index out of range$/);
    });

    test('a pipeline of mixed commands, errors included, replies in order', async () => {
      const r = ioredis(protocol);
      const p = `pl${protocol}:`;
      const pipe = r.pipeline();
      for (let i = 0; i < 500; i++) {
        pipe.set(`${p}k${i}`, String(i));
        pipe.incr(`${p}k${i}`);
        pipe.rpush(`${p}list`, String(i));
        if (i % 100 === 0) pipe.lpush(`${p}k${i}`, 'boom');
        pipe.get(`${p}k${i}`);
      }
      const results = await pipe.exec();
      assert.ok(results !== null);
      let at = 0;
      for (let i = 0; i < 500; i++) {
        assert.deepEqual(results[at++], [null, 'OK']);
        assert.deepEqual(results[at++], [null, i + 1]);
        assert.deepEqual(results[at++], [null, i + 1]);
        if (i % 100 === 0) assert.match(String(results[at++]![0]), /WRONGTYPE/);
        assert.deepEqual(results[at++], [null, String(i + 1)]);
      }
    });
  });
}

describe('transactions', () => {
  test('MULTI/EXEC runs the queue; EXEC aborts when a watched key changed on another client', async () => {
    const a = ioredis(2);
    const b = ioredis(3);
    await a.set('tx:balance', '100');
    assert.deepEqual(await a.multi().incrby('tx:balance', 10).get('tx:balance').exec(), [
      [null, 110],
      [null, '110'],
    ]);
    await a.watch('tx:balance');
    const seen = Number(await a.get('tx:balance'));
    await b.incrby('tx:balance', 5); // another client wins the race
    const result = await a.multi().set('tx:balance', String(seen - 30)).exec();
    assert.equal(result, null);
    assert.equal(await a.get('tx:balance'), '115');
    await a.watch('tx:balance');
    assert.deepEqual(await a.multi().set('tx:balance', '85').exec(), [[null, 'OK']]);
    await assert.rejects(a.multi().set('tx:x', '1').call('NOSUCH').exec(), /EXECABORT/);
  });

  test('a SADD that adds nothing does not abort a transaction watching the set (as in Redis)', async () => {
    const a = ioredis(2);
    const b = ioredis(3);
    await a.sadd('tx:set', 'm1', 'm2');
    await a.watch('tx:set');
    assert.equal(await b.sadd('tx:set', 'm2', 'm1'), 0);
    assert.deepEqual(await a.multi().scard('tx:set').exec(), [[null, 2]]);
    await a.watch('tx:set');
    assert.equal(await b.sadd('tx:set', 'm1', 'm3'), 1);
    assert.equal(await a.multi().scard('tx:set').exec(), null);
  });
});

describe('blocking commands', () => {
  test('blocked pops are woken by pushes from another client, oldest waiter first', async () => {
    const w1 = ioredis(2);
    const w2 = ioredis(3);
    const pusher = ioredis(2);
    const first = w1.blpop('bq:list', 0);
    await until(async () => (await pusher.info('clients')).includes('blocked_clients:1'), 'first waiter');
    const second = w2.brpop('bq:list', 'bq:other', 0);
    await until(async () => (await pusher.info('clients')).includes('blocked_clients:2'), 'second waiter');
    assert.equal(await pusher.rpush('bq:list', 'a'), 1);
    assert.deepEqual(await first, ['bq:list', 'a']);
    await pusher.rpush('bq:other', 'b');
    assert.deepEqual(await second, ['bq:other', 'b']);
    const move = w1.blmove('bq:src', 'bq:dst', 'LEFT', 'RIGHT', 0);
    const zpop = w2.bzpopmin('bq:z', 0);
    await until(async () => (await pusher.info('clients')).includes('blocked_clients:2'), 'two more waiters');
    await pusher.multi().lpush('bq:src', 'm').zadd('bq:z', 7, 'member').exec();
    assert.equal(await move, 'm');
    assert.deepEqual(await zpop, ['bq:z', 'member', '7']);
    assert.deepEqual(await pusher.lrange('bq:dst', 0, -1), ['m']);
  });

  test('a blocking pop times out with a null reply and later pipelined commands wait for it', async () => {
    const c = ioredis(2);
    const pipe = c.pipeline().blpop('bq:empty', 0.05).set('bq:after', '1').get('bq:after');
    assert.deepEqual(await pipe.exec(), [
      [null, null],
      [null, 'OK'],
      [null, '1'],
    ]);
  });

  test('a blocked client that closes with commands after its pop is dropped, and the push it waited for stays in the list', async () => {
    const pusher = ioredis(2);
    for (const pipelined of ['', 'PING\r\n', 'SET bq:gone 1\r\n'.repeat(100)]) {
      const gone = await RespClient.open(server.port);
      gone.write(`BLPOP bq:left 0\r\n${pipelined}`);
      await until(async () => (await pusher.info('clients')).includes('blocked_clients:1'), 'the waiter');
      gone.close();
      await until(async () => (await pusher.info('clients')).includes('blocked_clients:0'), 'the waiter gone');
      assert.equal(await pusher.rpush('bq:left', 'kept'), 1);
      assert.deepEqual(await pusher.lpop('bq:left'), 'kept');
      // The commands after the pop never ran.
      assert.equal(await pusher.exists('bq:gone'), 0);
    }
  });

  test('commands sent while a client is blocked run, in order, once it is woken', async () => {
    const c = await RespClient.open(server.port);
    const pusher = ioredis(2);
    c.write('BLPOP bq:wake 0\r\n');
    await until(async () => (await pusher.info('clients')).includes('blocked_clients:1'), 'the waiter');
    // Sent while blocked, in pieces: held unparsed until the pop is served.
    const later = 'INCR bq:n\r\n'.repeat(300);
    for (let i = 0; i < later.length; i += 700) c.write(later.slice(i, i + 700));
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(await pusher.get('bq:n'), null);
    await pusher.rpush('bq:wake', 'w');
    assert.deepEqual(show(await c.next()), show({ t: 'array', v: [{ t: 'bulk', v: 'bq:wake' }, { t: 'bulk', v: 'w' }] }));
    for (let i = 1; i <= 300; i++) assert.deepEqual(await c.next(), { t: 'int', v: String(i) });
    c.close();
  });

  test('a timeout longer than setTimeout can hold (24.8 days) blocks; one Redis reads as negative is refused', async () => {
    const c = ioredis(2);
    const pusher = ioredis(3);
    const long = c.blpop('bq:long', 3_000_000); // 34.7 days
    await until(async () => (await pusher.info('clients')).includes('blocked_clients:1'), 'the long waiter');
    await new Promise((res) => setTimeout(res, 200));
    assert.match(await pusher.info('clients'), /blocked_clients:1/);
    await pusher.rpush('bq:long', 'v');
    assert.deepEqual(await long, ['bq:long', 'v']);
    await rejectsWith(c.blpop('bq:long', 1e300), /^ERR timeout is negative$/);
  });
});

describe('pub/sub', () => {
  test('a message fans out to channel and pattern subscribers, over RESP2 and RESP3', async () => {
    const subs = [ioredis(2), ioredis(3), ioredis(2)];
    const pattern = ioredis(3);
    const got: string[] = [];
    for (const [i, s] of subs.entries()) {
      s.on('message', (ch: string, msg: string) => got.push(`${i}:${ch}:${msg}`));
      await s.subscribe('news');
    }
    pattern.on('pmessage', (pat: string, ch: string, msg: string) => got.push(`p:${pat}:${ch}:${msg}`));
    await pattern.psubscribe('ne*');
    const pub = ioredis(2);
    assert.equal(await pub.publish('news', 'hello'), 4);
    assert.deepEqual(await pub.pubsub('NUMSUB', 'news'), ['news', 3]);
    assert.equal(await pub.pubsub('NUMPAT'), 1);
    await until(async () => got.length === 4, 'four deliveries');
    assert.deepEqual(got.sort(), ['0:news:hello', '1:news:hello', '2:news:hello', 'p:ne*:news:hello']);
  });

  test('keyspace notifications', async () => {
    const admin = ioredis(2);
    const sub = ioredis(2);
    const events: string[] = [];
    sub.on('pmessage', (_p: string, ch: string, msg: string) => events.push(`${ch} ${msg}`));
    await admin.config('SET', 'notify-keyspace-events', 'KEA');
    await sub.psubscribe('__key*@0__:ks:*');
    await admin.set('ks:a', '1');
    await admin.lpush('ks:l', 'x');
    await admin.set('ks:e', '1', 'PX', 20);
    await until(async () => (await admin.exists('ks:e')) === 0, 'expiry');
    await until(async () => events.includes('__keyspace@0__:ks:e expired'), 'expired event');
    assert.ok(events.includes('__keyspace@0__:ks:a set'));
    assert.ok(events.includes('__keyspace@0__:ks:l lpush'));
    await admin.config('SET', 'notify-keyspace-events', '');
  });
});

describe('server and connection commands', () => {
  test('INFO, CLIENT, AUTH and ACL', async () => {
    const admin = ioredis(2);
    const info = await admin.info();
    assert.match(info, /loading:0/);
    assert.match(info, /redis_version:7\.0\.15/);
    await admin.client('SETNAME', 'admin-conn');
    assert.match(String(await admin.client('LIST')), /name=admin-conn/);
    assert.equal(await admin.call('ACL', 'SETUSER', 'alice', 'on', '>secret', '~app:*', '+@read', '+@write', '+acl|whoami'), 'OK');
    const alice = ioredis(3, { username: 'alice', password: 'secret' });
    assert.equal(await alice.call('ACL', 'WHOAMI'), 'alice');
    assert.equal(await alice.set('app:1', 'v'), 'OK');
    await rejectsWith(alice.set('other:1', 'v'), /^NOPERM this user has no permissions to access one of the keys used as arguments$/);
    await rejectsWith(alice.call('CONFIG', 'GET', 'x'), /^NOPERM this user has no permissions to run the 'config\|get' command$/);
    await admin.config('SET', 'requirepass', 'pw');
    const anon = await RespClient.open(server.port);
    try {
      assert.deepEqual(await anon.call('GET', 'x'), { t: 'error', v: 'NOAUTH Authentication required.' });
      assert.deepEqual(await anon.call('AUTH', 'wrong'), { t: 'error', v: 'WRONGPASS invalid username-password pair or user is disabled.' });
      assert.deepEqual(await anon.call('AUTH', 'pw'), { t: 'simple', v: 'OK' });
    } finally {
      assert.deepEqual(await anon.call('CONFIG', 'SET', 'requirepass', ''), { t: 'simple', v: 'OK' });
      anon.close();
    }
    assert.equal(await admin.call('ACL', 'DELUSER', 'alice'), 1);
  });

  test("CLIENT LIST counts a MULTI's queued arguments in multi-mem and tot-mem", async () => {
    const queuing = await RespClient.open(server.port);
    const admin = await RespClient.open(server.port);
    try {
      const id = await queuing.call('CLIENT', 'ID');
      if (id.t !== 'int') assert.fail(`CLIENT ID answered ${show(id)}`);
      const line = async (): Promise<string> => show(await admin.call('CLIENT', 'LIST', 'ID', id.v));
      assert.match(await line(), / multi=-1 .* multi-mem=0 .* tot-mem=0 /);
      assert.deepEqual(await queuing.call('MULTI'), { t: 'simple', v: 'OK' });
      assert.deepEqual(await queuing.call('SET', 'mm:k', 'v'.repeat(1000)), { t: 'simple', v: 'QUEUED' });
      // SET, the key and the value: 3 + 4 + 1000 bytes.
      assert.match(await line(), / multi=1 .* multi-mem=1007 .* tot-mem=1007 /);
      assert.deepEqual(await queuing.call('DISCARD'), { t: 'simple', v: 'OK' });
      assert.match(await line(), / multi=-1 .* multi-mem=0 .* tot-mem=0 /);
    } finally {
      queuing.close();
      admin.close();
    }
  });

  test('CLIENT LIST counts in omem the replies a client that does not read has left with the server', async () => {
    const admin = await RespClient.open(server.port);
    const slow = connect(server.port, '127.0.0.1');
    const connected = once(slow, 'connect');
    try {
      assert.deepEqual(await admin.call('SET', 'om:big', 'x'.repeat(1 << 20)), { t: 'simple', v: 'OK' });
      await connected;
      slow.pause();
      slow.write('CLIENT SETNAME slow-reader\r\n' + 'GET om:big\r\n'.repeat(32));
      // Loopback's socket buffers take a few MiB; the rest of the 32 MiB of replies stays in the server.
      await until(async () => {
        const list = await admin.call('CLIENT', 'LIST');
        const line = list.t === 'bulk' ? list.v.split('\n').find((l) => l.includes(' name=slow-reader ')) : undefined;
        const m = / omem=(\d+) tot-mem=(\d+) /.exec(line ?? '');
        return m !== null && Number(m[1]) > 1 << 20 && Number(m[2]) >= Number(m[1]);
      }, 'omem above 1 MiB');
    } finally {
      slow.destroy();
      admin.close();
    }
  });

  test('OBJECT IDLETIME counts from the last access, and OBJECT itself is not one', async () => {
    const c = ioredis(2);
    await c.set('idle:k', 'v');
    await new Promise((res) => setTimeout(res, 1100));
    const idle = Number(await c.object('IDLETIME', 'idle:k'));
    assert.ok(idle >= 1, `idle ${idle}`);
    assert.ok(Number(await c.object('IDLETIME', 'idle:k')) >= 1, 'OBJECT did not count as an access');
    await c.get('idle:k');
    assert.ok(Number(await c.object('IDLETIME', 'idle:k')) <= 1);
    assert.equal(await c.object('ENCODING', 'idle:k'), 'embstr');
    assert.equal(await c.object('IDLETIME', 'idle:missing'), null);
  });

  test('every command with subcommands answers HELP from its table; subcommand argument errors as in Redis', async () => {
    const c = await RespClient.open(server.port);
    try {
      const oneSub: Record<string, string> = { ACL: 'LIST', CLIENT: 'LIST', COMMAND: 'LIST', CONFIG: 'GET', FUNCTION: 'LIST', OBJECT: 'ENCODING', PUBSUB: 'CHANNELS' };
      for (const [name, sub] of Object.entries(oneSub)) {
        const help = await c.call(name, 'HELP');
        assert.ok(help.t === 'array', `${name} HELP: ${show(help)}`);
        const lines = help.v.map((l: Reply) => (l.t === 'simple' ? l.v : show(l)));
        assert.equal(lines[0], `${name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
        assert.ok(lines.includes('HELP') && lines.includes(sub), `${name} HELP: ${lines.join(' / ')}`);
        assert.deepEqual(await c.call(name, 'HELP', 'x'), { t: 'error', v: `ERR wrong number of arguments for '${name.toLowerCase()}|help' command` });
      }
      assert.deepEqual(await c.call('COMMAND', 'GETKEYS', 'get'), { t: 'error', v: "ERR wrong number of arguments for 'command|getkeys' command" });
      assert.deepEqual(await c.call('FUNCTION', 'FLUSH', 'SOMETIMES'), { t: 'error', v: 'ERR FUNCTION FLUSH only supports SYNC|ASYNC option' });
      assert.deepEqual(await c.call('FUNCTION', 'FLUSH', 'SYNC', 'x'), {
        t: 'error',
        v: "ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.",
      });
    } finally {
      c.close();
    }
  });

  test("strings longer than V8's longest string are refused before they are built, and the server stays up", async () => {
    const c = await RespClient.open(server.port);
    try {
      // V8's limit (2^29-24 in Node 20) is below Redis's 512 MiB default proto-max-bulk-len.
      const tooLong = String(constants.MAX_STRING_LENGTH);
      const message = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';
      assert.deepEqual(await c.call('SETRANGE', 'long:k', tooLong, 'x'), { t: 'error', v: message });
      await c.call('SET', 'long:k', 'v');
      assert.deepEqual(await c.call('SETRANGE', 'long:k', tooLong, 'x'), { t: 'error', v: message });
      assert.deepEqual(await c.call('GET', 'long:k'), { t: 'bulk', v: 'v' });
      const big = await RespClient.open(server.port);
      big.write(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${constants.MAX_STRING_LENGTH + 1}\r\n`);
      assert.deepEqual(await big.next(), { t: 'error', v: 'ERR Protocol error: invalid bulk length' });
      assert.deepEqual(await c.call('PING'), { t: 'simple', v: 'PONG' });
    } finally {
      c.close();
    }
  });

  test('random-count commands refuse counts they cannot answer, and the server stays up', async () => {
    const c = await RespClient.open(server.port);
    try {
      await c.call('SADD', 'rc:s', 'a');
      await c.call('HSET', 'rc:h', 'f', 'v');
      await c.call('ZADD', 'rc:z', '1', 'a');
      const llongMin = '-9223372036854775808';
      const longRange = 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807';
      for (const args of [['SRANDMEMBER', 'rc:s', llongMin], ['HRANDFIELD', 'rc:h', llongMin], ['ZRANDMEMBER', 'rc:z', llongMin], ['SRANDMEMBER', 'rc:none', llongMin]]) {
        assert.deepEqual(await c.call(...args), { t: 'error', v: longRange });
      }
      // Redis's own limits for WITHVALUES / WITHSCORES (half of LONG_MAX), checked before the key.
      assert.deepEqual(await c.call('ZRANDMEMBER', 'rc:h', '4611686018427387904', 'WITHSCORES'), { t: 'error', v: 'ERR value is out of range' });
      assert.deepEqual(await c.call('HRANDFIELD', 'rc:h', '-4611686018427387904', 'WITHVALUES'), { t: 'error', v: 'ERR value is out of range' });
      // Repeated picks past Depot's bound (Redis would try to build the reply): an error, not a crash.
      for (const args of [['SRANDMEMBER', 'rc:s', '-100000000000'], ['HRANDFIELD', 'rc:h', '-1048577'], ['ZRANDMEMBER', 'rc:z', '-1048577', 'WITHSCORES']]) {
        assert.deepEqual(await c.call(...args), { t: 'error', v: 'ERR value is out of range, value must between -1048576 and 9223372036854775807' });
      }
      const many = await c.call('SRANDMEMBER', 'rc:s', '-1048576');
      assert.ok(many.t === 'array' && many.v.length === 1_048_576);
      assert.deepEqual(await c.call('PING'), { t: 'simple', v: 'PONG' });
    } finally {
      c.close();
    }
  });

  test('expiry times as far as int64 reaches, as Redis accepts them; options checked before numbers', async () => {
    const c = await RespClient.open(server.port);
    try {
      await c.call('SET', 'far:k', 'v');
      assert.deepEqual(await c.call('EXPIRE', 'far:k', '9999999999999'), { t: 'int', v: '1' });
      assert.deepEqual(await c.call('TTL', 'far:k'), { t: 'int', v: '9999999999999' });
      assert.deepEqual(await c.call('PEXPIREAT', 'far:k', '9223372036854775807'), { t: 'int', v: '1' });
      assert.deepEqual(await c.call('PEXPIRETIME', 'far:k'), { t: 'int', v: '9223372036854775807' });
      assert.deepEqual(await c.call('SET', 'far:k', 'v', 'PXAT', '9223372036854775807'), { t: 'simple', v: 'OK' });
      assert.deepEqual(await c.call('EXPIRETIME', 'far:k'), { t: 'int', v: '9223372036854776' }); // Redis's figure too
      // EXPIRETIME rounds to the nearest second, as TTL does.
      assert.deepEqual(await c.call('PEXPIREAT', 'far:k', '1999999999500'), { t: 'int', v: '1' });
      assert.deepEqual(await c.call('EXPIRETIME', 'far:k'), { t: 'int', v: '2000000000' });
      assert.deepEqual(await c.call('PEXPIREAT', 'far:k', '1999999999499'), { t: 'int', v: '1' });
      assert.deepEqual(await c.call('EXPIRETIME', 'far:k'), { t: 'int', v: '1999999999' });
      const invalid = (cmd: string) => ({ t: 'error', v: `ERR invalid expire time in '${cmd}' command` });
      assert.deepEqual(await c.call('SET', 'far:k', 'v', 'EX', '9223372036854775'), invalid('set'));
      assert.deepEqual(await c.call('SETEX', 'far:k', '9223372036854775', 'v'), invalid('setex'));
      assert.deepEqual(await c.call('EXPIRE', 'far:k', '-9223372036854776'), invalid('expire'));
      assert.deepEqual(await c.call('EXPIRE', 'far:k', 'x', 'FOO'), { t: 'error', v: 'ERR Unsupported option FOO' });
      assert.deepEqual(await c.call('SET', 'far:k', 'v', 'EX', 'x', 'NX', 'XX'), { t: 'error', v: 'ERR syntax error' });
      // The same time option twice: the last one counts, as in Redis.
      assert.deepEqual(await c.call('SET', 'far:k', 'v', 'EX', '10', 'EX', '20'), { t: 'simple', v: 'OK' });
      assert.deepEqual(await c.call('TTL', 'far:k'), { t: 'int', v: '20' });
      // GETEX checks the time only for an existing string.
      assert.deepEqual(await c.call('GETEX', 'far:none', 'EX', 'x'), { t: 'null' });
      assert.deepEqual(await c.call('GETEX', 'far:k', 'EX', '0'), invalid('getex'));
    } finally {
      c.close();
    }
  });

  test('active expiry removes keys nobody reads', async () => {
    const c = ioredis(2);
    await c.select(5);
    const pipe = c.pipeline();
    for (let i = 0; i < 200; i++) pipe.set(`ae:${i}`, 'v', 'PX', 10);
    await pipe.exec();
    await until(async () => (await c.dbsize()) === 0, 'active expiry');
  });
});

describe('node-redis', () => {
  for (const RESP of [2, 3] as const) {
    test(`commands, transactions and pub/sub over RESP${RESP}`, async () => {
      const client = createClient({ url: `redis://127.0.0.1:${server.port}`, RESP });
      await client.connect();
      const sub = client.duplicate();
      await sub.connect();
      try {
        await client.set(`nr${RESP}:k`, 'v');
        assert.equal(await client.get(`nr${RESP}:k`), 'v');
        await client.hSet(`nr${RESP}:h`, { a: '1', b: '2' });
        assert.deepEqual({ ...(await client.hGetAll(`nr${RESP}:h`)) }, { a: '1', b: '2' });
        await client.zAdd(`nr${RESP}:z`, [
          { score: 2, value: 'b' },
          { score: 1, value: 'a' },
        ]);
        assert.deepEqual(await client.zRange(`nr${RESP}:z`, 0, -1), ['a', 'b']);
        const replies = await client.multi().incr(`nr${RESP}:n`).incr(`nr${RESP}:n`).exec();
        assert.deepEqual(replies, [1, 2]);
        const got = new Promise<string>((resolve) => void sub.subscribe(`nr${RESP}:ch`, (m) => resolve(m)));
        await until(async () => Number((await client.sendCommand(['PUBSUB', 'NUMSUB', `nr${RESP}:ch`]) as unknown[])[1]) === 1, 'subscription');
        await client.publish(`nr${RESP}:ch`, 'hi');
        assert.equal(await got, 'hi');
      } finally {
        await sub.quit();
        await client.quit();
      }
    });
  }
});

describe('SCAN family', () => {
  test('every key present for the whole scan is returned, while keys come and go', async () => {
    const c = ioredis(2);
    const other = ioredis(3);
    await c.select(7);
    await other.select(7);
    const pipe = c.pipeline();
    for (let i = 0; i < 3000; i++) pipe.set(`scan:stable:${i}`, '1');
    for (let i = 0; i < 1000; i++) pipe.set(`scan:gone:${i}`, '1');
    pipe.hset('scan:h', Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}`, String(i)])));
    pipe.sadd('scan:s', ...Array.from({ length: 500 }, (_, i) => `m${i}`));
    pipe.zadd('scan:z', ...Array.from({ length: 500 }, (_, i) => [i, `z${i}`]).flat());
    await pipe.exec();
    const seen = new Set<string>();
    let cursor = '0';
    let round = 0;
    do {
      const [next, keys] = await c.scan(cursor, 'MATCH', 'scan:*', 'COUNT', 100);
      for (const k of keys) seen.add(k);
      cursor = next;
      // Meanwhile another client deletes some keys and adds new ones.
      await other.del(`scan:gone:${round}`, `scan:gone:${round + 500}`);
      await other.set(`scan:new:${round}`, '1');
      round++;
    } while (cursor !== '0' && round < 10_000);
    for (let i = 0; i < 3000; i++) assert.ok(seen.has(`scan:stable:${i}`), `scan:stable:${i} missing`);
    const [, typed] = await c.scan('0', 'COUNT', 100_000, 'TYPE', 'hash');
    assert.deepEqual(typed, ['scan:h']);
    const fields = new Set<string>();
    let hc = '0';
    do {
      const [next, flat] = await c.hscan('scan:h', hc, 'COUNT', 37);
      for (let i = 0; i < flat.length; i += 2) fields.add(flat[i]!);
      hc = next;
    } while (hc !== '0');
    assert.equal(fields.size, 500);
    const members = new Set<string>();
    let sc = '0';
    do {
      const [next, list] = await c.sscan('scan:s', sc, 'MATCH', 'm1*');
      for (const m of list) members.add(m);
      sc = next;
    } while (sc !== '0');
    assert.equal(members.size, 111); // m1, m10..m19, m100..m199
    const [zc, zlist] = await c.zscan('scan:z', '0', 'COUNT', 1000);
    assert.equal(zc, '0');
    // Member and score pairs, in the member table's order.
    const pairs = new Map<string, string>();
    for (let i = 0; i < zlist.length; i += 2) pairs.set(zlist[i]!, zlist[i + 1]!);
    assert.equal(zlist.length, 1000);
    assert.deepEqual(pairs, new Map(Array.from({ length: 500 }, (_, i) => [`z${i}`, String(i)])));
  });
});

describe('SCAN while a table resizes', () => {
  // A database of 12,288 keys fills its 16,384-slot table to 3/4 and a hash of 6,144 fields its
  // 8,192 slots: the next insert starts their resize into tables twice the size (the next array
  // prepared, then drained, by the writes and the server's timer), which the scans below run through.
  test('SCAN and HSCAN return every element present throughout while inserts drive the drain', async () => {
    const c = ioredis(2);
    const other = ioredis(2);
    await c.select(8);
    await other.select(8);
    const stable = 12_288;
    const pipe = c.pipeline();
    for (let i = 0; i < stable; i++) pipe.set(`rs:${i}`, String(i));
    await pipe.exec();
    const fields = Array.from({ length: 6_143 }, (_, i) => [`f${i}`, String(i)]);
    await c.hset('rs:h', Object.fromEntries(fields));
    assert.equal(await c.dbsize(), stable + 1);
    const seen = new Set<string>();
    let cursor = '0';
    let round = 0;
    do {
      const [next, keys] = await c.scan(cursor, 'COUNT', 100);
      for (const k of keys) seen.add(k);
      cursor = next;
      await other.mset(...Array.from({ length: 5 }, (_, i) => [`rs:new:${round}:${i}`, 'n']).flat());
      round++;
    } while (cursor !== '0' && round < 10_000);
    for (let i = 0; i < stable; i++) assert.ok(seen.has(`rs:${i}`), `rs:${i} missing`);
    assert.ok(seen.has('rs:h'));
    const got = new Map<string, string>();
    let hc = '0';
    let hround = 0;
    do {
      const [next, flat] = await c.hscan('rs:h', hc, 'COUNT', 50);
      for (let i = 0; i < flat.length; i += 2) got.set(flat[i]!, flat[i + 1]!);
      hc = next;
      await other.hset('rs:h', `new${hround}a`, 'x', `new${hround}b`, 'y');
      hround++;
    } while (hc !== '0' && hround < 10_000);
    for (const [f, v] of fields) assert.equal(got.get(f!), v, `field ${f}`);
    // Everything is where it should be once the resizes are done.
    assert.equal(await c.dbsize(), stable + 1 + round * 5);
    assert.equal(await c.hlen('rs:h'), 6_143 + hround * 2);
    assert.equal(await c.get(`rs:${stable - 1}`), String(stable - 1));
    assert.equal(await c.hget('rs:h', 'f6142'), '6142');
    await c.flushdb();
  });
});

describe('random picks', () => {
  test('SPOP drains a large set one member at a time, each exactly once; the others pick present elements', async () => {
    const c = ioredis(2);
    const other = ioredis(3);
    await c.select(8);
    await other.select(8);
    const n = 30_000;
    const members = Array.from({ length: n }, (_, i) => `m${i}`);
    for (let i = 0; i < n; i += 5000) await c.sadd('rp:s', ...members.slice(i, i + 5000));
    await c.hset('rp:h', Object.fromEntries(members.slice(0, 5000).map((m, i) => [m, `v${i}`])));
    // SPOP one at a time: a pick costs a few tries whatever the set's size, so 30,000 of them
    // over a shrinking set of up to 30,000 members stay quick (they walked the set before).
    const popped: string[] = [];
    for (let i = 0; i < n; i += 1000) {
      const pipe = c.pipeline();
      for (let j = 0; j < 1000; j++) pipe.spop('rp:s');
      for (const [err, m] of (await pipe.exec())!) {
        assert.equal(err, null);
        popped.push(m as string);
      }
      // Members taken by SPOP leave holes; SRANDMEMBER on another connection sees only those left.
      const left = await other.srandmember('rp:s', -50);
      const gone = new Set(popped);
      for (const m of left) assert.ok(!gone.has(m), `SRANDMEMBER returned ${m}, already popped`);
    }
    assert.equal(new Set(popped).size, n);
    assert.deepEqual([...popped].sort(), [...members].sort());
    assert.equal(await c.exists('rp:s'), 0);
    assert.equal(await c.spop('rp:s'), null);
    // Counted forms: distinct for a positive count, repeats allowed for a negative one.
    await c.sadd('rp:t', ...members.slice(0, 1000));
    const distinct = await c.srandmember('rp:t', 300);
    assert.equal(new Set(distinct).size, 300);
    const taken = await c.spop('rp:t', 600);
    assert.equal(new Set(taken).size, 600);
    assert.equal(await c.scard('rp:t'), 400);
    for (const m of taken) assert.equal(await c.sismember('rp:t', m), 0);
    const fields = (await c.call('HRANDFIELD', 'rp:h', '-2000', 'WITHVALUES')) as string[];
    assert.equal(fields.length, 4000);
    for (let i = 0; i < fields.length; i += 2) assert.equal(fields[i + 1], `v${Number(fields[i]!.slice(1))}`);
    assert.equal(new Set((await c.call('HRANDFIELD', 'rp:h', '4000')) as string[]).size, 4000);
    assert.match((await c.call('HRANDFIELD', 'rp:h')) as string, /^m\d+$/);
    const keys = new Set<string>();
    for (let i = 0; i < 50; i++) keys.add((await c.randomkey())!);
    assert.deepEqual([...keys].sort(), ['rp:h', 'rp:t']);
  });
});
