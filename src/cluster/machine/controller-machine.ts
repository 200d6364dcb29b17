// Cluster metadata: topics and where their queues live. Commands are small JSON documents:
// the controller's log carries administrative changes, never messages. Pure and deterministic.
import type { Entry } from '../../raft/group.js';
import { DepotError } from '../../util/errors.js';
import type { TopicInfo, TopicSettings } from '../../protocol/native/topics.js';
import { validateTopic } from './topic-rules.js';

export type ControllerCommand =
  | { op: 'createTopic'; name: string; settings: TopicSettings; brokerGroup: number }
  | { op: 'deleteTopic'; name: string };

export type ControllerResult = { kind: 'topic'; topic: TopicInfo } | { kind: 'deleted'; name: string };

export interface ControllerSnapshot {
  topics: TopicInfo[];
}

export function encodeControllerCommand(cmd: ControllerCommand): Buffer {
  return Buffer.from(JSON.stringify(cmd));
}

function decodeControllerCommand(payload: Buffer): ControllerCommand {
  let cmd: unknown;
  try {
    cmd = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new DepotError('BAD_REQUEST', 'controller command is not JSON');
  }
  if (typeof cmd !== 'object' || cmd === null || typeof (cmd as { name?: unknown }).name !== 'string') {
    throw new DepotError('BAD_REQUEST', 'controller command has no name');
  }
  return cmd as ControllerCommand;
}

export class ControllerMachine {
  private readonly topics = new Map<string, TopicInfo>();

  apply(entry: Entry): ControllerResult {
    const cmd = decodeControllerCommand(entry.payload);
    switch (cmd.op) {
      case 'createTopic': {
        validateTopic(cmd.name, cmd.settings);
        if (this.topics.has(cmd.name)) throw new DepotError('TOPIC_EXISTS', `topic '${cmd.name}' already exists`);
        const { queues, retentionMs, maxMessageBytes, flush } = cmd.settings;
        const topic: TopicInfo = { name: cmd.name, queues, retentionMs, maxMessageBytes, flush, createdAt: entry.timestamp, brokerGroup: cmd.brokerGroup };
        this.topics.set(cmd.name, topic);
        return { kind: 'topic', topic };
      }
      case 'deleteTopic':
        if (!this.topics.delete(cmd.name)) throw new DepotError('TOPIC_NOT_FOUND', `topic '${cmd.name}' does not exist`);
        return { kind: 'deleted', name: cmd.name };
      default:
        throw new DepotError('BAD_REQUEST', `unknown controller command '${(cmd as { op: string }).op}'`);
    }
  }

  topic(name: string): TopicInfo | undefined {
    return this.topics.get(name);
  }

  listTopics(): TopicInfo[] {
    return [...this.topics.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  snapshot(): ControllerSnapshot {
    return { topics: this.listTopics() };
  }

  restore(s: ControllerSnapshot): void {
    this.topics.clear();
    for (const t of s.topics) this.topics.set(t.name, { ...t });
  }
}
