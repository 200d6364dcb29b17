// The controller group's service: topic administration through the controller's log.
// Construct it, hand `stateMachine` to the group that runs it, then `attach` the group.
import type { Group, StateMachine } from '../raft/group.js';
import { assert } from '../util/assert.js';
import { DepotError } from '../util/errors.js';
import type { FlushPolicy, TopicInfo, TopicSettings } from '../protocol/native/topics.js';
import { ControllerMachine, encodeControllerCommand, type ControllerResult, type ControllerSnapshot } from './machine/controller-machine.js';
import { validateTopic } from './machine/topic-rules.js';

export class ControllerService {
  readonly machine = new ControllerMachine();
  private group: Group<ControllerResult> | undefined;

  readonly stateMachine: StateMachine<ControllerResult> = {
    apply: (entry) => this.machine.apply(entry),
    snapshot: () => jsonSnapshot(this.machine.snapshot()),
    restore: async (chunks) => this.machine.restore((await readJson(chunks)) as ControllerSnapshot),
  };

  /**
   * `placement`: the broker group that hosts a new topic's queues, by its flush policy (a
   * group has one durability mode: `sync` counts fsynced copies, `async` written ones).
   */
  constructor(private readonly placement: Readonly<Record<FlushPolicy, number>>) {}

  attach(group: Group<ControllerResult>): void {
    assert(this.group === undefined, 'controller attached twice');
    this.group = group;
  }

  private get g(): Group<ControllerResult> {
    assert(this.group !== undefined, 'controller used before attach');
    return this.group;
  }

  async createTopic(name: string, settings: TopicSettings): Promise<TopicInfo> {
    validateTopic(name, settings);
    if (this.machine.topic(name) !== undefined) throw new DepotError('TOPIC_EXISTS', `topic '${name}' already exists`);
    const brokerGroup = this.placement[settings.flush];
    const result = await this.g.propose(encodeControllerCommand({ op: 'createTopic', name, settings, brokerGroup })).applied;
    assert(result.kind === 'topic', 'createTopic result');
    return result.topic;
  }

  async deleteTopic(name: string): Promise<void> {
    await this.g.propose(encodeControllerCommand({ op: 'deleteTopic', name })).applied;
  }

  /** The topic as this replica last applied it (a local read: cheap, for the produce path). */
  topic(name: string): TopicInfo | undefined {
    return this.machine.topic(name);
  }

  requireTopic(name: string): TopicInfo {
    const t = this.machine.topic(name);
    if (t === undefined) throw new DepotError('TOPIC_NOT_FOUND', `topic '${name}' does not exist`, { details: { topic: name } });
    return t;
  }

  /** A linearizable listing, for administration. */
  listTopics(): Promise<TopicInfo[]> {
    return this.g.read(() => this.machine.listTopics());
  }
}

export async function* jsonSnapshot(state: unknown): AsyncIterable<Buffer> {
  yield Buffer.from(JSON.stringify(state));
}

export async function readJson(chunks: AsyncIterable<Buffer>): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(c);
  return JSON.parse(Buffer.concat(parts).toString('utf8'));
}
