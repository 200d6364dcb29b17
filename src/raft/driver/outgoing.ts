// Messages a group sends, trimmed of what the receiver would only spend work on.
//
// CommitNews: a leader's appends without entries (commit news, probes) held back for one
// event-loop turn. When a leader commits, the core tells every follower at once with an append that carries no
// entries. Under load the callers whose proposals just committed propose again in the same
// turn, and the append of those entries, one turn later, carries the same commit index: sent
// alone, the news costs each follower a wake-up, a Ready and an acknowledgement, and the
// leader one more acknowledgement to step, per commit. So such an append waits for the next
// turn and is dropped if an append with entries goes to the same follower meanwhile.
//
// Dropping it loses nothing: the later append's commit index is at least as high, and it is
// checked at a later index of the leader's log, so a follower whose log does not match the
// earlier one does not match the later one either (log matching) and rejects it just the same.
import { MessageType, type Message } from '../core/types.js';

export class CommitNews {
  private readonly held = new Map<number, Message>();

  get size(): number {
    return this.held.size;
  }

  /**
   * The messages of `msgs` to send now: appends without entries are held (the latest per
   * follower), and an append with entries supersedes what is held for its follower.
   */
  filter(msgs: readonly Message[]): Message[] {
    const now: Message[] = [];
    for (const m of msgs) {
      if (m.type !== MessageType.App) {
        now.push(m);
      } else if (m.entries.length === 0) {
        this.held.set(m.to, m);
      } else {
        this.held.delete(m.to);
        now.push(m);
      }
    }
    return now;
  }

  /** Everything held, to send now. */
  take(): Message[] {
    const out = [...this.held.values()];
    this.held.clear();
    return out;
  }
}

/**
 * One peer's messages, with acknowledgements of appends folded into the highest when they are
 * all there is: the leader takes an acknowledgement of index i as covering every append up to i
 * (all of them are durable here by the time any is sent), so the lower ones only cost it work.
 */
export function coalesceAcks(list: Message[]): Message[] {
  if (list.length < 2) return list;
  let best = list[0]!;
  for (const m of list) {
    if (m.type !== MessageType.AppResp || m.reject || m.term !== best.term) return list;
    if (m.index > best.index) best = m;
  }
  return [best];
}
