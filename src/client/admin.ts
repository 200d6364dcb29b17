// Administration: topics and consumer groups.
import { DepotError } from '../util/errors.js';
import { Api } from '../protocol/native/apis.js';
import { decodeStoredMessage, decodeStoredMessages, encodeGetMessage, encodeKeyQuery, encodeTimeQuery, type StoredMessage } from '../protocol/native/lookup.js';
import { formatMessageId, parseMessageId } from '../protocol/native/message-id.js';
import { decodeRecord } from '../protocol/native/record-batch.js';
import { decodeGroupDescription, decodeGroupList, decodeOffsets, encodeGroupKey, encodeResetRequest, type GroupDescription, type GroupSummary, type ResetTarget } from '../protocol/native/group-admin.js';
import { decodeTopicDescription, decodeTopicInfo, decodeTopicList, encodeCreateTopic, encodeName, type TopicDescription, type TopicInfo, type TopicSettings } from '../protocol/native/topics.js';
import type { Connection } from './connection.js';

/** Defaults of a new topic; the server applies the same limits. */
export const DEFAULT_TOPIC_SETTINGS: TopicSettings = { queues: 8, retentionMs: 72 * 3600 * 1000, maxMessageBytes: 4 * 1024 * 1024, flush: 'sync' };

/** A stored message found by a lookup. */
export interface FoundMessage {
  messageId: string;
  topic: string;
  queue: number;
  offset: number;
  key: string | undefined;
  tag: string | undefined;
  headers: Record<string, string>;
  body: Buffer;
  /** Producer timestamp (ms). */
  timestamp: number;
  storeTimestamp: number;
}

function found(m: StoredMessage): FoundMessage {
  return {
    messageId: formatMessageId(m),
    topic: m.topic,
    queue: m.queue,
    offset: m.offset,
    ...decodeRecord(m.record),
    storeTimestamp: m.storeTimestamp,
  };
}

export class Admin {
  constructor(private readonly conn: Connection) {}

  async createTopic(name: string, settings: Partial<TopicSettings> = {}): Promise<TopicInfo> {
    const body = encodeCreateTopic(name, { ...DEFAULT_TOPIC_SETTINGS, ...settings });
    return decodeTopicInfo(await this.conn.request(Api.CreateTopic, [body]));
  }

  async deleteTopic(name: string): Promise<void> {
    await this.conn.request(Api.DeleteTopic, [encodeName(name)]);
  }

  async listTopics(): Promise<TopicInfo[]> {
    return decodeTopicList(await this.conn.request(Api.ListTopics, []));
  }

  async describeTopic(name: string): Promise<TopicDescription> {
    return decodeTopicDescription(await this.conn.request(Api.DescribeTopic, [encodeName(name)]));
  }

  async listGroups(): Promise<GroupSummary[]> {
    return decodeGroupList(await this.conn.request(Api.ListGroups, []));
  }

  async describeGroup(group: string, topic: string): Promise<GroupDescription> {
    return decodeGroupDescription(await this.conn.request(Api.DescribeGroup, [encodeGroupKey(group, topic)]));
  }

  /** The message a message id names (MESSAGE_NOT_FOUND once expired or deleted). */
  async getMessage(messageId: string): Promise<FoundMessage> {
    return found(decodeStoredMessage(await this.conn.request(Api.GetMessage, [encodeGetMessage(parseMessageId(messageId))])));
  }

  /** Messages of `topic` produced with `key`, newest first (at most `max`, up to 1,000). */
  async findByKey(topic: string, key: string, max = 32): Promise<FoundMessage[]> {
    return decodeStoredMessages(await this.conn.request(Api.FindByKey, [encodeKeyQuery({ topic, key, max })])).map(found);
  }

  /** Per queue, the first `maxPerQueue` messages of `topic` stored at or after `since`. */
  async findByTime(topic: string, since: Date | number, maxPerQueue = 1): Promise<FoundMessage[]> {
    const timestamp = since instanceof Date ? since.getTime() : since;
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new DepotError('BAD_REQUEST', `'${String(since)}' is not a time`);
    return decodeStoredMessages(await this.conn.request(Api.FindByTime, [encodeTimeQuery({ topic, timestamp, max: maxPerQueue })])).map(found);
  }

  /** Moves a group's committed offsets; live members continue from the new positions. */
  async resetOffsets(group: string, topic: string, to: ResetTarget): Promise<Array<{ queue: number; offset: number }>> {
    return decodeOffsets(await this.conn.request(Api.ResetOffsets, [encodeResetRequest({ group, topic, to })]));
  }
}
