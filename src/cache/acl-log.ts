// ACL LOG (Redis's acl.c): the commands, keys, channels and authentications ACL refused, newest
// first. A refusal like one of the ten newest entries (same reason, context, object and user)
// within a minute of it counts on that entry, which moves to the front, as in Redis; at most
// acllog-max-len entries are kept.

export type AclReason = 'command' | 'key' | 'channel' | 'auth';
/** Where the refused command ran: from the client, inside EXEC, or called by a script. */
export type AclContext = 'toplevel' | 'multi' | 'lua';

export interface AclLogEntry {
  count: number;
  readonly reason: AclReason;
  readonly context: AclContext;
  readonly object: string;
  readonly username: string;
  /** When it last happened (ms since the epoch). */
  timeMs: number;
  /** The client's CLIENT INFO line when it last happened. */
  clientInfo: string;
}

/** Entries compared with a new refusal for grouping, and how far apart they may be. */
const GROUP_SCAN = 10;
const GROUP_WINDOW_MS = 60_000;

export class AclLog {
  private entries: AclLogEntry[] = [];

  add(e: Omit<AclLogEntry, 'count'>, maxLen: number): void {
    const scan = Math.min(GROUP_SCAN, this.entries.length);
    for (let i = 0; i < scan; i++) {
      const x = this.entries[i]!;
      if (x.reason !== e.reason || x.context !== e.context || x.object !== e.object || x.username !== e.username) continue;
      if (e.timeMs - x.timeMs > GROUP_WINDOW_MS) continue;
      x.count++;
      x.timeMs = e.timeMs;
      x.clientInfo = e.clientInfo;
      this.entries.splice(i, 1);
      this.entries.unshift(x);
      return;
    }
    this.entries.unshift({ count: 1, ...e });
    if (this.entries.length > maxLen) this.entries.length = maxLen;
  }

  newest(n: number): readonly AclLogEntry[] {
    return this.entries.slice(0, n);
  }

  reset(): void {
    this.entries = [];
  }
}
