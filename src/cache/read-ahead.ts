// Reading a pipeline's keys ahead of its commands.
//
// A command looks its key up in a table that, for a keyspace or a collection of many members,
// is far larger than the CPU caches: each lookup is a few cache misses, and commands run one
// after the other pay them one after the other. Read ahead for a whole pipeline (the lines one
// socket read brought, or every client's of an event-loop turn), the loads of different keys do
// not depend on each other and the CPU overlaps their misses (Dict.warm). What is read ahead is
// a guess from the command line; a wrong guess costs a wasted load, never a wrong answer.
import type { CommandTable } from './commands/table.js';
import { Hash } from './machine/hash.js';
import type { Keyspace } from './machine/keyspace.js';
import { ZSet } from './machine/zset.js';
import { Scratch } from '../util/scratch.js';

/** Sorted-set commands whose last argument is a member (ZRANGE's is an index or a bound). */
const MEMBER_LAST: ReadonlySet<string> = new Set(['zadd', 'zincrby', 'zscore', 'zmscore', 'zrem', 'zrank', 'zrevrank']);

export class ReadAhead {
  private readonly keys = new Scratch<string>();
  private readonly fields = new Scratch<string>();
  private readonly members = new Scratch<string>();
  private readonly values = new Scratch<unknown>();

  constructor(
    private readonly commands: CommandTable,
    private readonly ks: Keyspace,
  ) {}

  /**
   * The keys of `argvs` from `from` on, in database `db`: most commands name their key first.
   * Then the members named by commands on the pipeline's first hash key and its first sorted-set
   * key (a hash or sorted set of many members is a table as large as a keyspace): a hash command
   * names a field after the key; ZADD, ZINCRBY, ZSCORE, ZMSCORE, ZREM, ZRANK and ZREVRANK end
   * with a member. Last the first bytes of the long values found (blobs.ts): a GET reads them,
   * a SET frees them. (A set's members read ahead the same way measured no gain: SADD at -P 16
   * into a set of 100,000 members, 0.94 against 0.95 us of server CPU a request, 6 pairs.)
   */
  pipeline(db: number, argvs: Scratch<string[]>, from: number): void {
    const { keys, fields, members, values } = this;
    let hashKey: string | undefined;
    let zsetKey: string | undefined;
    // A pipeline that keeps to one key (LPUSH to a queue, HSETs to one hash) reads it ahead once.
    let previous: string | undefined;
    for (let i = from; i < argvs.length; i++) {
      const argv = argvs.at(i);
      if (argv.length < 2) continue;
      if (argv[1] !== previous) keys.push((previous = argv[1]!));
      if (argv.length < 3) continue;
      // The table's lookup answers a repeated command name without hashing it (table.ts).
      const spec = this.commands.lookup(argv[0]!);
      if (spec === undefined) continue;
      if (spec.group === 'hash') {
        hashKey ??= argv[1]!;
        if (argv[1] === hashKey) fields.push(argv[2]!);
      } else if (MEMBER_LAST.has(spec.name)) {
        zsetKey ??= argv[1]!;
        if (argv[1] === zsetKey) members.push(argv[argv.length - 1]!);
      }
    }
    const table = this.ks.dbs[db]!.keys;
    table.warm(keys, values);
    if (hashKey !== undefined) {
      const hash = table.get(hashKey);
      if (hash instanceof Hash) hash.warm(fields, values);
    }
    if (zsetKey !== undefined) {
      const zset = table.get(zsetKey);
      if (zset instanceof ZSet) zset.warm(members);
    }
    this.ks.blobs.warm(values);
    keys.clear();
    fields.clear();
    members.clear();
    values.clear();
  }
}
