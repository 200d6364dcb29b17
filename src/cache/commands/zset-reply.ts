// Shared by the sorted-set command files: writing entries in the reply shape of the
// connection's protocol, and replacing a destination key with a computed result.
import type { ZEntry } from '../machine/zset.js';
import type { Ctx } from './context.js';

/** Writes entries: flat on RESP2 (or without scores), as [member, score] pairs on RESP3. */
export function writeEntries(c: Ctx, entries: readonly ZEntry[], withScores: boolean): void {
  if (!withScores) {
    c.out.array(entries.length);
    for (const e of entries) c.out.bulk(e.member);
  } else if (c.out.resp === 3) {
    c.out.array(entries.length);
    for (const e of entries) {
      c.out.array(2);
      c.out.bulk(e.member);
      c.out.double(e.score);
    }
  } else {
    c.out.array(entries.length * 2);
    for (const e of entries) {
      c.out.bulk(e.member);
      c.out.double(e.score);
    }
  }
}

/** Replaces `dst` with the given entries (deleting it when there are none). */
export function storeEntries(c: Ctx, dst: string, entries: readonly ZEntry[], event: string): void {
  // Not an access: the store is the one (its value keeps the old one's LFU data, Keyspace.replacing).
  const existed = c.lookup(dst, c.db, false) !== undefined;
  if (entries.length > 0) {
    if (existed) c.fx.replace(c.db, dst);
    c.fx.zadd(
      c.db,
      dst,
      entries.map((e) => e.score),
      entries.map((e) => e.member),
    );
    c.notify('z', event, dst);
    c.signalReady(dst);
  } else if (existed && c.fx.del(c.db, dst)) c.notify('g', 'del', dst);
}
