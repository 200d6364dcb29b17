// Keyspace notifications, compared as differential.test.ts compares replies: random command
// sequences (helpers/cache-commands.ts) run on Depot and on redis-server 7.0 side by side, with
// notify-keyspace-events set to a random flag set and a subscriber on each PSUBSCRIBEd to
// __key*__:*; the replies, then the events in order, must be the same. A second connection sends
// blocking commands (timeout 0) that later commands may serve; it is unblocked at the end.
// Commands that set a TTL short enough to run out during a sequence are left out: their expiry
// events would come when each server's clock says. CACHE_NOTIFY_RUNS raises the number of
// sequences (default 100), CACHE_NOTIFY_SEED picks another seed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { argvOf, clearErrno, command, fixture, key, lexUnspecified, member, normalize, sconsumer, sgroup } from '../helpers/cache-commands.js';
import { RespClient, show, type Reply } from '../helpers/cache-resp-client.js';
import { startDepot, startRedis, type ServerProcess } from '../helpers/cache-servers.js';

/** One server's connections. */
interface Side {
  readonly server: ServerProcess;
  /** Runs the sequence. */
  readonly main: RespClient;
  /** Sends the blocking commands. */
  readonly blocker: RespClient;
  readonly blockerId: string;
  /** PSUBSCRIBEd to every keyspace and keyevent channel (RESP2). */
  readonly sub: RespClient;
  /** Looks at the server without touching the others' state. */
  readonly probe: RespClient;
  /** The blocker's reply while it is awaited; `reply` is set once it has come. */
  pending: { readonly promise: Promise<Reply>; reply: Reply | null } | null;
}

let depot: Side;
let redis: Side;

async function open(server: ServerProcess): Promise<Side> {
  const [main, blocker, sub, probe] = await Promise.all([0, 1, 2, 3].map(() => RespClient.open(server.port)));
  const id = await blocker!.call('CLIENT', 'ID');
  if (id.t !== 'int') throw new Error(`CLIENT ID answered ${show(id)}`);
  await sub!.call('PSUBSCRIBE', '__key*__:*');
  return { server, main: main!, blocker: blocker!, blockerId: id.v, sub: sub!, probe: probe!, pending: null };
}

before(async () => {
  const [d, r] = await Promise.all([startDepot(), startRedis()]);
  [depot, redis] = await Promise.all([open(d), open(r)]);
});

after(async () => {
  for (const s of [depot, redis]) for (const c of [s.main, s.blocker, s.sub, s.probe]) c.close();
  await Promise.all([depot.server.stop(), redis.server.stop()]);
});

/** The events published since the last call, as "channel message" lines: a PING marks the end. */
async function events(side: Side): Promise<string[]> {
  side.sub.send('PING');
  const seen: string[] = [];
  for (;;) {
    const m = await side.sub.next();
    if (m.t !== 'array' && m.t !== 'push') throw new Error(`unexpected ${show(m)}`);
    const [kind, , channel, message] = m.v as Array<{ v: string }>;
    if (kind!.v === 'pong') return seen;
    if (kind!.v === 'pmessage') seen.push(`${channel!.v} ${message!.v}`);
  }
}

/** A TTL under this many milliseconds could run out while a sequence runs. */
const SHORT_TTL_MS = 60_000;

/** Whether a command sets a TTL that may run out during the sequence (one not above 0 deletes the key at once). */
function expiresSoon(argv: readonly string[]): boolean {
  const name = argv[0]!.toUpperCase();
  const ms = (arg: string | undefined, unit: number) => {
    const n = Number(arg) * unit;
    return Number.isInteger(n) && n > 0 && n < SHORT_TTL_MS;
  };
  if (name === 'PSETEX' || name === 'PEXPIRE') return ms(argv[2], 1);
  if (name === 'SETEX' || name === 'EXPIRE') return ms(argv[2], 1000);
  return argv.some((a, i) => (a.toUpperCase() === 'PX' && ms(argv[i + 1], 1)) || (a.toUpperCase() === 'EX' && ms(argv[i + 1], 1000)));
}

