// One Depot process: the data directory, the raft host with this node's groups, the state
// machines and their services, and the servers in front of them. A single node runs every
// group with one replica: the same code path as a cluster, with a quorum of one.
import { join } from 'node:path';
import { BrokerService } from '../broker/broker-service.js';
import { Retention } from '../broker/retention.js';
import type { BrokerLog } from '../broker/store/broker-log.js';
import { ControllerService } from '../cluster/controller-service.js';
import { FdCache } from '../log/fd-cache.js';
import { nodeFileSystem } from '../log/file-system.js';
import type { Durability, RaftGroup } from '../raft/driver/group.js';
import { RaftHost } from '../raft/driver/host.js';
import { systemClock } from '../util/clock.js';
import type { Group, GroupStatus } from '../raft/group.js';
import { HttpServer } from '../server/http/server.js';
import { NativeServer } from '../server/native/native-server.js';
import { DepotError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import type { Config } from './config.js';
import { startCacheRole, type CacheRole } from './cache-role.js';
import { DataDir } from './data-dir.js';
import { tuneGarbageCollector } from './gc-tuning.js';
import { NodeMetrics } from './metrics.js';

/** This node's id in its groups. A single node is node 1; cluster membership comes later. */
const NODE_ID = 1;
/**
 * Broker groups by durability: a group counts fsynced copies (`sync`) or written ones
 * (`async`, fsync every second), so topics of each flush policy live in their own group.
 */
const BROKER_GROUPS: ReadonlyArray<{ group: number; durability: Durability }> = [
  { group: 1, durability: 'sync' },
  { group: 2, durability: 'async' },
];
/** Applied bytes between broker snapshots: bounds what a restart replays. */
const BROKER_SNAPSHOT_BYTES = 256 * 1024 * 1024;
/** Newest commit log bytes kept in memory per broker group: consumers that keep up never read the disk. */
const BROKER_TAIL_CACHE_BYTES = 128 * 1024 * 1024;
/** Descriptors open at once for all queue indexes of the node. */
const INDEX_DESCRIPTORS = 256;

export interface NodePorts {
  native: number;
  /** The Redis protocol, when the cache runs. */
  redis?: number;
  http: number;
  raft: number;
}

/** The queue's services on this node, for the HTTP admin API and in-process tests. */
export interface QueueParts {
  readonly controller: ControllerService;
  /** Broker services by broker group number. */
  readonly brokers: ReadonlyMap<number, BrokerService>;
  readonly server: NativeServer;
}

/** A broker group with its service and retention task. */
interface HostedBroker {
  readonly service: BrokerService;
  readonly group: RaftGroup<unknown>;
  readonly retention: Retention;
}

export class DepotNode {
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly dataDir: DataDir,
    private readonly host: RaftHost,
    private readonly groups: readonly Group[],
    private readonly hostedBrokers: readonly HostedBroker[],
    readonly queue: QueueParts,
    readonly cache: CacheRole | undefined,
    private readonly http: HttpServer,
    private readonly log: Logger,
    readonly ports: NodePorts,
  ) {}

  /** `requestStop`: what a client's SHUTDOWN calls (the owner of the process stops it). */
  static async start(config: Config, log: Logger, requestStop?: () => void): Promise<DepotNode> {
    tuneGarbageCollector();
    const dataDir = DataDir.open(config.dataDir);
    const cleanup: Array<() => Promise<void> | void> = [() => dataDir.release()];
    try {
      const host = await RaftHost.start({ nodeId: NODE_ID, host: config.host, port: config.raftPort, logger: log.child({ part: 'raft' }) });
      cleanup.unshift(() => host.close());
      const bootstrap = { [NODE_ID]: host.address };

      const placement = { sync: BROKER_GROUPS[0]!.group, async: BROKER_GROUPS[1]!.group };
      const controller = new ControllerService(placement);
      const controllerGroup = await host.openGroup({
        id: 'controller-1', dir: dataDir.groupDir('controller-1'), bootstrap, durability: 'sync', stateMachine: controller.stateMachine,
      });
      controller.attach(controllerGroup);

      const fds = new FdCache(nodeFileSystem, INDEX_DESCRIPTORS);
      const brokers: HostedBroker[] = [];
      // On failure: retention stops before the groups close, the stores checkpoint after them.
      cleanup.unshift(async () => {
        for (const b of brokers) await b.retention.stop();
      });
      cleanup.splice(cleanup.length - 1, 0, async () => {
        for (const b of brokers) await b.service.close();
      });
      for (const { group, durability } of BROKER_GROUPS) {
        brokers.push(await openBroker(host, dataDir.groupDir(`broker-${group}`), group, durability, { config, controller, fds, bootstrap, log }));
      }

      const groups: Group[] = [controllerGroup, ...brokers.map((b) => b.group)];
      let cache: CacheRole | undefined;
      if (config.cache.enabled) {
        cache = await startCacheRole(host, dataDir, config, log, requestStop);
        const running = cache.running;
        cleanup.unshift(() => running.close());
        groups.push(cache.group);
      }
      await waitUntilServing(groups);
      await cache?.running.service.whenLoaded();

      const services = brokers.map((b) => b.service);
      const native = new NativeServer({ controller, brokers: services, log: log.child({ part: 'native' }) });
      const nativePort = await native.listen(config.port, config.host);
      cleanup.unshift(() => native.close());

      const metrics = new NodeMetrics();
      metrics.groups(() => groups.map((g) => g.status()));
      registerQueueMetrics(metrics, brokers, native);
      const health = () => {
        const statuses: GroupStatus[] = groups.map((g) => g.status());
        // A broker's queue indexes that cannot be written hold new messages back from consumers.
        const indexes = services.flatMap((b) => {
          const f = b.store.indexFailure;
          return f === undefined ? [] : [{ brokerGroup: b.brokerGroup, ...f }];
        });
        const ok = indexes.length === 0 && statuses.every((s) => s.failure === undefined && (s.isLeader || s.leaderAddress !== undefined));
        return { ok, groups: statuses, ...(indexes.length > 0 ? { indexes } : {}) };
      };
      const http = await HttpServer.start({ host: config.host, port: config.httpPort, health, metrics: metrics.registry });

      const ports: NodePorts = { native: nativePort, ...(cache ? { redis: cache.running.port } : {}), http: http.port, raft: Number(host.address.split(':').pop()) };
      log.info({ dataDir: dataDir.path, ...ports }, 'depot node started');
      const byGroup = new Map(services.map((b) => [b.brokerGroup, b]));
      return new DepotNode(dataDir, host, groups, brokers, { controller, brokers: byGroup, server: native }, cache, http, log, ports);
    } catch (err) {
      for (const step of cleanup) await Promise.resolve(step()).catch(() => undefined);
      throw err;
    }
  }

  status(): GroupStatus[] {
    return this.groups.map((g) => g.status());
  }

  /** Stops accepting work, answers what is in flight, makes everything durable, releases the data directory. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info('depot node stopping');
      await this.queue.server.close();
      await this.cache?.running.close();
      await this.http.close();
      for (const b of this.hostedBrokers) await b.retention.stop();
      await this.host.close();
      // After the groups: nothing is applied any more, so the final index checkpoint is complete.
      for (const b of this.hostedBrokers) await b.service.close();
      this.dataDir.release();
      this.log.info('depot node stopped');
    })();
    return this.stopping;
  }
}

interface BrokerWiring {
  config: Config;
  controller: ControllerService;
  fds: FdCache;
  bootstrap: Record<number, string>;
  log: Logger;
}

/** Opens a broker group: its message store, then its raft group (which replays into it), then its retention. */
async function openBroker(host: RaftHost, dir: string, group: number, durability: Durability, w: BrokerWiring): Promise<HostedBroker> {
  const id = `broker-${group}`;
  const logger = w.log.child({ part: 'broker', group: id });
  const service = await BrokerService.open({ brokerGroup: group, store: { dir: join(dir, 'queues'), fds: w.fds, logger } });
  const raft = await host.openGroup({
    id, dir, bootstrap: w.bootstrap, durability, stateMachine: service.stateMachine,
    logTuning: { segmentBytes: w.config.broker.segmentBytes, tailCacheBytes: BROKER_TAIL_CACHE_BYTES },
    snapshotEntries: w.config.broker.snapshotEntries, snapshotBytes: BROKER_SNAPSHOT_BYTES,
  });
  service.attach(raft, brokerLog(raft));
  const retentionOf = (topic: string) => {
    const t = w.controller.topic(topic);
    return t?.brokerGroup === group ? t.retentionMs : undefined;
  };
  const retention = new Retention(service, retentionOf, nodeFileSystem, dir, systemClock, {
    intervalMs: w.config.broker.retentionCheckMs, diskUsageWatermark: w.config.broker.diskUsageWatermark,
  }, logger);
  retention.start();
  return { service, group: raft as RaftGroup<unknown>, retention };
}

function brokerLog<R>(group: RaftGroup<R>): BrokerLog {
  return {
    cachedPayload: (index) => group.log.cached(index)?.payload,
    async readPayloads(lo, hi, maxBytes) {
      const entries = await group.log.read(lo, hi, maxBytes);
      if (entries[0]?.index !== lo) throw new DepotError('INDEX_COMPACTED', `log entry ${lo} of group ${group.id} is no longer stored`);
      return entries.map((e) => e.payload);
    },
    get firstIndex() {
      return group.log.firstIndex;
    },
    get durableIndex() {
      return group.log.durableIndex;
    },
    pin: (index) => group.pin(index),
    retain: (policy, now) => group.retain(policy, now),
  };
}

/**
 * Waits until every group can serve: it has a leader here and has applied everything committed
 * before this start (a linearizable read point), so no request sees a state from before a
 * replay finished. A single node elects itself at once.
 */
async function waitUntilServing(groups: readonly Group[]): Promise<void> {
  await Promise.all(
    groups.map(async (g) => {
      if (!g.status().isLeader) {
        await new Promise<void>((resolve) => {
          const off = g.onLeadershipChange((leader) => {
            if (leader) {
              off();
              resolve();
            }
          });
        });
      }
      await g.read(() => undefined);
    }),
  );
}

function registerQueueMetrics(metrics: NodeMetrics, brokers: readonly HostedBroker[], native: NativeServer): void {
  const per = (pick: (b: HostedBroker) => number) => () => brokers.map((b) => [{ group: b.group.id }, pick(b)] as const);
  const counter = (name: string, help: string, pick: (c: BrokerService['counters']) => number) => metrics.counter(name, help, ['group'], per((b) => pick(b.service.counters)));
  counter('depot_broker_messages_stored_total', 'Messages stored', (c) => c.messagesStored);
  counter('depot_broker_bytes_stored_total', 'Record batch bytes stored', (c) => c.bytesStored);
  counter('depot_broker_batches_stored_total', 'Record batches stored', (c) => c.batchesStored);
  counter('depot_broker_duplicate_batches_total', 'Idempotent retries recognised and not stored again', (c) => c.duplicateBatches);
  counter('depot_broker_offset_commits_total', 'Consumer offset commits', (c) => c.offsetCommits);
  counter('depot_broker_acks_before_fsync_total', 'Produce acknowledgements sent before the batch was fdatasynced (async durability)', (c) => c.acksBeforeFsync);
  metrics.gauge('depot_broker_log_written_index', 'Last log index handed to the OS', ['group'], per((b) => (b.group as RaftGroup<unknown>).log.writtenIndex));
  metrics.gauge('depot_broker_log_durable_index', 'Last log index fdatasynced', ['group'], per((b) => (b.group as RaftGroup<unknown>).log.durableIndex));
  metrics.gauge('depot_broker_log_first_index', 'First log index still stored (retention moves it)', ['group'], per((b) => b.group.log.firstIndex));
  metrics.gauge('depot_broker_queues', 'Queues with an index', ['group'], per((b) => b.service.store.indexes.size));
  const s = native.counters;
  metrics.gauge('depot_native_connections', 'Open native protocol connections', [], () => [[{}, s.connectionsOpen]]);
  metrics.counter('depot_native_connections_total', 'Native protocol connections accepted', [], () => [[{}, s.connectionsOpened]]);
  metrics.counter('depot_native_requests_total', 'Native requests answered, by api', ['api'], () => [...s.requests].map(([api, n]) => [{ api }, n] as const));
  metrics.counter('depot_native_errors_total', 'Native error responses, by code', ['code'], () => [...s.errors].map(([code, n]) => [{ code }, n] as const));
  metrics.gauge('depot_consumer_lag_messages', 'Messages stored but not yet committed by a consumer group', ['group', 'topic'], () =>
    [...native.services.all()].flatMap((p) => p.admin.list().map((g) => [{ group: g.group, topic: g.topic }, g.lagMessages] as const)),
  );
}
