// The services behind the native protocol: the controller (topics and where their queues live)
// and, per broker group hosted on this node, its broker service, consumer-group coordinator and
// group administration. Requests are routed by topic, by message id or by member id.
import type { Clock } from '../../util/clock.js';
import { DepotError } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import type { BrokerService } from '../../broker/broker-service.js';
import { GroupAdmin } from '../../broker/groups/group-admin.js';
import { GroupCoordinator } from '../../broker/groups/coordinator.js';
import type { ControllerService } from '../../cluster/controller-service.js';
import type { TopicInfo } from '../../protocol/native/topics.js';

/** One broker group's services on this node. */
export interface BrokerParts {
  readonly broker: BrokerService;
  readonly coordinator: GroupCoordinator;
  readonly admin: GroupAdmin;
}

export class QueueServices {
  private readonly brokers = new Map<number, BrokerParts>();

  constructor(
    readonly controller: ControllerService,
    brokers: readonly BrokerService[],
    readonly clock: Clock,
    log: Logger,
  ) {
    for (const broker of brokers) {
      const n = broker.brokerGroup;
      // A coordinator knows only the topics whose queues live in its broker group.
      const queueCount = (topic: string): number | undefined => {
        const t = controller.topic(topic);
        return t?.brokerGroup === n ? t.queues : undefined;
      };
      const coordinator = new GroupCoordinator(broker, queueCount, clock, (what, err) => log.error({ err: String((err as Error)?.stack ?? err) }, what));
      this.brokers.set(n, { broker, coordinator, admin: new GroupAdmin(broker, coordinator, queueCount) });
    }
  }

  /** The broker group `n`, or GROUP_NOT_FOUND when this node does not host it. */
  broker(n: number): BrokerParts {
    const parts = this.brokers.get(n);
    if (parts === undefined) throw new DepotError('GROUP_NOT_FOUND', `broker group ${n} is not hosted on this node`, { details: { brokerGroup: n } });
    return parts;
  }

  /** The broker group that holds `topic`'s queues. */
  brokerOf(topic: TopicInfo): BrokerParts {
    return this.broker(topic.brokerGroup);
  }

  /** The broker group whose coordinator knows `memberId`, or NOT_GROUP_MEMBER. */
  memberParts(memberId: string): BrokerParts {
    for (const parts of this.brokers.values()) if (parts.coordinator.knows(memberId)) return parts;
    throw new DepotError('NOT_GROUP_MEMBER', `'${memberId}' is not a member of any group (session expired?)`);
  }

  all(): IterableIterator<BrokerParts> {
    return this.brokers.values();
  }

  /** Ends every membership (answers pending long polls). */
  close(): void {
    for (const parts of this.brokers.values()) parts.coordinator.close();
  }
}
