// COMMAND DOCS: each command's summary and group from the command table, and what Redis
// documents of it beyond them (command-docs.ts, generated from redis-server's COMMAND DOCS), in
// the shape and field order of Redis 7.0's reply.
import { REDIS_COMMAND_DOCS } from './command-docs.js';
import type { CommandSpec, Ctx } from './context.js';

/** One argument of a command as COMMAND DOCS describes it. */
export interface DocArgument {
  readonly name: string;
  /** key, string, integer, double, pattern, unix-time, pure-token, oneof or block. */
  readonly type: string;
  readonly keySpecIndex?: number;
  readonly token?: string;
  readonly summary?: string;
  readonly since?: string;
  readonly deprecatedSince?: string;
  /** optional, multiple, multiple_token. */
  readonly flags?: readonly string[];
  /** A block's or a choice's arguments. */
  readonly arguments?: readonly DocArgument[];
}

/** What Redis documents of a command besides its summary and group. */
export interface RedisCommandDocs {
  readonly since?: string;
  readonly complexity?: string;
  /** deprecated, syscmd. */
  readonly docFlags?: readonly string[];
  readonly deprecatedSince?: string;
  readonly replacedBy?: string;
  /** [version, what changed]. */
  readonly history?: ReadonlyArray<readonly [string, string]>;
  readonly arguments?: readonly DocArgument[];
}

/** A command's entry: a map of summary, since, group, complexity, ..., arguments, subcommands (server.c's addReplyCommandDocs). */
export function writeDocs(c: Ctx, s: CommandSpec): void {
  const d = REDIS_COMMAND_DOCS[s.name] ?? {};
  const subs = s.subcommands === undefined ? [] : [...s.subcommands.values()];
  const fields: Array<[string, () => void]> = [['summary', () => c.out.bulk(s.summary)]];
  if (d.since !== undefined) fields.push(['since', () => c.out.bulk(d.since!)]);
  fields.push(['group', () => c.out.bulk(s.group)]);
  if (d.complexity !== undefined) fields.push(['complexity', () => c.out.bulk(d.complexity!)]);
  if (d.docFlags !== undefined) fields.push(['doc_flags', () => statusSet(c, d.docFlags!)]);
  if (d.deprecatedSince !== undefined) fields.push(['deprecated_since', () => c.out.bulk(d.deprecatedSince!)]);
  if (d.replacedBy !== undefined) fields.push(['replaced_by', () => c.out.bulk(d.replacedBy!)]);
  if (d.history !== undefined) {
    const history = d.history;
    fields.push(['history', () => {
      c.out.set(history.length);
      for (const entry of history) c.out.bulkArray([...entry]);
    }]);
  }
  if (d.arguments !== undefined) fields.push(['arguments', () => writeArguments(c, d.arguments!)]);
  if (subs.length > 0) {
    fields.push(['subcommands', () => {
      c.out.map(subs.length);
      for (const sub of subs) {
        c.out.bulk(sub.name);
        writeDocs(c, sub);
      }
    }]);
  }
  c.out.map(fields.length);
  for (const [name, write] of fields) {
    c.out.bulk(name);
    write();
  }
}

function statusSet(c: Ctx, words: readonly string[]): void {
  c.out.set(words.length);
  for (const w of words) c.out.simple(w);
}

/** server.c's addReplyCommandArgList: a map per argument, its fields in Redis's order. */
function writeArguments(c: Ctx, args: readonly DocArgument[]): void {
  c.out.array(args.length);
  for (const a of args) {
    const fields: Array<[string, () => void]> = [
      ['name', () => c.out.bulk(a.name)],
      ['type', () => c.out.bulk(a.type)],
    ];
    if (a.keySpecIndex !== undefined) fields.push(['key_spec_index', () => c.out.int(a.keySpecIndex!)]);
    if (a.token !== undefined) fields.push(['token', () => c.out.bulk(a.token!)]);
    if (a.summary !== undefined) fields.push(['summary', () => c.out.bulk(a.summary!)]);
    if (a.since !== undefined) fields.push(['since', () => c.out.bulk(a.since!)]);
    if (a.deprecatedSince !== undefined) fields.push(['deprecated_since', () => c.out.bulk(a.deprecatedSince!)]);
    if (a.flags !== undefined) fields.push(['flags', () => statusSet(c, a.flags!)]);
    if (a.arguments !== undefined) fields.push(['arguments', () => writeArguments(c, a.arguments!)]);
    c.out.map(fields.length);
    for (const [name, write] of fields) {
      c.out.bulk(name);
      write();
    }
  }
}
