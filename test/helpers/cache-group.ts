// An in-memory, single-member stand-in for a raft group, for the cache tests until the raft
// driver lands: every proposal commits at once (in a microtask) and is applied to the state
// machine in order. It persists nothing.
import { EntryType, type Entry, type Group, type GroupStatus, type Proposal, type StateMachine } from '../../src/raft/group.js';

export class InMemoryCacheGroup implements Group<void> {
  readonly id = 'cache-0';
  private lastIndex = 0;
  private applied = 0;

  constructor(private readonly machine: StateMachine<void>) {}

  status(): GroupStatus {
    return { id: this.id, isLeader: true, leaderAddress: undefined, term: 1, commitIndex: this.applied, appliedIndex: this.applied };
  }

  propose(payload: Buffer): Proposal<void> {
    const index = ++this.lastIndex;
    const entry: Entry = { index, term: 1, timestamp: Date.now(), type: EntryType.Command, payload };
    const applied = Promise.resolve().then(() => {
      this.machine.apply(entry);
      this.applied = index;
    });
    return { index, applied };
  }

  read<T>(fn: () => T): Promise<T> {
    return Promise.resolve().then(fn);
  }

  onLeadershipChange(): () => void {
    return () => undefined;
  }
}