/** Blocking commands that wait until served (timeout 0). */
const blocking: fc.Arbitrary<string[]> = fc.oneof(
  fc.tuple(fc.constantFrom('BLPOP', 'BRPOP', 'BZPOPMIN', 'BZPOPMAX'), key, key).map((a) => [...a, '0']),
  fc.tuple(key, key, fc.constantFrom('LEFT', 'RIGHT'), fc.constantFrom('LEFT', 'RIGHT')).map((a) => ['BLMOVE', ...a, '0']),
  fc.tuple(key, key).map((a) => ['BRPOPLPUSH', ...a, '0']),
  fc.tuple(key, key, fc.constantFrom('LEFT', 'RIGHT'), fc.constantFrom('1', '2')).map(([a, b, s, n]) => ['BLMPOP', '0', '2', a, b, s, 'COUNT', n]),
  fc.tuple(key, key, fc.constantFrom('MIN', 'MAX'), fc.constantFrom('1', '2')).map(([a, b, s, n]) => ['BZMPOP', '0', '2', a, b, s, 'COUNT', n]),
  fc.tuple(key, fc.constantFrom('$', '0')).map(([k, id]) => ['XREAD', 'BLOCK', '0', 'STREAMS', k, id]),
  fc.tuple(sgroup, sconsumer, fc.constantFrom([], ['NOACK'], ['COUNT', '1']), key).map(([g, c, opt, k]) => ['XREADGROUP', 'GROUP', g, c, 'BLOCK', '0', ...opt, 'STREAMS', k, '>']),
);

interface Step {
  /** Sent on the blocker connection (which waits for it to block) rather than the main one. */
  readonly blocks: boolean;
  readonly argv: string[];
}

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 15, arbitrary: command.map((raw) => ({ blocks: false, argv: argvOf(raw) })) },
  { weight: 1, arbitrary: blocking.map((argv) => ({ blocks: true, argv })) },
  // A push to a key a blocker may wait on, so that some are served.
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.tuple(fc.constantFrom('RPUSH', 'LPUSH'), key, member, member),
      fc.tuple(key, member).map(([k, m]) => ['ZADD', k, '1', m]),
      fc.tuple(key, fc.constantFrom('9-*', '9-9')).map(([k, id]) => ['XADD', k, id, 'f', 'v']),
    ).map((argv) => ({ blocks: false, argv })),
  },
);

const CLASSES = [...'KEg$lshzxetdmnA'];
const flags: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('KEA', 'Kg$lshzxe', 'Et', 'KEm', 'KEn', 'AKEmn', 'KEx', 'Eg$', 'KElz', 'AK') },
  { weight: 1, arbitrary: fc.shuffledSubarray(CLASSES, { minLength: 1 }).map((c) => c.join('')) },
);

/** This run's replies; fast-check reports the shrunk case, the transcript of its replies is ours. */
let transcript: string[] = [];
let lastDifference = '';

function compare(what: string, a: string, b: string): void {
  transcript.push(`${what} -> ${b}`);
  if (a === b) return;
  lastDifference = `${transcript.join('\n')}\n  depot: ${a}\n  redis: ${b}`;
  assert.fail(lastDifference);
}

