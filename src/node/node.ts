// One Depot process: the data directory, the raft host with this node's groups, the state
// machines and their services, and the servers in front of them. A single node runs every
// group with one replica: the same code path as a cluster, with a quorum of one.
import { BrokerService } from '../broker/broker-service.js';
import type { LogReader } from '../broker/store/log-reader.js';
import { ControllerService } from '../cluster/controller-service.js';
import type { RaftGroup } from '../raft/driver/group.js';
import { RaftHost } from '../raft/driver/host.js';
import type { Group, GroupStatus } from '../raft/group.js';
import { HttpServer } from '../server/http/server.js';
import { NativeServer } from '../server/native/native-server.js';
import { DepotError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import type { Config } from './config.js';
import { startCacheRole, type CacheRole } from './cache-role.js';
import { DataDir } from './data-dir.js';
import { NodeMetrics } from './metrics.js';

/** This node's id in its groups. A single node is node 1; cluster membership comes later. */
const NODE_ID = 1;
const BROKER_GROUP = 1;

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
  readonly broker: BrokerService;
  readonly server: NativeServer;
}

export class DepotNode {
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly dataDir: DataDir,
    private readonly host: RaftHost,
    private readonly groups: readonly Group[],
    readonly queue: QueueParts,
    readonly cache: CacheRole | undefined,
    private readonly http: HttpServer,
    private readonly log: Logger,
    readonly ports: NodePorts,
  ) {}

  static async start(config: Config, log: Logger): Promise<DepotNode> {
    const dataDir = DataDir.open(config.dataDir);
    const cleanup: Array<() => Promise<void> | void> = [() => dataDir.release()];
    try {
      const host = await RaftHost.start({ nodeId: NODE_ID, host: config.host, port: config.raftPort, logger: log.child({ part: 'raft' }) });
      cleanup.unshift(() => host.close());
      const bootstrap = { [NODE_ID]: host.address };

      const controller = new ControllerService(BROKER_GROUP);
      const controllerGroup = await host.openGroup({
        id: 'controller-1', dir: dataDir.groupDir('controller-1'), bootstrap, durability: 'sync', stateMachine: controller.stateMachine,
      });
      controller.attach(controllerGroup);

      const broker = new BrokerService({ brokerGroup: BROKER_GROUP });
      const brokerGroup = await host.openGroup({
        id: `broker-${BROKER_GROUP}`, dir: dataDir.groupDir(`broker-${BROKER_GROUP}`), bootstrap, durability: 'sync', stateMachine: broker.stateMachine,
      });
      broker.attach(brokerGroup, logReader(brokerGroup));

      const groups: Group[] = [controllerGroup, brokerGroup];
      let cache: CacheRole | undefined;
      if (config.cache.enabled) {
        cache = await startCacheRole(host, dataDir, config, log);
        const running = cache.running;
        cleanup.unshift(() => running.close());
        groups.push(cache.group);
      }
      await waitUntilServing(groups);
      await cache?.running.service.whenLoaded();

      const native = new NativeServer({ controller, broker, log: log.child({ part: 'native' }) });
      const nativePort = await native.listen(config.port, config.host);
      cleanup.unshift(() => native.close());

      const metrics = new NodeMetrics();
      metrics.groups(() => groups.map((g) => g.status()));
      registerQueueMetrics(metrics, broker, native);
      const health = () => {
        const statuses: GroupStatus[] = groups.map((g) => g.status());
        return { ok: statuses.every((s) => s.isLeader || s.leaderAddress !== undefined), groups: statuses };
      };
      const http = await HttpServer.start({ host: config.host, port: config.httpPort, health, metrics: metrics.registry });

      const ports: NodePorts = { native: nativePort, ...(cache ? { redis: cache.running.port } : {}), http: http.port, raft: Number(host.address.split(':').pop()) };
      log.info({ dataDir: dataDir.path, ...ports }, 'depot node started');
      return new DepotNode(dataDir, host, groups, { controller, broker, server: native }, cache, http, log, ports);
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
      await this.host.close();
      this.dataDir.release();
      this.log.info('depot node stopped');
    })();
    return this.stopping;
  }
}

function logReader<R>(group: RaftGroup<R>): LogReader {
  return {
    async readPayload(index) {
      const [entry] = await group.log.read(index, index + 1);
      if (entry === undefined || entry.index !== index) {
        throw new DepotError('INDEX_COMPACTED', `log entry ${index} of group ${group.id} is no longer stored`);
      }
      return entry.payload;
    },
    pin: (index) => group.pin(index),
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

function registerQueueMetrics(metrics: NodeMetrics, broker: BrokerService, native: NativeServer): void {
  const c = broker.counters;
  metrics.counter('depot_broker_messages_stored_total', 'Messages stored', [], () => [[{}, c.messagesStored]]);
  metrics.counter('depot_broker_bytes_stored_total', 'Record batch bytes stored', [], () => [[{}, c.bytesStored]]);
  metrics.counter('depot_broker_batches_stored_total', 'Record batches stored', [], () => [[{}, c.batchesStored]]);
  metrics.counter('depot_broker_duplicate_batches_total', 'Idempotent retries recognised and not stored again', [], () => [[{}, c.duplicateBatches]]);
  metrics.counter('depot_broker_offset_commits_total', 'Consumer offset commits', [], () => [[{}, c.offsetCommits]]);
  const s = native.counters;
  metrics.gauge('depot_native_connections', 'Open native protocol connections', [], () => [[{}, s.connectionsOpen]]);
  metrics.counter('depot_native_connections_total', 'Native protocol connections accepted', [], () => [[{}, s.connectionsOpened]]);
  metrics.counter('depot_native_requests_total', 'Native requests answered, by api', ['api'], () => [...s.requests].map(([api, n]) => [{ api }, n] as const));
  metrics.counter('depot_native_errors_total', 'Native error responses, by code', ['code'], () => [...s.errors].map(([code, n]) => [{ code }, n] as const));
  metrics.gauge('depot_consumer_lag_messages', 'Messages stored but not yet committed by a consumer group', ['group', 'topic'], () =>
    native.services.groupAdmin.list().map((g) => [{ group: g.group, topic: g.topic }, g.lagMessages] as const),
  );
}
