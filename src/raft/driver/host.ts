// The raft side of one node process: one transport shared by every group hosted here
// (multi-raft), the address book of peers, and the tick that drives every group's clock.
import { performance } from 'node:perf_hooks';
import { DepotError } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import type { Message } from '../core/types.js';
import { openFoundationLog } from './foundation-log.js';
import { RaftGroup, type GroupTransport, type OpenLogOptions, type RaftGroupOptions } from './group.js';
import type { GroupLog } from './log-store.js';
import { RaftTransport } from './transport.js';
import type { SnapshotChunk } from './wire.js';

export interface RaftHostOptions {
  nodeId: number;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Known peers (id → "host:port"); membership changes add more. */
  peers?: Record<number, string>;
  /** Milliseconds per raft tick. Default 50 (with 10 election ticks: a leader is suspected after 0.5–1 s). */
  tickMs?: number;
  /** Opens a group's log. Default: the foundation log (src/log). */
  openLog?: (dir: string, options: OpenLogOptions) => Promise<GroupLog>;
  logger?: Logger;
}

export type HostedGroupOptions<R> = Omit<RaftGroupOptions<R>, 'nodeId' | 'transport' | 'openLog'> & {
  /** This group's log, when it differs from the host's default (e.g. a log that never fsyncs). */
  openLog?: RaftGroupOptions<R>['openLog'];
};

/** Ticks fired at once after the event loop stalled (a pause must not stretch a leader's lease). */
const MAX_CATCH_UP_TICKS = 100;

export class RaftHost implements GroupTransport {
  readonly nodeId: number;
  private readonly addresses = new Map<number, string>();
  private readonly groups = new Map<string, RaftGroup<unknown>>();
  private transport!: RaftTransport;
  private readonly tickMs: number;
  private timer: NodeJS.Timeout | undefined;
  private lastTick = performance.now();

  private constructor(private readonly o: RaftHostOptions) {
    this.nodeId = o.nodeId;
    this.tickMs = o.tickMs ?? 50;
    for (const [id, a] of Object.entries(o.peers ?? {})) this.addresses.set(Number(id), a);
  }

  static async start(o: RaftHostOptions): Promise<RaftHost> {
    const h = new RaftHost(o);
    h.transport = await RaftTransport.listen(
      { nodeId: o.nodeId, host: o.host, port: o.port, resolve: (id) => h.addresses.get(id) },
      {
        onMessages: (group, msgs) => h.deliver(group, msgs),
        onSnapshotChunk: (c) => h.groups.get(c.group)?.onSnapshotChunk(c),
        onUnreachable: (id) => {
          for (const g of h.groups.values()) g.reportUnreachable(id);
        },
      },
    );
    h.addresses.set(o.nodeId, h.transport.address);
    h.timer = setInterval(() => h.tickAll(), h.tickMs);
    return h;
  }

  /** This node's raft address ("host:port"). */
  get address(): string {
    return this.transport.address;
  }

  async openGroup<R>(o: HostedGroupOptions<R>): Promise<RaftGroup<R>> {
    if (this.groups.has(o.id)) throw new DepotError('BAD_REQUEST', `group ${o.id} is already open`);
    const openLog = o.openLog ?? this.o.openLog ?? openFoundationLog;
    const g = await RaftGroup.open<R>({ logger: this.o.logger, ...o, nodeId: this.nodeId, transport: this, openLog });
    this.groups.set(o.id, g as RaftGroup<unknown>);
    return g;
  }

  group(id: string): RaftGroup<unknown> | undefined {
    return this.groups.get(id);
  }

  private deliver(group: string, msgs: Message[]): void {
    const g = this.groups.get(group);
    if (g === undefined) return;
    for (const m of msgs) g.step(m);
  }

  private tickAll(): void {
    const now = performance.now();
    const n = Math.min(MAX_CATCH_UP_TICKS, Math.max(1, Math.floor((now - this.lastTick) / this.tickMs)));
    this.lastTick += n * this.tickMs;
    if (now - this.lastTick > this.tickMs) this.lastTick = now;
    for (const g of this.groups.values()) for (let i = 0; i < n; i++) g.tick();
  }

  // ---- GroupTransport -----------------------------------------------------------------------

  send(to: number, group: string, msgs: readonly Message[]): boolean {
    return this.transport.send(to, group, msgs);
  }

  flush(): void {
    this.transport.flush();
  }

  sendSnapshotChunk(chunk: SnapshotChunk): Promise<void> {
    return this.transport.sendSnapshotChunk(chunk);
  }

  addressOf(nodeId: number): string | undefined {
    return this.addresses.get(nodeId);
  }

  learnAddress(nodeId: number, address: string): void {
    if (nodeId !== this.nodeId) this.addresses.set(nodeId, address);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const g of this.groups.values()) await g.close();
    this.groups.clear();
    await this.transport.close();
  }
}
