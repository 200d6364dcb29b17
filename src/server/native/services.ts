// The services behind the native protocol, built from a controller and a broker.
import type { Clock } from '../../util/clock.js';
import type { BrokerService } from '../../broker/broker-service.js';
import { GroupAdmin } from '../../broker/groups/group-admin.js';
import { GroupCoordinator } from '../../broker/groups/coordinator.js';
import type { ControllerService } from '../../cluster/controller-service.js';
import type { Logger } from '../../util/logger.js';

export interface QueueServices {
  readonly controller: ControllerService;
  readonly broker: BrokerService;
  readonly coordinator: GroupCoordinator;
  readonly groupAdmin: GroupAdmin;
  readonly clock: Clock;
}

export function createQueueServices(controller: ControllerService, broker: BrokerService, clock: Clock, log: Logger): QueueServices {
  const queueCount = (topic: string): number | undefined => controller.topic(topic)?.queues;
  const coordinator = new GroupCoordinator(broker, queueCount, clock, (what, err) => log.error({ err: String((err as Error)?.stack ?? err) }, what));
  return { controller, broker, coordinator, groupAdmin: new GroupAdmin(broker, coordinator, queueCount), clock };
}