/** Sends `argv` on both sides' main connections and compares the replies. */
async function both(argv: readonly string[], via: (s: Side) => RespClient = (s) => s.main): Promise<Reply> {
  const [a, b] = await Promise.all([via(depot).call(...argv), via(redis).call(...argv)]);
  compare(argv.join(' '), normalize(argv, a), normalize(argv, b));
  return b;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends a blocking command; resolves once the server has blocked the client or answered it. */
async function block(side: Side, argv: readonly string[]): Promise<void> {
  const pending: NonNullable<Side['pending']> = { promise: side.blocker.call(...argv), reply: null };
  side.pending = pending;
  void pending.promise.then((r) => (pending.reply = r));
  for (let i = 0; i < 2000 && pending.reply === null; i++) {
    const info = await side.probe.call('INFO', 'clients');
    if (info.t === 'bulk' && /blocked_clients:[1-9]/.test(info.v)) return;
    await sleep(1);
  }
  assert.ok(pending.reply !== null, `${argv.join(' ')} neither blocked nor answered`);
}

/** The blocker's reply: a blocked client is unblocked first (as by a timeout). */
async function settle(side: Side): Promise<string | null> {
  const pending = side.pending;
  if (pending === null) return null;
  if (pending.reply === null) await side.probe.call('CLIENT', 'UNBLOCK', side.blockerId);
  side.pending = null;
  return show(await pending.promise);
}

async function settleBoth(what: string): Promise<void> {
  const [a, b] = await Promise.all([settle(depot), settle(redis)]);
  if (a !== null || b !== null) compare(what, String(a), String(b));
}

let selectedDb = '0';

async function runStep(s: Step): Promise<void> {
  if (!s.blocks) {
    // Probed on both servers: the probe's read of a missing key publishes keymiss.
    const [, unspecified] = await Promise.all([lexUnspecified(depot.probe, selectedDb, s.argv), lexUnspecified(redis.probe, selectedDb, s.argv)]);
    if (unspecified) return;
    await clearErrno(redis.probe, s.argv);
    const b = await both(s.argv);
    if (s.argv[0] === 'SELECT' && b.t === 'simple' && b.v === 'OK') selectedDb = s.argv[1]!;
    return;
  }
  // One blocked client at a time: the previous one is released (or was served) first.
  await settleBoth('(blocker)');
  await both(['SELECT', selectedDb], (side) => side.blocker);
  await Promise.all([block(depot, s.argv), block(redis, s.argv)]);
  transcript.push(`(blocker) ${s.argv.join(' ')}`);
}

/** Both servers flushed, notifications off and no events pending, the clients reset. */
async function reset(proto: string): Promise<void> {
  await Promise.all([settle(depot), settle(redis)]);
  for (const side of [depot, redis]) {
    await side.main.call('RESET');
    await side.blocker.call('RESET');
    await side.main.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    await side.main.call('FLUSHALL');
    await side.main.call('HELLO', proto);
    await events(side);
  }
  selectedDb = '0';
  transcript = [];
}

const runs = Number(process.env['CACHE_NOTIFY_RUNS'] ?? '100');

test('random command sequences publish the same keyspace events on Depot and redis-server 7.0', async () => {
  const valid = (s: Step) => !expiresSoon(s.argv);
  const property = fc.assert(
    fc.asyncProperty(fc.constantFrom('2', '3'), flags, fc.array(step.filter(valid), { minLength: 1, maxLength: 40 }), async (proto, f, steps) => {
      await reset(proto);
      await both(['CONFIG', 'SET', 'notify-keyspace-events', f]);
      await both(['CONFIG', 'GET', 'notify-keyspace-events']);
      for (const s of steps) await runStep(s);
      await settleBoth('(blocker unblocked)');
      const [a, b] = await Promise.all([events(depot), events(redis)]);
      compare('events', `\n    ${a.join('\n    ')}`, `\n    ${b.join('\n    ')}`);
    }),
    { numRuns: runs, seed: Number(process.env['CACHE_NOTIFY_SEED'] ?? '20261122') },
  );
  await property.catch((err: Error) => assert.fail(`${err.message}\n${lastDifference}`));
});

/** A fixture line sent on the blocker connection: the rest of the line is a blocking command. */
const BLOCKER = '@blocker';

/**
 * The keyspace events a command script produces, as "channel message" lines, after the
 * blocker's replies ("blocker -> reply"), each taken when the next blocking line comes or at
 * the end (unblocked then if still waiting).
 */
async function scriptEvents(side: Side, script: readonly string[][]): Promise<string[]> {
  const c = side.main;
  const replies: string[] = [];
  const settled = async () => {
    const reply = await settle(side);
    if (reply !== null) replies.push(`blocker -> ${reply}`);
  };
  await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
  for (const argv of script) {
    if (argv[0] !== BLOCKER) {
      await c.call(...argv);
      continue;
    }
    await settled();
    await block(side, argv.slice(1));
  }
  // Let the one-millisecond key expire, then read it, so that both servers have expired it by
  // now (whether their active cycle ran in those 50 ms or not).
  await sleep(50);
  await c.call('EXISTS', 'e');
  await settled();
  await c.call('FLUSHALL');
  await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
  return [...replies, ...(await events(side))];
}

test('keyspace notifications are the ones Redis publishes, in the same order', async () => {
  const script = fixture('notifications.txt');
  await reset('2');
  const [fromDepot, fromRedis] = await Promise.all([scriptEvents(depot, script), scriptEvents(redis, script)]);
  assert.ok(fromRedis.length > 80, 'the script produces events');
  assert.deepEqual(fromDepot, fromRedis);
});
