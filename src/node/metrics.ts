// Prometheus metrics of a node. Subsystems keep plain counters and status objects (no metrics
// library below this layer); the collectors here read them when Prometheus scrapes.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { GroupStatus } from '../raft/group.js';

/** A counter read from a subsystem at scrape time. */
type Read = () => ReadonlyArray<readonly [labels: Record<string, string>, value: number]>;

export class NodeMetrics {
  readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'depot_' });
  }

  /** Raft state of every hosted group. */
  groups(statuses: () => readonly GroupStatus[]): void {
    const gauge = (name: string, help: string, pick: (s: GroupStatus) => number) =>
      this.gauge(name, help, ['group'], () => statuses().map((s) => [{ group: s.id }, pick(s)] as const));
    gauge('depot_raft_term', 'Current raft term of the group on this node', (s) => s.term);
    gauge('depot_raft_commit_index', 'Highest log index known committed', (s) => s.commitIndex);
    gauge('depot_raft_applied_index', 'Highest log index applied to the state machine', (s) => s.appliedIndex);
    gauge('depot_raft_is_leader', '1 when this node leads the group', (s) => (s.isLeader ? 1 : 0));
  }

  counter(name: string, help: string, labelNames: readonly string[], read: Read): void {
    new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.inc(labels, value);
      },
    });
  }

  gauge(name: string, help: string, labelNames: readonly string[], read: Read): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.set(labels, value);
      },
    });
  }
}
